//! Changing plan: upgrades apply now (prorated, paid at once, applied only if the payment
//! goes through), downgrades at the end of the paid period; a move to yearly billing starts
//! now, a move to monthly billing waits for the paid year to end (`domain::plan_changes`).
//! A change scheduled for the period end can be undone by choosing the current plan again,
//! and is undone at the provider before any other change, so nothing is prorated from a
//! price the workspace is not really on.

use chrono::Utc;

use super::billing_state::{Scheduled, load, state_of, subscription_of};
use super::provider_answer::{Asked, apply_answer};
use super::{provider_error, require_manager};
use crate::billing::BillingProvider;
use crate::domain::catalog::{Plan, PlanBook};
use crate::domain::dates::format_date;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::domain::money::Interval;
use crate::domain::plan_changes::change_timing;
use crate::domain::purchases::{PlanChoice, check_plan_change};
use crate::error::AppError;
use crate::models::Workspace;
use crate::state::AppState;

/// Returns the notice to show: `Ok` when the change went through, was scheduled or was
/// undone, `Err` when the provider declined the prorated charge (nothing changed).
pub async fn change_plan(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    choice: PlanChoice,
) -> Result<Result<String, String>, AppError> {
    require_manager(actor)?;
    let (book, ws) = load(state, workspace_id).await?;
    let current = book.by_id(ws.plan_id).ok_or_else(|| AppError::internal("workspace plan missing"))?.clone();
    let billing = state_of(&ws, &book);
    let subscribed = billing.is_subscribed(Utc::now());
    let scheduled = billing.scheduled_plan_code.as_deref().and_then(|code| book.by_code(code)).cloned();
    let keeps_current = choice.code == current.code && billing.interval == Some(choice.interval);
    if let (Some(scheduled), true, true) = (&scheduled, keeps_current, subscribed) {
        let to = match billing.scheduled_interval.filter(|_| scheduled.id == current.id) {
            Some(interval) => format!("{} billing", interval.adjective()),
            None => scheduled.name.clone(),
        };
        let notice = format!("You're staying on {}. The scheduled change to {to} is cancelled.", current.name);
        undo_scheduled(state, &book, &ws, ws.billing_version, &current, billing.interval).await?;
        return Ok(Ok(notice));
    }
    let scheduled_interval = billing.scheduled_interval.or(billing.interval);
    if let Some(scheduled) =
        scheduled.as_ref().filter(|s| s.code == choice.code && scheduled_interval == Some(choice.interval))
    {
        let when = ws
            .current_period_end
            .map_or_else(|| "at the end of the billing period".to_owned(), |end| format!("on {}", format_date(&end)));
        return Ok(Ok(format!("Your plan already changes to {} {when}.", scheduled.name)));
    }
    let target = book.by_code(&choice.code);
    let direction = check_plan_change(&current, billing.interval, target, choice.interval, subscribed)
        .map_err(|r| AppError::Validation(r.to_string()))?;
    let target = target.ok_or(AppError::NotFound)?.clone();
    let price = book
        .price_for(&target, choice.interval)
        .ok_or_else(|| AppError::validation("That plan has no price for this provider."))?;
    let subscription = subscription_of(&ws)?;
    let mut seen_version = ws.billing_version;
    if scheduled.is_some() {
        seen_version = undo_scheduled(state, &book, &ws, seen_version, &current, billing.interval).await?;
    }
    let timing = change_timing(direction, billing.interval, choice.interval);
    let asked = Asked::after(seen_version);
    let change = state.billing.change_plan(&subscription, &price, timing).await.map_err(provider_error)?;

    let declined = timing.is_immediate() && !change.applied;
    let scheduled_now =
        if timing.is_immediate() { Scheduled::Unchanged } else { Scheduled::Set(target.id, choice.interval) };
    apply_answer(state, workspace_id, asked, change.subscription.clone(), scheduled_now, Utc::now()).await?;
    if declined {
        return Ok(Err(format!(
            "Your payment method was declined for the prorated charge, so you are still on {}. Update your card in Manage billing and try again.",
            current.name
        )));
    }
    Ok(Ok(if timing.is_immediate() {
        format!("You're now on {}. The prorated difference has been charged.", target.name)
    } else {
        let to = if target.id == current.id {
            format!("{} billing", choice.interval.adjective())
        } else {
            target.name.clone()
        };
        match ws.current_period_end {
            Some(end) => {
                format!("Your plan changes to {to} on {}. You keep {} until then.", format_date(&end), current.name)
            }
            None => format!("Your plan changes to {to} at the end of the billing period."),
        }
    }))
}

/// Tells the provider the scheduled change is off (nothing is charged), then records that.
/// `seen_version` is the workspace's billing version as last read; returns it afterwards.
async fn undo_scheduled(
    state: &AppState,
    book: &PlanBook,
    ws: &Workspace,
    seen_version: i64,
    current: &Plan,
    interval: Option<Interval>,
) -> Result<i64, AppError> {
    let price = interval
        .and_then(|interval| book.price_for(current, interval))
        .ok_or_else(|| AppError::internal(format!("plan {} has no price for its interval", current.code)))?;
    let subscription = subscription_of(ws)?;
    let asked = Asked::after(seen_version);
    let sub = state.billing.cancel_scheduled_change(&subscription, &price).await.map_err(provider_error)?;
    Ok(apply_answer(state, ws.id, asked, sub, Scheduled::Cleared, Utc::now()).await?.billing_version)
}
