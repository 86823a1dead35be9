//! Changing plan: upgrades apply now (prorated, paid at once, applied only if the payment
//! goes through), downgrades at the end of the paid period.

use chrono::Utc;

use super::billing_state::{apply_fetched_subscription, load, state_of, subscription_of};
use super::{provider_error, require_manager};
use crate::billing::{BillingProvider, ChangeTiming};
use crate::domain::dates::format_date;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::domain::purchases::{Direction, PlanChoice, check_plan_change};
use crate::error::AppError;
use crate::state::AppState;

/// Returns the notice to show: `Ok` when the change went through or was scheduled, `Err`
/// when the provider declined the prorated charge (nothing changed).
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
    let target = book.by_code(&choice.code);
    let direction = check_plan_change(&current, billing.interval, target, choice.interval, subscribed)
        .map_err(|r| AppError::Validation(r.to_string()))?;
    let target = target.ok_or(AppError::NotFound)?.clone();
    let price = book
        .price_for(&target, choice.interval)
        .ok_or_else(|| AppError::validation("That plan has no price for this provider."))?;
    let timing = if direction == Direction::Upgrade { ChangeTiming::Immediately } else { ChangeTiming::AtPeriodEnd };
    let change = state.billing.change_plan(&subscription_of(&ws)?, &price, timing).await.map_err(provider_error)?;

    if timing == ChangeTiming::Immediately && !change.applied {
        return Ok(Err(format!(
            "Your payment method was declined for the prorated charge, so you are still on {}. Update your card in Manage billing and try again.",
            current.name
        )));
    }
    let scheduled = (timing == ChangeTiming::AtPeriodEnd).then_some(target.id);
    let (grace, sub) = (state.config.grace_period_days, change.subscription.clone());
    state
        .db
        .run(move |conn| apply_fetched_subscription(conn, workspace_id, &book, &sub, scheduled, grace, Utc::now()))
        .await?;
    Ok(Ok(match timing {
        ChangeTiming::Immediately => {
            format!("You're now on {}. The prorated difference has been charged.", target.name)
        }
        ChangeTiming::AtPeriodEnd => match ws.current_period_end {
            Some(end) => format!(
                "Your plan changes to {} on {}. You keep {} until then.",
                target.name,
                format_date(&end),
                current.name
            ),
            None => format!("Your plan changes to {} at the end of the billing period.", target.name),
        },
    }))
}
