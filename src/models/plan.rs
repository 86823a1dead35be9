//! The `plans` table, read into the catalog's [`Plan`] and written from its [`PlanFields`].
//! Limits and features are JSON text columns, parsed here so no other layer sees JSON.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::catalog::{Plan, PlanFields};
use crate::domain::ids::PlanId;
use crate::schema::{plans, workspaces};

#[derive(Queryable)]
struct PlanRow {
    id: PlanId,
    code: String,
    name: String,
    description: String,
    currency: String,
    price_month_minor: Option<i64>,
    price_year_minor: Option<i64>,
    stripe_price_month: Option<String>,
    stripe_price_year: Option<String>,
    chargebee_item_price_month: Option<String>,
    chargebee_item_price_year: Option<String>,
    trial_days: i32,
    monthly_credits: Option<i64>,
    seat_limit: Option<i32>,
    limits_json: String,
    features_json: String,
    sort_order: i32,
    is_active: bool,
    is_default: bool,
    contact_sales: bool,
    #[expect(dead_code, reason = "selected with the row, not needed by the domain")]
    created_at: NaiveDateTime,
    #[expect(dead_code, reason = "selected with the row, not needed by the domain")]
    updated_at: NaiveDateTime,
}

impl From<PlanRow> for Plan {
    fn from(r: PlanRow) -> Plan {
        Plan {
            id: r.id,
            terms: PlanFields {
                code: r.code,
                name: r.name,
                description: r.description,
                currency: r.currency,
                price_month_minor: r.price_month_minor,
                price_year_minor: r.price_year_minor,
                stripe_price_month: r.stripe_price_month,
                stripe_price_year: r.stripe_price_year,
                chargebee_item_price_month: r.chargebee_item_price_month,
                chargebee_item_price_year: r.chargebee_item_price_year,
                trial_days: r.trial_days,
                monthly_credits: r.monthly_credits,
                seat_limit: r.seat_limit,
                // Written by `PlanColumns` below from typed values, so these always parse.
                limits: serde_json::from_str(&r.limits_json).unwrap_or_default(),
                features: serde_json::from_str(&r.features_json).unwrap_or_default(),
                sort_order: r.sort_order,
                is_active: r.is_active,
                is_default: r.is_default,
                contact_sales: r.contact_sales,
            },
        }
    }
}

/// The columns the catalog sets; used for both insert and update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = plans, treat_none_as_null = true)]
struct PlanColumns<'a> {
    code: &'a str,
    name: &'a str,
    description: &'a str,
    currency: &'a str,
    price_month_minor: Option<i64>,
    price_year_minor: Option<i64>,
    stripe_price_month: Option<&'a str>,
    stripe_price_year: Option<&'a str>,
    chargebee_item_price_month: Option<&'a str>,
    chargebee_item_price_year: Option<&'a str>,
    trial_days: i32,
    monthly_credits: Option<i64>,
    seat_limit: Option<i32>,
    limits_json: String,
    features_json: String,
    sort_order: i32,
    is_active: bool,
    is_default: bool,
    contact_sales: bool,
}

impl<'a> From<&'a PlanFields> for PlanColumns<'a> {
    fn from(f: &'a PlanFields) -> Self {
        PlanColumns {
            code: &f.code,
            name: &f.name,
            description: &f.description,
            currency: &f.currency,
            price_month_minor: f.price_month_minor,
            price_year_minor: f.price_year_minor,
            stripe_price_month: f.stripe_price_month.as_deref(),
            stripe_price_year: f.stripe_price_year.as_deref(),
            chargebee_item_price_month: f.chargebee_item_price_month.as_deref(),
            chargebee_item_price_year: f.chargebee_item_price_year.as_deref(),
            trial_days: f.trial_days,
            monthly_credits: f.monthly_credits,
            seat_limit: f.seat_limit,
            limits_json: serde_json::to_string(&f.limits).unwrap_or_else(|_| "{}".to_owned()),
            features_json: serde_json::to_string(&f.features).unwrap_or_else(|_| "[]".to_owned()),
            sort_order: f.sort_order,
            is_active: f.is_active,
            is_default: f.is_default,
            contact_sales: f.contact_sales,
        }
    }
}

fn rows(found: Vec<PlanRow>) -> Vec<Plan> {
    found.into_iter().map(Plan::from).collect()
}

impl Plan {
    pub fn find(conn: &mut DbConnection, id: PlanId) -> QueryResult<Plan> {
        plans::table.find(id).first_row::<PlanRow>(conn).map(Plan::from)
    }

    pub fn find_by_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<Plan>> {
        Ok(plans::table.filter(plans::code.eq(code)).first_row::<PlanRow>(conn).optional()?.map(Plan::from))
    }

    /// Every plan, archived ones too, in display order.
    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<Plan>> {
        plans::table.order((plans::sort_order.asc(), plans::id.asc())).load_prepared(conn).map(rows)
    }

    pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<Plan>> {
        plans::table
            .filter(plans::is_active.eq(true))
            .order((plans::sort_order.asc(), plans::id.asc()))
            .load_prepared(conn)
            .map(rows)
    }

    /// The plan new workspaces start on and ended subscriptions fall back to.
    pub fn default_plan(conn: &mut DbConnection) -> QueryResult<Plan> {
        plans::table
            .filter(plans::is_default.eq(true))
            .order(plans::id.asc())
            .first_row::<PlanRow>(conn)
            .map(Plan::from)
    }

    pub fn insert(conn: &mut DbConnection, fields: &PlanFields) -> QueryResult<Plan> {
        let now = super::now();
        diesel::insert_into(plans::table)
            .values((PlanColumns::from(fields), plans::created_at.eq(now), plans::updated_at.eq(now)))
            .returning(plans::all_columns)
            .get_result::<PlanRow>(conn)
            .map(Plan::from)
    }

    pub fn update(conn: &mut DbConnection, id: PlanId, fields: &PlanFields) -> QueryResult<usize> {
        diesel::update(plans::table.find(id))
            .set((PlanColumns::from(fields), plans::updated_at.eq(super::now())))
            .execute_prepared(conn)
    }

    /// How many workspaces are on the plan or scheduled to move to it.
    pub fn workspaces_on(conn: &mut DbConnection, id: PlanId) -> QueryResult<i64> {
        workspaces::table
            .filter(workspaces::plan_id.eq(id).or(workspaces::scheduled_plan_id.eq(id)))
            .count()
            .get_result_prepared(conn)
    }
}
