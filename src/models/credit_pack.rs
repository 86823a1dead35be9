//! The `credit_packs` table, read into the catalog's [`CreditPack`] and written from its terms.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Prepared};
use crate::domain::catalog::{CreditPack, CreditPackFields};
use crate::domain::ids::CreditPackId;
use crate::schema::credit_packs;

#[derive(Queryable)]
struct CreditPackRow {
    id: CreditPackId,
    code: String,
    name: String,
    credits: i64,
    currency: String,
    price_minor: i64,
    stripe_price: Option<String>,
    chargebee_item_price: Option<String>,
    sort_order: i32,
    is_active: bool,
    #[expect(dead_code, reason = "selected with the row, not needed by the domain")]
    created_at: NaiveDateTime,
    #[expect(dead_code, reason = "selected with the row, not needed by the domain")]
    updated_at: NaiveDateTime,
}

impl From<CreditPackRow> for CreditPack {
    fn from(r: CreditPackRow) -> CreditPack {
        CreditPack {
            id: r.id,
            terms: CreditPackFields {
                code: r.code,
                name: r.name,
                credits: r.credits,
                currency: r.currency,
                price_minor: r.price_minor,
                stripe_price: r.stripe_price,
                chargebee_item_price: r.chargebee_item_price,
                sort_order: r.sort_order,
                is_active: r.is_active,
            },
        }
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = credit_packs, treat_none_as_null = true)]
struct CreditPackColumns<'a> {
    code: &'a str,
    name: &'a str,
    credits: i64,
    currency: &'a str,
    price_minor: i64,
    stripe_price: Option<&'a str>,
    chargebee_item_price: Option<&'a str>,
    sort_order: i32,
    is_active: bool,
}

impl<'a> From<&'a CreditPackFields> for CreditPackColumns<'a> {
    fn from(f: &'a CreditPackFields) -> Self {
        CreditPackColumns {
            code: &f.code,
            name: &f.name,
            credits: f.credits,
            currency: &f.currency,
            price_minor: f.price_minor,
            stripe_price: f.stripe_price.as_deref(),
            chargebee_item_price: f.chargebee_item_price.as_deref(),
            sort_order: f.sort_order,
            is_active: f.is_active,
        }
    }
}

fn rows(found: Vec<CreditPackRow>) -> Vec<CreditPack> {
    found.into_iter().map(CreditPack::from).collect()
}

impl CreditPack {
    /// Every pack, archived ones too, in display order.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<CreditPack>> {
        credit_packs::table
            .order((credit_packs::sort_order.asc(), credit_packs::id.asc()))
            .load_prepared(conn)
            .map(rows)
    }

    pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<CreditPack>> {
        credit_packs::table
            .filter(credit_packs::is_active.eq(true))
            .order((credit_packs::sort_order.asc(), credit_packs::id.asc()))
            .load_prepared(conn)
            .map(rows)
    }

    pub fn insert(conn: &mut DbConnection, fields: &CreditPackFields) -> QueryResult<CreditPack> {
        let now = super::now();
        diesel::insert_into(credit_packs::table)
            .values((
                CreditPackColumns::from(fields),
                credit_packs::created_at.eq(now),
                credit_packs::updated_at.eq(now),
            ))
            .returning(credit_packs::all_columns)
            .get_result::<CreditPackRow>(conn)
            .map(CreditPack::from)
    }

    pub fn update(conn: &mut DbConnection, id: CreditPackId, fields: &CreditPackFields) -> QueryResult<usize> {
        diesel::update(credit_packs::table.find(id))
            .set((CreditPackColumns::from(fields), credit_packs::updated_at.eq(super::now())))
            .execute_prepared(conn)
    }
}
