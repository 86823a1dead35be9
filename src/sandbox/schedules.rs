//! Stripe's subscription schedules (`/v1/subscription_schedules`), as far as a merchant uses
//! them to change a subscription later: created `from_subscription` (one phase: the current
//! period at the current price), updated with new `phases` and `end_behavior`, released by
//! hand, and moved along by the test clock. When a phase ends the subscription takes the next
//! phase's price — at its period end that is simply the renewal at the new price, a new cycle of
//! the new interval; earlier it is a price change on the phase's `proration_behavior` (see
//! `changes`). When the last phase ends the schedule completes and either releases the
//! subscription (`release`, it renews on its own from then on) or cancels it (`cancel`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use super::catalog::Price;
use super::changes::{self, Terms};
use super::error::SandboxError;
use super::form::StripeForm;
use super::ops::{self, Result};
use super::schedule_phases::{self, Phase};
use super::schema::sandbox_subscription_schedules;
use super::store::{Customer, Subscription, new_id};
use super::subscriptions::{self, plan_item};
use super::time::{from_unix, unix};
use super::{events, shapes};
use crate::db::DbConnection;

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_subscription_schedules, treat_none_as_null = true)]
pub struct Schedule {
    pub id: String,
    pub customer_id: String,
    pub subscription_id: String,
    /// `active`, `completed`, `released` or `canceled`.
    pub status: String,
    /// `release` or `cancel`.
    pub end_behavior: String,
    /// The phases, a JSON list of [`Phase`].
    pub phases_json: String,
    /// The index of the phase running now.
    pub current_phase: i32,
    pub metadata_json: String,
    pub created_at: NaiveDateTime,
    pub released_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub canceled_at: Option<NaiveDateTime>,
}

impl Schedule {
    pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Schedule>> {
        sandbox_subscription_schedules::table.find(id).first(conn).optional()
    }

    fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::insert_into(sandbox_subscription_schedules::table).values(self).execute(conn).map(|_| ())
    }

    fn save(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::update(sandbox_subscription_schedules::table.find(&self.id)).set(self).execute(conn).map(|_| ())
    }

    pub fn phases(&self) -> Vec<Phase> {
        serde_json::from_str(&self.phases_json).unwrap_or_default()
    }

    fn set_phases(&mut self, phases: &[Phase]) -> Result<()> {
        self.phases_json = serde_json::to_string(phases)
            .map_err(|e| SandboxError::Internal(format!("schedule phases do not serialize: {e}")))?;
        self.current_phase = 0;
        Ok(())
    }

    fn phase(&self, index: i32) -> Option<Phase> {
        usize::try_from(index).ok().and_then(|i| self.phases().get(i).cloned())
    }

    /// When the current phase ends, while the schedule is active.
    pub fn current_end(&self) -> Option<NaiveDateTime> {
        (self.status == "active").then(|| self.phase(self.current_phase)).flatten().and_then(|p| from_unix(p.end_date))
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Schedule> {
    Schedule::find(conn, id)?.ok_or_else(|| SandboxError::missing("subscription_schedule", id))
}

/// The schedule as the API answers it.
pub fn json(conn: &mut DbConnection, schedule: &Schedule) -> Result<Value> {
    let clock = Customer::clock_of(conn, &schedule.customer_id)?;
    let mut phases = Vec::new();
    for phase in schedule.phases() {
        let currency = Price::find(conn, &phase.price)?.map_or_else(|| "usd".to_owned(), |p| p.currency);
        phases.push((phase, currency));
    }
    shapes::subscription_schedule(schedule, &phases, clock.as_deref())
}

fn emit(conn: &mut DbConnection, event_type: &str, schedule: &Schedule) -> Result<()> {
    let object = json(conn, schedule)?;
    events::record(conn, event_type, object, None)?;
    Ok(())
}

fn require_active(schedule: &Schedule, action: &str) -> Result<()> {
    if schedule.status == "active" {
        return Ok(());
    }
    Err(SandboxError::invalid(format!(
        "You cannot {action} a subscription schedule that is currently in the `{}` status.",
        schedule.status
    )))
}

/// `POST /v1/subscription_schedules` with `from_subscription`: the schedule takes over the
/// subscription as it is, one phase to the end of its current period (or to its `cancel_at`,
/// which then becomes the schedule's `end_behavior=cancel`).
pub fn create(conn: &mut DbConnection, form: &StripeForm, now: NaiveDateTime) -> Result<Schedule> {
    let Some(sub_id) = form.get("from_subscription").filter(|s| !s.is_empty()) else {
        return Err(SandboxError::invalid(
            "Missing required param: from_subscription. The sandbox creates subscription schedules from an existing \
             subscription only.",
        ));
    };
    if !form.indices("phases").is_empty() {
        return Err(SandboxError::invalid("You cannot set `phases` if `from_subscription` is set."));
    }
    let mut sub = subscriptions::find(conn, sub_id)?;
    if !sub.is_live() {
        return Err(SandboxError::invalid(format!("You cannot migrate a subscription that is `{}`.", sub.status)));
    }
    if let Some(existing) = &sub.schedule_id {
        return Err(SandboxError::invalid(format!(
            "You cannot migrate a subscription that is already attached to a schedule: `{existing}`."
        )));
    }
    let before = ops::subscription_json(conn, &sub)?;
    let item = plan_item(conn, &sub)?;
    let end = sub.cancel_at.filter(|at| *at < item.current_period_end).unwrap_or(item.current_period_end);
    let end_behavior = if sub.cancel_at.is_some() { "cancel" } else { "release" };
    let phase = Phase {
        start_date: unix(item.current_period_start),
        end_date: unix(end),
        price: item.price_id.clone(),
        proration_behavior: "create_prorations".to_owned(),
    };
    let mut schedule = Schedule {
        id: new_id("sub_sched"),
        customer_id: sub.customer_id.clone(),
        subscription_id: sub.id.clone(),
        status: "active".to_owned(),
        end_behavior: end_behavior.to_owned(),
        phases_json: String::new(),
        current_phase: 0,
        metadata_json: "{}".to_owned(),
        created_at: now,
        released_at: None,
        completed_at: None,
        canceled_at: None,
    };
    schedule.set_phases(&[phase])?;
    schedule.insert(conn)?;
    // The schedule now decides when the subscription ends.
    sub.schedule_id = Some(schedule.id.clone());
    sub.cancel_at = None;
    sub.cancel_at_period_end = false;
    sub.save(conn)?;
    emit(conn, "subscription_schedule.created", &schedule)?;
    ops::emit_subscription(conn, "updated", &sub, Some(&before))?;
    Ok(schedule)
}

/// `POST /v1/subscription_schedules/{id}`: `phases` (all of them, from the current one on),
/// `end_behavior`, `proration_behavior`, `metadata`. A first phase at another price than the
/// subscription's changes it now, on the update's `proration_behavior`.
pub fn update(conn: &mut DbConnection, id: &str, form: &StripeForm, now: NaiveDateTime) -> Result<Schedule> {
    let mut schedule = find(conn, id)?;
    require_active(&schedule, "update")?;
    let end_behavior = changes::one_of(form, "end_behavior", &["release", "cancel"], "")?;
    if !end_behavior.is_empty() {
        schedule.end_behavior = end_behavior.to_owned();
    }
    let metadata = form.map("metadata");
    check_metadata(&metadata)?;
    if !metadata.is_empty() {
        let mut current: std::collections::BTreeMap<String, String> =
            serde_json::from_str(&schedule.metadata_json).unwrap_or_default();
        current.extend(metadata);
        schedule.metadata_json = serde_json::to_string(&current).unwrap_or_else(|_| "{}".to_owned());
    }
    let mut phase_change = None;
    if !form.indices("phases").is_empty() {
        let current_start = schedule.phase(schedule.current_phase).and_then(|p| from_unix(p.start_date)).unwrap_or(now);
        let phases = schedule_phases::read(conn, form, current_start, now)?;
        phase_change = phases.first().map(|p| p.price.clone());
        schedule.set_phases(&phases)?;
    }
    schedule.save(conn)?;
    if let Some(price_id) = phase_change {
        let sub = subscriptions::find(conn, &schedule.subscription_id)?;
        let item = plan_item(conn, &sub)?;
        if item.price_id != price_id {
            let price = Price::sellable(conn, &price_id)?;
            let proration =
                changes::one_of(form, "proration_behavior", &changes::PRORATION_BEHAVIORS, "create_prorations")?;
            let new_cycle = price.interval.as_deref() != Some(item.billing_interval.as_str());
            let before = ops::subscription_json(conn, &sub)?;
            let terms = Terms { proration, new_cycle, payment: "allow_incomplete" };
            changes::apply(conn, sub, &price, terms, &before, now)?;
        }
    }
    emit(conn, "subscription_schedule.updated", &schedule)?;
    Ok(schedule)
}

/// Stripe's metadata limits: 50 keys, keys up to 40 characters, values up to 500.
fn check_metadata(metadata: &std::collections::BTreeMap<String, String>) -> Result<()> {
    if metadata.len() > 50 {
        return Err(SandboxError::invalid("Invalid metadata: at most 50 keys."));
    }
    match metadata.iter().find(|(k, v)| k.chars().count() > 40 || v.chars().count() > 500) {
        Some((key, _)) => Err(SandboxError::invalid(format!(
            "Invalid metadata[{}]: keys can be up to 40 characters long and values up to 500.",
            key.chars().take(40).collect::<String>()
        ))),
        None => Ok(()),
    }
}

/// `POST /v1/subscription_schedules/{id}/release`: the subscription goes on without it.
pub fn release(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<Schedule> {
    let mut schedule = find(conn, id)?;
    require_active(&schedule, "release")?;
    schedule.status = "released".to_owned();
    schedule.released_at = Some(now);
    schedule.save(conn)?;
    detach(conn, &schedule)?;
    emit(conn, "subscription_schedule.released", &schedule)?;
    Ok(schedule)
}

/// Lets the subscription go on by itself.
fn detach(conn: &mut DbConnection, schedule: &Schedule) -> Result<()> {
    let mut sub = subscriptions::find(conn, &schedule.subscription_id)?;
    let before = ops::subscription_json(conn, &sub)?;
    sub.schedule_id = None;
    sub.save(conn)?;
    ops::emit_subscription(conn, "updated", &sub, Some(&before))
}

/// The subscription was cancelled: so is its schedule.
pub fn cancel_with_subscription(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> Result<()> {
    let Some(mut schedule) = Schedule::find(conn, id)? else { return Ok(()) };
    if schedule.status != "active" {
        return Ok(());
    }
    schedule.status = "canceled".to_owned();
    schedule.canceled_at = Some(at);
    schedule.save(conn)?;
    emit(conn, "subscription_schedule.canceled", &schedule)
}

/// The price `sub` bills from `at` on, when its schedule's current phase ends then.
pub fn price_after(conn: &mut DbConnection, sub: &Subscription, at: NaiveDateTime) -> Result<Option<Price>> {
    let Some(schedule) = sub.schedule_id.as_deref().map(|id| Schedule::find(conn, id)).transpose()?.flatten() else {
        return Ok(None);
    };
    if schedule.current_end() != Some(at) {
        return Ok(None);
    }
    match schedule.phase(schedule.current_phase + 1) {
        Some(next) => Ok(Price::find(conn, &next.price)?),
        None => Ok(None),
    }
}

/// The current phase of `schedule` ended at `at`: the next one starts, or the schedule completes.
pub fn phase_ended(
    conn: &mut DbConnection,
    mut schedule: Schedule,
    sub: Subscription,
    at: NaiveDateTime,
) -> Result<()> {
    let Some(next) = schedule.phase(schedule.current_phase + 1) else {
        schedule.status = "completed".to_owned();
        schedule.completed_at = Some(at);
        schedule.save(conn)?;
        emit(conn, "subscription_schedule.completed", &schedule)?;
        let mut sub = sub;
        let before = ops::subscription_json(conn, &sub)?;
        sub.schedule_id = None;
        if schedule.end_behavior == "cancel" {
            return subscriptions::end(conn, &mut sub, at, &before);
        }
        sub.save(conn)?;
        return ops::emit_subscription(conn, "updated", &sub, Some(&before));
    };
    schedule.current_phase += 1;
    schedule.save(conn)?;
    let mut item = plan_item(conn, &sub)?;
    if item.price_id == next.price {
        return Ok(());
    }
    let price = Price::find(conn, &next.price)?.ok_or_else(|| SandboxError::missing("price", &next.price))?;
    if at >= item.current_period_end {
        // The renewal due now bills the new price, from a new cycle of its own interval.
        item.set_price(&price);
        item.save(conn)?;
        return Ok(());
    }
    let before = ops::subscription_json(conn, &sub)?;
    let new_cycle = price.interval.as_deref() != Some(item.billing_interval.as_str());
    let terms = Terms { proration: &next.proration_behavior, new_cycle, payment: "allow_incomplete" };
    changes::apply(conn, sub, &price, terms, &before, at)?;
    Ok(())
}
