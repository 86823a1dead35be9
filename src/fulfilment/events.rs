//! Applying one normalized provider event to the database: find the workspace it concerns,
//! lock it, and run the state machine (or record the invoice, refund, add-on change).
//! Runs inside the caller's transaction; returns what happened for the event log.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::fulfil_checkout;
use super::plans::PlanBook;
use super::state::{Applied, apply_decision, billing_state};
use crate::billing::{ConfirmedCheckout, EventKind, InvoiceData, NormalizedEvent, RefundData, SubscriptionData};
use crate::db::DbConnection;
use crate::domain::plan_changes::hold_downgrade;
use crate::domain::subscription_state::{
    Decision, PlanRef, on_fetched_subscription, on_invoice_paid, on_payment_failed, on_subscription_deleted,
    on_subscription_snapshot,
};
use crate::error::AppError;
use crate::models::credit_ledger::NewCreditEntry;
use crate::models::invoice::{Invoice, InvoiceFields};
use crate::models::workspace::Workspace;
use crate::models::{CreditBucket, CreditEntry, now};
use crate::schema::{credit_ledger, workspace_addons};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventResult {
    /// Applied to this workspace.
    Processed(i64),
    /// Recorded; nothing to change (unknown type, stale, no-op), with the reason.
    Ignored(Option<i64>, String),
    /// Names a customer or subscription we don't know yet: retry later. Carries the
    /// workspace when it is known (then the event is re-applied as soon as a later event
    /// links its subscription).
    Pending(Option<i64>, String),
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

fn find_workspace(conn: &mut DbConnection, event: &NormalizedEvent) -> QueryResult<Option<i64>> {
    let provider = event.provider.as_str();
    if let Some(id) = event.workspace_ref.as_deref().and_then(|r| r.parse::<i64>().ok())
        && Workspace::find(conn, id).optional()?.is_some()
    {
        return Ok(Some(id));
    }
    if let Some(sub) = subscription_id(event) {
        if let Some(ws) = Workspace::find_by_subscription(conn, provider, sub)? {
            return Ok(Some(ws.id));
        }
        let addon_owner: Option<i64> = workspace_addons::table
            .filter(workspace_addons::provider_subscription_id.eq(sub))
            .select(workspace_addons::workspace_id)
            .first(conn)
            .optional()?;
        if addon_owner.is_some() {
            return Ok(addon_owner);
        }
    }
    match event.customer_id.as_deref() {
        Some(customer) => Ok(Workspace::find_by_customer(conn, provider, customer)?.map(|w| w.id)),
        None => Ok(None),
    }
}

/// Applies `event`. `fetched` is the subscription as the provider reports it now, when the
/// caller had to ask (checkout completions, ambiguous events).
pub fn apply_event(
    conn: &mut DbConnection,
    event: &NormalizedEvent,
    fetched: Option<&SubscriptionData>,
    grace_days: i64,
    at: DateTime<Utc>,
) -> Result<EventResult, AppError> {
    if event.kind == EventKind::Ignored {
        return Ok(EventResult::Ignored(None, format!("{} is not handled", event.event_type)));
    }
    let Some(workspace_id) = find_workspace(conn, event)? else {
        return Ok(EventResult::Pending(None, "no workspace knows this customer or subscription yet".into()));
    };
    let ws = Workspace::lock(conn, workspace_id)?;
    let book = PlanBook::load(conn, event.provider)?;
    let default = book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
    let ctx = Ctx { ws: &ws, book: &book, default: &default, grace_days, at };

    let outcome = match event.kind {
        EventKind::CheckoutCompleted => ctx.checkout_completed(conn, event, fetched)?,
        EventKind::SubscriptionUpdated | EventKind::SubscriptionDeleted => {
            let Some(sub) = fetched.or(event.subscription.as_ref()) else {
                return Ok(EventResult::Ignored(Some(ws.id), "event carries no subscription".into()));
            };
            if let Some(result) = ctx.addon_subscription(conn, sub, event.kind)? {
                return Ok(result);
            }
            let state = billing_state(&ws, &book);
            let resolve = |price: &str| book.resolve(price);
            // A fetched state is the provider's truth now; an event's is as of when it was sent.
            let decision = if fetched.is_some() {
                on_fetched_subscription(&state, sub, &resolve, &default, grace_days, at)
            } else if event.kind == EventKind::SubscriptionDeleted {
                on_subscription_deleted(&state, sub, event.created_at, &default)
            } else {
                on_subscription_snapshot(&state, sub, event.created_at, &resolve, &default, grace_days, at)
            }
            .map_err(|e| AppError::internal(format!("event {}: {e}", event.event_id)))?;
            if decision == Decision::Ambiguous {
                return Ok(EventResult::NeedsFetch(sub.id.clone()));
            }
            apply_decision(conn, &ws, &book, hold_downgrade(&state, decision, &|c| book.rank(c), at))?
        }
        EventKind::InvoicePaid | EventKind::InvoicePaymentFailed | EventKind::InvoiceGenerated => {
            let Some(invoice) = event.invoice.as_ref() else {
                return Ok(EventResult::Ignored(Some(ws.id), "event carries no invoice".into()));
            };
            ctx.record_invoice(conn, invoice, event.provider.as_str())?;
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

enum InvoiceFor {
    /// The workspace's current plan subscription.
    Current,
    /// Nothing for the plan state to do (one-off invoice, add-on, ended subscription).
    Other(String),
    /// A subscription the workspace does not have yet: its creation event is still to come.
    NotYetLinked,
}

struct Ctx<'a> {
    ws: &'a Workspace,
    book: &'a PlanBook,
    default: &'a PlanRef,
    grace_days: i64,
    at: DateTime<Utc>,
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

    /// Subscription events about an add-on's own subscription update that add-on.
    fn addon_subscription(
        &self,
        conn: &mut DbConnection,
        sub: &SubscriptionData,
        kind: EventKind,
    ) -> Result<Option<EventResult>, AppError> {
        let is_addon = !sub.price_ids.is_empty()
            && sub.price_ids.iter().all(|p| self.book.addon_for_price(p).is_some())
            && self.ws.provider_subscription_id.as_deref() != Some(sub.id.as_str());
        if !is_addon {
            return Ok(None);
        }
        let ended =
            kind == EventKind::SubscriptionDeleted || sub.status == Some(crate::billing::SubscriptionStatus::Canceled);
        let changed = diesel::update(
            workspace_addons::table
                .filter(workspace_addons::workspace_id.eq(self.ws.id))
                .filter(workspace_addons::provider_subscription_id.eq(&sub.id)),
        )
        .set((
            workspace_addons::status.eq(if ended { "canceled" } else { "active" }),
            workspace_addons::cancel_at_period_end.eq(sub.cancel_at_period_end.unwrap_or(false)),
            workspace_addons::current_period_end.eq(sub.current_period_end.map(|t| t.naive_utc())),
            workspace_addons::updated_at.eq(now()),
        ))
        .execute(conn)?;
        Ok(Some(if changed > 0 {
            EventResult::Processed(self.ws.id)
        } else {
            EventResult::Ignored(Some(self.ws.id), "add-on subscription not bought through Tollgate".into())
        }))
    }

    fn record_invoice(&self, conn: &mut DbConnection, invoice: &InvoiceData, provider: &str) -> Result<(), AppError> {
        let issued = invoice.issued_at.unwrap_or(self.at).naive_utc();
        Invoice::upsert(
            conn,
            &InvoiceFields {
                workspace_id: self.ws.id,
                provider: provider.to_owned(),
                provider_invoice_id: invoice.id.clone(),
                number: invoice.number.clone(),
                status: if invoice.status.is_empty() { "open".into() } else { invoice.status.clone() },
                amount_due_minor: invoice.amount_due_minor,
                amount_paid_minor: invoice.amount_paid_minor,
                currency: invoice.currency.clone(),
                hosted_url: invoice.hosted_url.clone(),
                pdf_url: invoice.pdf_url.clone(),
                period_start: invoice.line_period_start.or(invoice.period_start).map(|t| t.naive_utc()),
                period_end: invoice.line_period_end.or(invoice.period_end).map(|t| t.naive_utc()),
                issued_at: issued,
            },
        )?;
        Ok(())
    }

    fn invoice_subscription(&self, conn: &mut DbConnection, invoice: &InvoiceData) -> Result<InvoiceFor, AppError> {
        let Some(sub) = invoice.subscription_id.as_deref() else {
            return Ok(InvoiceFor::Other("invoice recorded".into()));
        };
        if self.ws.provider_subscription_id.as_deref() == Some(sub) {
            return Ok(InvoiceFor::Current);
        }
        if self.ws.ended_subscriptions().iter().any(|s| s == sub) {
            return Ok(InvoiceFor::Other("invoice recorded; its subscription has ended".into()));
        }
        let addon: i64 = workspace_addons::table
            .filter(workspace_addons::workspace_id.eq(self.ws.id))
            .filter(workspace_addons::provider_subscription_id.eq(sub))
            .count()
            .get_result(conn)?;
        if addon > 0 {
            return Ok(InvoiceFor::Other("add-on invoice recorded".into()));
        }
        Ok(InvoiceFor::NotYetLinked)
    }

    fn invoice_state(
        &self,
        conn: &mut DbConnection,
        event: &NormalizedEvent,
        invoice: &InvoiceData,
    ) -> Result<Applied, AppError> {
        let state = billing_state(self.ws, self.book);
        let resolve = |price: &str| self.book.resolve(price);
        let decision = match event.kind {
            EventKind::InvoicePaid => {
                on_invoice_paid(&state, invoice, event.created_at, &resolve, self.default, self.at)
            }
            EventKind::InvoicePaymentFailed => {
                on_payment_failed(&state, invoice, event.created_at, self.at, self.grace_days, self.default)
            }
            _ => return Ok(Applied::Unchanged("invoice recorded".into())),
        }
        .map_err(|e| AppError::internal(format!("event {}: {e}", event.event_id)))?;
        apply_decision(conn, self.ws, self.book, decision)
    }

    /// A refunded credit pack takes back what is left of its credits (never more than the
    /// purchased balance: credits already spent stay spent).
    fn refund(&self, conn: &mut DbConnection, refund: &RefundData) -> Result<Applied, AppError> {
        let references: Vec<&str> =
            [refund.payment_intent_id.as_deref(), Some(refund.id.as_str())].into_iter().flatten().collect();
        let grant: Option<(i64, String)> = credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(self.ws.id))
            .filter(credit_ledger::bucket.eq(CreditBucket::Purchased.as_str()))
            .filter(credit_ledger::delta.gt(0))
            .filter(credit_ledger::reference.eq_any(&references))
            .select((credit_ledger::delta, credit_ledger::reason))
            .first(conn)
            .optional()?;
        let Some((granted, reason)) = grant else {
            return Ok(Applied::Unchanged("refund recorded; no credit pack to take back".into()));
        };
        let share = if refund.fully_refunded || refund.amount_minor <= 0 {
            granted
        } else {
            granted * refund.amount_refunded_minor.min(refund.amount_minor) / refund.amount_minor
        };
        // Providers report the refunded amount cumulatively: take back only what earlier
        // refunds of the same payment have not.
        let taken_before: i64 = credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(self.ws.id))
            .filter(credit_ledger::reference.eq(&refund.id))
            .filter(credit_ledger::delta.lt(0))
            .select(credit_ledger::delta)
            .load::<i64>(conn)?
            .iter()
            .map(|d| -d)
            .sum();
        let take = (share - taken_before).min(CreditEntry::balance(conn, self.ws.id)?.purchased.max(0)).max(0);
        if take == 0 {
            return Ok(Applied::Unchanged("refund recorded; no unspent credits to take back".into()));
        }
        let key = format!("refund:{}:{}:{}", self.book.provider.as_str(), refund.id, refund.amount_refunded_minor);
        NewCreditEntry {
            workspace_id: self.ws.id,
            bucket: CreditBucket::Purchased,
            delta: -take,
            reason: &format!("refund of {}", reason.trim_start_matches("bought ")),
            idempotency_key: Some(&key),
            reference: Some(&refund.id),
        }
        .insert(conn)?;
        Ok(Applied::Changed)
    }
}
