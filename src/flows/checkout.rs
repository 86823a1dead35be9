//! Starting a hosted checkout and completing it on return.

use chrono::Utc;

use super::provider_error;
use crate::billing::{BillingProvider, CheckoutRequest, Purchase as Kind};
use crate::db::write_transaction;
use crate::domain::purchases::{Refusal, check_plan_checkout};
use crate::domain::subscription_state::grants_plan;
use crate::error::AppError;
use crate::fulfilment::{Fulfilment, PlanBook, billing_state, fulfil_checkout};
use crate::models::membership::Membership;
use crate::models::user::User;
use crate::models::workspace::Workspace;
use crate::startup::AppState;
use crate::web::WorkspaceAccess;
use crate::web::rate_limit::{PER_IP, PER_WORKSPACE};

/// What the workspace wants to buy.
pub enum Purchase {
    Plan { code: String, interval: String },
    CreditPack { code: String },
    Addon { code: String },
}

fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::AlreadySubscribed => AppError::Conflict(r.to_string()),
        Refusal::UnknownPlan | Refusal::UnknownProduct => AppError::NotFound,
        other => AppError::Validation(other.to_string()),
    }
}

/// Validates the purchase, creates the provider's hosted checkout and returns its URL.
pub async fn start_checkout(
    state: &AppState,
    access: &WorkspaceAccess,
    purchase: Purchase,
    ip: &str,
) -> Result<String, AppError> {
    access.require_manager()?;
    state.limiter.check(&[
        (format!("checkout:ws:{}", access.workspace.id), PER_WORKSPACE),
        (format!("checkout:ip:{ip}"), PER_IP),
    ])?;
    let provider = state.billing.provider();
    let workspace_id = access.workspace.id;
    let (book, ws) =
        state.db.run(move |conn| Ok((PlanBook::load(conn, provider)?, Workspace::find(conn, workspace_id)?))).await?;
    let now = Utc::now();
    let current = billing_state(&ws, &book);
    let subscribed = current.subscription_id.is_some() && grants_plan(current.status, current.grace_until, now);

    let (kind, code, price_id, trial_days) = match purchase {
        Purchase::Plan { code, interval } => {
            let plan = book.by_code(&code);
            let interval = check_plan_checkout(plan, &interval, subscribed).map_err(refused)?;
            let plan = plan.ok_or(AppError::NotFound)?;
            let price =
                book.price_for(plan, interval).ok_or_else(|| refused(Refusal::NoPrice(interval.adjective())))?;
            let trial = (plan.trial_days > 0 && !ws.had_trial).then(|| plan.trial_days.unsigned_abs());
            (Kind::Plan, code, price, trial)
        }
        Purchase::CreditPack { code } => {
            let pack = book
                .packs
                .iter()
                .find(|p| p.code == code && p.is_active)
                .ok_or_else(|| refused(Refusal::UnknownProduct))?;
            (Kind::CreditPack, code, book.pack_price(pack).ok_or_else(|| refused(Refusal::UnknownProduct))?, None)
        }
        Purchase::Addon { code } => {
            let addon = book
                .addons
                .iter()
                .find(|a| a.code == code && a.is_active)
                .ok_or_else(|| refused(Refusal::UnknownProduct))?;
            (Kind::Addon, code, book.addon_price(addon).ok_or_else(|| refused(Refusal::UnknownProduct))?, None)
        }
    };
    let same_provider = ws.billing_provider.as_deref() == Some(provider.as_str());
    let request = CheckoutRequest {
        purchase: kind,
        workspace_id,
        code,
        price_id,
        // Reuse the workspace's customer so one workspace is one customer at the provider.
        customer_id: ws.provider_customer_id.clone().filter(|_| same_provider),
        email: access.user.email.clone(),
        trial_days,
        subscription_id: ws.provider_subscription_id.clone().filter(|_| same_provider),
    };
    let page = state.billing.create_checkout(&request).await.map_err(provider_error)?;
    Ok(page.url)
}

/// The success redirect: asks the provider about the checkout (the URL proves nothing),
/// checks it belongs to a workspace of this user and is paid, then fulfils it through the
/// same idempotent path the webhook uses. Returns the workspace and what was granted.
pub async fn complete_checkout(
    state: &AppState,
    user: &User,
    checkout_id: &str,
) -> Result<(i64, Fulfilment), AppError> {
    let not_found = || {
        AppError::bad_request(
            "We couldn't find that checkout. If you paid, your purchase will appear on your billing page shortly.",
        )
    };
    // Provider ids are plain tokens (`cs_test_a1B2…`, Chargebee's `__test__Ab1…`); anything
    // else is forged and must not reach the provider's URL path.
    let plausible = !checkout_id.is_empty()
        && checkout_id.len() <= 255
        && checkout_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !plausible {
        return Err(not_found());
    }
    let confirmed = match state.billing.confirm_checkout(checkout_id).await {
        Ok(c) => c,
        Err(crate::billing::BillingError::NotFound(_) | crate::billing::BillingError::Rejected { .. }) => {
            return Err(not_found());
        }
        Err(e) => return Err(provider_error(e)),
    };
    let workspace_id = confirmed.workspace_id().ok_or_else(not_found)?;
    let user_id = user.id;
    let provider = state.billing.provider();
    let grace = state.config.grace_period_days;
    let paid = confirmed.is_paid();
    state
        .db
        .run(move |conn| {
            // Someone else's checkout looks exactly like one that does not exist.
            if Membership::find(conn, workspace_id, user_id)?.is_none() {
                return Err(not_found());
            }
            if !paid {
                return Err(AppError::validation(
                    "That checkout has not been paid, so nothing has changed. You can try again from the pricing page.",
                ));
            }
            write_transaction(conn, |conn| {
                let ws = Workspace::lock(conn, workspace_id)?;
                let book = PlanBook::load(conn, provider)?;
                let fulfilment = fulfil_checkout(conn, &ws, &book, &confirmed, grace, Utc::now())?;
                Ok((workspace_id, fulfilment))
            })
        })
        .await
}
