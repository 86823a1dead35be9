//! What several admin pages show the same way: audit entries with before → after, times,
//! money, the operator behind a form, and pagination links.

use chrono::NaiveDateTime;

use crate::domain::admin_query::Page;
use crate::domain::money::format_money;
use crate::error::AppError;
use crate::models::AuditEntry;
use crate::services::console::Operator;
use crate::web::{AdminAccess, encode_component, format_date};

/// `3 Feb 2026 14:05`.
pub fn when(at: &NaiveDateTime) -> String {
    format!("{} {}", format_date(at), at.format("%H:%M"))
}

pub fn maybe_when(at: &Option<NaiveDateTime>) -> String {
    at.as_ref().map(when).unwrap_or_default()
}

pub fn money(minor: i64, currency: &str) -> String {
    format_money(minor, currency)
}

/// The query string, read after the admin check (an extractor would answer a malformed one
/// with a 400 before `AdminAccess` could answer 404).
pub fn query<T: serde::de::DeserializeOwned>(req: &actix_web::HttpRequest) -> Result<T, AppError> {
    serde_urlencoded::from_str(req.query_string()).map_err(|_| AppError::bad_request("The search could not be read."))
}

pub fn operator(admin: &AdminAccess) -> Operator {
    Operator { user_id: admin.user.id, email: admin.user.email.clone() }
}

/// One audit entry as the pages list it.
pub struct AuditView {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
    pub reason: String,
}

pub fn audit_views(entries: Vec<AuditEntry>) -> Vec<AuditView> {
    entries
        .into_iter()
        .map(|e| AuditView {
            when: when(&e.created_at),
            actor: e.actor,
            action: e.action,
            subject: format!("{} {}", e.subject_type, e.subject_id),
            before: e.before_json.unwrap_or_default(),
            after: e.after_json.unwrap_or_default(),
            reason: e.reason.unwrap_or_default(),
        })
        .collect()
}

/// Previous/next links for a list, keeping its filters (`query` is already encoded, without
/// `page`).
pub struct Pager {
    pub number: i64,
    pub pages: i64,
    pub total: i64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    pub fn new(path: &str, query: &[(&str, Option<String>)], page: Page, total: i64) -> Pager {
        let pages = Page::count(total);
        let kept: String = query
            .iter()
            .filter_map(|(k, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| format!("{k}={}&", encode_component(v))))
            .collect();
        let link = |n: i64| format!("{path}?{kept}page={n}");
        let number = page.number();
        Pager {
            number,
            pages,
            total,
            previous: (number > 1).then(|| link(number - 1)),
            next: (number < pages).then(|| link(number + 1)),
        }
    }
}
