//! Request plumbing shared by every page: the signed-in user and workspace extractors,
//! CSRF-checked forms, one-shot flash notices, the layout every page renders in, the
//! client's address, the access log's view of a request, and for the JSON API its caller
//! (key or session), gates and field-by-field bodies.

pub mod access_log;
pub mod admin;
mod admin_api;
mod admin_form;
mod api_auth;
mod api_json;
mod client_ip;
mod csrf;
mod extractors;
mod flash;
mod gates;
mod layout;

pub use crate::urls::{encode_component, login_url, safe_next};
pub use admin::AdminAccess;
pub use admin_api::PlatformAdmin;
pub use admin_form::AdminForm;
pub use api_auth::{ApiCaller, Credential};
pub use api_json::{JsonFields, json_answer};
pub use client_ip::client_ip;
pub use csrf::{CsrfForm, FORM_LIMIT, csrf_token};
pub use extractors::{SignedIn, Viewer, ViewerLoad, ViewerPage, WorkspaceAccess, WorkspaceLoad, WorkspacePage};
pub use flash::{Flash, FlashKind, set_flash, take_flash};
pub use gates::{Analytics, ApiAccess, Feature, GateSubject, RequireFeature, RequirePaidPlan};
pub use layout::Layout;

use actix_web::HttpResponse;
use actix_web::http::header;

/// Session keys, in one place so no handler spells them differently.
pub mod keys {
    pub const USER_ID: &str = "uid";
    /// The token of the server-side session (see `services::sessions`).
    pub const SESSION: &str = "sid";
    pub const CSRF: &str = "csrf";
    pub const FLASH: &str = "flash";
    pub const WORKSPACE: &str = "ws";
}

pub use crate::domain::dates::format_date;

/// 303 See Other: the answer to a successful form POST (the browser then GETs `location`).
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Renders an askama page as a response with `status`.
pub fn render<T: askama::Template>(
    page: &T,
    status: actix_web::http::StatusCode,
) -> crate::error::AppResult<HttpResponse> {
    let body = page.render()?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

pub fn page<T: askama::Template>(page: &T) -> crate::error::AppResult<HttpResponse> {
    render(page, actix_web::http::StatusCode::OK)
}
