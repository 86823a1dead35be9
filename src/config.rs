//! Settings, read once from the environment (and `.env` when present) into a typed struct.
//! A bad value stops start-up with one sentence naming the variable and what it expects.

use std::collections::HashMap;

use crate::domain::network::TrustedProxies;

/// Which billing provider the app talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// The built-in offline Stripe stand-in served under `/sandbox/`.
    Sandbox,
    Stripe,
    Chargebee,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Sandbox => "sandbox",
            ProviderKind::Stripe => "stripe",
            ProviderKind::Chargebee => "chargebee",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct StripeSettings {
    pub secret_key: String,
    pub publishable_key: Option<String>,
    pub webhook_secret: String,
    pub api_base: String,
}

#[derive(Debug, Clone, Default)]
pub struct ChargebeeSettings {
    pub site: String,
    pub api_key: String,
    pub api_base: String,
    pub webhook_username: Option<String>,
    pub webhook_password: Option<String>,
}

#[derive(Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// Public address of the app, used in redirect URLs given to providers.
    pub base_url: String,
    /// False when `BASE_URL` was derived from HOST/PORT (then it follows the bound port).
    pub base_url_explicit: bool,
    pub database_url: String,
    /// 64+ bytes; `None` means "generate and persist one" (see `secrets`).
    pub session_key: Option<Vec<u8>>,
    pub provider: ProviderKind,
    pub stripe: StripeSettings,
    pub chargebee: ChargebeeSettings,
    pub sandbox_webhook_secret: Option<String>,
    /// `SANDBOX_PUBLIC=true`: the operator knowingly serves the sandbox beyond loopback (a
    /// public demo); every page then says that payments there are simulated.
    pub sandbox_public: bool,
    pub grace_period_days: i64,
    pub catalog_path: String,
    /// Set when `CATALOG_PATH` was given: then a missing file is an error, not a fallback
    /// to the built-in catalog.
    pub catalog_path_explicit: bool,
    /// `TOLLGATE_ENV=development` relaxes checks meant for production (explicitly opted in).
    pub development: bool,
    pub db_pool_size: u32,
    /// On PostgreSQL, how many write transactions one instance runs at once (at most the pool's
    /// size), each committing whatever writes wait, together.
    pub db_write_concurrency: u32,
    /// Where "Contact sales" buttons point (a mailto: or https: address).
    pub sales_contact_url: String,
    /// Whether this instance runs the job scheduler (each due run is claimed by one instance);
    /// `RUN_JOBS=false` leaves the jobs to other instances.
    pub run_jobs: bool,
    /// Instance administrators by email (lower-cased), besides those granted with
    /// `tollgate admin grant`.
    pub admin_emails: Vec<String>,
    /// Proxies whose `X-Forwarded-For`/`Forwarded` headers name the client. Empty (the
    /// default) believes no header: the connecting address is the client.
    pub trusted_proxies: TrustedProxies,
}

impl std::fmt::Debug for Config {
    // Hand-written so secrets never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("base_url", &self.base_url)
            .field("provider", &self.provider)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

fn invalid(var: &str, expected: &str) -> ConfigError {
    ConfigError(format!("{var} is invalid: expected {expected}."))
}

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Config, ConfigError> {
        let _ = dotenvy::dotenv();
        Config::from_vars(&std::env::vars().collect())
    }

    /// Builds the config from a map of variables (tests pass their own).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let get = |name: &str| vars.get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let host = get("HOST").unwrap_or_else(|| "127.0.0.1".to_owned());
        let port = match get("PORT") {
            Some(p) => p.parse::<u16>().map_err(|_| invalid("PORT", "a port number from 0 to 65535"))?,
            None => 8080,
        };
        let base_url_explicit = get("BASE_URL").is_some();
        let base_url = match get("BASE_URL") {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                url.trim_end_matches('/').to_owned()
            }
            Some(_) => {
                return Err(invalid("BASE_URL", "an http:// or https:// address such as https://billing.example.com"));
            }
            None => Config::derived_base_url(&host, port),
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "tollgate.db".to_owned());
        if database_url.contains("://")
            && !["sqlite://", "postgres://", "postgresql://"].iter().any(|s| database_url.starts_with(s))
        {
            return Err(invalid("DATABASE_URL", "sqlite://PATH, a file path, or postgres://USER@HOST/DB"));
        }
        let session_key = match get("SESSION_KEY") {
            Some(key) if key.len() >= 64 => Some(key.into_bytes()),
            Some(_) => {
                return Err(invalid(
                    "SESSION_KEY",
                    "at least 64 characters of random text (or leave it unset to generate one)",
                ));
            }
            None => None,
        };
        let provider = match get("BILLING_PROVIDER").as_deref() {
            None | Some("sandbox") => ProviderKind::Sandbox,
            Some("stripe") => ProviderKind::Stripe,
            Some("chargebee") => ProviderKind::Chargebee,
            Some(_) => return Err(invalid("BILLING_PROVIDER", "one of sandbox, stripe, chargebee")),
        };
        let grace_period_days = match get("GRACE_PERIOD_DAYS") {
            Some(d) => d
                .parse::<i64>()
                .ok()
                .filter(|d| (0..=90).contains(d))
                .ok_or_else(|| invalid("GRACE_PERIOD_DAYS", "a whole number of days from 0 to 90"))?,
            None => 7,
        };
        let connections = |var: &str, default: u32| match get(var) {
            Some(n) => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=200).contains(n))
                .ok_or_else(|| invalid(var, "a number from 1 to 200")),
            None => Ok(default),
        };
        let db_pool_size = connections("DATABASE_POOL_SIZE", 10)?;
        let db_write_concurrency = connections("DATABASE_WRITE_CONCURRENCY", 2)?;
        let development = match get("TOLLGATE_ENV").as_deref() {
            None | Some("production") => false,
            Some("development") => true,
            Some(_) => return Err(invalid("TOLLGATE_ENV", "production or development")),
        };

        let sandbox_public = match get("SANDBOX_PUBLIC").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(invalid("SANDBOX_PUBLIC", "true or false")),
        };

        let run_jobs = match get("RUN_JOBS").as_deref() {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(_) => return Err(invalid("RUN_JOBS", "true or false")),
        };

        let admin_emails: Vec<String> = get("ADMIN_EMAILS")
            .map(|list| list.split(',').map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()).collect())
            .unwrap_or_default();
        if admin_emails.iter().any(|e| !e.contains('@') || e.chars().any(char::is_whitespace)) {
            return Err(invalid("ADMIN_EMAILS", "a comma-separated list of email addresses"));
        }
        let trusted_proxies = TrustedProxies::parse(&get("TRUSTED_PROXIES").unwrap_or_default()).map_err(|entry| {
            invalid(
                "TRUSTED_PROXIES",
                &format!(
                    "comma-separated IP addresses or CIDR ranges of your reverse proxies, such as 10.0.0.0/8, 127.0.0.1 \
                     (\"{entry}\" is neither)"
                ),
            )
        })?;

        let stripe = StripeSettings {
            secret_key: get("STRIPE_SECRET_KEY").unwrap_or_default(),
            publishable_key: get("STRIPE_PUBLISHABLE_KEY"),
            webhook_secret: get("STRIPE_WEBHOOK_SECRET").unwrap_or_default(),
            api_base: get("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com/".to_owned()),
        };
        let chargebee_site = get("CHARGEBEE_SITE").unwrap_or_default();
        let chargebee = ChargebeeSettings {
            api_base: get("CHARGEBEE_API_BASE")
                .unwrap_or_else(|| format!("https://{chargebee_site}.chargebee.com/api/v2")),
            site: chargebee_site,
            api_key: get("CHARGEBEE_API_KEY").unwrap_or_default(),
            webhook_username: get("CHARGEBEE_WEBHOOK_USERNAME"),
            webhook_password: get("CHARGEBEE_WEBHOOK_PASSWORD"),
        };
        match provider {
            ProviderKind::Stripe => {
                for (var, value) in
                    [("STRIPE_SECRET_KEY", &stripe.secret_key), ("STRIPE_WEBHOOK_SECRET", &stripe.webhook_secret)]
                {
                    if value.is_empty() {
                        return Err(ConfigError(format!("BILLING_PROVIDER=stripe needs {var} to be set.")));
                    }
                }
            }
            ProviderKind::Chargebee => {
                for (var, value) in [("CHARGEBEE_SITE", &chargebee.site), ("CHARGEBEE_API_KEY", &chargebee.api_key)] {
                    if value.is_empty() {
                        return Err(ConfigError(format!("BILLING_PROVIDER=chargebee needs {var} to be set.")));
                    }
                }
            }
            ProviderKind::Sandbox => {}
        }

        Ok(Config {
            host,
            port,
            base_url,
            base_url_explicit,
            database_url,
            session_key,
            provider,
            stripe,
            chargebee,
            sandbox_webhook_secret: get("SANDBOX_WEBHOOK_SECRET"),
            sandbox_public,
            grace_period_days,
            catalog_path: get("CATALOG_PATH").unwrap_or_else(|| "catalog.toml".to_owned()),
            catalog_path_explicit: get("CATALOG_PATH").is_some(),
            development,
            db_pool_size,
            db_write_concurrency,
            sales_contact_url: get("SALES_CONTACT_URL").unwrap_or_else(|| "mailto:sales@example.com".to_owned()),
            run_jobs,
            admin_emails,
            trusted_proxies,
        })
    }

    /// The address the app is reached at once it listens on `port` (port 0 binds a random one).
    pub fn derived_base_url(host: &str, port: u16) -> String {
        format!("http://{}:{port}", if host == "0.0.0.0" { "127.0.0.1" } else { host })
    }

    /// Whether pages carry the public-demo banner: the sandbox served beyond loopback on purpose.
    pub fn public_demo(&self) -> bool {
        self.provider == ProviderKind::Sandbox && self.sandbox_public
    }

    /// Cookies get the `Secure` flag only when the app is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_serve_sandbox_on_localhost() {
        let config = Config::from_vars(&vars(&[])).unwrap();
        assert_eq!(config.port, 8080);
        assert_eq!(config.base_url, "http://127.0.0.1:8080");
        assert_eq!(config.database_url, "tollgate.db");
        assert_eq!(config.provider, ProviderKind::Sandbox);
        assert_eq!(config.grace_period_days, 7);
        assert_eq!((config.db_pool_size, config.db_write_concurrency), (10, 2));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("PORT", "eighty"),
            ("BILLING_PROVIDER", "paypal"),
            ("SESSION_KEY", "short"),
            ("BASE_URL", "example.com"),
            ("GRACE_PERIOD_DAYS", "-1"),
            ("SANDBOX_PUBLIC", "yes please"),
            ("DATABASE_POOL_SIZE", "0"),
            ("DATABASE_WRITE_CONCURRENCY", "many"),
        ] {
            let err = Config::from_vars(&vars(&[(var, value)])).unwrap_err();
            assert!(err.0.starts_with(var), "{err}");
        }
    }

    #[test]
    fn trusted_proxies_are_parsed_at_start() {
        assert!(Config::from_vars(&vars(&[])).unwrap().trusted_proxies.is_empty(), "nobody is trusted by default");
        let config = Config::from_vars(&vars(&[("TRUSTED_PROXIES", "10.0.0.0/8, ::1")])).unwrap();
        assert!(config.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
        assert!(config.trusted_proxies.contains("::1".parse().unwrap()));
        let err = Config::from_vars(&vars(&[("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")])).unwrap_err();
        assert!(err.0.starts_with("TRUSTED_PROXIES is invalid"), "{err}");
        assert!(err.0.contains("\"proxy.internal\""), "{err}");
    }

    #[test]
    fn real_providers_need_their_keys() {
        let err = Config::from_vars(&vars(&[("BILLING_PROVIDER", "stripe")])).unwrap_err();
        assert!(err.0.contains("STRIPE_SECRET_KEY"));
        let err =
            Config::from_vars(&vars(&[("BILLING_PROVIDER", "chargebee"), ("CHARGEBEE_SITE", "acme")])).unwrap_err();
        assert!(err.0.contains("CHARGEBEE_API_KEY"));
    }
}
