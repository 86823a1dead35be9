//! The admin console: who reaches it, CSRF on its actions, the overview, the workspace
//! directory, credit grants and trial extensions, the webhook event log with replay and
//! ignore, and catalog edits — each action checked in the database and in the audit log.

mod access;
mod catalog;
mod events;
mod trials;
mod workspaces;

use tollgate::models::{AuditEntry, instance_admin, user::User};

use crate::common::*;

impl TestApp {
    /// Signs `email` up in this browser and makes them an instance administrator.
    pub async fn sign_up_admin(&self, email: &str) -> i64 {
        let ws = self.signup(email).await;
        self.with_db(|conn| {
            let user = User::find_by_email(conn, email).unwrap().unwrap();
            instance_admin::grant(conn, user.id).unwrap();
        });
        ws
    }

    /// POSTs an admin form with the CSRF token of the admin page `page`.
    pub async fn admin_post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.post_form("/admin", path, fields).await
    }

    pub fn audit(&self) -> Vec<AuditEntry> {
        self.with_db(|conn| AuditEntry::recent(conn, 1000).unwrap())
    }
}

/// The text of the error page's message.
pub fn error_message(html: &str) -> String {
    select_all(html, ".lead").join(" ")
}
