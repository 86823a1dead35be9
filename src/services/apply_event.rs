//! Applying one normalized provider event to the database: find the workspace it concerns,
//! lock it, and run the state machine (or record the invoice, refund, add-on change; see
//! `invoices_and_refunds`). Runs inside the caller's transaction; returns what happened for
//! the event log.

use chrono::{DateTime, Utc};

use super::billing_state::{Applied, apply_decision, state_for, state_knowing};
use super::catalog::{plan_book, plan_book_at};
use super::fulfil_checkout::{fulfil_checkout, mismatch, plan_mismatch};
use crate::billing::ConfirmedCheckout;
use crate::db::DbConnection;
use crate::domain::billing_state::{
    BillingState, Decision, PlanRef, on_fetched_subscription_at, on_subscription_deleted, on_subscription_snapshot,
};
use crate::domain::catalog::PlanBook;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::{EventKind, NormalizedEvent, SubscriptionData};
use crate::domain::plan_changes::hold_downgrade;
use crate::error::AppError;
use crate::models::Workspace;
use crate::models::checkout_session::CheckoutSession;
use crate::models::workspace::LockedForEvent;
use crate::models::workspace_addon::WorkspaceAddon;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventResult {
    /// Applied to this workspace.
    Processed(WorkspaceId),
    /// Recorded; nothing to change (unknown type, stale, no-op), with the reason.
    Ignored(Option<WorkspaceId>, String),
    /// Names a customer or subscription we don't know yet: retry later. Carries the
    /// workspace when it is known (then the event is re-applied as soon as a later event
    /// links its subscription).
    Pending(Option<WorkspaceId>, String),
    /// The event alone is ambiguous: fetch this subscription from the provider and apply
    /// the event again with the fetched state. Nothing has been written. Carries the
    /// workspace's billing version, which the fetched state is then applied against (see
    /// [`Fetched::settles`]).
    NeedsFetch(String, i64),
}

/// A subscription as the provider reported it when asked, for [`apply_event`].
#[derive(Debug, Clone, Copy)]
pub struct Fetched<'a> {
    pub subscription: &'a SubscriptionData,
    /// Asked for to settle an ambiguous event: the billing version that event was judged
    /// against. A billing write since may be newer than the answer (the provider may have
    /// changed in between), so the answer is applied only if the version is still this one;
    /// otherwise the subscription is asked for again.
    pub settles: Option<i64>,
}

/// The subscription, invoice or checkout id an event is about, for finding its workspace.
fn subscription_id(event: &NormalizedEvent) -> Option<&str> {
    event
        .subscription
        .as_ref()
        .map(|s| s.id.as_str())
        .or_else(|| event.invoice.as_ref().and_then(|i| i.subscription_id.as_deref()))
        .or_else(|| event.checkout.as_ref().and_then(|c| c.subscription_id.as_deref()))
}

/// How an event's workspace was found (it comes locked for the rest of the transaction): what
/// decides whether the event may change the plan.
enum Found {
    /// Through the workspace's current or ended subscription, or an add-on's.
    Known(LockedForEvent),
    /// Through the checkout Tollgate recorded for this subscription (Chargebee's pre-assigned
    /// id): the event may complete that purchase.
    Checkout(LockedForEvent, Box<CheckoutSession>),
    /// Only through the customer (or, for money events, the event's own workspace reference).
    Customer(LockedForEvent),
}

/// Finds the event's workspace and locks it; each lookup that finds it locks it in the same
/// statement, which also answers whether the event's subscription ended there.
fn find_workspace(conn: &mut DbConnection, event: &NormalizedEvent) -> diesel::QueryResult<Option<Found>> {
    let provider = event.provider;
    let sub = subscription_id(event);
    // Metadata never ties a live subscription to a workspace; for invoices, refunds and
    // deletions (which can only end things) it only says where to record them.
    let plan_event = event.kind == EventKind::SubscriptionUpdated;
    if !plan_event
        && let Some(id) = event.workspace_ref.as_deref().and_then(|r| r.parse::<WorkspaceId>().ok())
        && let Some(locked) = Workspace::lock_for_event(conn, id, sub)?
    {
        return Ok(Some(Found::Customer(locked)));
    }
    if let Some(sub) = sub {
        if let Some(locked) = Workspace::lock_by_subscription(conn, provider, sub)? {
            return Ok(Some(Found::Known(locked)));
        }
        if let Some(owner) = WorkspaceAddon::owner_of_subscription(conn, sub)? {
            return Ok(Some(Found::Known(lock_existing(conn, owner, sub)?)));
        }
        if let Some(record) = CheckoutSession::for_subscription(conn, provider, sub)? {
            return Ok(Some(Found::Checkout(lock_existing(conn, record.workspace_id, sub)?, Box::new(record))));
        }
    }
    let Some(customer) = event.customer_id.as_deref() else { return Ok(None) };
    let Some(locked) = Workspace::lock_by_customer(conn, provider, customer, sub)? else { return Ok(None) };
    Ok(Some(if plan_event && locked.subscription_ended { Found::Known(locked) } else { Found::Customer(locked) }))
}

/// Locks a workspace another row names (it must exist: a foreign key says so).
fn lock_existing(conn: &mut DbConnection, id: WorkspaceId, sub: &str) -> diesel::QueryResult<LockedForEvent> {
    Workspace::lock_for_event(conn, id, Some(sub))?.ok_or(diesel::result::Error::NotFound)
}

/// Applies `event`. `asked` is the subscription as the provider reported it, when the caller
/// had to ask (checkout completions, ambiguous events). `at` is the real time the provider was
/// asked, else the time it is applied (it orders a fetched state among events); `now` is the
/// customer's time, which the rules (grace, trials, period ends) run on: the same instant,
/// except on a test clock.
pub fn apply_event(
    conn: &mut DbConnection,
    event: &NormalizedEvent,
    asked: Option<Fetched<'_>>,
    grace_days: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<EventResult, AppError> {
    let fetched = asked.map(|f| f.subscription);
    if event.kind == EventKind::Ignored {
        return Ok(EventResult::Ignored(None, format!("{} is not handled", event.event_type)));
    }
    if event.kind == EventKind::CheckoutCompleted {
        return checkout_completed(conn, event, fetched, grace_days, at, now);
    }
    let Some(found) = find_workspace(conn, event)? else {
        return Ok(EventResult::Pending(None, "no workspace knows this customer or subscription yet".into()));
    };
    let (locked, record, by_customer) = match found {
        Found::Known(locked) => (locked, None, false),
        Found::Checkout(locked, record) => (locked, Some(record), false),
        Found::Customer(locked) => (locked, None, true),
    };
    let LockedForEvent { workspace: ws, catalog, subscription_ended } = locked;
    // A subscription no recorded checkout created never moves the plan: it waits for the
    // checkout's own completion (Stripe sends that after the subscription's first events),
    // which links it and applies it again.
    if by_customer
        && event.kind == EventKind::SubscriptionUpdated
        && let Some(sub) = event.subscription.as_ref()
        && ws.provider_subscription_id.as_deref() != Some(sub.id.as_str())
    {
        return Ok(EventResult::Pending(Some(ws.id), "waits for the checkout that created it".into()));
    }
    let book = plan_book_at(conn, event.provider, catalog)?;
    let default = book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
    let ended = EndedKnown { subscription_id: subscription_id(event), ended: subscription_ended };
    let ctx = Ctx { ws: &ws, book: &book, default: &default, grace_days, at, now, ended };

    let outcome = match event.kind {
        EventKind::CheckoutCompleted => Applied::Unchanged("checkout handled above".into()),
        EventKind::SubscriptionUpdated | EventKind::SubscriptionDeleted => {
            let Some(sub) = fetched.or(event.subscription.as_ref()) else {
                return Ok(EventResult::Ignored(Some(ws.id), "event carries no subscription".into()));
            };
            // A fetched state is the provider's truth now (in whole seconds, as providers stamp
            // events); an event's is as of when it was sent.
            let now_seconds = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
            let event_time = if fetched.is_some() { now_seconds } else { event.created_at };
            if ctx.is_addon_subscription(sub) {
                return ctx.addon_subscription(conn, sub, event.kind, event_time);
            }
            if let Some(record) = record.as_deref().filter(|r| r.fulfilled_at.is_none())
                && let Some(reason) = plan_mismatch(&book, record, sub)
            {
                log::warn!("event {} not applied: {reason}", event.event_id);
                return Ok(EventResult::Ignored(Some(ws.id), reason));
            }
            // Settling an ambiguous event: a billing write since the provider was asked may be
            // newer than its answer, so the answer is not applied over it; ask again.
            if asked.and_then(|f| f.settles).is_some_and(|seen| seen != ws.billing_version) {
                return Ok(EventResult::NeedsFetch(sub.id.clone(), ws.billing_version));
            }
            let applied = match ctx.subscription_event(conn, event, sub, fetched.is_some(), event_time)? {
                Some(applied) => applied,
                None => return Ok(EventResult::NeedsFetch(sub.id.clone(), ws.billing_version)),
            };
            // The purchase completed by its webhooks alone (no return visit needed).
            if let (Some(record), Applied::Changed) = (record.as_deref(), &applied) {
                let stamp = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at).naive_utc();
                CheckoutSession::mark_fulfilled(conn, record.id, Some(&sub.id), stamp)?;
            }
            applied
        }
        EventKind::InvoicePaid | EventKind::InvoicePaymentFailed | EventKind::InvoiceGenerated => {
            let Some(invoice) = event.invoice.as_ref() else {
                return Ok(EventResult::Ignored(Some(ws.id), "event carries no invoice".into()));
            };
            ctx.record_invoice(conn, invoice, event.created_at)?;
            match ctx.invoice_subscription(conn, invoice)? {
                InvoiceFor::Current => ctx.invoice_state(conn, event, invoice)?,
                InvoiceFor::Other(reason) => Applied::Unchanged(reason),
                InvoiceFor::NotYetLinked => {
                    return Ok(EventResult::Pending(Some(ws.id), "invoice for a subscription not linked yet".into()));
                }
            }
        }
        EventKind::Refunded => match event.refund.as_ref() {
            Some(refund) => ctx.refund(conn, refund)?,
            None => Applied::Unchanged("event carries no refund".into()),
        },
        EventKind::Ignored => Applied::Unchanged("not handled".into()),
    };
    Ok(match outcome {
        Applied::Changed => EventResult::Processed(ws.id),
        Applied::Stale => EventResult::Ignored(Some(ws.id), "older than the state already applied".into()),
        Applied::Unchanged(reason) => EventResult::Ignored(Some(ws.id), reason),
    })
}

/// A completed checkout: fulfilled only when Tollgate recorded it, on the workspace the record
/// names (whatever `client_reference_id` or metadata say), with what the record says was bought.
fn checkout_completed(
    conn: &mut DbConnection,
    event: &NormalizedEvent,
    fetched: Option<&SubscriptionData>,
    grace_days: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<EventResult, AppError> {
    let Some(checkout) = event.checkout.clone() else {
        return Ok(EventResult::Ignored(None, "event carries no checkout".into()));
    };
    let Some(record) = CheckoutSession::find(conn, event.provider, &checkout.id)? else {
        log::warn!("event {}: checkout {} was not created by Tollgate; ignored", event.event_id, checkout.id);
        return Ok(EventResult::Ignored(None, "not a checkout Tollgate created".into()));
    };
    let ws = Workspace::lock(conn, record.workspace_id)?;
    let book = plan_book(conn, event.provider)?;
    let confirmed = ConfirmedCheckout { checkout, subscription: fetched.cloned() };
    if !confirmed.is_paid() {
        return Ok(EventResult::Ignored(Some(ws.id), "checkout completed but not paid yet".into()));
    }
    if let Some(reason) = mismatch(&book, &record, &confirmed) {
        log::warn!("event {}: {reason}", event.event_id);
        return Ok(EventResult::Ignored(Some(ws.id), reason));
    }
    let fulfilment = fulfil_checkout(conn, &ws, &book, &record, &confirmed, grace_days, at, now)?;
    Ok(if fulfilment.first_time {
        EventResult::Processed(ws.id)
    } else {
        EventResult::Ignored(Some(ws.id), "checkout already fulfilled".into())
    })
}

pub(super) enum InvoiceFor {
    /// The workspace's current plan subscription.
    Current,
    /// Nothing for the plan state to do (one-off invoice, add-on, ended subscription).
    Other(String),
    /// A subscription the workspace does not have yet: its creation event is still to come.
    NotYetLinked,
}

pub(super) struct Ctx<'a> {
    pub(super) ws: &'a Workspace,
    pub(super) book: &'a PlanBook,
    pub(super) default: &'a PlanRef,
    pub(super) grace_days: i64,
    /// Real time: orders fetched state among the provider's events.
    pub(super) at: DateTime<Utc>,
    /// The customer's time, for the rules (see [`apply_event`]).
    pub(super) now: DateTime<Utc>,
    /// What the lock already answered about the event's subscription.
    pub(super) ended: EndedKnown<'a>,
}

/// Whether a subscription ended on the locked workspace, as its lock answered.
#[derive(Clone, Copy)]
pub(super) struct EndedKnown<'a> {
    pub(super) subscription_id: Option<&'a str>,
    pub(super) ended: bool,
}

impl Ctx<'_> {
    /// The state for a decision about `subscription_id` (see [`state_for`]), without asking
    /// the database again when the lock already answered for that subscription.
    pub(super) fn state(
        &self,
        conn: &mut DbConnection,
        subscription_id: Option<&str>,
    ) -> Result<BillingState, AppError> {
        match (subscription_id, self.ended.subscription_id) {
            (Some(asked), Some(known)) if asked == known => {
                Ok(state_knowing(self.ws, self.book, Some(asked), self.ended.ended))
            }
            _ => Ok(state_for(conn, self.ws, self.book, subscription_id)?),
        }
    }
}

impl Ctx<'_> {
    /// A plan subscription's snapshot or deletion through the state machine, then (Chargebee)
    /// the add-on items it no longer lists. `None`: ambiguous, fetch the subscription first.
    fn subscription_event(
        &self,
        conn: &mut DbConnection,
        event: &NormalizedEvent,
        sub: &SubscriptionData,
        fetched: bool,
        event_time: DateTime<Utc>,
    ) -> Result<Option<Applied>, AppError> {
        let (book, default, at, now) = (self.book, self.default, self.at, self.now);
        let state = self.state(conn, Some(&sub.id))?;
        let resolve = |price: &str| book.resolve(price);
        // The rules run on the customer's time (`now`); a fetched state is ordered by `at`.
        let decision = if fetched {
            on_fetched_subscription_at(&state, sub, &resolve, default, self.grace_days, now, at)
        } else if event.kind == EventKind::SubscriptionDeleted {
            on_subscription_deleted(&state, sub, event.created_at, default)
        } else {
            on_subscription_snapshot(&state, sub, event.created_at, &resolve, default, self.grace_days, now)
        }
        .map_err(|e| AppError::internal(format!("event {}: {e}", event.event_id)))?;
        if decision == Decision::Ambiguous {
            return Ok(None);
        }
        let applied =
            apply_decision(conn, self.ws, book, &state, hold_downgrade(&state, decision, &|c| book.rank(c), now))?;
        let items_changed = self.plan_items(conn, sub, event.kind, event_time)?;
        Ok(Some(if items_changed { Applied::Changed } else { applied }))
    }
}
