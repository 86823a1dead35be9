//! What the workspace will be charged next, as the provider previews it.

use super::billing_state::load;
use super::provider_error;
use crate::billing::{BillingProvider, InvoicePreview};
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::state::AppState;

pub async fn upcoming_invoice(state: &AppState, workspace_id: WorkspaceId) -> Result<InvoicePreview, AppError> {
    let (_, ws) = load(state, workspace_id).await?;
    let same_provider = ws.billing_provider == Some(state.billing.provider());
    let (Some(customer), Some(subscription)) = (
        ws.provider_customer_id.as_deref().filter(|_| same_provider),
        ws.provider_subscription_id.as_deref().filter(|_| same_provider),
    ) else {
        return Err(AppError::problem(
            actix_web::http::StatusCode::NOT_FOUND,
            "no_subscription",
            "The workspace has no subscription, so nothing is due.",
        ));
    };
    state.billing.preview_upcoming_invoice(customer, subscription).await.map_err(provider_error)
}
