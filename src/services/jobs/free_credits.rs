//! Monthly credits for workspaces without a subscription, granted each calendar month
//! (subscribed ones are reset by their renewals).

use chrono::Utc;

use super::super::clock::Clocks;
use crate::db::{DbConnection, write_transaction};
use crate::domain::credits::{CreditBucket, monthly_reset_delta};
use crate::error::AppError;
use crate::models::{CreditEntry, NewCreditEntry, Workspace};

pub fn reset_free_monthly_credits(conn: &mut DbConnection) -> Result<usize, AppError> {
    reset_free_monthly_credits_at(conn, &Clocks::real(Utc::now()))
}

/// [`reset_free_monthly_credits`], each workspace in the month of its own "now".
pub fn reset_free_monthly_credits_at(conn: &mut DbConnection, clocks: &Clocks) -> Result<usize, AppError> {
    let mut granted = 0;
    for (id, credits) in Workspace::unsubscribed_with_monthly_credits(conn)? {
        let month = clocks.now(id).format("%Y-%m").to_string();
        let key = format!("workspace:{id}:free-month:{month}");
        if CreditEntry::exists_with_key(conn, &key)? {
            continue;
        }
        write_transaction(conn, |conn| {
            Workspace::lock(conn, id)?;
            let balance = CreditEntry::balance(conn, id)?;
            let entry = NewCreditEntry {
                workspace_id: id,
                bucket: CreditBucket::Monthly,
                delta: monthly_reset_delta(balance, credits),
                reason: "monthly credits for a new month",
                idempotency_key: Some(&key),
                reference: Some(&month),
            };
            if entry.insert(conn)? {
                granted += 1;
            }
            Ok::<_, AppError>(())
        })?;
    }
    Ok(granted)
}
