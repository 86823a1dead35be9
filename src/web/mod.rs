//! Request plumbing shared by every page: the signed-in user and workspace extractors,
//! CSRF-checked forms, one-shot flash notices, and the layout every page renders in.

mod csrf;
mod extractors;
mod flash;
mod layout;
pub mod rate_limit;

pub use csrf::{CsrfForm, FORM_LIMIT, csrf_token};
pub use extractors::{SignedIn, Viewer, WorkspaceAccess};
pub use flash::{Flash, FlashKind, set_flash, take_flash};
pub use layout::Layout;

use actix_web::HttpResponse;
use actix_web::http::header;

/// Session keys, in one place so no handler spells them differently.
pub mod keys {
    pub const USER_ID: &str = "uid";
    pub const CSRF: &str = "csrf";
    pub const FLASH: &str = "flash";
    pub const WORKSPACE: &str = "ws";
}

/// `next` is only honoured when it is a path on this site: an absolute URL,
/// a protocol-relative `//host` or a backslash trick would send people elsewhere.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then(|| next.to_owned())
}

pub fn login_url(next: &str) -> String {
    match safe_next(Some(next)) {
        Some(path) if path != "/" => format!("/login?next={}", encode_component(&path)),
        _ => "/login".to_owned(),
    }
}

/// Percent-encodes a query-string component.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Dates as people read them on billing pages: `12 Jan 2027`.
pub fn format_date(at: &chrono::NaiveDateTime) -> String {
    at.format("%-d %b %Y").to_string()
}

/// The client's address for rate limiting (the proxy's view when behind one).
pub fn client_ip(req: &actix_web::HttpRequest) -> String {
    req.connection_info().realip_remote_addr().unwrap_or("unknown").to_owned()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next(Some("/w/1/billing?x=1")), Some("/w/1/billing?x=1".into()));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
            "javascript:alert(1)",
            "/a\\b",
            "/\nSet-Cookie",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(login_url("/pricing"), "/login?next=/pricing");
        assert_eq!(login_url("/w/1/billing?a=b&c"), "/login?next=/w/1/billing%3Fa%3Db%26c");
        assert_eq!(login_url("https://evil.example"), "/login");
    }
}
