//! Carrying out the fair-grant rules (`domain::credits::monthly_moves`) for one workspace:
//! after each billing decision, from the jobs, and lazily before a spend or a read, so a
//! cycle that opened or lapsed since anyone looked is recorded before it matters.

use chrono::{DateTime, Utc};

use crate::db::{DbConnection, write_transaction};
use crate::domain::billing_state::BillingState;
use crate::domain::catalog::{Plan, PlanFields};
use crate::domain::credits::{
    CreditBucket, Cycle, CycleSource, MonthlyContext, MonthlyMove, credit_cycle, monthly_moves,
};
use crate::domain::entitlements::effective_plan;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::SubscriptionStatus;
use crate::error::AppError;
use crate::models::{CreditEntry, NewCreditEntry, Workspace};

/// The billing facts of the workspace row that cycles and standing depend on (the plan is
/// looked up separately, by id).
pub fn billing_facts(ws: &Workspace) -> BillingState {
    let utc = |at: chrono::NaiveDateTime| DateTime::from_naive_utc_and_offset(at, Utc);
    BillingState {
        status: ws.subscription_status,
        customer_id: ws.provider_customer_id.clone(),
        subscription_id: ws.provider_subscription_id.clone(),
        interval: ws.billing_interval,
        current_period_end: ws.current_period_end.map(utc),
        cancel_at_period_end: ws.cancel_at_period_end,
        trial_end: ws.trial_end.map(utc),
        grace_until: ws.grace_until.map(utc),
        ..BillingState::default()
    }
}

/// The plan whose monthly credits apply to `ws` now; `None` = unlimited.
pub fn effective_grant(conn: &mut DbConnection, ws: &Workspace, now: DateTime<Utc>) -> Result<Option<i64>, AppError> {
    Ok(applying_plan(conn, ws, now)?.monthly_credits)
}

/// The plan whose terms apply to `ws` now (one query, two when its subscription lapsed).
pub fn applying_plan(conn: &mut DbConnection, ws: &Workspace, now: DateTime<Utc>) -> Result<Plan, AppError> {
    let plan = Plan::find(conn, ws.plan_id)?;
    let facts = billing_facts(ws);
    if plan.is_free() || facts.subscription_id.is_none() || facts.grants_plan(now) {
        return Ok(plan);
    }
    let default = Plan::default_plan(conn)?;
    Ok(effective_plan(&facts, &plan, &default, now).clone())
}

/// Whether the cycle `ws` is in has been granted and is still running: then, with no plan
/// change to apply, there is nothing to settle (one indexed lookup on the hot path).
fn is_settled(conn: &mut DbConnection, ws: &Workspace, cycle: &Cycle, now: DateTime<Utc>) -> Result<bool, AppError> {
    Ok(now < cycle.end && CreditEntry::exists_with_key(conn, &cycle.grant_key(ws.id))?)
}

/// What settling `ws` would write, read without writing.
fn planned_moves(
    conn: &mut DbConnection,
    ws: &Workspace,
    previous: Option<&PlanFields>,
    now: DateTime<Utc>,
) -> Result<(Cycle, Plan, Vec<MonthlyMove>), AppError> {
    let facts = billing_facts(ws);
    let cycle = credit_cycle(&facts, now);
    let plan = applying_plan(conn, ws, now)?;
    let grant = plan.monthly_credits;
    let ctx = MonthlyContext {
        cycle: &cycle,
        cycle_granted: CreditEntry::exists_with_key(conn, &cycle.grant_key(ws.id))?,
        cycle_expired: CreditEntry::exists_with_key(conn, &cycle.expiry_key(ws.id))?,
        grant,
        previous_grant: previous.map_or(grant, |p| p.monthly_credits),
        may_open: facts.status != Some(SubscriptionStatus::PastDue),
        monthly: CreditEntry::balance(conn, ws.id)?.monthly,
        now,
    };
    let moves = monthly_moves(&ctx);
    Ok((cycle, plan, moves))
}

/// Brings the monthly bucket in line with `ws`'s cycle and plan. The caller holds the
/// workspace lock inside a write transaction; `ws` is the row as it stands now. `previous`
/// is the plan that applied before a change being carried out (`None`: no change). Returns
/// how many ledger rows it wrote.
pub fn settle_monthly(
    conn: &mut DbConnection,
    ws: &Workspace,
    previous: Option<&PlanFields>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    if previous.is_none() && is_settled(conn, ws, &credit_cycle(&billing_facts(ws), now), now)? {
        return Ok(0);
    }
    let (cycle, plan, moves) = planned_moves(conn, ws, previous, now)?;
    let mut written = 0;
    for step in moves {
        let (delta, key, reason) = describe(step, ws.id, &cycle, previous, &plan);
        let entry = NewCreditEntry {
            workspace_id: ws.id,
            bucket: CreditBucket::Monthly,
            delta,
            reason: &reason,
            idempotency_key: key.as_deref(),
            reference: Some(&cycle.key),
        };
        if entry.insert(conn)? {
            written += 1;
        }
    }
    Ok(written)
}

/// The ledger row for one move: its delta, idempotency key and reason.
fn describe(
    step: MonthlyMove,
    workspace_id: WorkspaceId,
    cycle: &Cycle,
    previous: Option<&PlanFields>,
    plan: &PlanFields,
) -> (i64, Option<String>, String) {
    match step {
        MonthlyMove::Open { delta } => {
            let reason = match cycle.source {
                CycleSource::Calendar => "monthly credits for a new month".to_owned(),
                CycleSource::Subscription => {
                    format!("monthly credits reset for a new billing cycle of {}", plan.name)
                }
            };
            (delta, Some(cycle.grant_key(workspace_id)), reason)
        }
        MonthlyMove::Expire { delta } => {
            (delta, Some(cycle.expiry_key(workspace_id)), "monthly credits expired with their cycle".to_owned())
        }
        MonthlyMove::Prorate { delta } => {
            let from = previous.map_or("", |p| p.code.as_str());
            let key = format!("workspace:{workspace_id}:prorate:{}:{from}:{}", cycle.key, plan.code);
            (delta, Some(key), format!("monthly credits prorated for the upgrade to {}", plan.name))
        }
        MonthlyMove::Cap { delta, marks_cycle } => {
            let key = marks_cycle.then(|| cycle.grant_key(workspace_id));
            let grant = plan.monthly_credits.unwrap_or(0);
            (delta, key, format!("monthly credits capped at {}'s {grant}", plan.name))
        }
    }
}

/// Settles `workspace_id` if its cycle moved on since anyone looked, in its own write
/// transaction (and without one when there is nothing to do). For readers outside a
/// transaction: pages, the entitlements answer.
pub fn settle_now(conn: &mut DbConnection, workspace_id: WorkspaceId, now: DateTime<Utc>) -> Result<(), AppError> {
    let ws = Workspace::find(conn, workspace_id)?;
    if is_settled(conn, &ws, &credit_cycle(&billing_facts(&ws), now), now)?
        || planned_moves(conn, &ws, None, now)?.2.is_empty()
    {
        return Ok(());
    }
    write_transaction(conn, |conn| {
        let ws = Workspace::lock(conn, workspace_id)?;
        settle_monthly(conn, &ws, None, now).map(|_| ())
    })
}
