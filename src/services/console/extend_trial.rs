//! An administrator extends a workspace's trial by a number of days. The provider moves the
//! trial first — otherwise it would still charge on the old date — with no transaction open
//! while it is asked; its answer is then applied through the same state machine path that
//! reconciling uses (`provider_answer`), so the workspace shows the new end at once, and the
//! move is audited in that transaction: the trial end before, and the one the provider
//! answered.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::{Operator, Subject, audit, bad_field};
use crate::billing::BillingProvider;
use crate::db::DbConnection;
use crate::domain::catalog::FieldError;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::SubscriptionStatus;
use crate::error::AppError;
use crate::models::Workspace;
use crate::services::billing_state::Scheduled;
use crate::services::billing_state::utc;
use crate::services::clock::test_clock_now;
use crate::services::provider_answer::{Asked, apply_answer_and};
use crate::services::provider_error;
use crate::state::AppState;

/// The longest single extension an administrator can give.
pub const MAX_DAYS: i64 = 90;

/// The `days` field: a whole number from 1 to [`MAX_DAYS`].
pub fn parse_days(raw: &str) -> Result<i64, AppError> {
    match raw.trim().parse::<i64>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(bad_field(FieldError::new("days", format!("must be a whole number from 1 to {MAX_DAYS}")))),
    }
}

fn stamp(at: Option<NaiveDateTime>) -> serde_json::Value {
    at.map(|t| json!(t.format("%Y-%m-%d %H:%M:%S").to_string())).unwrap_or(serde_json::Value::Null)
}

/// Extends the trial by `days` from its current end; returns the trial end the workspace
/// has afterwards.
pub async fn extend_trial(
    state: &AppState,
    operator: Operator,
    id: WorkspaceId,
    days: &str,
) -> Result<Option<NaiveDateTime>, AppError> {
    let days = parse_days(days)?;
    let ws = state.db.run(move |conn| Ok(Workspace::find(conn, id)?)).await?;
    let provider = state.billing.provider();
    let (Some(SubscriptionStatus::Trialing), Some(subscription_id), Some(before)) =
        (ws.subscription_status, ws.provider_subscription_id.clone(), ws.trial_end)
    else {
        return Err(AppError::bad_request(format!(
            "Workspace {id} is not on a trial: only a trialing subscription's trial can be extended."
        )));
    };
    if ws.billing_provider != Some(provider) {
        return Err(AppError::bad_request(format!(
            "Workspace {id}'s trial is with another billing provider than the configured one."
        )));
    }
    let new_end = utc(before) + TimeDelta::days(days);
    // Read before asking (moving a trial does not move the clock), so nothing but the answer
    // itself is awaited between the change and applying it.
    let now = test_clock_now(state, ws.provider_customer_id.as_deref())
        .await
        .map_err(provider_error)?
        .unwrap_or_else(Utc::now);
    let asked = Asked::now(&ws);
    let sub = state.billing.extend_trial(&subscription_id, new_end).await.map_err(provider_error)?;
    let moved_to = sub.trial_end.map(|end| end.naive_utc());
    let record = move |conn: &mut DbConnection| {
        let subject = Subject { kind: "workspace", id: id.to_string(), workspace: Some(id) };
        let why = format!("trial extended by {days} day(s) at the provider");
        let (old, new) = (json!({ "trial_end": stamp(Some(before)) }), json!({ "trial_end": stamp(moved_to) }));
        Ok(audit(conn, &operator, "workspace.extend_trial", &subject, Some(old), Some(new), Some(&why))?)
    };
    Ok(apply_answer_and(state, id, asked, sub, Scheduled::Unchanged, now, record).await?.trial_end)
}
