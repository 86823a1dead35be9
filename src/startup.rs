//! Building and starting the application: database, migrations, catalog, session key,
//! middleware and the route table. `main` and the integration tests both start the app
//! through `Application::build`, so tests exercise exactly what production runs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::rt::task::JoinHandle;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::billing::{Billing, SandboxAccess, sandbox_prices};
use crate::config::{Config, ProviderKind};
use crate::db::{Backend, Db, build_pool, run_migrations};
use crate::domain::catalog;
use crate::error::{ErrorInfo, ErrorPage};
use crate::sandbox::SandboxState;
use crate::secrets;
use crate::services::catalog::{check_price_ids, seed_if_empty};
pub use crate::state::AppState;

pub struct Application {
    port: u16,
    /// The server, already serving (see `build`).
    server: JoinHandle<std::io::Result<()>>,
    state: web::Data<AppState>,
    /// The offline sandbox's state, when it is the provider (and so mounted under `/sandbox/`).
    sandbox: Option<web::Data<SandboxState>>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

impl Application {
    /// Prepares everything, binds the port and starts serving. With the sandbox as provider,
    /// the catalog's prices are registered with it over HTTP before this returns, so the app
    /// never offers a price the sandbox does not know. `run_until_stopped` then adds the jobs.
    pub async fn build(mut config: Config) -> Result<Application, StartupError> {
        // reqwest and async-stripe use rustls with ring; it must be the process default.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .map_err(|e| StartupError(format!("cannot listen on {}:{}: {e}", config.host, config.port)))?;
        let bound = listener.local_addr().map_err(|e| StartupError(e.to_string()))?;
        if config.provider == ProviderKind::Sandbox {
            sandbox_may_listen_on(&config, bound)?;
        }
        let port = bound.port();
        if !config.base_url_explicit {
            config.base_url = Config::derived_base_url(&config.host, port);
        }

        let pool = build_pool(&config.database_url, config.db_pool_size).map_err(StartupError)?;
        let db = Db::new(pool, &config.database_url, config.db_write_concurrency as usize).map_err(StartupError)?;
        let mut conn = db.get().map_err(|e| StartupError(e.to_string()))?;
        let applied = run_migrations(&mut conn).map_err(StartupError)?;
        if applied > 0 {
            log::info!("applied {applied} database migration(s)");
        }

        let products = catalog::load(&config.catalog_path, config.catalog_path_explicit)
            .map_err(|e| StartupError(format!("the catalog is invalid: {e}")))?;
        if let Some(report) =
            seed_if_empty(&mut conn, &products).map_err(|e| StartupError(format!("loading the catalog failed: {e}")))?
        {
            log::info!("catalog loaded into the database ({report})");
        }

        let provider = match config.provider {
            ProviderKind::Chargebee => crate::domain::normalized::Provider::Chargebee,
            ProviderKind::Stripe | ProviderKind::Sandbox => crate::domain::normalized::Provider::Stripe,
        };
        check_price_ids(&mut conn, provider)
            .map_err(|e| StartupError(format!("BILLING_PROVIDER={} {e}", config.provider.as_str())))?;
        let session_key = secrets::session_key(&config, &mut conn).map_err(StartupError)?;
        let stripe_webhook_secret = match config.provider {
            ProviderKind::Sandbox => match &config.sandbox_webhook_secret {
                Some(secret) => secret.clone(),
                None => format!(
                    "whsec_{}",
                    secrets::persisted_secret(&config, &mut conn, "sandbox-webhook-secret").map_err(StartupError)?
                ),
            },
            _ => config.stripe.webhook_secret.clone(),
        };
        // The sandbox's API key is generated once per installation and kept like its webhook
        // secret: a key in the source would open the API to anyone who can reach the port.
        // The app calls the sandbox, and the sandbox delivers events to the app, on the bound
        // address itself: BASE_URL is for browsers and may name a proxy this host cannot reach.
        let sandbox_access = match config.provider {
            ProviderKind::Sandbox => Some(SandboxAccess {
                api_base: format!("{}/sandbox/", local_url(bound)),
                api_key: format!(
                    "sk_test_{}",
                    secrets::persisted_secret(&config, &mut conn, "sandbox-api-key").map_err(StartupError)?
                ),
            }),
            _ => None,
        };
        let catalog_prices = match &sandbox_access {
            Some(_) => crate::services::catalog::stripe_prices(&mut conn)
                .map_err(|e| StartupError(format!("reading the catalog failed: {e}")))?,
            None => Vec::new(),
        };
        drop(conn);
        let billing = Billing::from_config(&config, sandbox_access.as_ref()).map_err(StartupError)?;

        log::info!(
            "Tollgate listening on http://{}:{port} (database: {}, billing provider: {})",
            config.host,
            describe_database(&config.database_url),
            config.provider.as_str(),
        );

        let sandbox = sandbox_access.as_ref().map(|access| {
            let sandbox = SandboxState::new(
                db.clone(),
                &config.base_url,
                &local_url(bound),
                access.api_key.clone(),
                stripe_webhook_secret.clone(),
            );
            web::Data::new(sandbox.as_public_demo(config.public_demo()))
        });
        let state = web::Data::new(AppState { db, config: Arc::new(config), billing, stripe_webhook_secret });
        let server =
            serve(listener, state.clone(), session_key, sandbox.clone()).map_err(|e| StartupError(e.to_string()))?;
        let handle = server.handle();
        let server = actix_web::rt::spawn(server);
        if let Some(access) = &sandbox_access {
            // A merchant tells Stripe its prices; the app tells the sandbox, through the same API.
            match sandbox_prices::register(access, &catalog_prices).await {
                Ok(count) => log::info!("registered {count} catalog price(s) with the sandbox"),
                Err(e) => {
                    handle.stop(false).await;
                    return Err(StartupError(format!("registering the catalog's prices with the sandbox failed: {e}")));
                }
            }
        }
        Ok(Application { port, server, state, sandbox })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state, for tests that inspect or hold the database.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// The sandbox's state when it is the provider (its API key, for tests that call it).
    pub fn sandbox(&self) -> Option<web::Data<SandboxState>> {
        self.sandbox.clone()
    }

    /// Serves until stopped, running the background jobs alongside when enabled.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if self.state.config.run_jobs {
            actix_web::rt::spawn(crate::services::jobs::run_scheduler(self.state.clone()));
        }
        self.server.await.map_err(|e| std::io::Error::other(format!("the server task failed: {e}")))?
    }
}

/// The sandbox is a fake payment provider whose pages grant plans for test cards: served on a
/// public address by accident (it is the default provider), anyone could use it. It runs on a
/// loopback address, in development, or when the operator opts in for a public demo.
fn sandbox_may_listen_on(config: &Config, bound: SocketAddr) -> Result<(), StartupError> {
    if bound.ip().is_loopback() || config.development || config.sandbox_public {
        return Ok(());
    }
    Err(StartupError(format!(
        "BILLING_PROVIDER=sandbox (the default) is an offline stand-in for a payment provider, and HOST={} \
         would let anyone who reaches {bound} use it. Choose a real provider (BILLING_PROVIDER=stripe with \
         STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or BILLING_PROVIDER=chargebee with CHARGEBEE_SITE and \
         CHARGEBEE_API_KEY), listen on a loopback address (HOST=127.0.0.1), or, for a public demo, set \
         SANDBOX_PUBLIC=true and every page will say that payments there are simulated.",
        config.host
    )))
}

/// `http://IP:PORT` of the bound address, for calls this process makes to itself; an
/// unspecified bind (`0.0.0.0`, `::`) is reached on loopback.
fn local_url(bound: SocketAddr) -> String {
    let ip = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, bound.port()))
}

/// "PostgreSQL db.example.com/tollgate" or "SQLite tollgate.db", never a password.
pub fn describe_database(url: &str) -> String {
    match Backend::of_url(url) {
        Backend::Sqlite => format!("SQLite {}", crate::db::sqlite_path(url)),
        Backend::Postgres => {
            let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
            let host_and_db = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
            format!("PostgreSQL {}", host_and_db.split('?').next().unwrap_or(host_and_db))
        }
    }
}

/// `Strict-Transport-Security` for an app served over https: browsers then refuse plain
/// http to it for a year, so a network attacker cannot strip TLS from a later visit.
const HSTS: &str = "max-age=31536000; includeSubDomains";

fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self' https:; frame-ancestors 'none'",
        ));
    if https { headers.add((header::STRICT_TRANSPORT_SECURITY, HSTS)) } else { headers }
}

fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    key: Key,
    sandbox: Option<web::Data<SandboxState>>,
) -> std::io::Result<Server> {
    let blocking_threads = (state.config.db_pool_size as usize).max(MIN_BLOCKING_THREADS);
    let secure = state.config.secure_cookies();
    let demo = state.config.public_demo();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(crate::web::FORM_LIMIT))
            .app_data(web::FormConfig::default().limit(crate::web::FORM_LIMIT))
            .app_data(web::JsonConfig::default().limit(crate::web::FORM_LIMIT))
            .configure(crate::routes::configure)
            // Only with the sandbox as provider does anything exist under `/sandbox/`.
            .configure(|cfg| {
                if let Some(sandbox) = &sandbox {
                    crate::sandbox::configure(cfg, sandbox.clone());
                }
            })
            .default_service(web::to(crate::routes::not_found))
            .wrap(
                SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                    .cookie_name("tollgate_session".to_owned())
                    .cookie_content_security(CookieContentSecurity::Private)
                    .cookie_http_only(true)
                    .cookie_same_site(SameSite::Lax)
                    .cookie_secure(secure)
                    .session_lifecycle(PersistentSession::default().session_ttl(session_ttl()))
                    .build(),
            )
            .wrap(Compress::default())
            .wrap_fn(move |req, srv| {
                use actix_web::dev::Service;
                let json = wants_json(req.path());
                let response = srv.call(req);
                async move { response.await.map(|res| error_format(res, json, demo)) }
            })
            // Outside the error formatter, so the pages and JSON it builds get them too.
            .wrap(security_headers(secure))
            .wrap(crate::web::access_log::logger())
    })
    // Blocking work is database reads (one pooled connection each) and password hashing: more
    // threads than the pool has connections only wait for one, each with its own stack and
    // allocator arena (actix's default allows 256 per worker; a signed-in page load made 106).
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Blocking threads per worker however small the pool: a password hash (tens of
/// milliseconds) must not hold up every page's reads.
const MIN_BLOCKING_THREADS: usize = 4;

/// The cookie lives as long as the server-side session it names.
fn session_ttl() -> CookieDuration {
    CookieDuration::seconds(crate::domain::sessions::SESSION_LIFETIME.num_seconds())
}

/// API and webhook callers are programs: they get JSON errors, not pages.
fn wants_json(path: &str) -> bool {
    path.starts_with("/api/") || path == "/api" || path.starts_with("/webhooks/")
}

/// Gives every error one consistent shape: our own `AppError`s become JSON on API paths,
/// and actix's bare text errors (bad form encoding, 413, unmatched methods) become the
/// styled page or JSON. Pages a handler rendered on purpose (a form shown again with
/// its errors) pass through untouched. Under `/api/v1/` the JSON also carries a stable
/// `code` and a problem's own fields; `/api/me` and the webhooks keep their original shape.
/// In a public demo an error page is rendered again with the demo banner, which `AppError`
/// (rendered without the request) cannot know about.
fn error_format<B: MessageBody + 'static>(res: ServiceResponse<B>, json: bool, demo: bool) -> ServiceResponse<BoxBody> {
    let res = res.map_into_boxed_body();
    let versioned = res.request().path().starts_with("/api/v1/");
    let info = res.response().extensions().get::<ErrorInfo>().cloned();
    let status = res.status();
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/html"));
    let (status, message, code, fields) = match info {
        Some(info) if json => (info.status, info.message, info.code, info.fields),
        Some(info) if demo && html => {
            let page = ErrorPage { title: info.title, message: &info.message, status: info.status.as_u16(), demo };
            return res.into_response(page.into_response(info.status));
        }
        Some(_) => return res,
        None if !status.is_client_error() && !status.is_server_error() => return res,
        None => {
            let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
            if content_type.starts_with("text/html") || content_type.starts_with("application/json") {
                return res;
            }
            (status, generic_message(status).to_owned(), generic_code(status), None)
        }
    };
    let retry_after = res.headers().get(header::RETRY_AFTER).cloned();
    let mut response = if json {
        let mut body = serde_json::Map::new();
        body.insert("error".to_owned(), message.into());
        if versioned {
            body.insert("code".to_owned(), code.into());
            body.extend(fields.unwrap_or_default());
        }
        HttpResponse::build(status).json(serde_json::Value::Object(body))
    } else {
        let title = status.canonical_reason().unwrap_or("Error");
        ErrorPage { title, message: &message, status: status.as_u16(), demo }.into_response(status)
    };
    // A program told to slow down still learns for how long.
    if let Some(retry_after) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, retry_after);
    }
    res.into_response(response)
}

/// The v1 API's `code` for errors actix answers itself.
fn generic_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        s if s >= 500 => "internal",
        _ => "request_failed",
    }
}

fn generic_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request could not be understood.",
        404 => "We couldn't find that page.",
        405 => "That address does not accept this kind of request.",
        413 => "That request is too large.",
        415 => "That request has a content type we don't accept.",
        429 => "Too many requests. Please wait a minute and try again.",
        s if s >= 500 => "Something went wrong on our side. It has been logged; please try again.",
        _ => "The request could not be completed.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_description_hides_credentials() {
        assert_eq!(describe_database("tollgate.db"), "SQLite tollgate.db");
        assert_eq!(describe_database("sqlite://data/t.db"), "SQLite data/t.db");
        assert_eq!(
            describe_database("postgres://u:secret@db.internal:5432/tg?sslmode=require"),
            "PostgreSQL db.internal:5432/tg"
        );
    }

    #[test]
    fn local_url_reaches_an_unspecified_bind_on_loopback() {
        let at = |s: &str| local_url(s.parse().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(at("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(at("[::]:8080"), "http://[::1]:8080");
        assert_eq!(at("10.0.0.5:80"), "http://10.0.0.5:80");
    }

    #[test]
    fn json_callers_keep_retry_after_on_429() {
        use actix_web::ResponseError;
        let refused = crate::error::AppError::TooManyRequests { retry_after_secs: 900 }.error_response();
        let res = actix_web::test::TestRequest::get().uri("/api/me").to_srv_response(refused);
        let res = error_format(res, true, false);
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "900");
        assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), "application/json");
    }
}
