//! The provider's customer portal for a workspace: where its owners update the card, see
//! invoices and cancel. Rate limited like checkouts, since each costs a provider call.

use super::billing_state::load;
use super::{provider_error, require_manager};
use crate::billing::BillingProvider;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::error::AppError;
use crate::state::AppState;
use crate::throttle::{PER_IP, PER_WORKSPACE};

/// The portal's URL, or `None` when the workspace has no customer at the provider yet
/// (nothing to manage: upgrade first).
pub async fn open_portal(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    ip: &str,
) -> Result<Option<String>, AppError> {
    require_manager(actor)?;
    let (_, ws) = load(state, workspace_id).await?;
    let same_provider = ws.billing_provider == Some(state.billing.provider());
    let Some(customer) = ws.provider_customer_id.as_deref().filter(|_| same_provider) else {
        return Ok(None);
    };
    state
        .limiter
        .check(&[(format!("portal:ws:{workspace_id}"), PER_WORKSPACE), (format!("portal:ip:{ip}"), PER_IP)])?;
    let return_url = format!("{}/w/{workspace_id}/billing", state.config.base_url);
    let page = state.billing.create_portal_session(customer, &return_url).await.map_err(provider_error)?;
    Ok(Some(page.url))
}
