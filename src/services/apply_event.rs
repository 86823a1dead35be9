//! Applying one normalized provider event to the database: find the workspace it concerns,
//! lock it, and run the state machine (or record the invoice, refund, add-on change; see
//! `invoices_and_refunds`). Runs inside the caller's transaction; returns what happened for
//! the event log.

use chrono::{DateTime, Utc};

use super::billing_state::{Applied, apply_decision, state_for};
use super::catalog::plan_book;
use super::fulfil_checkout::fulfil_checkout;
use crate::billing::ConfirmedCheckout;
use crate::db::DbConnection;
use crate::domain::billing_state::{
    Decision, PlanRef, on_fetched_subscription_at, on_subscription_deleted, on_subscription_snapshot,
};
use crate::domain::catalog::PlanBook;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::{EventKind, NormalizedEvent, SubscriptionData};
use crate::domain::plan_changes::hold_downgrade;
use crate::error::AppError;
use crate::models::Workspace;
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
    /// the event again with the fetched state. Nothing has been written.
    NeedsFetch(String),
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

fn find_workspace(conn: &mut DbConnection, event: &NormalizedEvent) -> diesel::QueryResult<Option<WorkspaceId>> {
    let provider = event.provider;
    if let Some(id) = event.workspace_ref.as_deref().and_then(|r| r.parse::<WorkspaceId>().ok())
        && Workspace::exists(conn, id)?
    {
        return Ok(Some(id));
    }
    if let Some(sub) = subscription_id(event) {
        if let Some(ws) = Workspace::find_by_subscription(conn, provider, sub)? {
            return Ok(Some(ws.id));
        }
        if let Some(owner) = WorkspaceAddon::owner_of_subscription(conn, sub)? {
            return Ok(Some(owner));
        }
    }
    match event.customer_id.as_deref() {
        Some(customer) => Ok(Workspace::find_by_customer(conn, provider, customer)?.map(|w| w.id)),
        None => Ok(None),
    }
}

/// Applies `event`. `fetched` is the subscription as the provider reports it now, when the
/// caller had to ask (checkout completions, ambiguous events). `at` is the real time it is
/// applied (it orders a fetched state among events); `now` is the customer's time, which the
/// rules (grace, trials, period ends) run on: the same instant, except on a test clock.
pub fn apply_event(
    conn: &mut DbConnection,
    event: &NormalizedEvent,
    fetched: Option<&SubscriptionData>,
    grace_days: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<EventResult, AppError> {
    if event.kind == EventKind::Ignored {
        return Ok(EventResult::Ignored(None, format!("{} is not handled", event.event_type)));
    }
    let Some(workspace_id) = find_workspace(conn, event)? else {
        return Ok(EventResult::Pending(None, "no workspace knows this customer or subscription yet".into()));
    };
    let ws = Workspace::lock(conn, workspace_id)?;
    let book = plan_book(conn, event.provider)?;
    let default = book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
    let ctx = Ctx { ws: &ws, book: &book, default: &default, grace_days, at, now };

    let outcome = match event.kind {
        EventKind::CheckoutCompleted => ctx.checkout_completed(conn, event, fetched)?,
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
            match ctx.subscription_event(conn, event, sub, fetched.is_some(), event_time)? {
                Some(applied) => applied,
                None => return Ok(EventResult::NeedsFetch(sub.id.clone())),
            }
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
}

impl Ctx<'_> {
    fn checkout_completed(
        &self,
        conn: &mut DbConnection,
        event: &NormalizedEvent,
        fetched: Option<&SubscriptionData>,
    ) -> Result<Applied, AppError> {
        let Some(checkout) = event.checkout.clone() else {
            return Ok(Applied::Unchanged("event carries no checkout".into()));
        };
        let confirmed = ConfirmedCheckout { checkout, subscription: fetched.cloned() };
        if !confirmed.is_paid() {
            return Ok(Applied::Unchanged("checkout completed but not paid yet".into()));
        }
        let fulfilment = fulfil_checkout(conn, self.ws, self.book, &confirmed, self.grace_days, self.at)?;
        Ok(if fulfilment.first_time {
            Applied::Changed
        } else {
            Applied::Unchanged("checkout already fulfilled".into())
        })
    }

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
        let state = state_for(conn, self.ws, book, Some(&sub.id))?;
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
