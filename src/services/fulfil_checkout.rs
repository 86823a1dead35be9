//! Granting what a completed checkout bought: a plan (through the state machine), a credit
//! pack (a purchased-credits grant) or an add-on. The one fulfilment path: the success-page
//! redirect and the provider's webhook both end here, and only for a checkout Tollgate
//! recorded when it created it (`models::checkout_session`), granting what that record says
//! was bought — never what a provider event's metadata claims. Marking the record fulfilled
//! is the idempotency key, so a purchase is granted once whichever arrives first.

use chrono::{DateTime, Utc};

use super::billing_state::{apply_decision, state_for};
use crate::billing::{ConfirmedCheckout, Purchase, SubscriptionData};
use crate::db::DbConnection;
use crate::domain::addons::AddonStatus;
use crate::domain::billing_state::{Decision, on_fetched_subscription_at};
use crate::domain::catalog::PlanBook;
use crate::domain::credits::CreditBucket;
use crate::domain::plan_changes::hold_downgrade;
use crate::error::AppError;
use crate::models::checkout_session::CheckoutSession;
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

/// Why a checkout Tollgate recorded does not match what the provider reports for it (`None`:
/// it matches). The record says what was bought; the provider's objects must agree, or
/// nothing is granted: a subscription on another plan, or another customer's checkout.
pub fn mismatch(book: &PlanBook, record: &CheckoutSession, confirmed: &ConfirmedCheckout) -> Option<String> {
    let checkout = &confirmed.checkout;
    if checkout.id != record.checkout_id {
        return Some("the provider reported another checkout".into());
    }
    if let (Some(recorded), Some(reported)) = (&record.customer_id, &checkout.customer_id)
        && recorded != reported
    {
        return Some(format!("checkout {} was created for another customer", record.checkout_id));
    }
    match (Purchase::parse(&record.purchase), &confirmed.subscription) {
        (Some(Purchase::Plan), Some(sub)) => plan_mismatch(book, record, sub),
        (Some(Purchase::Plan), None) => Some(format!("checkout {} created no subscription", record.checkout_id)),
        (Some(_), _) => None,
        (None, _) => Some(format!("checkout {} records an unknown purchase", record.checkout_id)),
    }
}

/// Whether `sub` is what the plan checkout `record` sold: the plan (and billing interval) the
/// record names, whatever an event's metadata claims.
pub fn plan_mismatch(book: &PlanBook, record: &CheckoutSession, sub: &SubscriptionData) -> Option<String> {
    let bought = sub.price_ids.iter().find_map(|p| book.plan_for_price(p));
    match bought {
        Some((plan, interval))
            if plan.code == record.code && record.billing_interval.is_none_or(|recorded| recorded == interval) =>
        {
            None
        }
        Some((plan, _)) => Some(format!(
            "checkout {} sold {} but subscription {} is on {}",
            record.checkout_id, record.code, sub.id, plan.code
        )),
        None => Some(format!("subscription {} is on no plan of this catalog", sub.id)),
    }
}

/// Fulfils a paid checkout that Tollgate recorded (`record`) for `ws` (locked by the caller,
/// inside its transaction), granting what the record says was bought. Idempotent: once the
/// record is marked fulfilled, a second call changes nothing. `now` is the workspace's time
/// (its test clock's in the sandbox), `at` real time (orders the fetched subscription).
#[expect(clippy::too_many_arguments, reason = "the caller's transaction context, passed through")]
pub fn fulfil_checkout(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    record: &CheckoutSession,
    confirmed: &ConfirmedCheckout,
    grace_days: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Fulfilment, AppError> {
    if record.workspace_id != ws.id {
        return Err(AppError::internal(format!("checkout {} fulfilled on another workspace", record.checkout_id)));
    }
    if let Some(reason) = mismatch(book, record, confirmed) {
        log::warn!("checkout for workspace {} not fulfilled: {reason}", ws.id);
        return Err(AppError::validation("That checkout does not match what was bought, so nothing has changed."));
    }
    let purchase = Purchase::parse(&record.purchase)
        .ok_or_else(|| AppError::internal(format!("checkout {} records an unknown purchase", record.checkout_id)))?;
    let code = record.code.as_str();
    let what = describe(book, purchase, code)?;
    let subscription_id = confirmed.subscription.as_ref().map(|s| s.id.as_str());
    let fulfilled_at = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at).naive_utc();
    // Marked first, under the workspace lock: a second call (reload, webhook) finds it marked.
    let first_time = CheckoutSession::mark_fulfilled(
        conn,
        record.id,
        subscription_id.filter(|_| purchase == Purchase::Plan),
        fulfilled_at,
    )?;
    if !first_time {
        return Ok(Fulfilment { what, first_time });
    }
    match purchase {
        Purchase::Plan => grant_plan(conn, ws, book, confirmed, grace_days, at, now)?,
        Purchase::CreditPack => grant_pack(conn, ws, book, confirmed, code)?,
        Purchase::Addon => grant_addon(conn, ws, book, confirmed, code, at)?,
    }
    Ok(Fulfilment { what, first_time })
}

fn describe(book: &PlanBook, purchase: Purchase, code: &str) -> Result<Fulfilled, AppError> {
    let unknown = || AppError::bad_request("That checkout is for something this catalog does not sell.");
    Ok(match purchase {
        Purchase::Plan => Fulfilled::Plan { name: book.by_code(code).ok_or_else(unknown)?.name.clone() },
        Purchase::CreditPack => {
            let pack = book.pack_by_code(code).ok_or_else(unknown)?;
            Fulfilled::CreditPack { name: pack.name.clone(), credits: pack.credits }
        }
        Purchase::Addon => Fulfilled::Addon { name: book.addon_by_code(code).ok_or_else(unknown)?.name.clone() },
    })
}

fn grant_plan(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    confirmed: &ConfirmedCheckout,
    grace_days: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let subscription = confirmed.subscription.as_ref().ok_or_else(|| {
        AppError::internal(format!("checkout {} has no subscription to fulfil", confirmed.checkout.id))
    })?;
    let default = book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
    let state = state_for(conn, ws, book, Some(&subscription.id))?;
    let resolve = |price: &str| book.resolve(price);
    let decision = on_fetched_subscription_at(&state, subscription, &resolve, &default, grace_days, now, at)
        .map_err(|e| AppError::internal(format!("checkout {}: {e}", confirmed.checkout.id)))?;
    let decision = hold_downgrade(&state, decision, &|code| book.rank(code), now);
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
    // What a later refund names — Stripe's payment intent, Chargebee's invoice — so the grant is
    // found by it.
    let reference = checkout
        .payment_intent_id
        .clone()
        .or_else(|| checkout.invoice_id.clone())
        .unwrap_or_else(|| checkout.id.clone());
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
