//! Instance administrators' API keys for the platform-health API. Issued from the command
//! line (`tollgate admin key create EMAIL`) to an account that is an administrator, shown
//! once, stored as a SHA-256 hash like workspace keys (`domain::api_keys` says why that is
//! enough), audited. A key works only while its owner is still an administrator.

use chrono::NaiveDateTime;
use rand::RngCore;

use super::admins::{AdminGrantError, is_admin};
use crate::config::Config;
use crate::db::{DbConnection, write_transaction};
use crate::domain::accounts::normalize_email;
use crate::domain::api_keys::{from_random, hash_of};
use crate::models::admin_api_key::{AdminApiKey, NewAdminApiKey};
use crate::models::api_key::use_is_due;
use crate::models::user::User;
use crate::models::{NewAuditEntry, now};

#[derive(Debug, thiserror::Error)]
pub enum AdminKeyError {
    #[error(transparent)]
    Account(#[from] AdminGrantError),
    #[error("{0} is not an administrator: grant it first (tollgate admin grant EMAIL, or ADMIN_EMAILS)")]
    NotAdmin(String),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
}

fn admin_user(conn: &mut DbConnection, config: &Config, email: &str) -> Result<User, AdminKeyError> {
    let email = normalize_email(email).map_err(|_| AdminGrantError::BadEmail(email.to_owned()))?;
    let user = User::find_by_email(conn, &email)?.ok_or_else(|| AdminGrantError::NoSuchUser(email.clone()))?;
    if !is_admin(conn, config, &user)? {
        return Err(AdminKeyError::NotAdmin(email));
    }
    Ok(user)
}

fn audit(conn: &mut DbConnection, user: &User, action: &str, detail: String) -> diesel::QueryResult<usize> {
    NewAuditEntry {
        actor: "cli",
        actor_user_id: None,
        action,
        subject_type: "user",
        subject_id: &user.id.to_string(),
        workspace_id: None,
        before_json: None,
        after_json: Some(detail),
        reason: None,
    }
    .insert(conn)
}

/// Issues a key to the administrator `email`; returns the secret, which is never shown again.
pub fn create_admin_key(conn: &mut DbConnection, config: &Config, email: &str) -> Result<String, AdminKeyError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let new = from_random(bytes);
    write_transaction(conn, |conn| {
        let user = admin_user(conn, config, email)?;
        NewAdminApiKey { user_id: user.id, prefix: &new.prefix, key_hash: &new.hash, created_at: now() }
            .insert(conn)?;
        audit(conn, &user, "admin_key.create", serde_json::json!({ "prefix": new.prefix }).to_string())?;
        Ok(new.secret.clone())
    })
}

/// Revokes every key of `email` (an administrator or not); how many.
pub fn revoke_admin_keys(conn: &mut DbConnection, email: &str) -> Result<usize, AdminKeyError> {
    let email = normalize_email(email).map_err(|_| AdminGrantError::BadEmail(email.to_owned()))?;
    write_transaction(conn, |conn| {
        let user = User::find_by_email(conn, &email)?.ok_or_else(|| AdminGrantError::NoSuchUser(email.clone()))?;
        let revoked = AdminApiKey::revoke_all(conn, user.id, now())?;
        if revoked > 0 {
            audit(conn, &user, "admin_key.revoke", serde_json::json!({ "revoked": revoked }).to_string())?;
        }
        Ok(revoked)
    })
}

/// The administrator a presented key belongs to; `None` for a malformed, unknown or revoked
/// key, or one whose owner is no longer an administrator.
pub fn admin_for_key(
    conn: &mut DbConnection,
    config: &Config,
    presented: &str,
    at: NaiveDateTime,
) -> diesel::QueryResult<Option<User>> {
    let Some(hash) = hash_of(presented) else { return Ok(None) };
    let Some(key) = AdminApiKey::find_active(conn, &hash)? else { return Ok(None) };
    let user = User::find(conn, key.user_id)?;
    if !is_admin(conn, config, &user)? {
        return Ok(None);
    }
    if use_is_due(key.last_used_at, at) {
        AdminApiKey::touch(conn, key.id, at)?;
    }
    Ok(Some(user))
}
