//! The test harness: `spawn_app()` starts the real application on a random port with a
//! fresh database (a temp SQLite file, or a uniquely named PostgreSQL database when
//! `TEST_DATABASE_URL` is set), and `TestApp` drives it over HTTP like a browser would.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::prelude::*;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::redirect::Policy;
use scraper::{Html, Selector};
use tollgate::config::Config;
use tollgate::db::{Db, DbConnection};
use tollgate::sandbox::SandboxState;
use tollgate::startup::{AppState, Application};

pub const PASSWORD: &str = "correct horse battery";
/// The secret `/webhooks/stripe` verifies with in tests (sandbox mode).
pub const WEBHOOK_SECRET: &str = "whsec_test_secret";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: actix_web::web::Data<AppState>,
    /// The sandbox's state when it is the provider (the default in tests).
    pub sandbox: Option<actix_web::web::Data<SandboxState>>,
    /// This browser's cookies (so a test can copy them, as a thief would).
    pub jar: Arc<Jar>,
    /// The client address this browser appears to come from (see `browser`).
    pub ip: String,
    _database: Arc<TestDatabase>,
}

/// A database that exists for one test and is removed afterwards.
pub enum TestDatabase {
    /// Held so the directory (and the database file in it) lives as long as the test.
    Sqlite(#[expect(dead_code, reason = "kept alive, never read")] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self
            && let Ok(mut conn) = diesel::PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&mut conn);
        }
    }
}

fn unique_name() -> String {
    use rand::Rng;
    format!("tollgate_test_{}", rand::thread_rng().gen_range(0..u64::MAX))
}

/// The test server is on this machine: connect without TLS. Test apps are never shut down,
/// and OpenSSL's clean-up at process exit under connections still open on other threads
/// crashed the test binary (SIGSEGV) after every test had passed.
fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        return url.to_owned();
    }
    let glue = if url.contains('?') { '&' } else { '?' };
    format!("{url}{glue}sslmode=disable")
}

/// Creates the test's database and returns its URL.
pub fn test_database() -> (String, TestDatabase) {
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(admin_url) => {
            let admin_url = without_tls(&admin_url);
            let name = unique_name();
            let mut conn = diesel::PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
            diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).expect("create test database");
            let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
            let (_, options) = admin_url.split_once('?').unwrap_or_default();
            (format!("{base}/{name}?{options}"), TestDatabase::Postgres { admin_url, name })
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir.path().join("test.db").to_string_lossy().into_owned();
            (url, TestDatabase::Sqlite(dir))
        }
    }
}

pub fn base_vars(database_url: &str) -> HashMap<String, String> {
    [
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("DATABASE_URL", database_url),
        ("SESSION_KEY", "test-session-key-0123456789abcdef0123456789abcdef0123456789abcdef0123456789"),
        ("BILLING_PROVIDER", "sandbox"),
        ("SANDBOX_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("DATABASE_POOL_SIZE", "4"),
        // Tests run the jobs themselves, when they mean to.
        ("RUN_JOBS", "false"),
        ("CATALOG_PATH", concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.toml")),
        // The harness plays the reverse proxy: each test browser sends its own address in
        // X-Forwarded-For, as separate visitors would arrive, so per-address limits apply per
        // browser. Tests of the default (no proxy trusted) set this back to empty.
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app; `tweak` may change environment variables before the config is read.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut HashMap<String, String>)) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let (url, database) = test_database();
    let mut vars = base_vars(&url);
    tweak(&mut vars);
    let config = Config::from_vars(&vars).expect("test config");
    let app = Application::build(config).await.expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let sandbox = app.sandbox();
    actix_web::rt::spawn(app.run_until_stopped());
    let ip = fresh_ip();
    let (client, jar) = browser(&ip);
    TestApp { address, client, state, sandbox, jar, ip, _database: Arc::new(database) }
}

/// A new client address for a test browser, from the benchmarking range 198.18.0.0/15.
pub fn fresh_ip() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("198.{}.{}.{}", 18 + (n >> 16) % 2, (n >> 8) % 256, n % 256)
}

/// A browser: its own cookie jar, no automatic redirects, and `ip` as its address.
pub fn browser(ip: &str) -> (reqwest::Client, Arc<Jar>) {
    let jar = Arc::new(Jar::default());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", ip.parse().expect("header value"));
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_provider(jar.clone())
        .default_headers(headers)
        .build()
        .expect("client");
    (client, jar)
}

pub fn select_all(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel).map(|e| e.text().collect::<String>().trim().to_owned()).collect()
}

pub fn select_attr(html: &str, selector: &str, attr: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel).filter_map(|e| e.value().attr(attr).map(str::to_owned)).collect()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    /// POSTs a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).form(fields).send().await.expect("POST")
    }

    /// The CSRF token the app has put in this client's session (read from a form page).
    pub async fn csrf_token(&self, page: &str) -> String {
        let (_, html) = self.get_html(page).await;
        select_attr(&html, "input[name=csrf_token]", "value").into_iter().next().expect("page has a csrf token")
    }

    /// POSTs a form with the session's CSRF token, as the browser would from `page`.
    pub async fn post_form(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token(page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    pub async fn signup(&self, email: &str) -> i64 {
        let res = self.post_form("/signup", "/signup", &[("email", email), ("password", PASSWORD)]).await;
        assert_eq!(res.status().as_u16(), 303, "signup of {email} should redirect");
        let to = location(&res);
        to.trim_start_matches("/w/").trim_end_matches("/billing").parse().expect("redirect to the new workspace")
    }

    pub async fn login(&self, email: &str) -> reqwest::Response {
        self.post_form("/login", "/login", &[("email", email), ("password", PASSWORD)]).await
    }

    pub async fn logout(&self) {
        let token = self.csrf_token("/pricing").await;
        let res = self.post_raw("/logout", &[("csrf_token", &token)]).await;
        assert_eq!(res.status().as_u16(), 303);
    }

    /// A second browser against the same server and database, from its own address.
    pub fn new_browser(&self) -> TestApp {
        self.browser_from(&fresh_ip())
    }

    /// A new browser (no cookies) coming from `ip`.
    pub fn browser_from(&self, ip: &str) -> TestApp {
        let (client, jar) = browser(ip);
        TestApp {
            address: self.address.clone(),
            client,
            state: self.state.clone(),
            sandbox: self.sandbox.clone(),
            jar,
            ip: ip.to_owned(),
            _database: self._database.clone(),
        }
    }

    /// Another browser holding a copy of this browser's cookies, as someone who copied
    /// them (from a shared computer, a backup, malware) would, from another address.
    pub fn stolen_cookies(&self) -> TestApp {
        let thief = self.new_browser();
        let url: reqwest::Url = self.address.parse().expect("url");
        let cookies = self.jar.cookies(&url).expect("this browser has cookies");
        for cookie in cookies.to_str().expect("ascii cookies").split("; ") {
            thief.jar.add_cookie_str(cookie, &url);
        }
        thief
    }

    /// A second instance of the app on the same database (as behind a load balancer),
    /// reached by this same browser.
    pub async fn another_instance(&self) -> TestApp {
        let config = (*self.state.config).clone();
        let app = Application::build(config).await.expect("second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        let sandbox = app.sandbox();
        actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: self.client.clone(),
            state,
            sandbox,
            jar: self.jar.clone(),
            ip: self.ip.clone(),
            _database: self._database.clone(),
        }
    }

    /// The sandbox's API key, generated for this installation (the sandbox is the provider).
    pub fn sandbox_key(&self) -> String {
        self.sandbox.as_ref().expect("the sandbox is the provider").api_key.clone()
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Runs `f` on a database connection (for arranging and asserting).
    pub fn with_db<T>(&self, f: impl FnOnce(&mut DbConnection) -> T) -> T {
        let mut conn = self.db().get().expect("db connection");
        f(&mut conn)
    }

    /// Records a checkout as starting it through the app would have: only checkouts
    /// Tollgate recorded are ever fulfilled. `subscription_id` is the subscription it creates
    /// (Chargebee's pre-assigned id; for Stripe, as if its completion had been seen).
    pub fn record_checkout(&self, provider: &str, ws: i64, checkout_id: &str, bought: Bought<'_>) {
        use tollgate::schema::checkout_sessions as cs;
        self.with_db(|conn| {
            diesel::insert_into(cs::table)
                .values((
                    cs::provider.eq(provider),
                    cs::checkout_id.eq(checkout_id),
                    cs::workspace_id.eq(ws),
                    cs::purchase.eq(bought.purchase),
                    cs::code.eq(bought.code),
                    cs::subscription_id.eq(bought.subscription_id),
                    cs::created_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(conn)
                .expect("record checkout");
        });
    }

    /// A Stripe plan checkout of `code` that created subscription `subscription_id`, so that
    /// subscription's own events may start the plan.
    pub fn record_plan_checkout(&self, ws: i64, subscription_id: &str, code: &str) {
        let bought = Bought { purchase: "plan", code, subscription_id: Some(subscription_id) };
        self.record_checkout("stripe", ws, &format!("cs_for_{subscription_id}"), bought);
    }

    pub fn set_plan(&self, workspace_id: i64, code: &str) {
        use tollgate::schema::{plans, workspaces};
        self.with_db(|conn| {
            let plan_id: i64 = plans::table.filter(plans::code.eq(code)).select(plans::id).first(conn).expect("plan");
            diesel::update(workspaces::table.find(workspace_id))
                .set(workspaces::plan_id.eq(plan_id))
                .execute(conn)
                .expect("set plan");
        });
    }
}

/// What a recorded checkout sold (see [`TestApp::record_checkout`]).
#[derive(Clone, Copy)]
pub struct Bought<'a> {
    pub purchase: &'a str,
    pub code: &'a str,
    pub subscription_id: Option<&'a str>,
}
