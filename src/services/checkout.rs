//! Starting a purchase: checks what the workspace may buy, then creates the provider's
//! hosted checkout and returns its URL. Rate limited per workspace and per client address
//! (counted in the database, so across all instances), since every checkout costs a
//! provider call.

use std::net::IpAddr;

use chrono::Utc;

use super::billing_state::state_of;
use super::catalog::plan_book;
use super::{provider_error, require_manager, throttle};
use crate::billing::{BillingProvider, CheckoutRequest, Purchase as Kind};
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::domain::purchases::{PlanChoice, Refusal, check_plan_checkout};
use crate::domain::throttle::Bucket;
use crate::error::AppError;
use crate::models::Workspace;
use crate::state::AppState;

/// What the workspace wants to buy.
pub enum Order {
    Plan(PlanChoice),
    CreditPack { code: String },
    Addon { code: String },
}

/// Who is buying: a workspace, the role of the member acting for it, the email the
/// provider's page is pre-filled with, and the client's address for the per-address limit.
pub struct Buyer<'a> {
    pub workspace_id: WorkspaceId,
    pub role: Role,
    pub email: &'a str,
    pub ip: IpAddr,
}

pub fn refused(r: Refusal) -> AppError {
    match r {
        Refusal::AlreadySubscribed => AppError::Conflict(r.to_string()),
        Refusal::UnknownPlan | Refusal::UnknownProduct => AppError::NotFound,
        Refusal::BadInterval => AppError::BadRequest(r.to_string()),
        other => AppError::Validation(other.to_string()),
    }
}

/// Validates the order, creates the provider's hosted checkout and returns its URL.
pub async fn start_checkout(state: &AppState, buyer: Buyer<'_>, order: Order) -> Result<String, AppError> {
    require_manager(buyer.role)?;
    throttle::check(state, vec![Bucket::CheckoutWorkspace(buyer.workspace_id), Bucket::CheckoutIp(buyer.ip)]).await?;
    let provider = state.billing.provider();
    let workspace_id = buyer.workspace_id;
    let (book, ws) =
        state.db.run(move |conn| Ok((plan_book(conn, provider)?, Workspace::find(conn, workspace_id)?))).await?;
    let subscribed = state_of(&ws, &book).is_subscribed(Utc::now());

    let (kind, code, price_id, trial_days) = match order {
        Order::Plan(choice) => {
            let plan = book.by_code(&choice.code);
            check_plan_checkout(plan, choice.interval, subscribed).map_err(refused)?;
            let plan = plan.ok_or(AppError::NotFound)?;
            let price = book
                .price_for(plan, choice.interval)
                .ok_or_else(|| refused(Refusal::NoPrice(choice.interval.adjective())))?;
            let trial = (plan.trial_days > 0 && !ws.had_trial).then(|| plan.trial_days.unsigned_abs());
            (Kind::Plan, choice.code, price, trial)
        }
        Order::CreditPack { code } => {
            let pack =
                book.pack_by_code(&code).filter(|p| p.is_active).ok_or_else(|| refused(Refusal::UnknownProduct))?;
            (Kind::CreditPack, code, book.pack_price(pack).ok_or_else(|| refused(Refusal::UnknownProduct))?, None)
        }
        Order::Addon { code } => {
            let addon =
                book.addon_by_code(&code).filter(|a| a.is_active).ok_or_else(|| refused(Refusal::UnknownProduct))?;
            (Kind::Addon, code, book.addon_price(addon).ok_or_else(|| refused(Refusal::UnknownProduct))?, None)
        }
    };
    let same_provider = ws.billing_provider == Some(provider);
    let request = CheckoutRequest {
        purchase: kind,
        workspace_id: workspace_id.0,
        code,
        price_id,
        // Reuse the workspace's customer so one workspace is one customer at the provider.
        customer_id: ws.provider_customer_id.clone().filter(|_| same_provider),
        email: buyer.email.to_owned(),
        trial_days,
        subscription_id: ws.provider_subscription_id.clone().filter(|_| same_provider),
    };
    let page = state.billing.create_checkout(&request).await.map_err(provider_error)?;
    Ok(page.url)
}
