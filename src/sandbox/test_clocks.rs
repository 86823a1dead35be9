//! Test clocks, as Stripe's (`/v1/test_helpers/test_clocks`): a clock holds a frozen time, the
//! customers attached to it live in that time, and advancing it makes everything that fell due
//! for them happen, oldest first (trial ends, renewals, failed renewals, period-end
//! cancellations). Time only moves forward, and by at most two billing intervals of the clock's
//! shortest live subscription per step (two years with none), as Stripe allows — so one request
//! can only ever cause a handful of renewals, whatever it asks for.
//!
//! The sandbox advances synchronously: the answer to an advance is already `ready`, with the
//! events delivered. Clients written for Stripe, which poll until `ready`, work unchanged.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use super::error::SandboxError;
use super::ops::Result;
use super::renewals;
use super::schema::{
    sandbox_checkout_sessions, sandbox_customers, sandbox_invoices, sandbox_portal_sessions,
    sandbox_subscription_items, sandbox_subscription_schedules, sandbox_subscriptions, sandbox_test_clocks,
};
use super::store::{Customer, Item, Subscription, new_id};
use super::time::{day, later, periods_after, real_now, unix};
use crate::db::DbConnection;

/// A clock's customers; Stripe keeps test clocks small, and so advancing one stays cheap.
pub const MAX_CUSTOMERS: usize = 3;
/// Clocks are kept this long after creation (Stripe's `deletes_after`).
const LIFETIME_DAYS: i64 = 30;

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_test_clocks, treat_none_as_null = true)]
pub struct TestClock {
    pub id: String,
    pub name: Option<String>,
    pub frozen_time: NaiveDateTime,
    /// `ready` (the sandbox finishes every advance before it answers).
    pub status: String,
    pub created_at: NaiveDateTime,
    pub deletes_after: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<TestClock> {
    sandbox_test_clocks::table
        .find(id)
        .first(conn)
        .optional()?
        .ok_or_else(|| SandboxError::missing("test_helpers.test_clock", id))
}

/// Newest first, as Stripe lists them.
pub fn list(conn: &mut DbConnection) -> Result<Vec<TestClock>> {
    Ok(sandbox_test_clocks::table
        .order((sandbox_test_clocks::created_at.desc(), sandbox_test_clocks::id.desc()))
        .load(conn)?)
}

/// `POST /v1/test_helpers/test_clocks`; `customer` attaches an existing customer (Stripe's
/// `2026-05-27.dahlia` parameter), which can never be detached again.
pub fn create(
    conn: &mut DbConnection,
    frozen_time: NaiveDateTime,
    name: Option<String>,
    customer: Option<&str>,
) -> Result<TestClock> {
    // Microseconds, so clocks created in the same second still list newest first.
    let created = real_now();
    let clock = TestClock {
        id: new_id("clock"),
        name,
        frozen_time,
        status: "ready".to_owned(),
        created_at: created,
        deletes_after: later(created, TimeDelta::days(LIFETIME_DAYS))?,
    };
    diesel::insert_into(sandbox_test_clocks::table).values(&clock).execute(conn)?;
    if let Some(id) = customer {
        let mut customer = Customer::find(conn, id)?.ok_or_else(|| SandboxError::missing("customer", id))?;
        if customer.test_clock_id.is_some() {
            return Err(SandboxError::invalid(format!("Customer {id} is already attached to a test clock.")));
        }
        customer.test_clock_id = Some(clock.id.clone());
        customer.save(conn)?;
    }
    Ok(clock)
}

/// Checks that a new customer may join `clock_id`; returns the clock's frozen time, the time
/// the customer is created at.
pub fn admit_customer(conn: &mut DbConnection, clock_id: &str) -> Result<NaiveDateTime> {
    let clock = find(conn, clock_id)?;
    if Customer::on_clock(conn, clock_id)?.len() >= MAX_CUSTOMERS {
        return Err(SandboxError::invalid(format!(
            "Test clock {clock_id} already has {MAX_CUSTOMERS} customers, the most a test clock can have."
        )));
    }
    Ok(clock.frozen_time)
}

/// How far one advance may go: two intervals of the shortest live subscription on the clock,
/// or two years when there is none.
pub fn advance_limit(conn: &mut DbConnection, clock: &TestClock) -> Result<(NaiveDateTime, &'static str)> {
    let mut shortest: Option<&'static str> = None;
    for sub in Subscription::live_on_clock(conn, &clock.id)? {
        for item in Item::of(conn, &sub.id)? {
            let interval = if item.billing_interval == "year" { "year" } else { "month" };
            if shortest != Some("month") {
                shortest = Some(interval);
            }
        }
    }
    let interval = shortest.unwrap_or("year");
    Ok((periods_after(clock.frozen_time, interval, 2)?, interval))
}

/// `POST /v1/test_helpers/test_clocks/{id}/advance`: moves the clock to `to` and processes what
/// fell due for its customers. Returns the clock and how many things happened.
pub fn advance(conn: &mut DbConnection, id: &str, to: NaiveDateTime) -> Result<(TestClock, usize)> {
    // Writing the row first takes its lock (PostgreSQL), so two advances of one clock queue up.
    let locked = diesel::update(sandbox_test_clocks::table.find(id))
        .set(sandbox_test_clocks::status.eq("ready"))
        .execute(conn)?;
    if locked == 0 {
        return Err(SandboxError::missing("test_helpers.test_clock", id));
    }
    let mut clock = find(conn, id)?;
    if to <= clock.frozen_time {
        return Err(SandboxError::invalid(format!(
            "The test clock can only move forward: frozen_time must be after its current frozen_time ({}, {}).",
            unix(clock.frozen_time),
            day(clock.frozen_time)
        )));
    }
    let (limit, interval) = advance_limit(conn, &clock)?;
    if to > limit {
        let shortest = if interval == "year" { "two years" } else { "two months" };
        return Err(SandboxError::invalid(format!(
            "A test clock advances at most two intervals of its shortest subscription at a time \
             ({shortest} here): frozen_time must be at or before {} ({}).",
            unix(limit),
            day(limit)
        )));
    }
    clock.frozen_time = to;
    diesel::update(sandbox_test_clocks::table.find(id)).set(&clock).execute(conn)?;
    let processed = renewals::process_due(conn, &clock.id, to)?;
    Ok((clock, processed))
}

/// `DELETE /v1/test_helpers/test_clocks/{id}`: the clock goes with its customers and everything
/// they had, as on Stripe. Events already sent stay in the event log.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<()> {
    find(conn, id)?;
    let customers: Vec<String> = Customer::on_clock(conn, id)?.into_iter().map(|c| c.id).collect();
    let subscriptions: Vec<String> = sandbox_subscriptions::table
        .filter(sandbox_subscriptions::customer_id.eq_any(&customers))
        .select(sandbox_subscriptions::id)
        .load(conn)?;
    diesel::delete(
        sandbox_subscription_items::table.filter(sandbox_subscription_items::subscription_id.eq_any(&subscriptions)),
    )
    .execute(conn)?;
    diesel::delete(sandbox_subscriptions::table.filter(sandbox_subscriptions::id.eq_any(&subscriptions)))
        .execute(conn)?;
    diesel::delete(
        sandbox_subscription_schedules::table.filter(sandbox_subscription_schedules::customer_id.eq_any(&customers)),
    )
    .execute(conn)?;
    diesel::delete(sandbox_invoices::table.filter(sandbox_invoices::customer_id.eq_any(&customers))).execute(conn)?;
    diesel::delete(sandbox_portal_sessions::table.filter(sandbox_portal_sessions::customer_id.eq_any(&customers)))
        .execute(conn)?;
    diesel::delete(sandbox_checkout_sessions::table.filter(sandbox_checkout_sessions::customer_id.eq_any(&customers)))
        .execute(conn)?;
    diesel::delete(sandbox_customers::table.filter(sandbox_customers::id.eq_any(&customers))).execute(conn)?;
    diesel::delete(sandbox_test_clocks::table.find(id)).execute(conn)?;
    Ok(())
}
