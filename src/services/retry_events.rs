//! The retry job: events stored as pending (their workspace was not known yet) or failed are
//! processed again from their stored payload once their backoff has passed, through the same
//! path a provider's delivery takes.

use super::webhooks::{Stored, parse, process_event};
use crate::error::AppError;
use crate::models::{BillingEvent, now};
use crate::state::AppState;

pub use super::webhooks::MAX_ATTEMPTS;

/// Retries up to `limit` due events; returns how many were retried.
pub async fn retry_due_events(state: &AppState, limit: i64) -> Result<usize, AppError> {
    let due = state.db.run(move |conn| Ok(BillingEvent::due(conn, now(), limit)?)).await?;
    let count = due.len();
    for row in due {
        match parse(row.provider, row.payload.as_bytes()) {
            Ok(event) => {
                if let Err(e) = process_event(state, event, row.payload.clone(), Stored::Yes).await {
                    log::info!("retry of event {} did not succeed yet: {e}", row.event_id);
                }
            }
            Err(e) => log::warn!("stored event {} no longer parses: {e}", row.event_id),
        }
    }
    Ok(count)
}
