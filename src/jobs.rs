//! Background jobs: retrying pending and failed webhook events, ending expired grace
//! periods, the period-end safety net for a lost cancellation webhook, monthly credits for
//! free workspaces, and hourly capacity snapshots. With several instances on one
//! PostgreSQL database only the holder of the `scheduler` lease runs them, so each job
//! runs once per tick, not once per instance. Every job is idempotent anyway.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use rand::Rng;

use crate::db::{DbConnection, is_unique_violation, write_transaction};
use crate::domain::credits::monthly_reset_delta;
use crate::domain::subscription_state::{Decision, on_grace_expired, on_period_end_passed};
use crate::error::AppError;
use crate::fulfilment::{PlanBook, apply_decision, billing_state, retry_due_events};
use crate::models::billing_event::{BillingEvent, EventStatus};
use crate::models::credit_ledger::NewCreditEntry;
use crate::models::workspace::Workspace;
use crate::models::{CapacitySnapshot, CreditBucket, CreditEntry, User, now};
use crate::schema::{capacity_snapshots, job_leases, plans, workspaces};
use crate::startup::AppState;

const LEASE: &str = "scheduler";
/// How long a lease lasts without renewal: a crashed holder is replaced after this.
const LEASE_TTL: TimeDelta = TimeDelta::seconds(90);
const TICK: Duration = Duration::from_secs(30);
/// Give the provider this long to send its own cancellation before the safety net acts.
const PERIOD_END_SLACK: TimeDelta = TimeDelta::hours(2);

/// A name for this process in the lease table.
pub fn instance_id() -> String {
    format!("{}-{}", std::process::id(), rand::thread_rng().gen_range(0..u32::MAX))
}

/// Takes or renews the lease for `holder`. True when `holder` now holds it.
pub fn acquire_lease(conn: &mut DbConnection, holder: &str) -> Result<bool, AppError> {
    write_transaction(conn, |conn| {
        let stamp = now();
        let expires = stamp + LEASE_TTL;
        let taken = diesel::update(
            job_leases::table
                .filter(job_leases::name.eq(LEASE))
                .filter(job_leases::holder.eq(holder).or(job_leases::expires_at.lt(stamp))),
        )
        .set((job_leases::holder.eq(holder), job_leases::expires_at.eq(expires)))
        .execute(conn)?;
        if taken == 1 {
            return Ok(true);
        }
        let exists: bool = diesel::select(diesel::dsl::exists(job_leases::table.filter(job_leases::name.eq(LEASE))))
            .get_result(conn)?;
        if exists {
            return Ok(false);
        }
        // In a savepoint: on PostgreSQL a failed statement would poison the transaction.
        let inserted = conn.transaction(|conn| {
            diesel::insert_into(job_leases::table)
                .values((job_leases::name.eq(LEASE), job_leases::holder.eq(holder), job_leases::expires_at.eq(expires)))
                .execute(conn)
        });
        match inserted {
            Ok(_) => Ok(true),
            // Another instance created the lease at the same moment: it holds it.
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    })
}

/// Runs the jobs every `TICK` while this instance holds the lease. Never returns.
pub async fn run_scheduler(state: actix_web::web::Data<AppState>) {
    let holder = instance_id();
    let mut interval = actix_web::rt::time::interval(TICK);
    loop {
        interval.tick().await;
        let who = holder.clone();
        match state.db.run(move |conn| acquire_lease(conn, &who)).await {
            Ok(true) => {
                if let Err(e) = run_all(&state).await {
                    log::error!("background jobs failed: {}", e.detail());
                }
            }
            Ok(false) => {}
            Err(e) => log::warn!("could not take the job lease: {}", e.detail()),
        }
    }
}

/// One round of every job (tests call this directly).
pub async fn run_all(state: &AppState) -> Result<(), AppError> {
    retry_due_events(state, 50).await?;
    let provider = crate::billing::BillingProvider::provider(&state.billing);
    state
        .db
        .run(move |conn| {
            end_expired_grace(conn, provider)?;
            end_lapsed_cancellations(conn, provider)?;
            reset_free_monthly_credits(conn)?;
            take_capacity_snapshot(conn, TimeDelta::hours(1))?;
            Ok(())
        })
        .await
}

fn each_workspace(
    conn: &mut DbConnection,
    provider: crate::billing::Provider,
    ids: Vec<i64>,
    decide: impl Fn(
        &crate::domain::subscription_state::BillingState,
        &crate::domain::subscription_state::PlanRef,
    ) -> Decision,
) -> Result<usize, AppError> {
    let mut changed = 0;
    for id in ids {
        write_transaction(conn, |conn| {
            let ws = Workspace::lock(conn, id)?;
            let book = PlanBook::load(conn, provider)?;
            let default =
                book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
            let decision = decide(&billing_state(&ws, &book), &default);
            if matches!(decision, Decision::Apply(_)) {
                changed += 1;
            }
            apply_decision(conn, &ws, &book, decision)
        })?;
    }
    Ok(changed)
}

/// Past-due workspaces whose grace period is over drop to the default plan.
pub fn end_expired_grace(conn: &mut DbConnection, provider: crate::billing::Provider) -> Result<usize, AppError> {
    let ids: Vec<i64> = workspaces::table
        .filter(workspaces::subscription_status.eq("past_due"))
        .filter(workspaces::grace_until.le(now()))
        .select(workspaces::id)
        .load(conn)?;
    let at = Utc::now();
    each_workspace(conn, provider, ids, |state, default| on_grace_expired(state, at, default))
}

/// Subscriptions set to cancel whose period ended a while ago, without the provider's
/// cancellation arriving, end here.
pub fn end_lapsed_cancellations(
    conn: &mut DbConnection,
    provider: crate::billing::Provider,
) -> Result<usize, AppError> {
    let ids: Vec<i64> = workspaces::table
        .filter(workspaces::cancel_at_period_end.eq(true))
        .filter(workspaces::current_period_end.le(now() - PERIOD_END_SLACK))
        .filter(workspaces::provider_subscription_id.is_not_null())
        .select(workspaces::id)
        .load(conn)?;
    let at = Utc::now() - PERIOD_END_SLACK;
    each_workspace(conn, provider, ids, |state, default| on_period_end_passed(state, at, default))
}

/// Workspaces without a subscription get their plan's monthly credits each calendar month
/// (subscribed ones are reset by their renewal invoices).
pub fn reset_free_monthly_credits(conn: &mut DbConnection) -> Result<usize, AppError> {
    let month = Utc::now().format("%Y-%m").to_string();
    let rows: Vec<(i64, i64)> = workspaces::table
        .inner_join(plans::table)
        .filter(workspaces::provider_subscription_id.is_null())
        .filter(plans::monthly_credits.is_not_null())
        .select((workspaces::id, plans::monthly_credits.assume_not_null()))
        .load(conn)?;
    let mut granted = 0;
    for (id, credits) in rows {
        let key = format!("workspace:{id}:free-month:{month}");
        if CreditEntry::exists_with_key(conn, &key)? {
            continue;
        }
        write_transaction(conn, |conn| {
            Workspace::lock(conn, id)?;
            let balance = CreditEntry::balance(conn, id)?;
            let entry = NewCreditEntry {
                workspace_id: id,
                bucket: CreditBucket::Monthly,
                delta: monthly_reset_delta(balance, credits),
                reason: "monthly credits for a new month",
                idempotency_key: Some(&key),
                reference: Some(&month),
            };
            if entry.insert(conn)? {
                granted += 1;
            }
            Ok::<_, AppError>(())
        })?;
    }
    Ok(granted)
}

/// Records counts at most once per `every`.
pub fn take_capacity_snapshot(conn: &mut DbConnection, every: TimeDelta) -> Result<bool, AppError> {
    let latest = CapacitySnapshot::recent(conn, 1)?;
    if latest.first().is_some_and(|s| s.taken_at > now() - every) {
        return Ok(false);
    }
    let paying: Vec<(Option<String>, Option<i64>, Option<i64>)> = workspaces::table
        .inner_join(plans::table)
        .filter(workspaces::subscription_status.eq_any(["active", "past_due", "non_renewing"]))
        .select((workspaces::billing_interval, plans::price_month_minor, plans::price_year_minor))
        .load(conn)?;
    let mrr: i64 = paying
        .iter()
        .map(|(interval, month, year)| match interval.as_deref() {
            Some("year") => year.unwrap_or(0) / 12,
            _ => month.unwrap_or(0),
        })
        .sum();
    diesel::insert_into(capacity_snapshots::table)
        .values((
            capacity_snapshots::taken_at.eq(now()),
            capacity_snapshots::users_total.eq(User::count(conn)?),
            capacity_snapshots::workspaces_total.eq(Workspace::count(conn)?),
            capacity_snapshots::paying_workspaces.eq(paying.len() as i64),
            capacity_snapshots::mrr_minor.eq(mrr),
            capacity_snapshots::credits_outstanding.eq(CreditEntry::outstanding(conn)?),
            capacity_snapshots::events_last_day.eq(BillingEvent::count_since(conn, now() - TimeDelta::days(1))?),
            capacity_snapshots::events_failed.eq(BillingEvent::count_with_status(conn, EventStatus::Failed)?),
        ))
        .execute(conn)?;
    Ok(true)
}
