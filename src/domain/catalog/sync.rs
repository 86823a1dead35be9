//! Applying a parsed catalog to the database: rows matched by code are updated, new codes
//! inserted, codes missing from the catalog archived — never deleted, since workspaces may
//! still be on them.

use super::{Catalog, SyncReport};
use crate::db::{DbConnection, write_transaction};
use crate::models::addon::{Addon, AddonFields};
use crate::models::credit_pack::{CreditPack, CreditPackFields};
use crate::models::plan::{Plan, PlanFields};

/// Writes the catalog into the database in one transaction: rows are matched by code and
/// updated, new codes inserted, codes missing from the catalog archived (never deleted).
pub fn sync(conn: &mut DbConnection, catalog: &Catalog) -> diesel::QueryResult<SyncReport> {
    write_transaction(conn, |conn| {
        let mut report = SyncReport::default();

        let existing = Plan::all(conn)?;
        for fields in &catalog.plans {
            match existing.iter().find(|p| p.code == fields.code) {
                Some(plan) => {
                    if !plan_matches(plan, fields) {
                        Plan::update(conn, plan.id, fields)?;
                        report.updated.push(fields.code.clone());
                    }
                }
                None => {
                    Plan::insert(conn, fields)?;
                    report.created.push(fields.code.clone());
                }
            }
        }
        for plan in existing.iter().filter(|p| !catalog.plans.iter().any(|f| f.code == p.code)) {
            if plan.is_active || plan.is_default {
                let mut fields = plan_fields(plan);
                fields.is_active = false;
                fields.is_default = false;
                Plan::update(conn, plan.id, &fields)?;
                report.archived.push(plan.code.clone());
                if Plan::workspaces_on(conn, plan.id)? > 0 {
                    report.archived_in_use.push(plan.code.clone());
                }
            }
        }

        let existing = Addon::all(conn)?;
        for fields in &catalog.addons {
            match existing.iter().find(|a| a.code == fields.code) {
                Some(addon) if addon_fields(addon) == *fields => {}
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
            Addon::set_active(conn, addon.id, false)?;
            report.archived.push(addon.code.clone());
        }

        let existing = CreditPack::all(conn)?;
        for fields in &catalog.credit_packs {
            match existing.iter().find(|p| p.code == fields.code) {
                Some(pack) if pack_fields(pack) == *fields => {}
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
            CreditPack::set_active(conn, pack.id, false)?;
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

fn plan_matches(plan: &Plan, fields: &PlanFields) -> bool {
    plan_fields(plan) == *fields
}

fn plan_fields(p: &Plan) -> PlanFields {
    PlanFields {
        code: p.code.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        currency: p.currency.clone(),
        price_month_minor: p.price_month_minor,
        price_year_minor: p.price_year_minor,
        stripe_price_month: p.stripe_price_month.clone(),
        stripe_price_year: p.stripe_price_year.clone(),
        chargebee_item_price_month: p.chargebee_item_price_month.clone(),
        chargebee_item_price_year: p.chargebee_item_price_year.clone(),
        trial_days: p.trial_days,
        monthly_credits: p.monthly_credits,
        seat_limit: p.seat_limit,
        limits_json: p.limits_json.clone(),
        features_json: p.features_json.clone(),
        sort_order: p.sort_order,
        is_active: p.is_active,
        is_default: p.is_default,
        contact_sales: p.contact_sales,
    }
}

fn addon_fields(a: &Addon) -> AddonFields {
    AddonFields {
        code: a.code.clone(),
        name: a.name.clone(),
        description: a.description.clone(),
        currency: a.currency.clone(),
        price_minor: a.price_minor,
        billing_interval: a.billing_interval.clone(),
        stripe_price: a.stripe_price.clone(),
        chargebee_item_price: a.chargebee_item_price.clone(),
        sort_order: a.sort_order,
        is_active: a.is_active,
    }
}

fn pack_fields(p: &CreditPack) -> CreditPackFields {
    CreditPackFields {
        code: p.code.clone(),
        name: p.name.clone(),
        credits: p.credits,
        currency: p.currency.clone(),
        price_minor: p.price_minor,
        stripe_price: p.stripe_price.clone(),
        chargebee_item_price: p.chargebee_item_price.clone(),
        sort_order: p.sort_order,
        is_active: p.is_active,
    }
}
