//! The one error type every handler returns. It maps each kind of failure to a status and a
//! message a person can act on; internal causes are logged once, here, and never shown.
//! HTML pages get the styled error page; `crate::startup::error_format` turns the same
//! errors into `{"error": …}` JSON under `/api/` and `/webhooks/`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("We couldn't find that page.")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("Please sign in to continue.")]
    Unauthenticated { next: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    PaymentRequired(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many requests. Please wait a minute and try again.")]
    TooManyRequests,
    #[error("That request is too large.")]
    PayloadTooLarge,
    #[error("This form has expired or was not sent from Tollgate. Please go back, reload the page and try again.")]
    Csrf,
    #[error("The billing provider could not be reached. Please try again in a moment.")]
    Provider(String),
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal(String),
}

impl AppError {
    pub fn internal(cause: impl Into<String>) -> AppError {
        AppError::Internal(cause.into())
    }

    pub fn forbidden(msg: impl Into<String>) -> AppError {
        AppError::Forbidden(msg.into())
    }

    pub fn validation(msg: impl Into<String>) -> AppError {
        AppError::Validation(msg.into())
    }

    pub fn bad_request(msg: impl Into<String>) -> AppError {
        AppError::BadRequest(msg.into())
    }

    /// The full cause, for logs and the webhook event log (never for a response).
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(cause) | AppError::Provider(cause) => cause.clone(),
            other => other.to_string(),
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AppError::NotFound => "Not found",
            AppError::Forbidden(_) | AppError::Csrf => "Not allowed",
            AppError::Unauthenticated { .. } => "Sign in required",
            AppError::BadRequest(_) | AppError::Validation(_) => "Please check your request",
            AppError::PaymentRequired(_) => "Upgrade required",
            AppError::Conflict(_) => "Already done",
            AppError::TooManyRequests => "Slow down",
            AppError::PayloadTooLarge => "Too large",
            AppError::Provider(_) => "Billing provider unavailable",
            AppError::Internal(_) => "Something went wrong",
        }
    }
}

/// What the error page shows; kept on the response so the JSON formatter can reuse it.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub status: u16,
    /// The public-demo banner (`crate::startup::error_format` re-renders with it in demo mode).
    pub demo: bool,
}

impl ErrorPage<'_> {
    /// Renders the page, falling back to plain text if the template itself fails.
    pub fn into_response(self, status: StatusCode) -> HttpResponse {
        let body = self.render().unwrap_or_else(|_| self.message.to_owned());
        HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Provider(_) => StatusCode::BAD_GATEWAY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => log::error!("internal error: {cause}"),
            AppError::Provider(cause) => log::warn!("billing provider error: {cause}"),
            _ => {}
        }
        let message = self.to_string();
        let mut response = if let AppError::Unauthenticated { next } = self {
            // Pages send people to the sign-in form; the JSON formatter turns this into a 401.
            HttpResponse::SeeOther().insert_header((header::LOCATION, crate::urls::login_url(next))).finish()
        } else {
            ErrorPage { title: self.title(), message: &message, status: self.status_code().as_u16(), demo: false }
                .into_response(self.status_code())
        };
        if matches!(self, AppError::TooManyRequests) {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
        }
        response.extensions_mut().insert(ErrorInfo { status: self.status_code(), title: self.title(), message });
        response
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> AppError {
        match err {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> AppError {
        AppError::Internal(format!("template: {err}"))
    }
}
