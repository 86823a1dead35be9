//! The `addons` table, read into the catalog's [`Addon`] and written from its terms.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Prepared};
use crate::domain::catalog::{Addon, AddonFields};
use crate::domain::ids::AddonId;
use crate::domain::money::Interval;
use crate::schema::addons;

#[derive(Queryable)]
pub(super) struct AddonRow {
    id: AddonId,
    code: String,
    name: String,
    description: String,
    currency: String,
    price_minor: i64,
    billing_interval: Interval,
    stripe_price: Option<String>,
    chargebee_item_price: Option<String>,
    sort_order: i32,
    is_active: bool,
    #[expect(dead_code, reason = "selected with the row, not needed by the domain")]
    created_at: NaiveDateTime,
    #[expect(dead_code, reason = "selected with the row, not needed by the domain")]
    updated_at: NaiveDateTime,
}

impl From<AddonRow> for Addon {
    fn from(r: AddonRow) -> Addon {
        Addon {
            id: r.id,
            terms: AddonFields {
                code: r.code,
                name: r.name,
                description: r.description,
                currency: r.currency,
                price_minor: r.price_minor,
                interval: r.billing_interval,
                stripe_price: r.stripe_price,
                chargebee_item_price: r.chargebee_item_price,
                sort_order: r.sort_order,
                is_active: r.is_active,
            },
        }
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = addons, treat_none_as_null = true)]
struct AddonColumns<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    currency: &'a str,
    price_minor: i64,
    billing_interval: Interval,
    stripe_price: Option<&'a str>,
    chargebee_item_price: Option<&'a str>,
    sort_order: i32,
    is_active: bool,
}

impl<'a> From<&'a AddonFields> for AddonColumns<'a> {
    fn from(f: &'a AddonFields) -> Self {
        AddonColumns {
            code: &f.code,
            name: &f.name,
            description: &f.description,
            currency: &f.currency,
            price_minor: f.price_minor,
            billing_interval: f.interval,
            stripe_price: f.stripe_price.as_deref(),
            chargebee_item_price: f.chargebee_item_price.as_deref(),
            sort_order: f.sort_order,
            is_active: f.is_active,
        }
    }
}

fn rows(found: Vec<AddonRow>) -> Vec<Addon> {
    found.into_iter().map(Addon::from).collect()
}

impl Addon {
    /// Every add-on, archived ones too, in display order.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Addon>> {
        addons::table.order((addons::sort_order.asc(), addons::id.asc())).load_prepared(conn).map(rows)
    }

    pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<Addon>> {
        addons::table
            .filter(addons::is_active.eq(true))
            .order((addons::sort_order.asc(), addons::id.asc()))
            .load_prepared(conn)
            .map(rows)
    }

    pub fn insert(conn: &mut DbConnection, fields: &AddonFields) -> QueryResult<Addon> {
        let now = super::now();
        diesel::insert_into(addons::table)
            .values((AddonColumns::from(fields), addons::created_at.eq(now), addons::updated_at.eq(now)))
            .returning(addons::all_columns)
            .get_result::<AddonRow>(conn)
            .map(Addon::from)
    }

    pub fn update(conn: &mut DbConnection, id: AddonId, fields: &AddonFields) -> QueryResult<usize> {
        diesel::update(addons::table.find(id))
            .set((AddonColumns::from(fields), addons::updated_at.eq(super::now())))
            .execute_prepared(conn)
    }
}
