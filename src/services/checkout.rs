//! Starting a purchase: checks what the workspace may buy, makes sure it has its one customer
//! at the provider, creates the provider's hosted checkout, records it, and returns its URL. Rate limited per workspace and per client address
//! (counted in the database, so across all instances), since every checkout costs a
//! provider call.

use std::net::IpAddr;

use rand::RngCore;

use super::catalog::plan_book;
use super::{provider_error, require_manager, throttle};
use crate::billing::{
    BillingProvider, CheckoutRequest, CustomerRequest, Purchase as Kind, SubscriptionStatus as Status,
};
use crate::db::write_transaction;
use crate::domain::catalog::PlanBook;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::domain::money::Interval;
use crate::domain::purchases::{PlanChoice, Refusal, check_plan_checkout};
use crate::domain::throttle::Bucket;
use crate::error::AppError;
use crate::models::Workspace;
use crate::models::checkout_session::NewCheckoutSession;
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
        Refusal::AlreadySubscribed | Refusal::PastDue => AppError::Conflict(r.to_string()),
        Refusal::UnknownPlan | Refusal::UnknownProduct => AppError::NotFound,
        Refusal::BadInterval => AppError::BadRequest(r.to_string()),
        other => AppError::Validation(other.to_string()),
    }
}

/// What a checkout sells, as Tollgate records it before sending the buyer to the provider.
struct Item {
    kind: Kind,
    code: String,
    price_id: String,
    trial_days: Option<u32>,
    interval: Option<Interval>,
    amount_minor: i64,
    currency: String,
}

/// Validates the order against the catalog and the workspace's subscription.
fn choose(book: &PlanBook, ws: &Workspace, order: Order) -> Result<Item, AppError> {
    let unknown = || refused(Refusal::UnknownProduct);
    Ok(match order {
        Order::Plan(choice) => {
            let plan = book.by_code(&choice.code);
            let current =
                ws.provider_subscription_id.as_ref().map(|_| ws.subscription_status.unwrap_or(Status::Active));
            check_plan_checkout(plan, choice.interval, current).map_err(refused)?;
            let plan = plan.ok_or(AppError::NotFound)?;
            let price_id = book
                .price_for(plan, choice.interval)
                .ok_or_else(|| refused(Refusal::NoPrice(choice.interval.adjective())))?;
            Item {
                kind: Kind::Plan,
                trial_days: (plan.trial_days > 0 && !ws.had_trial).then(|| plan.trial_days.unsigned_abs()),
                interval: Some(choice.interval),
                amount_minor: plan.price(choice.interval).unwrap_or_default(),
                currency: plan.currency.clone(),
                code: choice.code,
                price_id,
            }
        }
        Order::CreditPack { code } => {
            let pack = book.pack_by_code(&code).filter(|p| p.is_active).ok_or_else(unknown)?;
            Item {
                kind: Kind::CreditPack,
                price_id: book.pack_price(pack).ok_or_else(unknown)?,
                trial_days: None,
                interval: None,
                amount_minor: pack.price_minor,
                currency: pack.currency.clone(),
                code,
            }
        }
        Order::Addon { code } => {
            let addon = book.addon_by_code(&code).filter(|a| a.is_active).ok_or_else(unknown)?;
            Item {
                kind: Kind::Addon,
                price_id: book.addon_price(addon).ok_or_else(unknown)?,
                trial_days: None,
                interval: Some(addon.interval),
                amount_minor: addon.price_minor,
                currency: addon.currency.clone(),
                code,
            }
        }
    })
}

/// An id for an object Tollgate creates at a provider that takes ours (Chargebee): short,
/// unguessable, and naming the workspace for whoever reads the provider's dashboard.
fn new_provider_id(prefix: &str, workspace_id: WorkspaceId) -> String {
    let mut bytes = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("tg_{prefix}_{workspace_id}_{hex}")
}

/// The workspace's customer at the provider, created (and stored on the workspace) before its
/// first checkout, so every later checkout — two packs opened side by side included — reuses
/// the one customer.
async fn customer_for(state: &AppState, ws: &Workspace, email: &str) -> Result<String, AppError> {
    let provider = state.billing.provider();
    if let Some(customer) = ws.provider_customer_id.clone().filter(|_| ws.billing_provider == Some(provider)) {
        return Ok(customer);
    }
    let request = CustomerRequest { workspace_id: ws.id.0, email: email.to_owned(), id: new_provider_id("cus", ws.id) };
    let created = state.billing.create_customer(&request).await.map_err(provider_error)?;
    let workspace_id = ws.id;
    let linked = created.clone();
    let stored = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                Workspace::link_customer(conn, workspace_id, provider, &linked)?;
                Ok(Workspace::find(conn, workspace_id)?)
            })
        })
        .await?;
    // A concurrent checkout stored its customer first: use that one; ours stays unused.
    Ok(stored.provider_customer_id.filter(|_| stored.billing_provider == Some(provider)).unwrap_or(created))
}

/// Validates the order, creates the provider's hosted checkout, records it (only recorded
/// checkouts are ever fulfilled) and returns its URL.
pub async fn start_checkout(state: &AppState, buyer: Buyer<'_>, order: Order) -> Result<String, AppError> {
    require_manager(buyer.role)?;
    throttle::check(state, vec![Bucket::CheckoutWorkspace(buyer.workspace_id), Bucket::CheckoutIp(buyer.ip)]).await?;
    let provider = state.billing.provider();
    let workspace_id = buyer.workspace_id;
    let (book, ws) =
        state.db.run(move |conn| Ok((plan_book(conn, provider)?, Workspace::find(conn, workspace_id)?))).await?;
    let item = choose(&book, &ws, order)?;
    let customer_id = customer_for(state, &ws, buyer.email).await?;
    let subscription_id = match item.kind {
        Kind::Plan => state.billing.assigns_subscription_ids().then(|| new_provider_id("sub", workspace_id)),
        Kind::Addon => ws.provider_subscription_id.clone().filter(|_| ws.billing_provider == Some(provider)),
        Kind::CreditPack => None,
    };
    let request = CheckoutRequest {
        purchase: item.kind,
        workspace_id: workspace_id.0,
        code: item.code.clone(),
        price_id: item.price_id.clone(),
        customer_id: Some(customer_id.clone()),
        email: buyer.email.to_owned(),
        trial_days: item.trial_days,
        subscription_id: subscription_id.clone(),
    };
    let page = state.billing.create_checkout(&request).await.map_err(provider_error)?;
    let checkout_id = page.id.clone();
    state
        .db
        .run(move |conn| {
            NewCheckoutSession {
                provider,
                checkout_id: &checkout_id,
                workspace_id,
                purchase: item.kind.as_str(),
                code: &item.code,
                billing_interval: item.interval,
                amount_minor: Some(item.amount_minor),
                currency: Some(&item.currency),
                customer_id: Some(&customer_id),
                // An add-on's is the plan subscription it joins, not one the checkout creates.
                subscription_id: subscription_id.as_deref().filter(|_| item.kind == Kind::Plan),
            }
            .insert(conn)?;
            Ok(())
        })
        .await?;
    Ok(page.url)
}
