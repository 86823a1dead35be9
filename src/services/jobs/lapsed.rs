//! Jobs that move a workspace's billing state as time passes: a grace period running out,
//! and the safety net for a cancellation whose webhook never came.

use chrono::{TimeDelta, Utc};

use super::super::clock::Clocks;
use crate::db::{DbConnection, write_transaction};
use crate::domain::billing_state::{BillingState, Decision, PlanRef, on_grace_expired, on_period_end_passed};
use crate::domain::catalog::PlanBook;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::Provider;
use crate::error::AppError;
use crate::models::Workspace;
use crate::services::billing_state::{apply_decision, state_of};
use crate::services::catalog::plan_book;

/// Give the provider this long to send its own cancellation before the safety net acts.
const PERIOD_END_SLACK: TimeDelta = TimeDelta::hours(2);

/// Runs `decide` for each workspace, each in its own transaction with the row locked and
/// re-read, so a webhook applied in between is seen. Returns how many changed.
fn each_workspace(
    conn: &mut DbConnection,
    provider: Provider,
    ids: Vec<WorkspaceId>,
    decide: impl Fn(&BillingState, &PlanRef, WorkspaceId) -> Decision,
) -> Result<usize, AppError> {
    let mut changed = 0;
    for id in ids {
        write_transaction(conn, |conn| {
            let ws = Workspace::lock(conn, id)?;
            let book = plan_book(conn, provider)?;
            let default =
                book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
            let state = state_of(&ws, &book);
            let decision = decide(&state, &default, id);
            if matches!(decision, Decision::Apply(_)) {
                changed += 1;
            }
            apply_decision(conn, &ws, &book, &state, decision)
        })?;
    }
    Ok(changed)
}

/// Past-due workspaces whose grace period is over drop to the default plan.
pub fn end_expired_grace(conn: &mut DbConnection, provider: Provider) -> Result<usize, AppError> {
    end_expired_grace_at(conn, provider, &Clocks::real(Utc::now()))
}

/// [`end_expired_grace`], each workspace at its own "now" (its test clock's, in sandbox mode).
pub fn end_expired_grace_at(conn: &mut DbConnection, provider: Provider, clocks: &Clocks) -> Result<usize, AppError> {
    let ids = Workspace::grace_ended_by(conn, clocks.latest().naive_utc())?;
    each_workspace(conn, provider, ids, |state, default, id| on_grace_expired(state, clocks.now(id), default))
}

/// Subscriptions set to cancel whose period ended a while ago, without the provider's
/// cancellation arriving, end here.
pub fn end_lapsed_cancellations(conn: &mut DbConnection, provider: Provider) -> Result<usize, AppError> {
    end_lapsed_cancellations_at(conn, provider, &Clocks::real(Utc::now()))
}

/// [`end_lapsed_cancellations`], each workspace at its own "now".
pub fn end_lapsed_cancellations_at(
    conn: &mut DbConnection,
    provider: Provider,
    clocks: &Clocks,
) -> Result<usize, AppError> {
    let before = |at: chrono::DateTime<Utc>| at.checked_sub_signed(PERIOD_END_SLACK).unwrap_or(at);
    let ids = Workspace::cancellations_lapsed_by(conn, before(clocks.latest()).naive_utc())?;
    each_workspace(conn, provider, ids, |state, default, id| {
        on_period_end_passed(state, before(clocks.now(id)), default)
    })
}

/// Both jobs for one workspace at its `now` (after its test clock moved).
pub fn run_for_workspace(
    conn: &mut DbConnection,
    provider: Provider,
    workspace: WorkspaceId,
    now: chrono::DateTime<Utc>,
) -> Result<(), AppError> {
    let before = now.checked_sub_signed(PERIOD_END_SLACK).unwrap_or(now);
    let ids = vec![workspace];
    each_workspace(conn, provider, ids.clone(), |state, default, _| on_grace_expired(state, now, default))?;
    each_workspace(conn, provider, ids, |state, default, _| on_period_end_passed(state, before, default))?;
    Ok(())
}
