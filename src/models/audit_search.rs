//! The admin console's reads of the audit log beyond one subject or workspace: the newest
//! entries about any subject of some kinds (the catalog page shows plans, add-ons and packs).

use diesel::prelude::*;

use super::AuditEntry;
use crate::db::{DbConnection, LimitRows};
use crate::schema::audit_log;

pub fn for_subject_types(conn: &mut DbConnection, kinds: &[&str], limit: i64) -> QueryResult<Vec<AuditEntry>> {
    audit_log::table
        .filter(audit_log::subject_type.eq_any(kinds.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>()))
        .order(audit_log::id.desc())
        .limit_rows(limit)
        .load(conn)
}
