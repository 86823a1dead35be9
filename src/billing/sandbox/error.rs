//! The sandbox's error, answered the way Stripe answers errors:
//! `{"error": {"type": …, "message": …}}` with Stripe's status codes, so the Stripe client
//! (and our error mapping) sees exactly what it would see from Stripe.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::AppError;

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

impl From<AppError> for SandboxError {
    fn from(err: AppError) -> SandboxError {
        match err {
            AppError::NotFound => SandboxError::NotFound("No such object".to_owned()),
            AppError::Internal(cause) => SandboxError::Internal(cause),
            other => SandboxError::Internal(other.to_string()),
        }
    }
}

/// Pages show the sandbox's errors as Tollgate's error page.
impl From<SandboxError> for AppError {
    fn from(err: SandboxError) -> AppError {
        match err {
            SandboxError::NotFound(_) => AppError::NotFound,
            SandboxError::Invalid(msg) => AppError::BadRequest(msg),
            SandboxError::Unauthorized(msg) => AppError::Forbidden(msg),
            SandboxError::Internal(cause) => AppError::Internal(cause),
        }
    }
}

impl ResponseError for SandboxError {
    fn status_code(&self) -> StatusCode {
        match self {
            SandboxError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            SandboxError::Invalid(_) => StatusCode::BAD_REQUEST,
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
        if matches!(self, SandboxError::NotFound(_)) {
            body["error"]["code"] = json!("resource_missing");
        }
        HttpResponse::build(self.status_code()).json(body)
    }
}
