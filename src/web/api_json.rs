//! JSON request bodies for the v1 API, read field by field so every validation error names
//! the field it is about (`{"code": "invalid_field", "field": "amount", …}`), which a derived
//! deserializer's messages do not do reliably.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value};

use crate::error::AppError;

/// A JSON object body (an empty body reads as `{}`).
pub struct JsonFields(pub Map<String, Value>);

impl FromRequest for JsonFields {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| match e.as_response_error().status_code().as_u16() {
                413 => AppError::PayloadTooLarge,
                _ => AppError::bad_request("The request body could not be read."),
            })?;
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(JsonFields(Map::new()));
            }
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(fields)) => Ok(JsonFields(fields)),
                Ok(_) => {
                    Err(AppError::problem(StatusCode::BAD_REQUEST, "invalid_json", "The body must be a JSON object."))
                }
                Err(e) => Err(AppError::problem(
                    StatusCode::BAD_REQUEST,
                    "invalid_json",
                    format!("The body is not valid JSON: {e}."),
                )),
            }
        })
    }
}

impl JsonFields {
    /// A required whole number in `min..=max`.
    pub fn int(&self, field: &str, min: i64, max: i64) -> Result<i64, AppError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Err(AppError::invalid_field(field, format!("`{field}` is required."))),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if (min..=max).contains(&v) => Ok(v),
                _ => Err(AppError::invalid_field(
                    field,
                    format!("`{field}` must be a whole number from {min} to {max}."),
                )),
            },
            Some(_) => Err(AppError::invalid_field(field, format!("`{field}` must be a number."))),
        }
    }

    /// A required non-empty string of at most `max` characters.
    pub fn string(&self, field: &str, max: usize) -> Result<String, AppError> {
        self.opt_string(field, max)?.ok_or_else(|| AppError::invalid_field(field, format!("`{field}` is required.")))
    }

    /// An optional string of at most `max` characters (empty counts as absent).
    pub fn opt_string(&self, field: &str, max: usize) -> Result<Option<String>, AppError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) if s.chars().count() <= max && !s.chars().any(char::is_control) => {
                Ok(Some(s.trim().to_owned()))
            }
            Some(Value::String(_)) => {
                Err(AppError::invalid_field(field, format!("`{field}` must be at most {max} printable characters.")))
            }
            Some(_) => Err(AppError::invalid_field(field, format!("`{field}` must be a string."))),
        }
    }
}

/// A stored JSON answer (status and body), as a response.
pub fn json_answer(status: u16, body: String, replayed: bool) -> actix_web::HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = actix_web::HttpResponse::build(status);
    response.content_type("application/json");
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body)
}
