//! Spending credits: monthly first, never below zero, once per idempotency key.
//!
//! `spend_in_transaction` does the work on a connection whose caller holds a write
//! transaction and the workspace's lock; `consume`, which the API uses, runs it through the
//! group-commit writer, so spends that arrive together share one durable commit. The answer is stored with the key: the same key never spends twice and always gets
//! the first answer back, whether that was a spend or a refusal.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::settle::{PlanSource, effective_grant, settle_monthly};
use crate::db::DbConnection;
use crate::domain::credits::{CreditBalance, CreditBucket, SpendError, plan_spend};
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::models::credit_spend::{CreditSpend, NewCreditSpend};
use crate::models::{NewCreditEntry, Workspace};
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendRequest {
    pub amount: i64,
    pub idempotency_key: String,
    pub reason: String,
}

/// The stored answer: an HTTP status and its JSON body, replayed as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendAnswer {
    pub status: u16,
    pub body: String,
    /// True when this is the stored answer of an earlier request with the same key.
    pub replayed: bool,
}

/// Balances by bucket, and what can be spent (negative buckets count as empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Balances {
    pub monthly: i64,
    pub purchased: i64,
    pub available: i64,
}

impl From<CreditBalance> for Balances {
    fn from(b: CreditBalance) -> Balances {
        Balances { monthly: b.monthly, purchased: b.purchased, available: b.monthly.max(0) + b.purchased.max(0) }
    }
}

/// 200: what was taken from each bucket and the balances after.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpendReceipt {
    pub spent: i64,
    pub from_monthly: i64,
    pub from_purchased: i64,
    pub balances: Balances,
    /// The plan's credits are unlimited: nothing was taken from a bucket.
    pub unlimited: bool,
    pub idempotency_key: String,
}

/// 402: nothing was spent; what is available.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpendRefusal {
    pub error: String,
    pub code: &'static str,
    pub requested: i64,
    pub available: Balances,
}

fn to_json<T: Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(|e| AppError::internal(format!("encoding a spend answer: {e}")))
}

/// The error code of a spend whose idempotency key was used for a different spend.
const KEY_REUSED: &str = "idempotency_key_reused";

/// Spends `request` from `ws` (see the module docs for what the caller must hold).
pub fn spend_in_transaction(
    conn: &mut DbConnection,
    ws: &Workspace,
    request: &SpendRequest,
    now: DateTime<Utc>,
) -> Result<SpendAnswer, AppError> {
    if let Some(first) = CreditSpend::find(conn, ws.id, &request.idempotency_key)? {
        if first.amount != request.amount || first.reason != request.reason {
            return Err(AppError::problem(
                actix_web::http::StatusCode::CONFLICT,
                KEY_REUSED,
                "That idempotency key was used for a different spend. Use a new key for a new spend.",
            ));
        }
        let status = u16::try_from(first.status).unwrap_or(500);
        return Ok(SpendAnswer { status, body: first.answer, replayed: true });
    }
    settle_monthly(conn, PlanSource::Stored, ws, None, now, None)?;
    let balance = crate::models::CreditEntry::balance(conn, ws.id)?;
    let unlimited = effective_grant(conn, ws, now)?.is_none();
    let planned = if unlimited {
        Ok(crate::domain::credits::Spend { from_monthly: 0, from_purchased: 0 })
    } else {
        plan_spend(balance, request.amount)
    };
    let (status, body, spend) = match planned {
        Ok(spend) => {
            let after = CreditBalance {
                monthly: balance.monthly - spend.from_monthly,
                purchased: balance.purchased - spend.from_purchased,
            };
            let receipt = SpendReceipt {
                spent: request.amount,
                from_monthly: spend.from_monthly,
                from_purchased: spend.from_purchased,
                balances: after.into(),
                unlimited,
                idempotency_key: request.idempotency_key.clone(),
            };
            (200, to_json(&receipt)?, spend)
        }
        Err(SpendError::Insufficient { available, requested }) => {
            let refusal = SpendRefusal {
                error: format!("Not enough credits: {available} available, {requested} requested. Nothing was spent."),
                code: "insufficient_credits",
                requested,
                available: balance.into(),
            };
            (402, to_json(&refusal)?, crate::domain::credits::Spend { from_monthly: 0, from_purchased: 0 })
        }
        Err(SpendError::NotPositive) => {
            return Err(AppError::invalid_field("amount", SpendError::NotPositive.to_string()));
        }
    };
    let reason = if request.reason.is_empty() { "spent".to_owned() } else { format!("spent: {}", request.reason) };
    for (bucket, taken) in
        [(CreditBucket::Monthly, spend.from_monthly), (CreditBucket::Purchased, spend.from_purchased)]
    {
        if taken > 0 {
            NewCreditEntry {
                workspace_id: ws.id,
                bucket,
                delta: -taken,
                reason: &reason,
                idempotency_key: None,
                reference: Some(&request.idempotency_key),
            }
            .insert(conn)?;
        }
    }
    NewCreditSpend {
        workspace_id: ws.id,
        idempotency_key: &request.idempotency_key,
        amount: request.amount,
        reason: &request.reason,
        from_monthly: spend.from_monthly,
        from_purchased: spend.from_purchased,
        status: i32::from(status),
        answer: &body,
        created_at: now.naive_utc(),
    }
    .insert(conn)?;
    Ok(SpendAnswer { status, body, replayed: false })
}

/// One spend through the group-commit writer, with the workspace locked: concurrent spends
/// on one workspace take turns, spends that arrive together share one commit, and the answer
/// is sent only once that commit is on disk.
pub async fn consume(
    state: &AppState,
    workspace_id: WorkspaceId,
    request: SpendRequest,
) -> Result<SpendAnswer, AppError> {
    state
        .db
        .writer()
        .write(move |conn| {
            let ws = Workspace::lock(conn, workspace_id)?;
            match spend_in_transaction(conn, &ws, &request, Utc::now()) {
                // A key reused for another spend is refused before anything is written: the
                // answer commits as it is, so the writes sharing its transaction are not undone
                // and done again for it (which a client could otherwise cause at will).
                Err(refused) if refused.code() == KEY_REUSED => Ok(Err(refused)),
                spent => spent.map(Ok),
            }
        })
        .await
        .map_err(|e| AppError::internal(e.to_string()))??
}
