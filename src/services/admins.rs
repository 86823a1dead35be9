//! Who administers this installation: the emails in `ADMIN_EMAILS`, plus anyone granted from
//! the command line (`tollgate admin grant EMAIL`). Grants and revocations are audited.

use crate::config::Config;
use crate::db::{DbConnection, write_transaction};
use crate::domain::accounts::normalize_email;
use crate::domain::ids::UserId;
use crate::models::user::User;
use crate::models::{NewAuditEntry, instance_admin};

/// Whether the signed-in user `user` is an instance administrator.
pub fn is_admin(conn: &mut DbConnection, config: &Config, user: &User) -> diesel::QueryResult<bool> {
    Ok(config.admin_emails.contains(&user.email) || instance_admin::is_admin(conn, user.id)?)
}

#[derive(Debug, thiserror::Error)]
pub enum AdminGrantError {
    #[error("{0} is not an email address")]
    BadEmail(String),
    #[error("there is no account for {0}: they must sign up first")]
    NoSuchUser(String),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
}

/// Grants (or with `grant = false` revokes) admin for the account `email`, from the command
/// line. Returns whether anything changed.
pub fn set_admin(conn: &mut DbConnection, email: &str, grant: bool) -> Result<bool, AdminGrantError> {
    let email = normalize_email(email).map_err(|_| AdminGrantError::BadEmail(email.to_owned()))?;
    write_transaction(conn, |conn| {
        let user = User::find_by_email(conn, &email)?.ok_or_else(|| AdminGrantError::NoSuchUser(email.clone()))?;
        let changed =
            if grant { instance_admin::grant(conn, user.id)? } else { instance_admin::revoke(conn, user.id)? };
        if changed {
            record_cli_change(conn, user.id, &email, grant)?;
        }
        Ok(changed)
    })
}

fn record_cli_change(conn: &mut DbConnection, user_id: UserId, email: &str, grant: bool) -> diesel::QueryResult<()> {
    let (before, after) = if grant { ("false", "true") } else { ("true", "false") };
    NewAuditEntry {
        actor: "cli",
        actor_user_id: None,
        action: if grant { "admin.grant" } else { "admin.revoke" },
        subject_type: "user",
        subject_id: &user_id.to_string(),
        workspace_id: None,
        before_json: Some(format!("{{\"admin\":{before},\"email\":{}}}", serde_json::Value::from(email))),
        after_json: Some(format!("{{\"admin\":{after}}}")),
        reason: None,
    }
    .insert(conn)
    .map(|_| ())
}
