//! Who belongs to which workspace, and with what role.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::{UserId, WorkspaceId};
use crate::domain::members::Role;
use crate::schema::{memberships, users, workspaces};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub role: Role,
    pub created_at: NaiveDateTime,
}

/// A workspace as the header's switcher lists it for one user.
#[derive(Debug, Clone, Queryable)]
pub struct MemberWorkspace {
    pub id: WorkspaceId,
    pub name: String,
    pub role: Role,
}

impl Membership {
    pub fn find(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        user_id: UserId,
    ) -> QueryResult<Option<Membership>> {
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::user_id.eq(user_id))
            .first_row(conn)
            .optional()
    }

    pub fn insert(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        user_id: UserId,
        role: Role,
    ) -> QueryResult<Membership> {
        diesel::insert_into(memberships::table)
            .values((
                memberships::workspace_id.eq(workspace_id),
                memberships::user_id.eq(user_id),
                memberships::role.eq(role),
                memberships::created_at.eq(super::now()),
            ))
            .returning(memberships::all_columns)
            .get_result_prepared(conn)
    }

    pub fn set_role(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
        user_id: UserId,
        role: Role,
    ) -> QueryResult<usize> {
        diesel::update(
            memberships::table
                .filter(memberships::workspace_id.eq(workspace_id))
                .filter(memberships::user_id.eq(user_id)),
        )
        .set(memberships::role.eq(role))
        .execute_prepared(conn)
    }

    pub fn delete(conn: &mut DbConnection, workspace_id: WorkspaceId, user_id: UserId) -> QueryResult<usize> {
        diesel::delete(
            memberships::table
                .filter(memberships::workspace_id.eq(workspace_id))
                .filter(memberships::user_id.eq(user_id)),
        )
        .execute_prepared(conn)
    }

    pub fn count_owners(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<i64> {
        memberships::table
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(memberships::role.eq(Role::Owner))
            .count()
            .get_result_prepared(conn)
    }

    pub fn count_for_workspace(conn: &mut DbConnection, workspace_id: WorkspaceId) -> QueryResult<i64> {
        memberships::table.filter(memberships::workspace_id.eq(workspace_id)).count().get_result_prepared(conn)
    }

    /// Members with their emails, owners first.
    pub fn list_with_emails(
        conn: &mut DbConnection,
        workspace_id: WorkspaceId,
    ) -> QueryResult<Vec<(Membership, String)>> {
        let mut rows: Vec<(Membership, String)> = memberships::table
            .inner_join(users::table)
            .filter(memberships::workspace_id.eq(workspace_id))
            .select((memberships::all_columns, users::email))
            .order(memberships::created_at.asc())
            .fixed()
            .load_prepared(conn)?;
        rows.sort_by_key(|(m, _)| std::cmp::Reverse(m.role));
        Ok(rows)
    }

    /// The workspaces a user belongs to, oldest membership first.
    pub fn workspaces_of(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<MemberWorkspace>> {
        memberships::table
            .inner_join(workspaces::table)
            .filter(memberships::user_id.eq(user_id))
            .select((workspaces::id, workspaces::name, memberships::role))
            .order(memberships::id.asc())
            .fixed()
            .load_prepared(conn)
    }
}
