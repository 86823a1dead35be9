//! Who belongs to which workspace, and with what role.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::DbConnection;
use crate::schema::{memberships, users, workspaces};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// Owners and admins manage members, billing and settings.
    pub fn can_manage(self) -> bool {
        self >= Role::Admin
    }

    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];
}

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: i64,
    pub workspace_id: i64,
    pub user_id: i64,
    pub role: String,
    pub created_at: NaiveDateTime,
}

impl Membership {
    pub fn role(&self) -> Role {
        // The CHECK constraint keeps the column to the three names; fall back to the least power.
        Role::parse(&self.role).unwrap_or(Role::Member)
    }

    pub fn find(conn: &mut DbConnection, workspace_id: i64, user_id: i64) -> QueryResult<Option<Membership>> {
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id))
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut DbConnection, workspace_id: i64, user_id: i64, role: Role) -> QueryResult<Membership> {
        diesel::insert_into(memberships::table)
            .values((
                memberships::workspace_id.eq(workspace_id),
                memberships::user_id.eq(user_id),
                memberships::role.eq(role.as_str()),
                memberships::created_at.eq(super::now()),
            ))
            .returning(memberships::all_columns)
            .get_result(conn)
    }

    pub fn set_role(conn: &mut DbConnection, workspace_id: i64, user_id: i64, role: Role) -> QueryResult<usize> {
        diesel::update(
            memberships::table
                .filter(memberships::workspace_id.eq(workspace_id))
                .filter(memberships::user_id.eq(user_id)),
        )
        .set(memberships::role.eq(role.as_str()))
        .execute(conn)
    }

    pub fn delete(conn: &mut DbConnection, workspace_id: i64, user_id: i64) -> QueryResult<usize> {
        diesel::delete(
            memberships::table
                .filter(memberships::workspace_id.eq(workspace_id))
                .filter(memberships::user_id.eq(user_id)),
        )
        .execute(conn)
    }

    pub fn count_owners(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<i64> {
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::role.eq(Role::Owner.as_str()))
            .count()
            .get_result(conn)
    }

    pub fn count_for_workspace(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<i64> {
        memberships::table.filter(memberships::workspace_id.eq(workspace_id)).count().get_result(conn)
    }

    /// Members with their emails, owners first.
    pub fn list_with_emails(conn: &mut DbConnection, workspace_id: i64) -> QueryResult<Vec<(Membership, String)>> {
        let mut rows: Vec<(Membership, String)> = memberships::table
            .inner_join(users::table)
            .filter(memberships::workspace_id.eq(workspace_id))
            .select((memberships::all_columns, users::email))
            .order(memberships::created_at.asc())
            .load(conn)?;
        rows.sort_by_key(|(m, _)| std::cmp::Reverse(m.role()));
        Ok(rows)
    }

    /// The workspaces a user belongs to: (workspace id, name, role), oldest first.
    pub fn workspaces_of(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<(i64, String, String)>> {
        memberships::table
            .inner_join(workspaces::table)
            .filter(memberships::user_id.eq(user_id))
            .select((workspaces::id, workspaces::name, memberships::role))
            .order(memberships::id.asc())
            .load(conn)
    }
}
