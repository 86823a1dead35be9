//! Recording usage against a plan's named limits (`projects = 10`), per workspace per
//! period: the same monthly cycle credits run on (a monthly plan's billing period, an
//! annual plan's monthly slice, a calendar month without a subscription), so counters
//! restart when a cycle starts. A report that would pass the limit is refused with 402 and
//! records nothing; every answer is kept under its idempotency key and replayed for it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::entitlements::{entitlements_in, quota_exceeded};
use crate::db::{DbConnection, write_transaction};
use crate::domain::entitlements::{Period, QuotaError, known_metrics};
use crate::domain::ids::WorkspaceId;
use crate::error::{AppError, Problem};
use crate::models::Workspace;
use crate::models::usage_record::{NewUsageRecord, RECORDED, UsageRecord};
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRequest {
    pub metric: String,
    pub quantity: i64,
    pub idempotency_key: String,
}

/// The stored answer: status and JSON body, replayed as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageAnswer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// 200: what was recorded and where the period's count stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UsageReceipt {
    pub metric: String,
    pub recorded: i64,
    pub used: i64,
    /// `None` = unlimited on this plan.
    pub limit: Option<i64>,
    pub remaining: Option<i64>,
    pub period: Period,
    pub idempotency_key: String,
}

fn problem_body(problem: &Problem) -> Result<String, AppError> {
    let mut body = serde_json::Map::new();
    body.insert("error".to_owned(), problem.message.clone().into());
    body.insert("code".to_owned(), problem.code.into());
    body.extend(problem.fields.clone());
    serde_json::to_string(&body).map_err(|e| AppError::internal(format!("encoding a usage answer: {e}")))
}

/// Records `request` for `ws` (the caller holds a write transaction and the workspace lock).
pub fn record_in_transaction(
    conn: &mut DbConnection,
    ws: Workspace,
    request: &UsageRequest,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<UsageAnswer, AppError> {
    if let Some(first) = UsageRecord::find(conn, ws.id, &request.idempotency_key)? {
        if first.metric != request.metric || first.quantity != request.quantity {
            return Err(AppError::problem(
                actix_web::http::StatusCode::CONFLICT,
                "idempotency_key_reused",
                "That idempotency key was used for different usage. Use a new key for new usage.",
            ));
        }
        let status = u16::try_from(first.status).unwrap_or(500);
        return Ok(UsageAnswer { status, body: first.answer, replayed: true });
    }
    let snap = entitlements_in(conn, ws, now)?;
    let (status, body) = match snap.entitlements.check_quota(&request.metric, request.quantity) {
        Err(QuotaError::UnknownMetric) => {
            let known = known_metrics(&snap.catalog).join(", ");
            return Err(AppError::invalid_field(
                "metric",
                format!("Unknown metric \u{201c}{}\u{201d}: the catalog limits {known}.", request.metric),
            ));
        }
        Err(QuotaError::Exceeded { .. }) => {
            let error = quota_exceeded(&snap, &request.metric, base_url).with_field("requested", request.quantity);
            let AppError::Problem(problem) = &error else {
                return Err(error);
            };
            (402, problem_body(problem)?)
        }
        Ok(allowance) => {
            let used = allowance.used + request.quantity;
            let receipt = UsageReceipt {
                metric: request.metric.clone(),
                recorded: request.quantity,
                used,
                limit: allowance.limit,
                remaining: allowance.limit.map(|l| (l - used).max(0)),
                period: snap.entitlements.period.clone(),
                idempotency_key: request.idempotency_key.clone(),
            };
            let body = serde_json::to_string(&receipt)
                .map_err(|e| AppError::internal(format!("encoding a usage answer: {e}")))?;
            (RECORDED, body)
        }
    };
    NewUsageRecord {
        workspace_id: snap.workspace.id,
        metric: &request.metric,
        quantity: request.quantity,
        period_key: &snap.cycle.key,
        idempotency_key: &request.idempotency_key,
        status,
        answer: &body,
        created_at: now.naive_utc(),
    }
    .insert(conn)?;
    Ok(UsageAnswer { status: u16::try_from(status).unwrap_or(500), body, replayed: false })
}

/// One report in its own transaction with the workspace locked, so concurrent reports
/// cannot both fit under a limit only one of them fits.
pub async fn record_usage(
    state: &AppState,
    workspace_id: WorkspaceId,
    request: UsageRequest,
) -> Result<UsageAnswer, AppError> {
    let base_url = state.config.base_url.clone();
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let ws = Workspace::lock(conn, workspace_id)?;
                record_in_transaction(conn, ws, &request, &base_url, Utc::now())
            })
        })
        .await
}
