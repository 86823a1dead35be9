//! The admin console's use cases: the overview, the workspace directory and its actions
//! (credit grants and revocations, trial extensions), the webhook event log (replay, dismiss)
//! and catalog edits. Every change is written to the audit log in the same transaction as the
//! change itself (replays, which go through the webhook path, right after it; a trial
//! extension with the provider's answer, once the provider has moved the trial), naming the
//! administrator, the state before and after, and the reason.

pub mod catalog_edit;
pub mod dismiss_event;
pub mod events;
pub mod extend_trial;
pub mod grant_credits;
pub mod overview;
pub mod replay_event;
pub mod workspaces;

use crate::db::DbConnection;
use crate::domain::catalog::FieldError;
use crate::domain::ids::{UserId, WorkspaceId};
use crate::error::AppError;
use crate::models::NewAuditEntry;

/// The administrator acting, as the audit log names them.
#[derive(Debug, Clone)]
pub struct Operator {
    pub user_id: UserId,
    pub email: String,
}

/// What an audit entry is about.
pub struct Subject<'a> {
    pub kind: &'a str,
    pub id: String,
    pub workspace: Option<WorkspaceId>,
}

/// One audited change: before → after as JSON, and why.
pub fn audit(
    conn: &mut DbConnection,
    operator: &Operator,
    action: &str,
    subject: &Subject<'_>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    reason: Option<&str>,
) -> diesel::QueryResult<()> {
    NewAuditEntry {
        actor: &operator.email,
        actor_user_id: Some(operator.user_id),
        action,
        subject_type: subject.kind,
        subject_id: &subject.id,
        workspace_id: subject.workspace,
        before_json: before.map(|v| v.to_string()),
        after_json: after.map(|v| v.to_string()),
        reason,
    }
    .insert(conn)
    .map(|_| ())
}

/// A form or filter field that does not parse: a 400 page naming it.
pub fn bad_field(e: FieldError) -> AppError {
    AppError::bad_request(format!("The field \u{201c}{}\u{201d} {}.", e.field, e.message))
}

/// An administrator's reason for a change: required, one line, bounded.
pub fn reason(raw: &str) -> Result<String, AppError> {
    let reason = raw.trim();
    if reason.is_empty() {
        return Err(bad_field(FieldError::new("reason", "must say why")));
    }
    if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(bad_field(FieldError::new("reason", "must be one line of at most 500 characters")));
    }
    Ok(reason.to_owned())
}
