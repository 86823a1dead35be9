//! CSRF protection for every state-changing form: a random token kept in the (encrypted)
//! session and echoed in a hidden field; `CsrfForm<T>` refuses a POST whose field does not
//! match before the handler runs, so nothing is written.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::keys;
use crate::error::AppError;

/// Forms are small; anything bigger is refused with 413 before parsing.
pub const FORM_LIMIT: usize = 64 * 1024;

/// The session's CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(keys::CSRF) {
        return token;
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    // A failed insert only means the next form will be refused; log it rather than fail the page.
    if let Err(e) = session.insert(keys::CSRF, &token) {
        log::warn!("could not store CSRF token in session: {e}");
    }
    token
}

/// A urlencoded form whose `csrf_token` field matched the session's token.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| match e.as_response_error().status_code().as_u16() {
                413 => AppError::PayloadTooLarge,
                _ => AppError::bad_request("The form could not be read."),
            })?;
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|_| AppError::bad_request("The form could not be read."))?;
            let sent = fields.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str());
            let expected = session.get::<String>(keys::CSRF).ok().flatten();
            match (sent, expected) {
                (Some(sent), Some(expected)) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => {}
                _ => return Err(AppError::Csrf),
            }
            serde_urlencoded::from_bytes::<T>(&body)
                .map(CsrfForm)
                .map_err(|e| AppError::bad_request(format!("The form is missing something: {e}.")))
        })
    }
}
