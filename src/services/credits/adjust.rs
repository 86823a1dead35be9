//! An operator's grant or revocation of credits, with a reason, through the same ledger as
//! everything else: the `tollgate credits adjust` command and the admin console call it.

use chrono::Utc;

use super::settle::{PlanSource, settle_monthly};
use crate::db::{DbConnection, write_transaction};
use crate::domain::credits::{CreditBalance, CreditBucket};
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::models::{CreditEntry, NewCreditEntry, Workspace};
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct Adjustment {
    pub bucket: CreditBucket,
    /// Positive grants, negative revokes.
    pub delta: i64,
    pub reason: String,
    /// Who did it, for the ledger's reason.
    pub actor: String,
}

/// Applies `adjustment` and returns the balances after it. A revocation may not take a
/// bucket below zero: credits already spent stay spent.
pub async fn adjust_credits(
    state: &AppState,
    workspace_id: WorkspaceId,
    adjustment: Adjustment,
) -> Result<CreditBalance, AppError> {
    state.db.run(move |conn| adjust_in(conn, workspace_id, &adjustment)).await
}

/// `adjust_credits` on a connection of the caller's (the `tollgate credits adjust` command).
pub fn adjust_in(
    conn: &mut DbConnection,
    workspace_id: WorkspaceId,
    adjustment: &Adjustment,
) -> Result<CreditBalance, AppError> {
    write_transaction(conn, |conn| adjust_locked(conn, workspace_id, adjustment).map(|(_, after)| after))
}

/// The adjustment inside the caller's write transaction (which it may extend, e.g. with an
/// audit entry): locks the workspace, appends the ledger row, and returns the balances
/// before and after.
pub fn adjust_locked(
    conn: &mut DbConnection,
    workspace_id: WorkspaceId,
    adjustment: &Adjustment,
) -> Result<(CreditBalance, CreditBalance), AppError> {
    let reason = adjustment.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid_field("reason", "Say why the credits are granted or revoked."));
    }
    if adjustment.delta == 0 {
        return Err(AppError::invalid_field("delta", "Grant or revoke at least one credit."));
    }
    let ws = Workspace::lock(conn, workspace_id)?;
    // A grant into a cycle that has just ended must not be wiped by its settling.
    settle_monthly(conn, PlanSource::Stored, &ws, None, Utc::now(), None)?;
    let before = CreditEntry::balance(conn, workspace_id)?;
    let held = match adjustment.bucket {
        CreditBucket::Monthly => before.monthly,
        CreditBucket::Purchased => before.purchased,
    };
    if held + adjustment.delta < 0 {
        return Err(AppError::invalid_field(
            "delta",
            format!("The {} bucket holds {held}; it cannot lose {}.", adjustment.bucket.as_str(), -adjustment.delta),
        ));
    }
    let verb = if adjustment.delta > 0 { "granted" } else { "revoked" };
    NewCreditEntry {
        workspace_id,
        bucket: adjustment.bucket,
        delta: adjustment.delta,
        reason: &format!("{verb} by {}: {reason}", adjustment.actor),
        idempotency_key: None,
        reference: Some("adjustment"),
    }
    .insert(conn)?;
    Ok((before, CreditEntry::balance(conn, workspace_id)?))
}
