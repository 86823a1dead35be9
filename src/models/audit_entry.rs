//! The audit log: every administrative change (by a person or a job) with who did it, what
//! it was, the state before and after, and why. Append-only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::{UserId, WorkspaceId};
use crate::schema::audit_log;

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    /// The admin's email, or `job:<name>` for a background job.
    pub actor: String,
    pub actor_user_id: Option<UserId>,
    /// What was done, e.g. `plan.update`, `credits.grant`, `event.replay`.
    pub action: String,
    /// What it was done to, e.g. `plan` / `pro`, `workspace` / `42`.
    pub subject_type: String,
    pub subject_id: String,
    pub workspace_id: Option<WorkspaceId>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditEntry<'a> {
    pub actor: &'a str,
    pub actor_user_id: Option<UserId>,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub workspace_id: Option<WorkspaceId>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<&'a str>,
}

impl NewAuditEntry<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(audit_log::table)
            .values((self, audit_log::created_at.eq(super::now())))
            .execute_prepared(conn)
    }
}

impl AuditEntry {
    /// The newest entries about one subject.
    pub fn for_subject(
        conn: &mut DbConnection,
        subject_type: &str,
        subject_id: &str,
        limit: i64,
    ) -> QueryResult<Vec<AuditEntry>> {
        audit_log::table
            .filter(audit_log::subject_type.eq(subject_type))
            .filter(audit_log::subject_id.eq(subject_id))
            .order(audit_log::id.desc())
            .limit_rows(limit)
            .load_prepared(conn)
    }

    /// The newest entries that concern one workspace.
    pub fn for_workspace(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        limit: i64,
    ) -> QueryResult<Vec<AuditEntry>> {
        audit_log::table
            .filter(audit_log::workspace_id.eq(workspace_id))
            .order(audit_log::id.desc())
            .limit_rows(limit)
            .load_prepared(conn)
    }

    pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<AuditEntry>> {
        audit_log::table.order(audit_log::id.desc()).limit_rows(limit).load_prepared(conn)
    }
}
