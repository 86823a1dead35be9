//! Replaying a stored webhook event: a pending or failed event is processed again from its
//! stored payload through the very path a provider's delivery and the retry job take
//! (`webhooks::process_event`), so the unique event key and the state machine's ordering
//! keep it idempotent; an event already settled is left as it is. The attempt is audited
//! with the event's status before and after.

use serde_json::json;

use super::events::SUBJECT;
use super::{Operator, Subject, audit};
use crate::error::AppError;
use crate::models::{BillingEvent, billing_event_search};
use crate::services::webhooks::{Stored, WebhookOutcome, parse, process_event};
use crate::state::AppState;

/// What a replay did, for the notice the admin sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayed {
    Processed,
    /// Already processed, ignored or dismissed: nothing was done.
    AlreadySettled(&'static str),
    /// Applied nothing yet (still waiting, or not a change), with the reason.
    NotApplied(String),
    /// Applying it failed again; the error is stored with the event.
    Failed(String),
}

fn snapshot(event: &BillingEvent) -> serde_json::Value {
    json!({ "status": event.status.as_str(), "attempts": event.attempts, "error": event.error })
}

pub async fn replay(state: &AppState, operator: Operator, id: i64) -> Result<Replayed, AppError> {
    let before = state.db.run(move |conn| billing_event_search::find(conn, id)?.ok_or(AppError::NotFound)).await?;
    let replayed = if before.status.is_final() {
        Replayed::AlreadySettled(before.status.as_str())
    } else {
        let event = parse(before.provider, before.payload.as_bytes())
            .map_err(|e| AppError::bad_request(format!("The stored payload no longer parses: {e}")))?;
        match process_event(state, event, before.payload.clone(), Stored::Yes).await {
            Ok(WebhookOutcome::Processed | WebhookOutcome::Duplicate) => Replayed::Processed,
            Ok(WebhookOutcome::Ignored(why) | WebhookOutcome::Pending(why)) => Replayed::NotApplied(why),
            Err(e) => Replayed::Failed(e.to_string()),
        }
    };
    state
        .db
        .run(move |conn| {
            let after = billing_event_search::find(conn, id)?.ok_or(AppError::NotFound)?;
            let subject = Subject { kind: SUBJECT, id: id.to_string(), workspace: after.workspace_id };
            audit(conn, &operator, "event.replay", &subject, Some(snapshot(&before)), Some(snapshot(&after)), None)?;
            Ok(())
        })
        .await?;
    Ok(replayed)
}
