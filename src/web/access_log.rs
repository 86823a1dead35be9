//! What the access log records of a request. Query strings carry secrets of a kind
//! (`/billing/success?session_id=cs_…`, a Chargebee hosted page id), and the sandbox puts
//! checkout and portal session ids in the path; with them a log reader could open someone
//! else's portal. So the log keeps the path and the names of query parameters, never their
//! values, and hides those path ids.

use actix_web::dev::ServiceRequest;
use actix_web::middleware::Logger;

const REDACTED: &str = "[redacted]";

/// The access log middleware: the redacted request line, the status and the time taken.
pub fn logger() -> Logger {
    Logger::new("%{request}xi %s %Dms").custom_request_replace("request", request_line)
}

/// The request line as logged: `GET /billing/success?session_id=[redacted] HTTP/1.1`.
pub fn request_line(req: &ServiceRequest) -> String {
    format!("{} {} {:?}", req.method(), redact(req.path(), req.query_string()), req.version())
}

/// The path with session ids hidden, and each query parameter's name with its value hidden.
pub fn redact(path: &str, query: &str) -> String {
    let mut out = redact_path(path);
    let names: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| format!("{}={REDACTED}", pair.split('=').next().unwrap_or_default()))
        .collect();
    if !names.is_empty() {
        out.push('?');
        out.push_str(&names.join("&"));
    }
    out
}

/// `/sandbox/portal/bps_123` → `/sandbox/portal/[redacted]` (likewise checkout).
fn redact_path(path: &str) -> String {
    if !path.starts_with("/sandbox/") {
        return path.to_owned();
    }
    let mut hide_next = false;
    let segments: Vec<&str> = path
        .split('/')
        .map(|segment| {
            let shown = if hide_next && !segment.is_empty() { REDACTED } else { segment };
            hide_next = matches!(segment, "portal" | "checkout");
            shown
        })
        .collect();
    segments.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_never_reach_the_log() {
        assert_eq!(redact("/billing/success", "session_id=cs_test_secret"), "/billing/success?session_id=[redacted]");
        assert_eq!(
            redact("/billing/success", "id=hp_secret&state=succeeded"),
            "/billing/success?id=[redacted]&state=[redacted]"
        );
        assert_eq!(redact("/login", "next=/w/1/billing&flag"), "/login?next=[redacted]&flag=[redacted]");
        assert_eq!(redact("/pricing", ""), "/pricing");
    }

    #[test]
    fn sandbox_session_ids_in_paths_are_hidden() {
        assert_eq!(redact("/sandbox/portal/bps_secret", ""), "/sandbox/portal/[redacted]");
        assert_eq!(redact("/sandbox/checkout/cs_secret/pay", ""), "/sandbox/checkout/[redacted]/pay");
        assert_eq!(redact("/w/3/checkout", ""), "/w/3/checkout", "our own paths hold no secrets");
        assert_eq!(redact("/sandbox/clock", ""), "/sandbox/clock");
    }

    /// Collects what the app logs, to read the access log's own lines.
    struct Capture(std::sync::Mutex<Vec<String>>);

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            self.0.lock().unwrap().push(record.args().to_string());
        }
        fn flush(&self) {}
    }

    static CAPTURED: Capture = Capture(std::sync::Mutex::new(Vec::new()));

    #[actix_web::test]
    async fn the_access_log_shows_no_session_id() {
        use actix_web::{App, HttpResponse, test, web};
        log::set_logger(&CAPTURED).unwrap();
        log::set_max_level(log::LevelFilter::Info);
        let app = test::init_service(App::new().wrap(logger()).default_service(web::to(HttpResponse::Ok))).await;
        let req = test::TestRequest::get().uri("/billing/success?session_id=cs_live_secret_42").to_request();
        let res = test::call_service(&app, req).await;
        test::read_body(res).await; // the line is written once the body is sent

        let lines = CAPTURED.0.lock().unwrap().clone();
        let line = lines.iter().find(|l| l.contains("/billing/success")).expect("the request was logged");
        assert!(line.starts_with("GET /billing/success?session_id=[redacted] HTTP/1.1 200 "), "{line}");
        assert!(!lines.iter().any(|l| l.contains("cs_live_secret_42")), "{lines:?}");
    }

    #[test]
    fn the_logged_request_line_is_redacted() {
        let req =
            actix_web::test::TestRequest::get().uri("/billing/success?session_id=cs_live_secret").to_srv_request();
        let line = request_line(&req);
        assert_eq!(line, "GET /billing/success?session_id=[redacted] HTTP/1.1");
        assert!(!line.contains("cs_live_secret"));
    }
}
