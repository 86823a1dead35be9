//! The one fulfilment path. Both the success-page redirect and provider webhooks end up
//! here, so a purchase is granted exactly once whichever arrives first, and every change
//! to plan, credits and add-ons happens in one transaction with the workspace row locked.

mod checkout;
mod events;
mod plans;
mod state;
mod webhooks;

pub use checkout::{Fulfilled, Fulfilment, fulfil_checkout};
pub use events::{EventResult, apply_event};
pub use plans::PlanBook;
pub use state::{Applied, apply_decision, billing_state, utc};
pub use webhooks::{MAX_ATTEMPTS, WebhookError, WebhookOutcome, process_webhook, retry_due_events};

use chrono::{DateTime, Utc};

use crate::billing::SubscriptionData;
use crate::db::{DbConnection, write_transaction};
use crate::domain::plan_changes::hold_downgrade;
use crate::domain::subscription_state::{Decision, on_fetched_subscription};
use crate::error::AppError;
use crate::models::workspace::Workspace;

/// Applies a subscription the provider just returned (after a plan change, cancel or
/// resume) as the newest truth, in one transaction with the workspace locked.
/// `scheduled_plan` records a downgrade the provider schedules without showing it yet.
pub fn apply_fetched_subscription(
    conn: &mut DbConnection,
    workspace_id: i64,
    book: &PlanBook,
    sub: &SubscriptionData,
    scheduled_plan: Option<i64>,
    grace_days: i64,
    at: DateTime<Utc>,
) -> Result<Applied, AppError> {
    write_transaction(conn, |conn| {
        let ws = Workspace::lock(conn, workspace_id)?;
        let default =
            book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
        let state = billing_state(&ws, book);
        let resolve = |price: &str| book.resolve(price);
        let decision = on_fetched_subscription(&state, sub, &resolve, &default, grace_days, at)
            .map_err(|e| AppError::internal(format!("subscription {}: {e}", sub.id)))?;
        let decision = hold_downgrade(&state, decision, &|code| book.rank(code), at);
        let applied = match decision {
            Decision::Ambiguous => Applied::Unchanged("ambiguous".into()),
            other => apply_decision(conn, &ws, book, other)?,
        };
        if let Some(plan_id) = scheduled_plan {
            use diesel::prelude::*;
            diesel::update(crate::schema::workspaces::table.find(workspace_id))
                .set(crate::schema::workspaces::scheduled_plan_id.eq(plan_id))
                .execute(conn)?;
        }
        Ok(applied)
    })
}
