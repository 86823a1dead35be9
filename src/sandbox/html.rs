//! What the sandbox's own pages need, kept apart from the app's: a CSRF token stored in the
//! cookie session under the sandbox's own key, a form extractor that checks it before the
//! handler runs (so a forged POST changes nothing), and rendering and redirect helpers.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use base64::Engine;
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::error::PageError;

/// The session key of the sandbox's CSRF token (the app keeps its own under another key).
const CSRF_KEY: &str = "sandbox_csrf";
/// Forms and API bodies are small; anything bigger is refused before parsing.
pub const FORM_LIMIT: usize = 64 * 1024;

/// The session's sandbox CSRF token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF_KEY) {
        return token;
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    // A failed insert only means the next form will be refused; log it rather than fail the page.
    if let Err(e) = session.insert(CSRF_KEY, &token) {
        log::warn!("sandbox: could not store a CSRF token in the session: {e}");
    }
    token
}

/// A urlencoded form whose `csrf_token` field matched the session's sandbox token.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| match e.as_response_error().status_code() {
                StatusCode::PAYLOAD_TOO_LARGE => PageError::TooLarge,
                _ => PageError::BadForm,
            })?;
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| PageError::BadForm)?;
            let sent = fields.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str());
            let expected = session.get::<String>(CSRF_KEY).ok().flatten();
            match (sent, expected) {
                (Some(sent), Some(expected)) if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) => {}
                _ => return Err(PageError::Csrf),
            }
            serde_urlencoded::from_bytes::<T>(&body).map(CsrfForm).map_err(|_| PageError::BadForm)
        })
    }
}

/// Renders a page of the sandbox's as a response with `status`.
pub fn render<T: Template>(page: &T, status: StatusCode) -> Result<HttpResponse, PageError> {
    let body = page.render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

/// 303 See Other: the answer to a successful form POST.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}
