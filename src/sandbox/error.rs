//! The sandbox's errors. The API answers them the way Stripe does —
//! `{"error": {"type": …, "message": …}}` with Stripe's status codes — so the Stripe client (and
//! the app's error mapping behind it) sees exactly what it would see from Stripe. The hosted
//! pages are read by people, so they show the same errors as a small page of the sandbox's own
//! ([`PageError`]); internal causes are logged once, where the error is answered, and never shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use serde_json::json;

use crate::db::DbUnavailable;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// 401: missing or wrong API key.
    #[error("{0}")]
    Unauthorized(String),
    /// 400: a parameter is missing or wrong.
    #[error("{0}")]
    Invalid(String),
    /// 404: no such object.
    #[error("{0}")]
    NotFound(String),
    /// 400: an object with this id exists already (Stripe's `resource_already_exists`).
    #[error("{0}")]
    AlreadyExists(String),
    /// 500: the sandbox itself failed (its database); logged once when answered.
    #[error("{0}")]
    Internal(String),
}

impl SandboxError {
    pub fn invalid(msg: impl Into<String>) -> SandboxError {
        SandboxError::Invalid(msg.into())
    }

    pub fn missing(kind: &str, id: &str) -> SandboxError {
        SandboxError::NotFound(format!("No such {kind}: '{id}'"))
    }
}

impl From<diesel::result::Error> for SandboxError {
    fn from(err: diesel::result::Error) -> SandboxError {
        SandboxError::Internal(format!("sandbox database: {err}"))
    }
}

impl From<DbUnavailable> for SandboxError {
    fn from(err: DbUnavailable) -> SandboxError {
        SandboxError::Internal(format!("sandbox database: {err}"))
    }
}

impl ResponseError for SandboxError {
    fn status_code(&self) -> StatusCode {
        match self {
            SandboxError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            SandboxError::Invalid(_) | SandboxError::AlreadyExists(_) => StatusCode::BAD_REQUEST,
            SandboxError::NotFound(_) => StatusCode::NOT_FOUND,
            SandboxError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (kind, message) = match self {
            SandboxError::Internal(cause) => {
                log::error!("sandbox: {cause}");
                ("api_error", "An error occurred in the sandbox; see the server log.".to_owned())
            }
            other => ("invalid_request_error", other.to_string()),
        };
        let mut body = json!({ "error": { "type": kind, "message": message } });
        match self {
            SandboxError::NotFound(_) => body["error"]["code"] = json!("resource_missing"),
            SandboxError::AlreadyExists(_) => body["error"]["code"] = json!("resource_already_exists"),
            _ => {}
        }
        HttpResponse::build(self.status_code()).json(body)
    }
}

/// An error on a hosted page (checkout, portal), shown as the sandbox's error page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// The form's CSRF token did not match the session's.
    #[error("This form has expired or was not sent from this page. Go back, reload the page and try again.")]
    Csrf,
    #[error("The form could not be read.")]
    BadForm,
    #[error("That request is too large.")]
    TooLarge,
}

impl From<askama::Error> for PageError {
    fn from(err: askama::Error) -> PageError {
        PageError::Sandbox(SandboxError::Internal(format!("template: {err}")))
    }
}

#[derive(Template)]
#[template(path = "sandbox/error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            // The pages name no API key; a refusal there is a plain "not allowed".
            PageError::Sandbox(SandboxError::Unauthorized(_)) | PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Sandbox(err) => err.status_code(),
            PageError::BadForm => StatusCode::BAD_REQUEST,
            PageError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (title, message) = match self {
            PageError::Sandbox(SandboxError::Internal(cause)) => {
                log::error!("sandbox: {cause}");
                ("Something went wrong", "The sandbox failed; the cause is in the server log.".to_owned())
            }
            PageError::Sandbox(SandboxError::NotFound(_)) => ("Not found", "There is no such sandbox page.".to_owned()),
            PageError::Sandbox(SandboxError::Invalid(_) | SandboxError::AlreadyExists(_)) | PageError::BadForm => {
                ("Please check your request", self.to_string())
            }
            PageError::Sandbox(SandboxError::Unauthorized(_)) | PageError::Csrf => ("Not allowed", self.to_string()),
            PageError::TooLarge => ("Too large", self.to_string()),
        };
        let page = ErrorPage { status: status.as_u16(), title, message: &message };
        let body = page.render().unwrap_or(message.clone());
        HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(PageError::Csrf.status_code(), StatusCode::FORBIDDEN);
        assert_eq!(PageError::from(SandboxError::missing("x", "y")).status_code(), StatusCode::NOT_FOUND);
        assert_eq!(SandboxError::invalid("no").status_code(), StatusCode::BAD_REQUEST);
    }
}
