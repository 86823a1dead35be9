//! Moves billing state between the workspace row and the pure state machine, and carries
//! out a decision: the row update and its effects (credit resets, notices) in the caller's
//! transaction.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::plans::PlanBook;
use crate::billing::{Provider, SubscriptionStatus};
use crate::db::DbConnection;
use crate::domain::credits::monthly_reset_delta;
use crate::domain::money::Interval;
use crate::domain::subscription_state::{BillingState, Decision, Effect, Transition};
use crate::error::AppError;
use crate::models::credit_ledger::NewCreditEntry;
use crate::models::workspace::{Workspace, WorkspaceBillingChanges};
use crate::models::{CreditBucket, CreditEntry};

pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(at, Utc)
}

pub fn billing_state(ws: &Workspace, book: &PlanBook) -> BillingState {
    BillingState {
        plan_code: book.by_id(ws.plan_id).map(|p| p.code.clone()).unwrap_or_default(),
        status: ws.subscription_status.as_deref().and_then(SubscriptionStatus::parse),
        customer_id: ws.provider_customer_id.clone(),
        subscription_id: ws.provider_subscription_id.clone(),
        interval: ws.billing_interval.as_deref().and_then(Interval::parse),
        current_period_end: ws.current_period_end.map(utc),
        cancel_at_period_end: ws.cancel_at_period_end,
        trial_end: ws.trial_end.map(utc),
        had_trial: ws.had_trial,
        grace_until: ws.grace_until.map(utc),
        scheduled_plan_code: ws.scheduled_plan_id.and_then(|id| book.by_id(id)).map(|p| p.code.clone()),
        upgraded_at: ws.upgraded_at.map(utc),
        state_at: ws.subscription_state_at.map(utc),
        ended_subscription_ids: ws.ended_subscriptions(),
    }
}

fn changes(
    next: &BillingState,
    book: &PlanBook,
    provider: Provider,
    ws: &Workspace,
) -> Result<WorkspaceBillingChanges, AppError> {
    let plan = book
        .by_code(&next.plan_code)
        .ok_or_else(|| AppError::internal(format!("state machine chose unknown plan {}", next.plan_code)))?;
    let linked = next.customer_id.is_some() || next.subscription_id.is_some();
    Ok(WorkspaceBillingChanges {
        plan_id: plan.id,
        billing_provider: if linked { Some(provider.as_str().to_owned()) } else { ws.billing_provider.clone() },
        provider_customer_id: next.customer_id.clone(),
        provider_subscription_id: next.subscription_id.clone(),
        subscription_status: next.status.map(|s| s.as_str().to_owned()),
        billing_interval: next.interval.map(|i| i.as_str().to_owned()),
        current_period_end: next.current_period_end.map(|t| t.naive_utc()),
        cancel_at_period_end: next.cancel_at_period_end,
        trial_end: next.trial_end.map(|t| t.naive_utc()),
        had_trial: next.had_trial,
        grace_until: next.grace_until.map(|t| t.naive_utc()),
        upgraded_at: next.upgraded_at.map(|t| t.naive_utc()),
        scheduled_plan_id: next.scheduled_plan_code.as_deref().and_then(|c| book.by_code(c)).map(|p| p.id),
        subscription_state_at: next.state_at.map(|t| t.naive_utc()),
        ended_subscription_ids: serde_json::to_string(&next.ended_subscription_ids).unwrap_or_else(|_| "[]".into()),
    })
}

/// What applying a decision did, for the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Changed,
    Unchanged(String),
    Stale,
}

/// Writes a decision to the workspace (the caller holds its lock, inside a transaction).
/// `Ambiguous` must have been resolved by the caller before this point.
pub fn apply_decision(
    conn: &mut DbConnection,
    ws: &Workspace,
    book: &PlanBook,
    decision: Decision,
) -> Result<Applied, AppError> {
    match decision {
        Decision::Apply(Transition { next, effects }) => {
            Workspace::apply_billing(conn, ws.id, &changes(&next, book, book.provider, ws)?)?;
            for effect in effects {
                carry_out(conn, ws, &effect)?;
            }
            Ok(Applied::Changed)
        }
        Decision::Stale => Ok(Applied::Stale),
        Decision::Ignore(reason) => Ok(Applied::Unchanged(reason)),
        Decision::Ambiguous => Err(AppError::internal("an ambiguous event reached apply_decision unresolved")),
    }
}

fn carry_out(conn: &mut DbConnection, ws: &Workspace, effect: &Effect) -> Result<(), AppError> {
    match effect {
        Effect::ResetMonthlyCredits { amount: Some(amount), period_key } => {
            let balance = CreditEntry::balance(conn, ws.id)?;
            let key = format!("workspace:{}:reset:{period_key}", ws.id);
            NewCreditEntry {
                workspace_id: ws.id,
                bucket: CreditBucket::Monthly,
                delta: monthly_reset_delta(balance, *amount),
                reason: "monthly credits reset for a new billing period",
                idempotency_key: Some(&key),
                reference: Some(period_key),
            }
            .insert(conn)?;
        }
        Effect::ResetMonthlyCredits { amount: None, .. } => {}
        Effect::PlanChanged { from, to } => log::info!("workspace {}: plan {from} → {to}", ws.id),
        Effect::EnteredGrace { until } => {
            log::info!("email to the owners of workspace {}: payment failed, plan kept until {until}", ws.id)
        }
        Effect::Downgraded { to, reason } => {
            log::info!("email to the owners of workspace {}: moved to {to} ({reason})", ws.id)
        }
        Effect::Notify(what) => log::info!("email to the owners of workspace {}: {what}", ws.id),
    }
    Ok(())
}
