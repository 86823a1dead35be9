//! The money side of provider events: invoices recorded for the billing page and applied to
//! the subscription state (paid, failed), and refunds of credit packs taking back what is
//! left of their credits.

use chrono::{DateTime, Utc};

use super::apply_event::{Ctx, InvoiceFor};
use super::billing_state::{Applied, apply_decision};
use crate::db::DbConnection;
use crate::domain::billing_state::{on_invoice_paid, on_payment_failed};
use crate::domain::credits::CreditBucket;
use crate::domain::normalized::{EventKind, InvoiceData, NormalizedEvent, RefundData};
use crate::error::AppError;
use crate::models::invoice::{Invoice, InvoiceFields};
use crate::models::workspace_addon::WorkspaceAddon;
use crate::models::{CreditEntry, NewCreditEntry, ended_subscription};

impl Ctx<'_> {
    /// Records the invoice as this event reports it, unless an earlier-applied report
    /// supersedes it (a paid invoice never reopens; see `domain::invoice_rows`).
    pub(super) fn record_invoice(
        &self,
        conn: &mut DbConnection,
        invoice: &InvoiceData,
        reported_at: DateTime<Utc>,
    ) -> Result<(), AppError> {
        let issued = invoice.issued_at.unwrap_or(self.now).naive_utc();
        Invoice::record(
            conn,
            &InvoiceFields {
                workspace_id: self.ws.id,
                provider: self.book.provider,
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
                state_at: Some(reported_at.naive_utc()),
            },
        )?;
        Ok(())
    }

    pub(super) fn invoice_subscription(
        &self,
        conn: &mut DbConnection,
        invoice: &InvoiceData,
    ) -> Result<InvoiceFor, AppError> {
        let Some(sub) = invoice.subscription_id.as_deref() else {
            return Ok(InvoiceFor::Other("invoice recorded".into()));
        };
        if self.ws.provider_subscription_id.as_deref() == Some(sub) {
            return Ok(InvoiceFor::Current);
        }
        if ended_subscription::contains(conn, self.ws.id, sub)? {
            return Ok(InvoiceFor::Other("invoice recorded; its subscription has ended".into()));
        }
        if WorkspaceAddon::is_billed_by(conn, self.ws.id, sub)? {
            return Ok(InvoiceFor::Other("add-on invoice recorded".into()));
        }
        Ok(InvoiceFor::NotYetLinked)
    }

    pub(super) fn invoice_state(
        &self,
        conn: &mut DbConnection,
        event: &NormalizedEvent,
        invoice: &InvoiceData,
    ) -> Result<Applied, AppError> {
        let state = self.state(conn, invoice.subscription_id.as_deref())?;
        let resolve = |price: &str| self.book.resolve(price);
        let decision = match event.kind {
            EventKind::InvoicePaid => {
                on_invoice_paid(&state, invoice, event.created_at, &resolve, self.default, self.now)
            }
            EventKind::InvoicePaymentFailed => {
                on_payment_failed(&state, invoice, event.created_at, self.now, self.grace_days, self.default)
            }
            _ => return Ok(Applied::Unchanged("invoice recorded".into())),
        }
        .map_err(|e| AppError::internal(format!("event {}: {e}", event.event_id)))?;
        apply_decision(conn, self.ws, self.book, &state, decision)
    }

    /// A refunded credit pack takes back what is left of its credits (never more than the
    /// purchased balance: credits already spent stay spent).
    pub(super) fn refund(&self, conn: &mut DbConnection, refund: &RefundData) -> Result<Applied, AppError> {
        // A pack's grant is found by what its checkout paid: Stripe's payment intent, or the
        // invoice a Chargebee one-time checkout raised (its refund names the transaction and
        // that invoice).
        let references: Vec<&str> =
            [refund.payment_intent_id.as_deref(), refund.invoice_id.as_deref(), Some(refund.id.as_str())]
                .into_iter()
                .flatten()
                .collect();
        let grant = CreditEntry::purchase_grant(conn, self.ws.id, &references)?;
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
        let taken_before = CreditEntry::taken_back(conn, self.ws.id, &refund.id)?;
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
