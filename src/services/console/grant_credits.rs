//! An administrator grants or revokes credits on a workspace, with a reason, through the
//! ledger's own adjustment (a revocation cannot take a bucket below zero), audited in the
//! same transaction.

use serde_json::json;

use super::{Operator, Subject, audit, bad_field, reason};
use crate::db::write_transaction;
use crate::domain::catalog::FieldError;
use crate::domain::credits::{CreditBalance, CreditBucket};
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::services::credits::{Adjustment, adjust_locked};
use crate::state::AppState;

/// The largest single grant or revocation.
const MAX_ADJUSTMENT: i64 = 1_000_000_000;

/// The form as sent: `direction` is `grant` or `revoke`, `amount` a positive whole number.
pub struct CreditChange<'a> {
    pub bucket: &'a str,
    pub direction: &'a str,
    pub amount: &'a str,
    pub reason: &'a str,
}

fn parse(change: &CreditChange<'_>) -> Result<(CreditBucket, i64, String), AppError> {
    let bucket = CreditBucket::parse(change.bucket.trim())
        .ok_or_else(|| bad_field(FieldError::new("bucket", "must be monthly or purchased")))?;
    let amount = match change.amount.trim().parse::<i64>() {
        Ok(n) if (1..=MAX_ADJUSTMENT).contains(&n) => n,
        _ => {
            return Err(bad_field(FieldError::new(
                "amount",
                format!("must be a whole number from 1 to {MAX_ADJUSTMENT}"),
            )));
        }
    };
    let delta = match change.direction {
        "grant" => amount,
        "revoke" => -amount,
        _ => return Err(bad_field(FieldError::new("direction", "must be grant or revoke"))),
    };
    Ok((bucket, delta, reason(change.reason)?))
}

/// Applies the change and returns the balances after it.
pub async fn change_credits(
    state: &AppState,
    operator: Operator,
    workspace_id: WorkspaceId,
    change: CreditChange<'_>,
) -> Result<CreditBalance, AppError> {
    let (bucket, delta, why) = parse(&change)?;
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let adjustment = Adjustment { bucket, delta, reason: why.clone(), actor: operator.email.clone() };
                let (before, after) = adjust_locked(conn, workspace_id, &adjustment)?;
                let action = if delta > 0 { "credits.grant" } else { "credits.revoke" };
                let subject =
                    Subject { kind: "workspace", id: workspace_id.to_string(), workspace: Some(workspace_id) };
                let snapshot = |b: CreditBalance| json!({ "monthly": b.monthly, "purchased": b.purchased });
                audit(conn, &operator, action, &subject, Some(snapshot(before)), Some(snapshot(after)), Some(&why))?;
                Ok(after)
            })
        })
        .await
}
