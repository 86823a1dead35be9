//! Who calls the JSON API: `ApiCaller` accepts a workspace API key
//! (`Authorization: Bearer tgk_…`) or the browser's session cookie.
//!
//! - A key acts for its own workspace, as an admin, on plans with `api_access`. A key that
//!   is malformed, unknown, revoked, or names another workspace (in the path or the
//!   `workspace_id` query parameter) gets 401; a key on a plan without `api_access` gets
//!   the gates' 402.
//! - A session acts as its user in the workspace of the path, the `workspace_id` query
//!   parameter, or else the one they last used. A workspace they are not a member of is 404,
//!   as on the pages. Writes (anything but GET/HEAD) must carry the session's CSRF token in an
//!   `X-CSRF-Token` header (the pages put it in `<meta name="csrf-token">`); key requests are
//!   exempt, since no browser sends a key by itself.

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use subtle::ConstantTimeEq;

use super::{SignedIn, keys};
use crate::domain::api_keys::bearer_token;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::error::AppError;
use crate::models::{Membership, Workspace};
use crate::services::api_keys::{API_ACCESS, authenticate};
use crate::services::credits::applying_plan;
use crate::services::entitlements::{entitlements_in, require_feature};
use crate::state::AppState;

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    ApiKey { id: i64 },
    Session { email: String },
}

pub struct ApiCaller {
    pub workspace: Workspace,
    pub role: Role,
    pub credential: Credential,
}

/// The workspace a request names: `{workspace_id}` in the path, else `?workspace_id=`.
fn named_workspace(req: &HttpRequest) -> Result<Option<WorkspaceId>, AppError> {
    let raw = req.match_info().get("workspace_id").map(str::to_owned).or_else(|| {
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("workspace_id").cloned())
    });
    match raw {
        None => Ok(None),
        Some(raw) => raw.parse().map(Some).map_err(|_| AppError::NotFound),
    }
}

fn is_write(req: &HttpRequest) -> bool {
    !matches!(*req.method(), Method::GET | Method::HEAD)
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let named = named_workspace(req);
        let authorization = req.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or("").to_owned());
        if let Some(authorization) = authorization {
            return Box::pin(async move {
                let state = state.ok_or_else(|| AppError::internal("AppState missing from app data"))?;
                by_key(&state, &authorization, named?).await
            });
        }
        let csrf_sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let write = is_write(req);
        let session = req.get_session();
        let signed_in = SignedIn::from_request(req, payload);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("AppState missing from app data"))?;
            let who = signed_in.await?;
            if write {
                let expected = session.get::<String>(keys::CSRF).ok().flatten();
                match (csrf_sent, expected) {
                    (Some(sent), Some(expected)) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => {}
                    _ => return Err(AppError::Csrf),
                }
            }
            let remembered = session.get::<i64>(keys::WORKSPACE).ok().flatten().map(WorkspaceId);
            let workspace_id = named?
                .or(remembered.filter(|id| who.nav.iter().any(|w| w.id == *id)))
                .or_else(|| who.nav.first().map(|w| w.id))
                .ok_or(AppError::NotFound)?;
            let user_id = who.user.id;
            let (workspace, role) = state
                .db
                .run(move |conn| {
                    let membership = Membership::find(conn, workspace_id, user_id)?.ok_or(AppError::NotFound)?;
                    Ok((Workspace::find(conn, workspace_id)?, membership.role))
                })
                .await?;
            Ok(ApiCaller { workspace, role, credential: Credential::Session { email: who.user.email } })
        })
    }
}

async fn by_key(state: &AppState, authorization: &str, named: Option<WorkspaceId>) -> Result<ApiCaller, AppError> {
    let token = bearer_token(authorization)
        .ok_or_else(|| AppError::invalid_api_key("Send the key as `Authorization: Bearer tgk_…`."))?
        .to_owned();
    let base_url = state.config.base_url.clone();
    state
        .db
        .run(move |conn| {
            let now = Utc::now();
            let (key, workspace) = authenticate(conn, &token, now)?;
            if named.is_some_and(|id| id != workspace.id) {
                return Err(AppError::invalid_api_key("That API key belongs to another workspace."));
            }
            // The cheap check first: the full entitlements only to explain a refusal.
            if !applying_plan(conn, &workspace, now)?.has_feature(API_ACCESS) {
                let snap = entitlements_in(conn, workspace, now)?;
                require_feature(&snap, API_ACCESS, &base_url)?;
                return Err(AppError::internal("api_access refused by the plan but allowed by its entitlements"));
            }
            Ok(ApiCaller { workspace, role: Role::Admin, credential: Credential::ApiKey { id: key.id } })
        })
        .await
}
