//! Building and starting the application: database, migrations, catalog, session key,
//! middleware and the route table. `main` and the integration tests both start the app
//! through `Application::build`, so tests exercise exactly what production runs.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Key, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{Compress, DefaultHeaders, Logger};
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::billing::Billing;
use crate::config::{Config, ProviderKind};
use crate::db::{Backend, Db, build_pool, run_migrations};
use crate::domain::catalog;
use crate::error::{ErrorInfo, ErrorPage};
use crate::secrets;
use crate::services::catalog::{check_price_ids, seed_if_empty};
pub use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

impl Application {
    /// Prepares everything and binds the port; `run` then serves until stopped.
    pub fn build(mut config: Config) -> Result<Application, StartupError> {
        // reqwest and async-stripe use rustls with ring; it must be the process default.
        let _ = rustls::crypto::ring::default_provider().install_default();

        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .map_err(|e| StartupError(format!("cannot listen on {}:{}: {e}", config.host, config.port)))?;
        let port = listener.local_addr().map_err(|e| StartupError(e.to_string()))?.port();
        if !config.base_url_explicit {
            config.base_url = Config::derived_base_url(&config.host, port);
        }

        let pool = build_pool(&config.database_url, config.db_pool_size).map_err(StartupError)?;
        let db = Db::new(pool, &config.database_url);
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
        drop(conn);
        let billing = Billing::from_config(&config).map_err(StartupError)?;

        log::info!(
            "Tollgate listening on http://{}:{port} (database: {}, billing provider: {})",
            config.host,
            describe_database(&config.database_url),
            config.provider.as_str(),
        );

        let state = web::Data::new(AppState {
            db,
            config: Arc::new(config),
            billing,
            stripe_webhook_secret,
            limiter: Default::default(),
        });
        let server = serve(listener, state.clone(), session_key).map_err(|e| StartupError(e.to_string()))?;
        Ok(Application { port, server, state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state, for tests that inspect or hold the database.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until stopped, running the background jobs alongside when enabled.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if self.state.config.run_jobs {
            actix_web::rt::spawn(crate::services::jobs::run_scheduler(self.state.clone()));
        }
        self.server.await
    }
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

fn serve(listener: TcpListener, state: web::Data<AppState>, key: Key) -> std::io::Result<Server> {
    let secure = state.config.secure_cookies();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(crate::web::FORM_LIMIT))
            .app_data(web::FormConfig::default().limit(crate::web::FORM_LIMIT))
            .app_data(web::JsonConfig::default().limit(crate::web::FORM_LIMIT))
            .configure(crate::routes::configure)
            .default_service(web::to(crate::routes::not_found))
            .wrap(
                SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                    .cookie_name("tollgate_session".to_owned())
                    .cookie_content_security(CookieContentSecurity::Private)
                    .cookie_http_only(true)
                    .cookie_same_site(SameSite::Lax)
                    .cookie_secure(secure)
                    .session_lifecycle(PersistentSession::default().session_ttl(CookieDuration::days(14)))
                    .build(),
            )
            .wrap(Compress::default())
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add((
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self' https:; frame-ancestors 'none'",
                    )),
            )
            .wrap_fn(|req, srv| {
                use actix_web::dev::Service;
                let json = wants_json(req.path());
                let response = srv.call(req);
                async move { response.await.map(|res| error_format(res, json)) }
            })
            .wrap(Logger::new("%r %s %Dms"))
    })
    .listen(listener)?
    .run();
    Ok(server)
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
fn error_format<B: MessageBody + 'static>(res: ServiceResponse<B>, json: bool) -> ServiceResponse<BoxBody> {
    let res = res.map_into_boxed_body();
    let versioned = res.request().path().starts_with("/api/v1/");
    let info = res.response().extensions().get::<ErrorInfo>().cloned();
    let status = res.status();
    let (status, message, code, fields) = match info {
        Some(info) if json => (info.status, info.message, info.code, info.fields),
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
    let response = if json {
        let mut body = serde_json::Map::new();
        body.insert("error".to_owned(), message.into());
        if versioned {
            body.insert("code".to_owned(), code.into());
            body.extend(fields.unwrap_or_default());
        }
        HttpResponse::build(status).json(serde_json::Value::Object(body))
    } else {
        ErrorPage { title: status.canonical_reason().unwrap_or("Error"), message: &message, status: status.as_u16() }
            .into_response(status)
    };
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
}
