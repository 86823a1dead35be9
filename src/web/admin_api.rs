//! `PlatformAdmin`: who calls the admin JSON API (`/api/v1/admin/…`). Either an instance
//! administrator's session — writes then carry the session's CSRF token in `X-CSRF-Token`,
//! as on the rest of the API — or an administrator's API key (`tollgate admin key create
//! EMAIL`) as `Authorization: Bearer tgk_…`. Everyone else, a workspace key included, gets the
//! same 404 as for an address that does not exist.

use actix_session::SessionExt;
use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use subtle::ConstantTimeEq;

use super::{AdminAccess, keys};
use crate::domain::api_keys::bearer_token;
use crate::domain::ids::UserId;
use crate::error::AppError;
use crate::services::admin_keys::admin_for_key;
use crate::state::AppState;

pub struct PlatformAdmin {
    pub email: String,
    pub user_id: UserId,
}

impl FromRequest for PlatformAdmin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        if let Some(authorization) = req.headers().get(header::AUTHORIZATION) {
            let token = authorization.to_str().ok().and_then(bearer_token).map(str::to_owned);
            return Box::pin(async move {
                let state = state.ok_or_else(|| AppError::internal("AppState missing from app data"))?;
                let token = token.ok_or(AppError::NotFound)?;
                let config = state.config.clone();
                let user = state
                    .db
                    .run(move |conn| Ok(admin_for_key(conn, &config, &token, crate::models::now())?))
                    .await?
                    .ok_or(AppError::NotFound)?;
                Ok(PlatformAdmin { email: user.email, user_id: user.id })
            });
        }
        let write = !matches!(*req.method(), Method::GET | Method::HEAD);
        let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let session = req.get_session();
        let admin = AdminAccess::from_request(req, payload);
        Box::pin(async move {
            let admin = admin.await?;
            if write {
                let expected = session.get::<String>(keys::CSRF).ok().flatten();
                match (sent, expected) {
                    (Some(sent), Some(expected)) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => {}
                    _ => return Err(AppError::Csrf),
                }
            }
            Ok(PlatformAdmin { email: admin.user.email, user_id: admin.user.id })
        })
    }
}
