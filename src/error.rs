//! The one error type every handler returns. It maps each kind of failure to a status and a
//! message a person can act on; internal causes are logged once, here, and never shown.
//! HTML pages get the styled error page; `crate::startup::error_format` turns the same
//! errors into `{"error": …}` JSON under `/api/` and `/webhooks/`, and under `/api/v1/`
//! adds a stable `code` (and, for a [`Problem`], its extra fields such as the `field` a
//! validation error is about or the `upgrade_url` of a gate).

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
    #[error("Too many requests. Please wait {} and try again.", wait_phrase(*retry_after_secs))]
    TooManyRequests { retry_after_secs: u64 },
    #[error("That request is too large.")]
    PayloadTooLarge,
    #[error("This form has expired or was not sent from Tollgate. Please go back, reload the page and try again.")]
    Csrf,
    #[error("The billing provider could not be reached. Please try again in a moment.")]
    Provider(String),
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal(String),
    /// An error with its own code and fields (API validation, gates, keys).
    #[error("{}", .0.message)]
    Problem(Box<Problem>),
}

/// An error the v1 API describes precisely: a stable `code`, a message, extra JSON fields,
/// and for page requests optionally a redirect instead of an error page (gates send people
/// to the billing page).
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub redirect: Option<String>,
}

/// "a minute", "15 minutes": a wait rounded up to whole minutes.
fn wait_phrase(seconds: u64) -> String {
    match seconds.div_ceil(60).max(1) {
        1 => "a minute".to_owned(),
        n => format!("{n} minutes"),
    }
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

    pub fn problem(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Problem(Box::new(Problem {
            status,
            code,
            message: message.into(),
            fields: serde_json::Map::new(),
            redirect: None,
        }))
    }

    /// 422 naming the request field that is wrong.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).with_field("field", field)
    }

    /// 401 for an API key that is missing, malformed, unknown, revoked or of another workspace.
    pub fn invalid_api_key(message: impl Into<String>) -> AppError {
        AppError::problem(StatusCode::UNAUTHORIZED, "invalid_api_key", message)
    }

    /// 402 from a gate: pages are sent to `upgrade_path` (the billing page naming the plan
    /// that unlocks `feature`); the API answers with it as `upgrade_url` (absolute).
    pub fn upgrade_required(
        code: &'static str,
        feature: &str,
        message: impl Into<String>,
        upgrade_path: &str,
        base_url: &str,
    ) -> AppError {
        let mut error = AppError::problem(StatusCode::PAYMENT_REQUIRED, code, message)
            .with_field("feature", feature)
            .with_field("upgrade_url", format!("{base_url}{upgrade_path}"));
        if let AppError::Problem(problem) = &mut error {
            problem.redirect = Some(upgrade_path.to_owned());
        }
        error
    }

    /// Adds a JSON field to a [`Problem`] (other errors are returned unchanged).
    pub fn with_field(mut self, name: &str, value: impl Into<serde_json::Value>) -> AppError {
        if let AppError::Problem(problem) = &mut self {
            problem.fields.insert(name.to_owned(), value.into());
        }
        self
    }

    /// The stable machine-readable name of this kind of error (v1 API).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Forbidden(_) => "forbidden",
            AppError::Unauthenticated { .. } => "unauthenticated",
            AppError::BadRequest(_) => "bad_request",
            AppError::Validation(_) => "validation_failed",
            AppError::PaymentRequired(_) => "payment_required",
            AppError::Conflict(_) => "conflict",
            AppError::TooManyRequests { .. } => "rate_limited",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Csrf => "csrf_failed",
            AppError::Provider(_) => "provider_unavailable",
            AppError::Internal(_) => "internal",
            AppError::Problem(problem) => problem.code,
        }
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
            AppError::TooManyRequests { .. } => "Slow down",
            AppError::PayloadTooLarge => "Too large",
            AppError::Provider(_) => "Billing provider unavailable",
            AppError::Internal(_) => "Something went wrong",
            AppError::Problem(problem) => match problem.status.as_u16() {
                401 => "Sign in required",
                402 => "Upgrade required",
                409 => "Already done",
                _ => "Please check your request",
            },
        }
    }
}

/// What the error page shows; kept on the response so the JSON formatter can reuse it.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
    pub code: &'static str,
    /// Extra fields of a [`Problem`] for the v1 API's JSON.
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
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
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Provider(_) => StatusCode::BAD_GATEWAY,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Problem(problem) => problem.status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(cause) => log::error!("internal error: {cause}"),
            AppError::Provider(cause) => log::warn!("billing provider error: {cause}"),
            _ => {}
        }
        let message = self.to_string();
        let redirect = match self {
            // Pages send people to the sign-in form; the JSON formatter turns this into a 401.
            AppError::Unauthenticated { next } => Some(crate::urls::login_url(next)),
            AppError::Problem(problem) => problem.redirect.clone(),
            _ => None,
        };
        let mut response = if let Some(location) = redirect {
            HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
        } else {
            ErrorPage { title: self.title(), message: &message, status: self.status_code().as_u16(), demo: false }
                .into_response(self.status_code())
        };
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after_secs));
        }
        let fields = match self {
            AppError::Problem(problem) => Some(problem.fields.clone()),
            _ => None,
        };
        response.extensions_mut().insert(ErrorInfo {
            status: self.status_code(),
            title: self.title(),
            message,
            code: self.code(),
            fields,
        });
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
