//! Monthly credits for workspaces without a subscription, granted each calendar month
//! (subscribed ones are reset by their renewals).

use chrono::Utc;

use crate::db::{DbConnection, write_transaction};
use crate::domain::credits::{CreditBucket, monthly_reset_delta};
use crate::error::AppError;
use crate::models::{CreditEntry, NewCreditEntry, Workspace};

pub fn reset_free_monthly_credits(conn: &mut DbConnection) -> Result<usize, AppError> {
    let month = Utc::now().format("%Y-%m").to_string();
    let mut granted = 0;
    for (id, credits) in Workspace::unsubscribed_with_monthly_credits(conn)? {
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
