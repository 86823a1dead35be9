//! Managing an existing subscription: the provider's portal, plan changes, cancel at
//! period end, resume, and cancelling an add-on.

use chrono::Utc;
use diesel::prelude::*;

use super::provider_error;
use crate::billing::{BillingProvider, ChangeTiming};
use crate::domain::purchases::{Direction, check_plan_change};
use crate::domain::subscription_state::grants_plan;
use crate::error::AppError;
use crate::fulfilment::{PlanBook, apply_fetched_subscription, billing_state};
use crate::models::workspace::Workspace;
use crate::schema::{addons, workspace_addons};
use crate::startup::AppState;
use crate::web::rate_limit::{PER_IP, PER_WORKSPACE};
use crate::web::{WorkspaceAccess, format_date};

/// The provider's customer portal for this workspace, or `None` when it has no customer
/// yet (nothing to manage: upgrade first).
pub async fn open_portal(state: &AppState, access: &WorkspaceAccess, ip: &str) -> Result<Option<String>, AppError> {
    access.require_manager()?;
    let same_provider = access.workspace.billing_provider.as_deref() == Some(state.billing.provider().as_str());
    let Some(customer) = access.workspace.provider_customer_id.as_deref().filter(|_| same_provider) else {
        return Ok(None);
    };
    state
        .limiter
        .check(&[(format!("portal:ws:{}", access.workspace.id), PER_WORKSPACE), (format!("portal:ip:{ip}"), PER_IP)])?;
    let return_url = format!("{}/w/{}/billing", state.config.base_url, access.workspace.id);
    let page = state.billing.create_portal_session(customer, &return_url).await.map_err(provider_error)?;
    Ok(Some(page.url))
}

async fn load(state: &AppState, workspace_id: i64) -> Result<(PlanBook, Workspace), AppError> {
    let provider = state.billing.provider();
    state.db.run(move |conn| Ok((PlanBook::load(conn, provider)?, Workspace::find(conn, workspace_id)?))).await
}

fn subscription_of(ws: &Workspace) -> Result<String, AppError> {
    ws.provider_subscription_id
        .clone()
        .ok_or_else(|| AppError::validation("Your workspace has no subscription. Upgrade from the pricing page."))
}

/// Changes plan: upgrades now (prorated, paid at once, applied only if the payment goes
/// through), downgrades at the end of the period. Returns the notice to show.
pub async fn change_plan(
    state: &AppState,
    access: &WorkspaceAccess,
    code: &str,
    interval: &str,
) -> Result<Result<String, String>, AppError> {
    access.require_manager()?;
    let (book, ws) = load(state, access.workspace.id).await?;
    let current = book.by_id(ws.plan_id).ok_or_else(|| AppError::internal("workspace plan missing"))?.clone();
    let billing = billing_state(&ws, &book);
    let subscribed =
        ws.provider_subscription_id.is_some() && grants_plan(billing.status, billing.grace_until, Utc::now());
    let target = book.by_code(code);
    let (interval, direction) = check_plan_change(&current, billing.interval, target, interval, subscribed)
        .map_err(|r| AppError::Validation(r.to_string()))?;
    let target = target.ok_or(AppError::NotFound)?.clone();
    let price = book
        .price_for(&target, interval)
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
    let (grace, workspace_id, sub) = (state.config.grace_period_days, ws.id, change.subscription.clone());
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

async fn cancel_or_resume(state: &AppState, access: &WorkspaceAccess, cancel: bool) -> Result<String, AppError> {
    access.require_manager()?;
    let (book, ws) = load(state, access.workspace.id).await?;
    let id = subscription_of(&ws)?;
    let sub = if cancel { state.billing.cancel_at_period_end(&id).await } else { state.billing.reactivate(&id).await }
        .map_err(provider_error)?;
    let (grace, workspace_id, fetched) = (state.config.grace_period_days, ws.id, sub.clone());
    state
        .db
        .run(move |conn| apply_fetched_subscription(conn, workspace_id, &book, &fetched, None, grace, Utc::now()))
        .await?;
    let date = sub.current_period_end.map(|t| format_date(&t.naive_utc()));
    Ok(match (cancel, date) {
        (true, Some(date)) => format!("Your subscription is cancelled. You keep {} until {date}.", access.plan.name),
        (true, None) => "Your subscription will end at the end of the billing period.".to_owned(),
        (false, Some(date)) => format!("Welcome back! Your subscription continues and renews on {date}."),
        (false, None) => "Welcome back! Your subscription continues.".to_owned(),
    })
}

pub async fn cancel_subscription(state: &AppState, access: &WorkspaceAccess) -> Result<String, AppError> {
    cancel_or_resume(state, access, true).await
}

pub async fn resume_subscription(state: &AppState, access: &WorkspaceAccess) -> Result<String, AppError> {
    cancel_or_resume(state, access, false).await
}

/// Ends an add-on at the end of its period.
pub async fn cancel_addon(state: &AppState, access: &WorkspaceAccess, code: &str) -> Result<String, AppError> {
    access.require_manager()?;
    let (workspace_id, code_owned) = (access.workspace.id, code.to_owned());
    let found: Option<(i64, Option<String>, Option<String>, String)> = state
        .db
        .run(move |conn| {
            Ok(workspace_addons::table
                .inner_join(addons::table)
                .filter(workspace_addons::workspace_id.eq(workspace_id))
                .filter(workspace_addons::status.eq("active"))
                .filter(addons::code.eq(&code_owned))
                .select((
                    workspace_addons::id,
                    workspace_addons::provider_subscription_id,
                    workspace_addons::addon_price_id,
                    addons::name,
                ))
                .first(conn)
                .optional()?)
        })
        .await?;
    let (row_id, subscription, price, name) = found.ok_or(AppError::NotFound)?;
    let subscription =
        subscription.ok_or_else(|| AppError::internal(format!("add-on row {row_id} has no subscription")))?;
    state.billing.cancel_addon(&subscription, price.as_deref().unwrap_or_default()).await.map_err(provider_error)?;
    state
        .db
        .run(move |conn| {
            diesel::update(workspace_addons::table.find(row_id))
                .set((
                    workspace_addons::cancel_at_period_end.eq(true),
                    workspace_addons::updated_at.eq(crate::models::now()),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await?;
    Ok(format!("{name} will end at the end of its billing period."))
}
