//! Monthly credits as time passes: a calendar month for workspaces without a subscription,
//! and the plan's own monthly cycle for subscribed ones (an annual plan's credits arrive
//! month by month; a cycle whose renewal never came lapses). The rules are
//! `domain::credits::monthly_moves`, carried out by `credits::settle_monthly`; the cycle keys
//! make every grant happen once, whoever notices the cycle first.

use chrono::{DateTime, Utc};

use super::super::clock::Clocks;
use crate::db::{DbConnection, write_transaction};
use crate::domain::credits::credit_cycle;
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::models::{CreditEntry, Workspace};
use crate::services::credits::{PlanSource, billing_facts, settle_monthly};

pub fn reset_free_monthly_credits(conn: &mut DbConnection) -> Result<usize, AppError> {
    reset_free_monthly_credits_at(conn, &Clocks::real(Utc::now()))
}

/// [`reset_free_monthly_credits`], each workspace in the month of its own "now".
pub fn reset_free_monthly_credits_at(conn: &mut DbConnection, clocks: &Clocks) -> Result<usize, AppError> {
    let ids: Vec<WorkspaceId> =
        Workspace::unsubscribed_with_monthly_credits(conn)?.into_iter().map(|(id, _)| id).collect();
    settle_each(conn, ids, clocks)
}

/// Subscribed workspaces whose monthly cycle moved on: an annual plan's next month, or a
/// period that ended without a renewal. `now` is a parameter so tests can say what time it is.
pub fn settle_subscription_cycles(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<usize, AppError> {
    settle_subscription_cycles_at(conn, &Clocks::real(now))
}

/// [`settle_subscription_cycles`], each workspace at its own "now" (its customer's test clock
/// in sandbox mode).
pub fn settle_subscription_cycles_at(conn: &mut DbConnection, clocks: &Clocks) -> Result<usize, AppError> {
    let ids = Workspace::subscribed_with_monthly_credits(conn)?;
    settle_each(conn, ids, clocks)
}

/// Settles each workspace whose cycle has no grant yet (or has ended), each in its own
/// transaction with the row locked and re-read. Returns how many changed.
fn settle_each(conn: &mut DbConnection, ids: Vec<WorkspaceId>, clocks: &Clocks) -> Result<usize, AppError> {
    let mut changed = 0;
    for id in ids {
        let now = clocks.now(id);
        let ws = Workspace::find(conn, id)?;
        let cycle = credit_cycle(&billing_facts(&ws), now);
        if now < cycle.end && CreditEntry::exists_with_key(conn, &cycle.grant_key(id))? {
            continue;
        }
        let written = write_transaction(conn, |conn| {
            let ws = Workspace::lock(conn, id)?;
            settle_monthly(conn, PlanSource::Stored, &ws, None, now, None)
        })?;
        if written > 0 {
            changed += 1;
        }
    }
    Ok(changed)
}
