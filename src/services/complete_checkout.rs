//! The success redirect: the URL proves nothing, so the checkout must be one Tollgate recorded
//! for a workspace of this user; the provider is then asked whether it is paid, and it is
//! fulfilled through the same idempotent path the webhook uses.

use chrono::Utc;

use super::catalog::plan_book;
use super::fulfil_checkout::{Fulfilment, fulfil_checkout};
use super::provider_error;
use crate::billing::{BillingError, BillingProvider};
use crate::db::write_transaction;
use crate::domain::ids::{UserId, WorkspaceId};
use crate::error::AppError;
use crate::models::checkout_session::CheckoutSession;
use crate::models::{Membership, Workspace};
use crate::state::AppState;

/// Provider ids are plain tokens (`cs_test_a1B2…`, Chargebee's `__test__Ab1…`); anything
/// else is forged and must not reach the provider's URL path.
fn is_plausible_checkout_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Returns the workspace and what was granted.
pub async fn complete_checkout(
    state: &AppState,
    user_id: UserId,
    checkout_id: &str,
) -> Result<(WorkspaceId, Fulfilment), AppError> {
    let not_found = || {
        AppError::bad_request(
            "We couldn't find that checkout. If you paid, your purchase will appear on your billing page shortly.",
        )
    };
    if !is_plausible_checkout_id(checkout_id) {
        return Err(not_found());
    }
    let provider = state.billing.provider();
    let id = checkout_id.to_owned();
    // Only a checkout Tollgate created, for a workspace this user belongs to, is asked about:
    // a forged id, or someone else's checkout, looks exactly like one that does not exist.
    let record = state
        .db
        .run(move |conn| {
            let Some(record) = CheckoutSession::find(conn, provider, &id)? else { return Ok(None) };
            Ok(Membership::find(conn, record.workspace_id, user_id)?.map(|_| record))
        })
        .await?
        .ok_or_else(not_found)?;
    let workspace_id = record.workspace_id;
    // Taken before asking: the answer is the provider's state as of at least this instant, and
    // orders the subscription it carries among the events (as the webhook's own fetch does).
    let asked_at = Utc::now();
    let confirmed = match state.billing.confirm_checkout(checkout_id).await {
        Ok(c) => c,
        Err(BillingError::NotFound(_) | BillingError::Rejected { .. }) => return Err(not_found()),
        Err(e) => return Err(provider_error(e)),
    };
    if !confirmed.is_paid() {
        return Err(AppError::validation(
            "That checkout has not been paid, so nothing has changed. You can try again from the pricing page.",
        ));
    }
    let now = super::clock::now_for_customer(
        state,
        record.customer_id.as_deref().or(confirmed.checkout.customer_id.as_deref()),
    )
    .await
    .map_err(provider_error)?;
    let grace = state.config.grace_period_days;
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let ws = Workspace::lock(conn, workspace_id)?;
                let book = plan_book(conn, provider)?;
                // Re-read under the lock: the webhook may have fulfilled it meanwhile.
                let record = CheckoutSession::find(conn, provider, &record.checkout_id)?.ok_or(AppError::NotFound)?;
                let fulfilment = fulfil_checkout(conn, &ws, &book, &record, &confirmed, grace, asked_at, now)?;
                Ok((workspace_id, fulfilment))
            })
        })
        .await
}
