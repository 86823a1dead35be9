//! The catalog in the database: applying a parsed catalog file (rows matched by code are
//! updated, new codes inserted, codes missing from the file archived — never deleted, since
//! workspaces may still be on them), loading it as a [`PlanBook`], and checking at start-up
//! that everything sold has a price id at the configured provider.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use crate::db::{DbConnection, write_transaction};
use crate::domain::catalog::{
    Addon, AddonFields, Catalog, CreditPack, CreditPackFields, Plan, PlanBook, PlanFields, PriceIds, SyncReport,
    missing_price_ids,
};
use crate::domain::normalized::Provider;
use crate::models::catalog_version::{self, CatalogStamp};

/// The catalog's Stripe prices as the database holds them (after any `catalog sync`), for
/// registering with the sandbox.
pub fn stripe_prices(
    conn: &mut DbConnection,
) -> diesel::QueryResult<Vec<crate::billing::sandbox_prices::CatalogPrice>> {
    Ok(crate::billing::sandbox_prices::catalog_prices(&Plan::all(conn)?, &Addon::all(conn)?, &CreditPack::all(conn)?))
}

/// A loaded catalog, kept for the database (`epoch`) and catalog version it was read at.
struct Cached {
    version: i64,
    plans: Arc<Vec<Plan>>,
    addons: Arc<Vec<Addon>>,
    packs: Arc<Vec<CreditPack>>,
}

/// Loaded catalogs by database epoch (one per database this process talks to; tests run many).
static CACHE: LazyLock<Mutex<HashMap<String, Cached>>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Every plan, add-on and pack, archived ones too. The rows are read once and shared until
/// the catalog's version moves (triggers bump it with every catalog write, by any instance or
/// by hand), so a request pays one primary-key read instead of three table scans.
pub fn plan_book(conn: &mut DbConnection, provider: Provider) -> diesel::QueryResult<PlanBook> {
    let stamp = catalog_version::current(conn)?;
    plan_book_at(conn, provider, stamp)
}

/// [`plan_book`] for a catalog stamp the caller already read (in the statement that locked
/// its workspace): the rows are read only when that version is not cached.
pub fn plan_book_at(
    conn: &mut DbConnection,
    provider: Provider,
    (epoch, version): CatalogStamp,
) -> diesel::QueryResult<PlanBook> {
    let cached = CACHE.lock().ok().and_then(|cache| {
        cache.get(&epoch).filter(|c| c.version == version).map(|c| (c.plans.clone(), c.addons.clone(), c.packs.clone()))
    });
    let (plans, addons, packs) = match cached {
        Some(rows) => rows,
        None => {
            // Read after the version: rows at least as new as it, never older.
            let rows = (Arc::new(Plan::all(conn)?), Arc::new(Addon::all(conn)?), Arc::new(CreditPack::all(conn)?));
            if let Ok(mut cache) = CACHE.lock() {
                let entry = Cached { version, plans: rows.0.clone(), addons: rows.1.clone(), packs: rows.2.clone() };
                cache.insert(epoch, entry);
            }
            rows
        }
    };
    Ok(PlanBook { plans, addons, packs, provider })
}

/// Writes the catalog into the database in one transaction.
pub fn sync(conn: &mut DbConnection, catalog: &Catalog) -> diesel::QueryResult<SyncReport> {
    write_transaction(conn, |conn| {
        let mut report = SyncReport::default();

        let existing = Plan::all(conn)?;
        for fields in &catalog.plans {
            match existing.iter().find(|p| p.code == fields.code) {
                Some(plan) if plan.terms == *fields => {}
                Some(plan) => {
                    Plan::update(conn, plan.id, fields)?;
                    report.updated.push(fields.code.clone());
                }
                None => {
                    Plan::insert(conn, fields)?;
                    report.created.push(fields.code.clone());
                }
            }
        }
        for plan in existing.iter().filter(|p| !catalog.plans.iter().any(|f| f.code == p.code)) {
            if plan.is_active || plan.is_default {
                let archived = PlanFields { is_active: false, is_default: false, ..plan.terms.clone() };
                Plan::update(conn, plan.id, &archived)?;
                report.archived.push(plan.code.clone());
                if Plan::workspaces_on(conn, plan.id)? > 0 {
                    report.archived_in_use.push(plan.code.clone());
                }
            }
        }

        let existing = Addon::all(conn)?;
        for fields in &catalog.addons {
            match existing.iter().find(|a| a.code == fields.code) {
                Some(addon) if addon.terms == *fields => {}
                Some(addon) => {
                    Addon::update(conn, addon.id, fields)?;
                    report.updated.push(fields.code.clone());
                }
                None => {
                    Addon::insert(conn, fields)?;
                    report.created.push(fields.code.clone());
                }
            }
        }
        for addon in existing.iter().filter(|a| a.is_active && !catalog.addons.iter().any(|f| f.code == a.code)) {
            Addon::update(conn, addon.id, &AddonFields { is_active: false, ..addon.terms.clone() })?;
            report.archived.push(addon.code.clone());
        }

        let existing = CreditPack::all(conn)?;
        for fields in &catalog.credit_packs {
            match existing.iter().find(|p| p.code == fields.code) {
                Some(pack) if pack.terms == *fields => {}
                Some(pack) => {
                    CreditPack::update(conn, pack.id, fields)?;
                    report.updated.push(fields.code.clone());
                }
                None => {
                    CreditPack::insert(conn, fields)?;
                    report.created.push(fields.code.clone());
                }
            }
        }
        for pack in existing.iter().filter(|p| p.is_active && !catalog.credit_packs.iter().any(|f| f.code == p.code)) {
            CreditPack::update(conn, pack.id, &CreditPackFields { is_active: false, ..pack.terms.clone() })?;
            report.archived.push(pack.code.clone());
        }
        Ok(report)
    })
}

/// Loads the catalog into an empty database (first start); leaves a populated one alone so
/// that changes made since are kept until someone runs `tollgate catalog sync`.
pub fn seed_if_empty(conn: &mut DbConnection, catalog: &Catalog) -> diesel::QueryResult<Option<SyncReport>> {
    if Plan::all(conn)?.is_empty() { sync(conn, catalog).map(Some) } else { Ok(None) }
}

/// Every paid product needs a price id at the configured provider, or buying it would fail
/// at checkout time. Returns the sentence naming what is missing.
pub fn check_price_ids(conn: &mut DbConnection, provider: Provider) -> Result<(), String> {
    let ids = match provider {
        Provider::Chargebee => PriceIds::Chargebee,
        Provider::Stripe => PriceIds::Stripe,
    };
    let read = |e: diesel::result::Error| format!("reading the catalog failed: {e}");
    let missing = missing_price_ids(
        &Plan::all(conn).map_err(read)?,
        &Addon::all(conn).map_err(read)?,
        &CreditPack::all(conn).map_err(read)?,
        ids,
    );
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "needs a price id for every paid product; the catalog lacks: {}. Add them to the catalog and run `tollgate catalog sync`.",
        missing.join(", ")
    ))
}
