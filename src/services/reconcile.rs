//! Reconciling: asking the provider for a workspace's subscription and healing any difference
//! through the same state machine a webhook goes through, so a missed or lost webhook leaves a
//! workspace wrong only until the next hourly run (or `tollgate sync`). What changed is
//! written to the audit log, before → after; a workspace that already agrees is left alone
//! and audited nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use super::billing_state::{Applied, apply_decision, state_for};
use super::catalog::plan_book;
use super::clock::test_clock_now;
use crate::billing::BillingProvider;
use crate::db::{DbConnection, write_transaction};
use crate::domain::billing_state::{Decision, on_fetched_subscription_at};
use crate::domain::catalog::PlanBook;
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::SubscriptionData;
use crate::domain::plan_changes::hold_downgrade;
use crate::error::AppError;
use crate::models::{NewAuditEntry, Workspace};
use crate::state::AppState;

/// A trial's end gets this long for the provider's own webhook before we ask.
const TRIAL_END_SLACK: TimeDelta = TimeDelta::hours(1);

/// Which workspaces to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every workspace with a subscription at the configured provider.
    Paid,
    /// Trials that ended (at the customer's time) without the provider's word.
    TrialsEnded,
    /// One workspace.
    Workspace(WorkspaceId),
}

/// One workspace's healed fields: name → (before, after).
#[derive(Debug, Clone, PartialEq)]
pub struct Healed {
    pub workspace: WorkspaceId,
    pub changes: BTreeMap<&'static str, (Value, Value)>,
}

impl Healed {
    /// `plan free → pro, status past_due → active`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> =
            self.changes.iter().map(|(field, (before, after))| format!("{field} {before} → {after}")).collect();
        format!("workspace {}: {}", self.workspace, parts.join(", "))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub checked: usize,
    pub healed: Vec<Healed>,
    /// Workspaces the provider could not be asked about, with why.
    pub failures: Vec<(WorkspaceId, String)>,
}

impl Report {
    pub fn summary(&self) -> String {
        let mut text = format!("{} workspace(s) checked, {} healed", self.checked, self.healed.len());
        for (workspace, why) in &self.failures {
            text.push_str(&format!("; workspace {workspace} failed: {why}"));
        }
        text
    }
}

/// Compares the workspaces in `scope` with the provider, one at a time (the provider call
/// outside any transaction), healing and auditing as `actor`.
pub async fn reconcile(state: &AppState, scope: Scope, actor: &str) -> Result<Report, AppError> {
    let provider = state.billing.provider();
    let ids = state
        .db
        .run(move |conn| match scope {
            Scope::Paid => Ok(Workspace::subscribed_at(conn, provider)?),
            // Each trial's own clock (a test clock may run ahead) decides below.
            Scope::TrialsEnded => Ok(Workspace::trialing_at(conn, provider)?),
            Scope::Workspace(id) => {
                let ws = Workspace::find(conn, id)?;
                if ws.provider_subscription_id.is_none() || ws.billing_provider != Some(provider) {
                    return Err(AppError::validation(format!(
                        "Workspace {id} has no subscription with the configured provider: there is nothing to compare."
                    )));
                }
                Ok(vec![id])
            }
        })
        .await?;
    let mut report = Report::default();
    for id in ids {
        match one(state, id, scope, actor).await {
            Ok(Some(healed)) => {
                report.checked += 1;
                report.healed.extend(healed);
            }
            Ok(None) => {}
            Err(e) => report.failures.push((id, e.detail())),
        }
    }
    Ok(report)
}

/// `None` when the workspace was not due for a check (a trial still running at its clock).
async fn one(state: &AppState, id: WorkspaceId, scope: Scope, actor: &str) -> Result<Option<Option<Healed>>, AppError> {
    let ws = state.db.run(move |conn| Ok(Workspace::find(conn, id)?)).await?;
    let Some(subscription_id) = ws.provider_subscription_id.clone() else { return Ok(None) };
    let now = test_clock_now(state, ws.provider_customer_id.as_deref())
        .await
        .map_err(|e| AppError::internal(format!("reading the customer's test clock: {e}")))?
        .unwrap_or_else(Utc::now);
    if scope == Scope::TrialsEnded
        && ws.trial_end.is_none_or(|end| super::billing_state::utc(end) + TRIAL_END_SLACK > now)
    {
        return Ok(None);
    }
    // Taken before asking: the answer is the provider's state as of at least this instant.
    let fetched_at = Utc::now();
    let sub = state
        .billing
        .fetch_subscription(&subscription_id)
        .await
        .map_err(|e| AppError::internal(format!("fetching subscription {subscription_id}: {e}")))?;
    let provider = state.billing.provider();
    let grace = state.config.grace_period_days;
    let actor = actor.to_owned();
    let healed = state
        .db
        .run(move |conn| {
            let book = plan_book(conn, provider)?;
            let times = Times { now, fetched_at, seen_version: ws.billing_version };
            heal(conn, id, &book, &sub, times, grace, &actor)
        })
        .await?;
    Ok(Some(healed))
}

/// The customer's time the rules run on, and the real time the fetch was made (it orders the
/// fetched state among webhook events).
pub struct Times {
    pub now: DateTime<Utc>,
    pub fetched_at: DateTime<Utc>,
    /// The workspace's billing version before asking. A billing write since may be newer than
    /// the answer (the provider may have changed in between), so the answer is then not
    /// applied: the next comparison asks again (see also `provider_answer`).
    pub seen_version: i64,
}

/// What applying changed: field → (before, after), in `view`'s terms.
pub type Changes = BTreeMap<&'static str, (Value, Value)>;

/// Applies the fetched subscription with the workspace locked and audits what it changed.
fn heal(
    conn: &mut DbConnection,
    id: WorkspaceId,
    book: &PlanBook,
    sub: &SubscriptionData,
    times: Times,
    grace_days: i64,
    actor: &str,
) -> Result<Option<Healed>, AppError> {
    write_transaction(conn, |conn| {
        let changes = apply_fetched(conn, id, book, sub, &times, grace_days)?.unwrap_or_default();
        if changes.is_empty() {
            return Ok(None);
        }
        let side = |pick: fn(&(Value, Value)) -> &Value| {
            Value::Object(changes.iter().map(|(k, v)| ((*k).to_owned(), pick(v).clone())).collect()).to_string()
        };
        NewAuditEntry {
            actor,
            actor_user_id: None,
            action: "workspace.reconcile",
            subject_type: "workspace",
            subject_id: &id.to_string(),
            workspace_id: Some(id),
            before_json: Some(side(|v| &v.0)),
            after_json: Some(side(|v| &v.1)),
            reason: Some("the provider's subscription differed from the workspace"),
        }
        .insert(conn)?;
        Ok(Some(Healed { workspace: id, changes }))
    })
}

/// Applies a subscription as the provider reported it (fetched, or its answer to a change)
/// through the state machine, with the workspace locked, inside the caller's transaction.
/// Returns the fields that changed (none when the workspace already agreed, or the state
/// machine left it as it was), or `None` when its billing state was written since
/// `times.seen_version`: then the answer may be older than that write and is not applied.
pub fn apply_fetched(
    conn: &mut DbConnection,
    id: WorkspaceId,
    book: &PlanBook,
    sub: &SubscriptionData,
    times: &Times,
    grace_days: i64,
) -> Result<Option<Changes>, AppError> {
    let (now, fetched_at) = (times.now, times.fetched_at);
    let ws = Workspace::lock(conn, id)?;
    if times.seen_version != ws.billing_version {
        return Ok(None);
    }
    let before = view(&ws, book);
    let default = book.default_plan().map(PlanBook::plan_ref).ok_or_else(|| AppError::internal("no default plan"))?;
    let state = state_for(conn, &ws, book, Some(&sub.id))?;
    let resolve = |price: &str| book.resolve(price);
    let decision = on_fetched_subscription_at(&state, sub, &resolve, &default, grace_days, now, fetched_at)
        .map_err(|e| AppError::internal(format!("subscription {}: {e}", sub.id)))?;
    let decision = hold_downgrade(&state, decision, &|code| book.rank(code), now);
    if let Decision::Ambiguous | Decision::Stale | Decision::Ignore(_) = decision {
        return Ok(Some(Changes::new()));
    }
    if apply_decision(conn, &ws, book, &state, decision)? != Applied::Changed {
        return Ok(Some(Changes::new()));
    }
    let after = view(&Workspace::find(conn, id)?, book);
    Ok(Some(
        before
            .into_iter()
            .zip(after)
            .filter(|((_, old), (_, new))| old != new)
            .map(|((field, old), (_, new))| (field, (old, new)))
            .collect(),
    ))
}

/// The billing facts a person reads, in a fixed order: what reconciling compares and audits
/// (bookkeeping such as the applied state's timestamp is left out).
fn view(ws: &Workspace, book: &PlanBook) -> [(&'static str, Value); 11] {
    let plan = |id| book.by_id(id).map(|p| Value::from(p.code.clone())).unwrap_or(Value::Null);
    let time = |t: Option<chrono::NaiveDateTime>| {
        t.map(|t| Value::from(t.format("%Y-%m-%d %H:%M:%S").to_string())).unwrap_or(Value::Null)
    };
    let text = |t: Option<&str>| t.map(Value::from).unwrap_or(Value::Null);
    [
        ("plan", plan(ws.plan_id)),
        ("status", text(ws.subscription_status.map(|s| s.as_str()))),
        ("interval", text(ws.billing_interval.map(|i| i.as_str()))),
        ("subscription", text(ws.provider_subscription_id.as_deref())),
        ("current_period_end", time(ws.current_period_end)),
        ("cancel_at_period_end", Value::from(ws.cancel_at_period_end)),
        ("cancel_at", time(ws.cancel_at)),
        ("trial_end", time(ws.trial_end)),
        ("grace_until", time(ws.grace_until)),
        ("scheduled_plan", ws.scheduled_plan_id.map(plan).unwrap_or(Value::Null)),
        ("scheduled_interval", text(ws.scheduled_interval.map(|i| i.as_str()))),
    ]
}
