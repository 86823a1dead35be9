//! Carrying out the fair-grant rules (`domain::credits::monthly_moves`) for one workspace:
//! after each billing decision, from the jobs, and lazily before a spend or a read, so a
//! cycle that opened or lapsed since anyone looked is recorded before it matters.

use chrono::{DateTime, Utc};

use crate::db::{DbConnection, write_transaction};
use crate::domain::billing_state::BillingState;
use crate::domain::catalog::{Plan, PlanBook, PlanFields};
use crate::domain::credits::{
    CreditBucket, Cycle, CycleSource, MonthlyContext, MonthlyMove, credit_cycle, monthly_moves,
};
use crate::domain::entitlements::effective_plan;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::SubscriptionStatus;
use crate::error::AppError;
use crate::models::credit_ledger::{CycleKeys, CycleMarks};
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

/// Where settling finds the plan whose terms apply: the catalog the caller has already
/// loaded, or the plan rows themselves.
#[derive(Clone, Copy)]
pub enum PlanSource<'a> {
    Stored,
    Loaded(&'a PlanBook),
}

impl PlanSource<'_> {
    /// The plan whose terms apply to `ws` now: its own, or the default once its paid
    /// subscription lapsed (from the stored rows: one query, two when it lapsed).
    fn applying_plan(self, conn: &mut DbConnection, ws: &Workspace, now: DateTime<Utc>) -> Result<Plan, AppError> {
        let facts = billing_facts(ws);
        let plan = match self {
            PlanSource::Stored => Plan::find(conn, ws.plan_id)?,
            PlanSource::Loaded(book) => book
                .by_id(ws.plan_id)
                .cloned()
                .ok_or_else(|| AppError::internal(format!("workspace {} is on an unknown plan", ws.id)))?,
        };
        if plan.is_free() || facts.subscription_id.is_none() || facts.grants_plan(now) {
            return Ok(plan);
        }
        let default = match self {
            PlanSource::Stored => Plan::default_plan(conn)?,
            PlanSource::Loaded(book) => {
                book.default_plan().cloned().ok_or_else(|| AppError::internal("no default plan"))?
            }
        };
        Ok(effective_plan(&facts, &plan, &default, now).clone())
    }
}

/// The plan whose monthly credits apply to `ws` now; `None` = unlimited.
pub fn effective_grant(conn: &mut DbConnection, ws: &Workspace, now: DateTime<Utc>) -> Result<Option<i64>, AppError> {
    Ok(applying_plan(conn, ws, now)?.monthly_credits)
}

/// The plan whose terms apply to `ws` now (one query, two when its subscription lapsed).
pub fn applying_plan(conn: &mut DbConnection, ws: &Workspace, now: DateTime<Utc>) -> Result<Plan, AppError> {
    PlanSource::Stored.applying_plan(conn, ws, now)
}

/// What settling `ws` would write, read without writing; `None` when the cycle it is in has
/// been granted and is still running and no plan change is being carried out (then only the
/// cycle's ledger keys are read).
/// `read`: a cycle whose marks the caller has already read; used when it is `ws`'s cycle.
fn planned_moves(
    conn: &mut DbConnection,
    plans: PlanSource<'_>,
    ws: &Workspace,
    previous: Option<&PlanFields>,
    now: DateTime<Utc>,
    read: Option<(&Cycle, CycleMarks)>,
) -> Result<Option<(Cycle, Plan, Vec<MonthlyMove>)>, AppError> {
    let facts = billing_facts(ws);
    let cycle = credit_cycle(&facts, now);
    let marks = match read {
        Some((read_cycle, marks)) if *read_cycle == cycle => marks,
        _ => {
            let keys = CycleKeys { grant: &cycle.grant_key(ws.id), expiry: &cycle.expiry_key(ws.id) };
            CreditEntry::cycle_marks(conn, ws.id, keys)?
        }
    };
    if previous.is_none() && now < cycle.end && marks.granted {
        return Ok(None);
    }
    let plan = plans.applying_plan(conn, ws, now)?;
    let grant = plan.monthly_credits;
    let ctx = MonthlyContext {
        cycle: &cycle,
        cycle_granted: marks.granted,
        cycle_expired: marks.expired,
        grant,
        previous_grant: previous.map_or(grant, |p| p.monthly_credits),
        may_open: facts.status != Some(SubscriptionStatus::PastDue),
        monthly: marks.monthly,
        now,
    };
    let moves = monthly_moves(&ctx);
    Ok(Some((cycle, plan, moves)))
}

/// Brings the monthly bucket in line with `ws`'s cycle and plan. The caller holds the
/// workspace lock inside a write transaction; `ws` is the row as it stands now. `previous`
/// is the plan that applied before a change being carried out (`None`: no change). `read` is
/// the marks of the cycle `ws` is in when the caller has them already (see
/// `Workspace::apply_billing`); they are read (again) when absent or for another cycle.
/// Returns how many ledger rows it wrote.
pub fn settle_monthly(
    conn: &mut DbConnection,
    plans: PlanSource<'_>,
    ws: &Workspace,
    previous: Option<&PlanFields>,
    now: DateTime<Utc>,
    read: Option<(&Cycle, CycleMarks)>,
) -> Result<usize, AppError> {
    let Some((cycle, plan, moves)) = planned_moves(conn, plans, ws, previous, now, read)? else { return Ok(0) };
    let lines: Vec<_> = moves.into_iter().map(|step| describe(step, ws.id, &cycle, previous, &plan)).collect();
    let entries: Vec<NewCreditEntry<'_>> = lines
        .iter()
        .map(|(delta, key, reason)| NewCreditEntry {
            workspace_id: ws.id,
            bucket: CreditBucket::Monthly,
            delta: *delta,
            reason,
            idempotency_key: key.as_deref(),
            reference: Some(&cycle.key),
        })
        .collect();
    Ok(NewCreditEntry::insert_all(conn, &entries)?)
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
    if planned_moves(conn, PlanSource::Stored, &ws, None, now, None)?.is_none_or(|(_, _, moves)| moves.is_empty()) {
        return Ok(());
    }
    write_transaction(conn, |conn| {
        let ws = Workspace::lock(conn, workspace_id)?;
        settle_monthly(conn, PlanSource::Stored, &ws, None, now, None).map(|_| ())
    })
}
