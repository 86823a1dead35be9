//! `POST /api/v1/usage`: records usage of a limited metric for the current period.

use actix_web::{HttpResponse, web};

use crate::error::AppResult;
use crate::services::usage::{UsageReceipt, UsageRequest, record_usage};
use crate::state::AppState;
use crate::web::{ApiCaller, JsonFields, json_answer};

/// A usage report.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[expect(dead_code, reason = "documents the body; it is read field by field by JsonFields")]
pub struct UsageRequestBody {
    /// A metric some plan limits (`projects`).
    metric: String,
    /// How much to add, 1 to 1,000,000,000.
    quantity: i64,
    /// Names this report: a retry with the same key records nothing and gets the first answer.
    idempotency_key: String,
}

/// Records usage. 402 when it would pass the plan's limit for this period (nothing is
/// recorded); 422 for a metric no plan limits.
#[utoipa::path(post, path = "/api/v1/usage", tag = "usage", request_body = UsageRequestBody,
    params(("workspace_id" = Option<i64>, Query, description = "With a session: which workspace")),
    responses((status = 200, body = UsageReceipt),
        (status = 402, body = crate::routes::api::openapi::ErrorBody, description = "`quota_exceeded`, with `limit`, `used` and `upgrade_url`"),
        (status = 422, body = crate::routes::api::openapi::ErrorBody, description = "A field is invalid (`field` names it)")),
    security(("api_key" = []), ("session" = [])))]
pub async fn record(state: web::Data<AppState>, caller: ApiCaller, body: JsonFields) -> AppResult<HttpResponse> {
    let request = UsageRequest {
        metric: body.string("metric", 64)?,
        quantity: body.int("quantity", 1, 1_000_000_000)?,
        idempotency_key: body.string("idempotency_key", 255)?,
    };
    let answer = record_usage(&state, caller.workspace.id, request).await?;
    Ok(json_answer(answer.status, answer.body, answer.replayed))
}
