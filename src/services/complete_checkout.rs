//! The success redirect: asks the provider about the checkout (the URL proves nothing),
//! checks it belongs to a workspace of this user and is paid, then fulfils it through the
//! same idempotent path the webhook uses.

use chrono::Utc;

use super::catalog::plan_book;
use super::fulfil_checkout::{Fulfilment, fulfil_checkout};
use super::provider_error;
use crate::billing::{BillingError, BillingProvider};
use crate::db::write_transaction;
use crate::domain::ids::{UserId, WorkspaceId};
use crate::error::AppError;
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
    let confirmed = match state.billing.confirm_checkout(checkout_id).await {
        Ok(c) => c,
        Err(BillingError::NotFound(_) | BillingError::Rejected { .. }) => return Err(not_found()),
        Err(e) => return Err(provider_error(e)),
    };
    let workspace_id = confirmed.workspace_id().map(WorkspaceId).ok_or_else(not_found)?;
    let provider = state.billing.provider();
    let grace = state.config.grace_period_days;
    let paid = confirmed.is_paid();
    state
        .db
        .run(move |conn| {
            // Someone else's checkout looks exactly like one that does not exist.
            if Membership::find(conn, workspace_id, user_id)?.is_none() {
                return Err(not_found());
            }
            if !paid {
                return Err(AppError::validation(
                    "That checkout has not been paid, so nothing has changed. You can try again from the pricing page.",
                ));
            }
            write_transaction(conn, |conn| {
                let ws = Workspace::lock(conn, workspace_id)?;
                let book = plan_book(conn, provider)?;
                let fulfilment = fulfil_checkout(conn, &ws, &book, &confirmed, grace, Utc::now())?;
                Ok((workspace_id, fulfilment))
            })
        })
        .await
}
