//! The provider's customer portal for a workspace: where its owners update the card, see
//! invoices and cancel. Rate limited like checkouts, since each costs a provider call.

use std::net::IpAddr;

use super::billing_state::load;
use super::{provider_error, require_manager, throttle};
use crate::billing::BillingProvider;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::domain::throttle::Bucket;
use crate::error::AppError;
use crate::state::AppState;

/// The portal's URL, or `None` when the workspace has no customer at the provider yet
/// (nothing to manage: upgrade first).
pub async fn open_portal(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    ip: IpAddr,
) -> Result<Option<String>, AppError> {
    require_manager(actor)?;
    let (_, ws) = load(state, workspace_id).await?;
    let same_provider = ws.billing_provider == Some(state.billing.provider());
    let Some(customer) = ws.provider_customer_id.as_deref().filter(|_| same_provider) else {
        return Ok(None);
    };
    throttle::check(state, vec![Bucket::PortalWorkspace(workspace_id), Bucket::PortalIp(ip)]).await?;
    let return_url = format!("{}/w/{workspace_id}/billing", state.config.base_url);
    let page = state.billing.create_portal_session(customer, &return_url).await.map_err(provider_error)?;
    Ok(Some(page.url))
}
