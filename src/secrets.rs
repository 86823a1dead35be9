//! Secrets Tollgate generates for itself when the operator has not set them: the session
//! key, the sandbox's webhook secret and the sandbox's API key. SQLite keeps them in a file
//! next to the database file; PostgreSQL keeps them in the `app_secrets` table, so every
//! instance behind a load balancer signs sessions with the same key.

use std::io::Write;

use actix_web::cookie::Key;
use base64::Engine;
use rand::RngCore;

use crate::config::Config;
use crate::db::{Backend, DbConnection, sqlite_path};
use crate::models::app_secret;

fn random_secret() -> String {
    let mut bytes = [0u8; 64];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The session signing/encryption key: `SESSION_KEY`, else a persisted generated one.
pub fn session_key(config: &Config, conn: &mut DbConnection) -> Result<Key, String> {
    let material = match &config.session_key {
        Some(key) => key.clone(),
        None => persisted_secret(config, conn, "session-key")?.into_bytes(),
    };
    Key::try_from(material.as_slice()).map_err(|e| format!("SESSION_KEY is unusable: {e}"))
}

/// Reads the named secret, creating it on first use. Logs a warning when it creates one,
/// because a generated secret is easy to lose (a deleted file logs everyone out).
pub fn persisted_secret(config: &Config, conn: &mut DbConnection, name: &str) -> Result<String, String> {
    match Backend::of_url(&config.database_url) {
        Backend::Sqlite => {
            let db_path = sqlite_path(&config.database_url);
            if db_path.contains(":memory:") {
                return Ok(random_secret());
            }
            secret_file(&format!("{db_path}.{name}"))
        }
        Backend::Postgres => secret_row(conn, name),
    }
}

fn secret_file(path: &str) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(existing) if !existing.trim().is_empty() => return Ok(existing.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {path}: {e}")),
    }
    let secret = random_secret();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| format!("cannot write {path}: {e}"))?;
    file.write_all(secret.as_bytes()).map_err(|e| format!("cannot write {path}: {e}"))?;
    log::warn!("generated a secret and saved it in {path}; keep that file with the database");
    Ok(secret)
}

fn secret_row(conn: &mut DbConnection, name: &str) -> Result<String, String> {
    let read = |conn: &mut DbConnection| {
        app_secret::find(conn, name).map_err(|e| format!("cannot read app secret {name}: {e}"))
    };
    if let Some(existing) = read(conn)? {
        return Ok(existing);
    }
    let secret = random_secret();
    match app_secret::insert(conn, name, &secret) {
        Ok(true) => {
            log::warn!("generated secret {name:?} and stored it in the app_secrets table");
            Ok(secret)
        }
        // Another instance starting at the same moment won the race: use its secret.
        Ok(false) => read(conn)?.ok_or_else(|| format!("app secret {name} vanished")),
        Err(e) => Err(format!("cannot store app secret {name}: {e}")),
    }
}
