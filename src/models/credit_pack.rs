//! One-time credit packs a workspace can buy on top of its monthly credits.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::credit_packs;

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = credit_packs)]
pub struct CreditPack {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub currency: String,
    pub price_minor: i64,
    pub stripe_price: Option<String>,
    pub chargebee_item_price: Option<String>,
    pub sort_order: i32,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = credit_packs, treat_none_as_null = true)]
pub struct CreditPackFields {
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub currency: String,
    pub price_minor: i64,
    pub stripe_price: Option<String>,
    pub chargebee_item_price: Option<String>,
    pub sort_order: i32,
    pub is_active: bool,
}

impl CreditPack {
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<CreditPack>> {
        credit_packs::table.order((credit_packs::sort_order.asc(), credit_packs::id.asc())).load(conn)
    }

    pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<CreditPack>> {
        credit_packs::table
            .filter(credit_packs::is_active.eq(true))
            .order((credit_packs::sort_order.asc(), credit_packs::id.asc()))
            .load(conn)
    }

    pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<CreditPack>> {
        credit_packs::table.filter(credit_packs::code.eq(code)).first(conn).optional()
    }

    pub fn insert(conn: &mut DbConnection, fields: &CreditPackFields) -> QueryResult<CreditPack> {
        let now = super::now();
        diesel::insert_into(credit_packs::table)
            .values((fields, credit_packs::created_at.eq(now), credit_packs::updated_at.eq(now)))
            .returning(credit_packs::all_columns)
            .get_result(conn)
    }

    pub fn update(conn: &mut DbConnection, id: i64, fields: &CreditPackFields) -> QueryResult<usize> {
        diesel::update(credit_packs::table.find(id))
            .set((fields, credit_packs::updated_at.eq(super::now())))
            .execute(conn)
    }

    pub fn set_active(conn: &mut DbConnection, id: i64, active: bool) -> QueryResult<usize> {
        diesel::update(credit_packs::table.find(id))
            .set((credit_packs::is_active.eq(active), credit_packs::updated_at.eq(super::now())))
            .execute(conn)
    }
}
