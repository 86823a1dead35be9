//! Cancelling a subscription at the end of its period, and resuming one set to cancel.

use chrono::Utc;

use super::billing_state::{Scheduled, load, subscription_of};
use super::provider_answer::{Asked, apply_answer};
use super::{provider_error, require_manager};
use crate::billing::BillingProvider;
use crate::domain::dates::format_date;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::error::AppError;
use crate::state::AppState;

async fn cancel_or_resume(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    cancel: bool,
) -> Result<String, AppError> {
    require_manager(actor)?;
    let (book, ws) = load(state, workspace_id).await?;
    let plan_name = book.by_id(ws.plan_id).map(|p| p.name.clone()).unwrap_or_default();
    let id = subscription_of(&ws)?;
    let asked = Asked::now(&ws);
    let sub = if cancel { state.billing.cancel_at_period_end(&id).await } else { state.billing.reactivate(&id).await }
        .map_err(provider_error)?;
    apply_answer(state, workspace_id, asked, sub.clone(), Scheduled::Unchanged, Utc::now()).await?;
    // The real end of the cancellation, which Stripe may set beyond the period end.
    let ends = if cancel { sub.cancel_at.or(sub.current_period_end) } else { sub.current_period_end };
    let date = ends.map(|t| format_date(&t.naive_utc()));
    Ok(match (cancel, date) {
        (true, Some(date)) => format!("Your subscription is cancelled. You keep {plan_name} until {date}."),
        (true, None) => "Your subscription will end at the end of the billing period.".to_owned(),
        (false, Some(date)) => format!("Welcome back! Your subscription continues and renews on {date}."),
        (false, None) => "Welcome back! Your subscription continues.".to_owned(),
    })
}

pub async fn cancel_subscription(state: &AppState, workspace_id: WorkspaceId, actor: Role) -> Result<String, AppError> {
    cancel_or_resume(state, workspace_id, actor, true).await
}

pub async fn resume_subscription(state: &AppState, workspace_id: WorkspaceId, actor: Role) -> Result<String, AppError> {
    cancel_or_resume(state, workspace_id, actor, false).await
}
