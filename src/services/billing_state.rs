//! Moves billing state between the workspace row and the pure state machine, and carries
//! out a decision: the row update, the ended-subscription record and the effects (credit
//! resets, notices), all in the caller's transaction.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::db::DbConnection;
use crate::domain::billing_state::{BillingState, Decision, Effect, Transition};
use crate::domain::catalog::PlanBook;
use crate::domain::credits::{Cycle, credit_cycle};
use crate::domain::ids::{PlanId, WorkspaceId};
use crate::domain::money::Interval;
use crate::domain::plan_history::{PlanSide, classify};
use crate::error::AppError;
use crate::models::credit_ledger::{CycleKeys, CycleMarks};
use crate::models::plan_change::NewPlanChange;
use crate::models::workspace::WorkspaceBillingChanges;
use crate::models::{Workspace, ended_subscription};

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

/// The workspace's billing state as the state machine sees it, without history: for pages
/// and flows that only ask what the workspace has now.
pub fn state_of(ws: &Workspace, book: &PlanBook) -> BillingState {
    BillingState {
        provider: ws.billing_provider,
        plan_code: book.by_id(ws.plan_id).map(|p| p.code.clone()).unwrap_or_default(),
        status: ws.subscription_status,
        customer_id: ws.provider_customer_id.clone(),
        subscription_id: ws.provider_subscription_id.clone(),
        interval: ws.billing_interval,
        current_period_end: ws.current_period_end.map(utc),
        cancel_at_period_end: ws.cancel_at_period_end,
        cancel_at: ws.cancel_at.map(utc),
        trial_end: ws.trial_end.map(utc),
        had_trial: ws.had_trial,
        grace_until: ws.grace_until.map(utc),
        scheduled_plan_code: ws.scheduled_plan_id.and_then(|id| book.by_id(id)).map(|p| p.code.clone()),
        scheduled_interval: ws.scheduled_interval,
        upgraded_at: ws.upgraded_at.map(utc),
        state_at: ws.subscription_state_at.map(utc),
        ended_subscription_ids: Vec::new(),
        past_due_since: ws.past_due_since.map(utc),
        past_due_invoice: ws.past_due_invoice_id.clone(),
        last_paid_at: ws.last_paid_at.map(utc),
    }
}

/// The state for a decision about `subscription_id`: with whether that subscription has
/// already ended (one indexed lookup, whatever the workspace's history).
pub fn state_for(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    subscription_id: Option<&str>,
) -> diesel::QueryResult<BillingState> {
    let ended = match subscription_id {
        Some(id) => ended_subscription::contains(conn, ws.id, id)?,
        None => false,
    };
    Ok(state_knowing(ws, book, subscription_id, ended))
}

/// [`state_for`] when whether `subscription_id` ended on the workspace is already known.
pub fn state_knowing(ws: &Workspace, book: &PlanBook, subscription_id: Option<&str>, ended: bool) -> BillingState {
    let mut state = state_of(ws, book);
    if let (Some(id), true) = (subscription_id, ended) {
        state.ended_subscription_ids.push(id.to_owned());
    }
    state
}

fn changes(next: &BillingState, book: &PlanBook, ws: &Workspace) -> Result<WorkspaceBillingChanges, AppError> {
    let plan = book
        .by_code(&next.plan_code)
        .ok_or_else(|| AppError::internal(format!("state machine chose unknown plan {}", next.plan_code)))?;
    let linked = next.customer_id.is_some() || next.subscription_id.is_some();
    Ok(WorkspaceBillingChanges {
        plan_id: plan.id,
        billing_provider: if linked { Some(book.provider) } else { ws.billing_provider },
        provider_customer_id: next.customer_id.clone(),
        provider_subscription_id: next.subscription_id.clone(),
        subscription_status: next.status,
        billing_interval: next.interval,
        current_period_end: next.current_period_end.map(|t| t.naive_utc()),
        cancel_at_period_end: next.cancel_at_period_end,
        trial_end: next.trial_end.map(|t| t.naive_utc()),
        had_trial: next.had_trial,
        grace_until: next.grace_until.map(|t| t.naive_utc()),
        upgraded_at: next.upgraded_at.map(|t| t.naive_utc()),
        scheduled_plan_id: next.scheduled_plan_code.as_deref().and_then(|c| book.by_code(c)).map(|p| p.id),
        subscription_state_at: next.state_at.map(|t| t.naive_utc()),
        cancel_at: next.cancel_at.map(|t| t.naive_utc()),
        scheduled_interval: next.scheduled_interval.filter(|_| next.scheduled_plan_code.is_some()),
        past_due_since: next.past_due_since.map(|t| t.naive_utc()),
        past_due_invoice_id: next.past_due_invoice.clone(),
        last_paid_at: next.last_paid_at.map(|t| t.naive_utc()),
    })
}

/// What applying a decision did, for the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Changed,
    Unchanged(String),
    Stale,
}

/// Writes a decision to the workspace (the caller holds its lock, inside a transaction).
/// `prev` is the state the decision was made from. `Ambiguous` must have been resolved by
/// the caller before this point.
pub fn apply_decision(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    prev: &BillingState,
    decision: Decision,
) -> Result<Applied, AppError> {
    match decision {
        Decision::Apply(Transition { next, effects }) => {
            // The credit cycle the new state is in: its ledger marks are read by the update.
            let now = Utc::now();
            let cycle = credit_cycle(&next, now);
            let keys = CycleKeys { grant: &cycle.grant_key(ws.id), expiry: &cycle.expiry_key(ws.id) };
            let (updated, marks) = Workspace::apply_billing(conn, ws.id, &changes(&next, book, ws)?, keys)?;
            record_plan_change(conn, ws.id, book, prev, &next)?;
            for ended in next.ended_subscription_ids.iter().filter(|id| !prev.ended_subscription_ids.contains(id)) {
                ended_subscription::record(conn, ws.id, ended)?;
            }
            // A subscription the provider reactivated in place is no longer ended.
            for returned in prev.ended_subscription_ids.iter().filter(|id| !next.ended_subscription_ids.contains(id)) {
                ended_subscription::forget(conn, ws.id, returned)?;
            }
            for effect in effects {
                carry_out(conn, ws.id, &effect)?;
            }
            settle_credits(conn, &updated, book, (prev, &next), now, (&cycle, marks))?;
            Ok(Applied::Changed)
        }
        Decision::Stale => Ok(Applied::Stale),
        Decision::Ignore(reason) => Ok(Applied::Unchanged(reason)),
        Decision::Ambiguous => Err(AppError::internal("an ambiguous event reached apply_decision unresolved")),
    }
}

/// Writes the change of plan or status, named (upgrade, churn, trial converted…), to the
/// history the admin overview counts from.
fn record_plan_change(
    conn: &mut DbConnection,
    workspace_id: WorkspaceId,
    book: &PlanBook,
    prev: &BillingState,
    next: &BillingState,
) -> Result<(), AppError> {
    let side = |code: &str, status| {
        book.by_code(code).map(|p| PlanSide { plan: p.id, rank: p.rank(), is_free: p.is_free(), status })
    };
    let (Some(from), Some(to)) = (side(&prev.plan_code, prev.status), side(&next.plan_code, next.status)) else {
        return Ok(());
    };
    if let Some(kind) = classify(&from, &to) {
        NewPlanChange {
            workspace_id,
            from_plan_id: from.plan,
            to_plan_id: to.plan,
            from_status: from.status,
            to_status: to.status,
            kind,
        }
        .insert(conn)?;
    }
    Ok(())
}

fn carry_out(_conn: &mut DbConnection, workspace_id: WorkspaceId, effect: &Effect) -> Result<(), AppError> {
    match effect {
        // Due credits are granted once per decision, after the effects: see `settle_credits`.
        Effect::ResetMonthlyCredits { .. } => {}
        Effect::PlanChanged { from, to } => log::info!("workspace {workspace_id}: plan {from} → {to}"),
        Effect::EnteredGrace { until } => {
            log::info!("email to the owners of workspace {workspace_id}: payment failed, plan kept until {until}")
        }
        Effect::Downgraded { to, reason } => {
            log::info!("email to the owners of workspace {workspace_id}: moved to {to} ({reason})")
        }
        Effect::Notify(what) => log::info!("email to the owners of workspace {workspace_id}: {what}"),
    }
    Ok(())
}

/// Monthly credits follow every applied decision: a cycle that opened (a checkout, a paid
/// renewal) is granted, an upgrade within a cycle adds the prorated difference, a downgrade
/// caps the bucket (`credits::settle_monthly`). `ResetMonthlyCredits` effects only say that a
/// grant is due; the cycle keys make it happen once whichever event arrives first.
fn settle_credits(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    (prev, next): (&BillingState, &BillingState),
    now: DateTime<Utc>,
    read: (&Cycle, CycleMarks),
) -> Result<(), AppError> {
    let previous = book.by_code(&prev.plan_code).filter(|_| prev.plan_code != next.plan_code);
    let plans = super::credits::PlanSource::Loaded(book);
    super::credits::settle_monthly(conn, plans, ws, previous.map(|p| &p.terms), now, Some(read))?;
    Ok(())
}

/// What a flow knows about a change scheduled for the period end that the subscription the
/// provider returns does not show (Stripe schedules and Chargebee's scheduled changes keep the
/// current plan on the subscription until they apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduled {
    /// Leave whatever is recorded.
    Unchanged,
    /// This plan, at this interval, from the period end.
    Set(PlanId, Interval),
    /// Nothing is scheduled any more (the change was undone).
    Cleared,
}

/// The catalog and the workspace's row, read together for a flow that then calls the provider.
pub async fn load(
    state: &crate::state::AppState,
    workspace_id: WorkspaceId,
) -> Result<(PlanBook, Workspace), AppError> {
    let provider = crate::billing::BillingProvider::provider(&state.billing);
    state
        .db
        .run(move |conn| Ok((super::catalog::plan_book(conn, provider)?, Workspace::find(conn, workspace_id)?)))
        .await
}

/// The subscription a flow acts on, or a sentence saying there is none.
pub fn subscription_of(ws: &Workspace) -> Result<String, AppError> {
    ws.provider_subscription_id
        .clone()
        .ok_or_else(|| AppError::validation("Your workspace has no subscription. Upgrade from the pricing page."))
}
