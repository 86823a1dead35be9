//! Granting what a completed checkout bought: a plan (through the state machine), a credit
//! pack (a purchased-credits grant) or an add-on. The one fulfilment path: the success-page
//! redirect and the provider's webhook both end here, keyed by the provider's checkout id,
//! so a purchase is granted exactly once whichever arrives first.

use chrono::{DateTime, Utc};

use super::billing_state::{apply_decision, state_for};
use crate::billing::{ConfirmedCheckout, Purchase, metadata};
use crate::db::{DbConnection, is_unique_violation};
use crate::domain::addons::AddonStatus;
use crate::domain::billing_state::{Decision, on_fetched_subscription};
use crate::domain::catalog::PlanBook;
use crate::domain::credits::CreditBucket;
use crate::domain::plan_changes::hold_downgrade;
use crate::error::AppError;
use crate::models::checkout_fulfilment::{self, NewCheckoutFulfilment};
use crate::models::workspace_addon::NewWorkspaceAddon;
use crate::models::{NewCreditEntry, Workspace};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fulfilled {
    Plan { name: String },
    CreditPack { name: String, credits: i64 },
    Addon { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfilment {
    pub what: Fulfilled,
    /// False when this checkout had already been fulfilled (a reload, or the webhook won).
    pub first_time: bool,
}

impl Fulfilment {
    /// The notice shown on the billing page after checkout.
    pub fn welcome(&self) -> String {
        match &self.what {
            Fulfilled::Plan { name } => format!("Welcome to {name}! Your workspace has been upgraded."),
            Fulfilled::CreditPack { name, credits } => {
                format!("Thanks! {credits} credits ({name}) were added to your workspace.")
            }
            Fulfilled::Addon { name } => format!("{name} is now active on your workspace."),
        }
    }
}

/// Fulfils a paid checkout for `ws` (locked by the caller, inside its transaction).
/// Idempotent: a second call for the same checkout changes nothing.
pub fn fulfil_checkout(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    confirmed: &ConfirmedCheckout,
    grace_days: i64,
    at: DateTime<Utc>,
) -> Result<Fulfilment, AppError> {
    let checkout = &confirmed.checkout;
    let purchase =
        confirmed.purchase().ok_or_else(|| AppError::bad_request("That checkout is not a Tollgate purchase."))?;
    let code = checkout.metadata.get(metadata::CODE).cloned().unwrap_or_default();
    let what = describe(book, purchase, &code, confirmed)?;

    if checkout_fulfilment::is_fulfilled(conn, book.provider, &checkout.id)? {
        return Ok(Fulfilment { what, first_time: false });
    }
    match purchase {
        Purchase::Plan => grant_plan(conn, ws, book, confirmed, grace_days, at)?,
        Purchase::CreditPack => grant_pack(conn, ws, book, confirmed, &code)?,
        Purchase::Addon => grant_addon(conn, ws, book, confirmed, &code, at)?,
    }
    let record = NewCheckoutFulfilment {
        provider: book.provider.as_str(),
        checkout_id: &checkout.id,
        workspace_id: ws.id,
        purchase: purchase.as_str(),
        code: &code,
    };
    match record.insert(conn) {
        Ok(_) => Ok(Fulfilment { what, first_time: true }),
        // The workspace lock makes this unreachable; if it happens, roll back rather than grant twice.
        Err(e) if is_unique_violation(&e) => Err(AppError::Conflict("This checkout was already fulfilled.".into())),
        Err(e) => Err(e.into()),
    }
}

fn describe(
    book: &PlanBook,
    purchase: Purchase,
    code: &str,
    confirmed: &ConfirmedCheckout,
) -> Result<Fulfilled, AppError> {
    let unknown = || AppError::bad_request("That checkout is for something this catalog does not sell.");
    Ok(match purchase {
        Purchase::Plan => {
            let from_price =
                confirmed.subscription.as_ref().and_then(|s| s.price_ids.iter().find_map(|p| book.plan_for_price(p)));
            let plan = from_price.map(|(p, _)| p).or_else(|| book.by_code(code)).ok_or_else(unknown)?;
            Fulfilled::Plan { name: plan.name.clone() }
        }
        Purchase::CreditPack => {
            let pack = book.pack_by_code(code).ok_or_else(unknown)?;
            Fulfilled::CreditPack { name: pack.name.clone(), credits: pack.credits }
        }
        Purchase::Addon => {
            let addon = book.addon_by_code(code).ok_or_else(unknown)?;
            Fulfilled::Addon { name: addon.name.clone() }
        }
    })
}

fn grant_plan(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    confirmed: &ConfirmedCheckout,
    grace_days: i64,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let subscription = confirmed.subscription.as_ref().ok_or_else(|| {
        AppError::internal(format!("checkout {} has no subscription to fulfil", confirmed.checkout.id))
    })?;
    let default = book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
    let state = state_for(conn, ws, book, Some(&subscription.id))?;
    let resolve = |price: &str| book.resolve(price);
    let decision = on_fetched_subscription(&state, subscription, &resolve, &default, grace_days, at)
        .map_err(|e| AppError::internal(format!("checkout {}: {e}", confirmed.checkout.id)))?;
    let decision = hold_downgrade(&state, decision, &|code| book.rank(code), at);
    // "no change" is the usual case: the subscription's own webhook got there first.
    if let Decision::Ignore(reason) = &decision
        && reason != "no change"
    {
        log::warn!("checkout {} for workspace {} changed no plan: {reason}", confirmed.checkout.id, ws.id);
    }
    apply_decision(conn, ws, book, &state, decision)?;
    Ok(())
}

/// Links the provider customer to the workspace when it has none yet (first purchase).
fn link_customer(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    customer_id: Option<&str>,
) -> diesel::QueryResult<()> {
    if let (None, Some(customer)) = (&ws.provider_customer_id, customer_id) {
        Workspace::link_customer(conn, ws.id, book.provider, customer)?;
    }
    Ok(())
}

fn grant_pack(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    confirmed: &ConfirmedCheckout,
    code: &str,
) -> Result<(), AppError> {
    let pack = book.pack_by_code(code).ok_or_else(|| AppError::bad_request("Unknown credit pack."))?;
    let checkout = &confirmed.checkout;
    let key = format!("checkout:{}:{}", book.provider.as_str(), checkout.id);
    // The payment id is what a later refund names, so the grant is found by it.
    let reference = checkout.payment_intent_id.clone().unwrap_or_else(|| checkout.id.clone());
    NewCreditEntry {
        workspace_id: ws.id,
        bucket: CreditBucket::Purchased,
        delta: pack.credits,
        reason: &format!("bought {}", pack.name),
        idempotency_key: Some(&key),
        reference: Some(&reference),
    }
    .insert(conn)?;
    link_customer(conn, ws, book, checkout.customer_id.as_deref())?;
    Ok(())
}

fn grant_addon(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    confirmed: &ConfirmedCheckout,
    code: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let addon = book.addon_by_code(code).ok_or_else(|| AppError::bad_request("Unknown add-on."))?;
    let checkout = &confirmed.checkout;
    let subscription_id =
        checkout.subscription_id.clone().or_else(|| confirmed.subscription.as_ref().map(|s| s.id.clone()));
    let price = book.addon_price(addon);
    NewWorkspaceAddon {
        workspace_id: ws.id,
        addon_id: addon.id,
        status: AddonStatus::Active,
        provider_subscription_id: subscription_id.as_deref(),
        checkout_id: &checkout.id,
        current_period_end: confirmed.subscription.as_ref().and_then(|s| s.current_period_end).map(|t| t.naive_utc()),
        cancel_at_period_end: false,
        addon_price_id: price.as_deref(),
        // Confirmed as of now, in whole seconds as providers stamp events: an event from before
        // the purchase is older, one from the same second still applies.
        state_at: DateTime::from_timestamp(at.timestamp(), 0).map(|t| t.naive_utc()),
    }
    .insert(conn)?;
    link_customer(conn, ws, book, checkout.customer_id.as_deref())?;
    Ok(())
}
