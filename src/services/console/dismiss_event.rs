//! Ignoring a stored webhook event on purpose: a pending or failed event an operator has
//! looked at and decided must not be applied (a test event, a customer deleted by hand) is
//! set to `dismissed` with the reason, so neither the retry job nor a redelivery applies it.

use serde_json::json;

use super::events::SUBJECT;
use super::{Operator, Subject, audit, reason};
use crate::db::write_transaction;
use crate::error::AppError;
use crate::models::billing_event_search;
use crate::state::AppState;

pub async fn dismiss(state: &AppState, operator: Operator, id: i64, why: &str) -> Result<(), AppError> {
    let why = reason(why)?;
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let event = billing_event_search::find(conn, id)?.ok_or(AppError::NotFound)?;
                if event.status.is_final() {
                    return Err(AppError::Conflict(format!(
                        "This event is {} already; only pending or failed events can be ignored.",
                        event.status.as_str()
                    )));
                }
                billing_event_search::dismiss(conn, id, &format!("ignored by {}: {why}", operator.email))?;
                let subject = Subject { kind: SUBJECT, id: id.to_string(), workspace: event.workspace_id };
                let before = json!({ "status": event.status.as_str(), "error": event.error });
                let after = json!({ "status": "dismissed" });
                audit(conn, &operator, "event.ignore", &subject, Some(before), Some(after), Some(&why))?;
                Ok(())
            })
        })
        .await
}
