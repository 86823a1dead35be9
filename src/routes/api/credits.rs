//! `GET /api/v1/credits` (balances and the newest ledger rows) and
//! `POST /api/v1/credits/consume` (spend, monthly credits first, once per idempotency key).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::credits::CreditBucket;
use crate::domain::entitlements::Period;
use crate::error::AppResult;
use crate::services::credit_history::credit_history;
use crate::services::credits::{Balances, SpendReceipt, SpendRefusal, SpendRequest, consume as spend};
use crate::state::AppState;
use crate::web::{ApiCaller, JsonFields, json_answer};

/// How many ledger rows `GET /api/v1/credits` lists.
const LEDGER_ROWS: i64 = 50;

#[derive(Serialize, utoipa::ToSchema)]
pub struct LedgerRow {
    pub id: i64,
    /// `monthly` or `purchased`.
    pub bucket: &'static str,
    pub delta: i64,
    pub reason: String,
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreditsBody {
    pub workspace_id: i64,
    pub balances: Balances,
    /// The plan's credits are unlimited: spends always succeed.
    pub unlimited: bool,
    /// What each monthly cycle grants; `null` when unlimited.
    pub monthly_grant: Option<i64>,
    /// The cycle monthly credits belong to; they expire at its end.
    pub period: Period,
    /// The newest ledger rows, newest first.
    pub ledger: Vec<LedgerRow>,
}

/// Balances by bucket and the newest ledger rows.
#[utoipa::path(get, path = "/api/v1/credits", tag = "credits",
    params(("workspace_id" = Option<i64>, Query, description = "With a session: which workspace")),
    responses((status = 200, body = CreditsBody), (status = 401, body = crate::routes::api::openapi::ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn show(state: web::Data<AppState>, caller: ApiCaller) -> AppResult<HttpResponse> {
    let (snap, entries) = credit_history(&state, caller.workspace.id, LEDGER_ROWS).await?;
    let credits = snap.entitlements.credits;
    Ok(HttpResponse::Ok().json(CreditsBody {
        workspace_id: caller.workspace.id.0,
        balances: Balances { monthly: credits.monthly, purchased: credits.purchased, available: credits.available },
        unlimited: credits.unlimited,
        monthly_grant: credits.monthly_grant,
        period: snap.entitlements.period,
        ledger: entries
            .into_iter()
            .map(|e| LedgerRow {
                id: e.id,
                bucket: match e.bucket {
                    CreditBucket::Monthly => "monthly",
                    CreditBucket::Purchased => "purchased",
                },
                delta: e.delta,
                reason: e.reason,
                reference: e.reference,
                created_at: DateTime::from_naive_utc_and_offset(e.created_at, Utc),
            })
            .collect(),
    }))
}

/// A spend request.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the body; it is read field by field by JsonFields")]
pub struct ConsumeRequest {
    /// Credits to spend, 1 to 1,000,000,000.
    amount: i64,
    /// Names this spend: a retry with the same key spends nothing and gets the first answer.
    idempotency_key: String,
    /// Kept in the ledger.
    reason: Option<String>,
}

/// Spends credits, monthly first. 402 when not enough are available (nothing is spent).
/// The same `idempotency_key` never spends twice: it gets the first answer again, with the
/// header `Idempotent-Replayed: true`.
#[utoipa::path(post, path = "/api/v1/credits/consume", tag = "credits", request_body = ConsumeRequest,
    params(("workspace_id" = Option<i64>, Query, description = "With a session: which workspace")),
    responses((status = 200, body = SpendReceipt), (status = 402, body = SpendRefusal),
        (status = 409, body = crate::routes::api::openapi::ErrorBody, description = "The key was used for a different spend"),
        (status = 422, body = crate::routes::api::openapi::ErrorBody, description = "A field is invalid (`field` names it)")),
    security(("api_key" = []), ("session" = [])))]
pub async fn consume(state: web::Data<AppState>, caller: ApiCaller, body: JsonFields) -> AppResult<HttpResponse> {
    let request = SpendRequest {
        amount: body.int("amount", 1, 1_000_000_000)?,
        idempotency_key: body.string("idempotency_key", 255)?,
        reason: body.opt_string("reason", 200)?.unwrap_or_default(),
    };
    let answer = spend(&state, caller.workspace.id, request).await?;
    Ok(json_answer(answer.status, answer.body, answer.replayed))
}
