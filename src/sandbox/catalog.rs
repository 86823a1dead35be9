//! The sandbox's catalog: products and prices as Stripe knows them. A merchant registers them
//! through the API (`POST /v1/products`, `POST /v1/prices`) — the app does so at start — and
//! checkouts and subscription changes then price things from these rows alone.
//!
//! One extension to Stripe: `POST /v1/prices` accepts an `id`, so a catalog's configured price
//! ids (`price_pro_monthly`) stay valid, and creating a price whose id exists is an upsert: the
//! same terms change nothing, other terms replace them. That makes registering a catalog
//! idempotent across restarts. (Stripe generates price ids and never changes a price's amount.)
//! Products follow Stripe: a custom `id` is accepted, a taken one refused, and
//! `POST /v1/products/{id}` updates one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::error::SandboxError;
use super::schema::{sandbox_prices, sandbox_products};
use crate::db::{DbConnection, is_unique_violation};

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_products, treat_none_as_null = true)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub metadata_json: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Product {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Product>> {
        sandbox_products::table.find(id).first(conn).optional()
    }

    /// Stores a new product; a taken id is refused as Stripe refuses it.
    pub fn insert(&self, conn: &mut DbConnection) -> Result<(), SandboxError> {
        match diesel::insert_into(sandbox_products::table).values(self).execute(conn) {
            Ok(_) => Ok(()),
            Err(e) if is_unique_violation(&e) => Err(SandboxError::AlreadyExists("Product already exists.".into())),
            Err(e) => Err(e.into()),
        }
    }

    pub fn save(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::update(sandbox_products::table.find(&self.id)).set(self).execute(conn).map(|_| ())
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_prices, treat_none_as_null = true)]
pub struct PriceRow {
    pub id: String,
    pub product_id: String,
    pub unit_amount: i64,
    pub currency: String,
    /// `month` or `year`; `None` for a one-time price.
    pub recurring_interval: Option<String>,
    pub nickname: Option<String>,
    pub lookup_key: Option<String>,
    pub active: bool,
    pub metadata_json: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a price says, apart from its id and times: two registrations with equal terms are the
/// same price.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTerms {
    pub product_id: String,
    pub unit_amount: i64,
    pub currency: String,
    pub recurring_interval: Option<String>,
    pub nickname: Option<String>,
    pub lookup_key: Option<String>,
    pub active: bool,
    pub metadata_json: String,
}

/// A price as checkouts and subscriptions use it: its terms and its product's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    pub id: String,
    pub product_id: String,
    pub product_name: String,
    pub unit_amount: i64,
    pub currency: String,
    /// `month` / `year`; `None` for a one-time price.
    pub interval: Option<String>,
    pub active: bool,
}

impl Price {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Price>> {
        let found: Option<(PriceRow, String)> = sandbox_prices::table
            .inner_join(sandbox_products::table)
            .filter(sandbox_prices::id.eq(id))
            .select((sandbox_prices::all_columns, sandbox_products::name))
            .first(conn)
            .optional()?;
        Ok(found.map(|(row, product_name)| Price {
            id: row.id,
            product_id: row.product_id,
            product_name,
            unit_amount: row.unit_amount,
            currency: row.currency,
            interval: row.recurring_interval,
            active: row.active,
        }))
    }

    /// A price to sell now, with Stripe's refusals: unknown, or archived (`active=false`).
    pub fn sellable(conn: &mut DbConnection, id: &str) -> Result<Price, SandboxError> {
        match Price::find(conn, id)? {
            None => Err(SandboxError::invalid(format!("No such price: '{id}'"))),
            Some(price) if !price.active => Err(SandboxError::invalid(format!(
                "The price specified is inactive ('{id}'). This field only accepts active prices."
            ))),
            Some(price) => Ok(price),
        }
    }
}

/// Which prices `GET /v1/prices` lists.
#[derive(Debug, Clone, Default)]
pub struct PriceFilter {
    pub active: Option<bool>,
    pub product: Option<String>,
    pub currency: Option<String>,
    /// `Some(true)`: recurring prices only; `Some(false)`: one-time only.
    pub recurring: Option<bool>,
}

impl PriceRow {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PriceRow>> {
        sandbox_prices::table.find(id).first(conn).optional()
    }

    fn terms(&self) -> PriceTerms {
        PriceTerms {
            product_id: self.product_id.clone(),
            unit_amount: self.unit_amount,
            currency: self.currency.clone(),
            recurring_interval: self.recurring_interval.clone(),
            nickname: self.nickname.clone(),
            lookup_key: self.lookup_key.clone(),
            active: self.active,
            metadata_json: self.metadata_json.clone(),
        }
    }

    fn with_terms(id: &str, t: PriceTerms, created_at: NaiveDateTime, updated_at: NaiveDateTime) -> PriceRow {
        PriceRow {
            id: id.to_owned(),
            product_id: t.product_id,
            unit_amount: t.unit_amount,
            currency: t.currency,
            recurring_interval: t.recurring_interval,
            nickname: t.nickname,
            lookup_key: t.lookup_key,
            active: t.active,
            metadata_json: t.metadata_json,
            created_at,
            updated_at,
        }
    }

    /// Newest first, as Stripe lists them.
    pub fn list(conn: &mut DbConnection, filter: &PriceFilter) -> QueryResult<Vec<PriceRow>> {
        let mut query = sandbox_prices::table.into_boxed();
        if let Some(active) = filter.active {
            query = query.filter(sandbox_prices::active.eq(active));
        }
        if let Some(product) = &filter.product {
            query = query.filter(sandbox_prices::product_id.eq(product.clone()));
        }
        if let Some(currency) = &filter.currency {
            query = query.filter(sandbox_prices::currency.eq(currency.clone()));
        }
        query = match filter.recurring {
            Some(true) => query.filter(sandbox_prices::recurring_interval.is_not_null()),
            Some(false) => query.filter(sandbox_prices::recurring_interval.is_null()),
            None => query,
        };
        query.order((sandbox_prices::created_at.desc(), sandbox_prices::id.desc())).load(conn)
    }
}

/// `POST /v1/prices` with an `id`: creates the price, leaves it as it is when the terms are the
/// same, or replaces its terms.
pub fn register_price(
    conn: &mut DbConnection,
    id: &str,
    terms: PriceTerms,
    now: NaiveDateTime,
) -> Result<PriceRow, SandboxError> {
    if Product::find(conn, &terms.product_id)?.is_none() {
        return Err(SandboxError::invalid(format!("No such product: '{}'", terms.product_id)));
    }
    match PriceRow::find(conn, id)? {
        Some(existing) if existing.terms() == terms => Ok(existing),
        Some(existing) => {
            let row = PriceRow::with_terms(id, terms, existing.created_at, now);
            diesel::update(sandbox_prices::table.find(id)).set(&row).execute(conn)?;
            Ok(row)
        }
        None => {
            let row = PriceRow::with_terms(id, terms, now, now);
            match diesel::insert_into(sandbox_prices::table).values(&row).execute(conn) {
                Ok(_) => Ok(row),
                // Registered by another instance meanwhile (PostgreSQL); the caller retries.
                Err(e) if is_unique_violation(&e) => Err(SandboxError::AlreadyExists("Price already exists.".into())),
                Err(e) => Err(e.into()),
            }
        }
    }
}
