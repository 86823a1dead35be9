//! A workspace's credits as `GET /api/v1/credits` shows them: balances (after recording any
//! cycle that opened or lapsed) and the newest ledger rows.

use chrono::Utc;

use super::credits::settle_now;
use super::entitlements::{WorkspaceEntitlements, entitlements_in};
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::models::{CreditEntry, Workspace};
use crate::state::AppState;

pub async fn credit_history(
    state: &AppState,
    workspace_id: WorkspaceId,
    rows: i64,
) -> Result<(WorkspaceEntitlements, Vec<CreditEntry>), AppError> {
    state
        .db
        .run(move |conn| {
            let now = Utc::now();
            settle_now(conn, workspace_id, now)?;
            let ws = Workspace::find(conn, workspace_id)?;
            let snap = entitlements_in(conn, ws, now)?;
            Ok((snap, CreditEntry::recent(conn, workspace_id, rows)?))
        })
        .await
}

/// Every ledger row of the workspace, oldest first (for the CSV export).
pub async fn full_ledger(state: &AppState, workspace_id: WorkspaceId) -> Result<Vec<CreditEntry>, AppError> {
    state.db.run(move |conn| Ok(CreditEntry::all_for(conn, workspace_id)?)).await
}
