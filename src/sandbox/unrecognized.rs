//! Every answer under `/sandbox/v1/` is Stripe-shaped JSON, errors included: an SDK reads
//! `{"error": {"type": …, "message": …}}` to raise the right exception, and an HTML page or a
//! bare text body would surface only as "invalid response" (stripe-python) or an opaque
//! deserialization error without the status (async-stripe). So an unknown address — or a known
//! one with another method, as Stripe treats it — is Stripe's `404 Unrecognized request URL`,
//! and any other error that did not come from our handlers (a body too large, one that could
//! not be read) is turned into the same shape with its status kept.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde_json::json;

/// The scope's default service: no route matched.
pub async fn route(req: HttpRequest) -> HttpResponse {
    unrecognized(req.method(), req.path())
}

/// Stripe's answer for an address it does not serve, naming it as Stripe would (`/v1/…`).
fn unrecognized(method: &Method, path: &str) -> HttpResponse {
    let path = path.strip_prefix("/sandbox").unwrap_or(path);
    error(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        &format!(
            "Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at \
             https://support.stripe.com/."
        ),
    )
}

fn error(status: StatusCode, kind: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": { "type": kind, "message": message } }))
}

/// Middleware for the `/v1` scope: error answers that are not JSON yet become Stripe's shape.
pub fn stripe_errors<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, actix_web::Error>>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    let method = req.method().clone();
    let path = req.path().to_owned();
    let call = srv.call(req);
    Box::pin(async move {
        // Handlers and extractors answer their errors as responses; an `Err` here would come
        // from actix itself and is left to it.
        let res = call.await?.map_into_boxed_body();
        let status = res.status();
        let json = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        if json || !(status.is_client_error() || status.is_server_error()) {
            return Ok(res);
        }
        let answer = match status {
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND => unrecognized(&method, &path),
            StatusCode::PAYLOAD_TOO_LARGE => {
                error(status, "invalid_request_error", "The request is too large for the sandbox's API.")
            }
            s if s.is_server_error() => {
                log::error!("sandbox: {method} {path} failed with {s}");
                error(status, "api_error", "An error occurred in the sandbox; see the server log.")
            }
            _ => error(
                status,
                "invalid_request_error",
                "The request could not be read. Send parameters form-encoded \
                 (application/x-www-form-urlencoded), as Stripe's API takes them.",
            ),
        };
        Ok(res.into_response(answer))
    })
}
