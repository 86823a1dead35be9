//! Plans the workspace can be on: prices per interval, credits, seats, limits, features.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::domain::money::Interval;
use crate::schema::{plans, workspaces};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = plans)]
pub struct Plan {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub price_month_minor: Option<i64>,
    pub price_year_minor: Option<i64>,
    pub stripe_price_month: Option<String>,
    pub stripe_price_year: Option<String>,
    pub chargebee_item_price_month: Option<String>,
    pub chargebee_item_price_year: Option<String>,
    pub trial_days: i32,
    /// `None` means unlimited.
    pub monthly_credits: Option<i64>,
    /// `None` means unlimited.
    pub seat_limit: Option<i32>,
    pub limits_json: String,
    pub features_json: String,
    pub sort_order: i32,
    pub is_active: bool,
    pub is_default: bool,
    pub contact_sales: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns the catalog sets; used for both insert and update.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = plans, treat_none_as_null = true)]
pub struct PlanFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub price_month_minor: Option<i64>,
    pub price_year_minor: Option<i64>,
    pub stripe_price_month: Option<String>,
    pub stripe_price_year: Option<String>,
    pub chargebee_item_price_month: Option<String>,
    pub chargebee_item_price_year: Option<String>,
    pub trial_days: i32,
    pub monthly_credits: Option<i64>,
    pub seat_limit: Option<i32>,
    pub limits_json: String,
    pub features_json: String,
    pub sort_order: i32,
    pub is_active: bool,
    pub is_default: bool,
    pub contact_sales: bool,
}

impl Plan {
    pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Plan> {
        plans::table.find(id).first(conn)
    }

    pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Plan>> {
        plans::table.filter(plans::code.eq(code)).first(conn).optional()
    }

    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Plan>> {
        plans::table.order((plans::sort_order.asc(), plans::id.asc())).load(conn)
    }

    pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<Plan>> {
        plans::table.filter(plans::is_active.eq(true)).order((plans::sort_order.asc(), plans::id.asc())).load(conn)
    }

    /// The plan new workspaces start on and ended subscriptions fall back to.
    pub fn default_plan(conn: &mut DbConnection) -> QueryResult<Plan> {
        plans::table.filter(plans::is_default.eq(true)).order(plans::id.asc()).first(conn)
    }

    pub fn insert(conn: &mut DbConnection, fields: &PlanFields) -> QueryResult<Plan> {
        let now = super::now();
        diesel::insert_into(plans::table)
            .values((fields, plans::created_at.eq(now), plans::updated_at.eq(now)))
            .returning(plans::all_columns)
            .get_result(conn)
    }

    pub fn update(conn: &mut DbConnection, id: i64, fields: &PlanFields) -> QueryResult<usize> {
        diesel::update(plans::table.find(id)).set((fields, plans::updated_at.eq(super::now()))).execute(conn)
    }

    pub fn set_active(conn: &mut DbConnection, id: i64, active: bool) -> QueryResult<usize> {
        diesel::update(plans::table.find(id))
            .set((plans::is_active.eq(active), plans::updated_at.eq(super::now())))
            .execute(conn)
    }

    pub fn workspaces_on(conn: &mut DbConnection, id: i64) -> QueryResult<i64> {
        workspaces::table
            .filter(workspaces::plan_id.eq(id).or(workspaces::scheduled_plan_id.eq(id)))
            .count()
            .get_result(conn)
    }

    pub fn price(&self, interval: Interval) -> Option<i64> {
        match interval {
            Interval::Month => self.price_month_minor,
            Interval::Year => self.price_year_minor,
        }
    }

    /// Free plans cost nothing in any interval they offer; contact-sales plans have no price.
    pub fn is_free(&self) -> bool {
        !self.contact_sales && self.price_month_minor.unwrap_or(0) == 0 && self.price_year_minor.unwrap_or(0) == 0
    }

    pub fn is_purchasable(&self) -> bool {
        self.is_active && !self.contact_sales && !self.is_free()
    }

    pub fn features(&self) -> Vec<String> {
        serde_json::from_str(&self.features_json).unwrap_or_default()
    }

    pub fn has_feature(&self, feature: &str) -> bool {
        self.features().iter().any(|f| f == feature)
    }

    /// Named quota limits; a missing name means no limit.
    pub fn limits(&self) -> BTreeMap<String, i64> {
        serde_json::from_str(&self.limits_json).unwrap_or_default()
    }

    /// A number to compare plans by: what a month costs (a year counts as a twelfth).
    /// Contact-sales plans rank above every priced plan.
    pub fn rank(&self) -> i64 {
        if self.contact_sales {
            return i64::MAX;
        }
        self.price_month_minor.or(self.price_year_minor.map(|y| y / 12)).unwrap_or(0)
    }

    pub fn stripe_price(&self, interval: Interval) -> Option<&str> {
        match interval {
            Interval::Month => self.stripe_price_month.as_deref(),
            Interval::Year => self.stripe_price_year.as_deref(),
        }
    }

    pub fn chargebee_item_price(&self, interval: Interval) -> Option<&str> {
        match interval {
            Interval::Month => self.chargebee_item_price_month.as_deref(),
            Interval::Year => self.chargebee_item_price_year.as_deref(),
        }
    }
}
