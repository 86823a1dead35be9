//! Ending an add-on at the end of its billing period: the provider is told first, then the
//! add-on is marked as ending; its subscription's events finish the job.

use chrono::Utc;

use super::{provider_error, require_manager};
use crate::billing::BillingProvider;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::error::AppError;
use crate::models::WorkspaceAddon;
use crate::state::AppState;

pub async fn cancel_addon(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    code: &str,
) -> Result<String, AppError> {
    require_manager(actor)?;
    let code = code.to_owned();
    let (owned, name) = state
        .db
        .run(move |conn| Ok(WorkspaceAddon::find_current_by_code(conn, workspace_id, &code, Utc::now())?))
        .await?
        .ok_or(AppError::NotFound)?;
    let subscription = owned
        .provider_subscription_id
        .clone()
        .ok_or_else(|| AppError::internal(format!("add-on row {} has no subscription", owned.id)))?;
    let price = owned.addon_price_id.clone().unwrap_or_default();
    state.billing.cancel_addon(&subscription, &price).await.map_err(provider_error)?;
    let row_id = owned.id;
    state.db.run(move |conn| Ok(WorkspaceAddon::mark_cancel_at_period_end(conn, row_id)?)).await?;
    Ok(format!("{name} will end at the end of its billing period."))
}
