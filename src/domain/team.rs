//! Workspace team changes, each one transaction that locks the workspace row first, so two
//! admins acting at once cannot both remove "the other" owner or overfill the seats.

use crate::db::{DbConnection, write_transaction};
use crate::domain::members::{MemberRuleError, check_add, check_remove, check_role_change};
use crate::models::membership::{Membership, Role};
use crate::models::plan::Plan;
use crate::models::user::User;
use crate::models::workspace::Workspace;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error(transparent)]
    Rule(#[from] MemberRuleError),
    #[error("There is no Tollgate account for {0}. Ask them to sign up first, then add them.")]
    NoSuchUser(String),
    #[error("That person is not a member of this workspace.")]
    NotAMember,
    #[error("Workspace names must be 1 to 80 characters.")]
    BadName,
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
}

pub fn rename(conn: &mut DbConnection, workspace_id: i64, actor: Role, name: &str) -> Result<String, TeamError> {
    if !actor.can_manage() {
        return Err(MemberRuleError::NotAManager.into());
    }
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(TeamError::BadName);
    }
    Workspace::rename(conn, workspace_id, name)?;
    Ok(name.to_owned())
}

pub fn add_member(
    conn: &mut DbConnection,
    workspace_id: i64,
    actor: Role,
    email: &str,
    role: Role,
) -> Result<User, TeamError> {
    let email = email.trim().to_lowercase();
    write_transaction(conn, |conn| {
        let workspace = Workspace::lock(conn, workspace_id)?;
        let plan = Plan::find(conn, workspace.plan_id)?;
        let user = User::find_by_email(conn, &email)?.ok_or_else(|| TeamError::NoSuchUser(email.clone()))?;
        if Membership::find(conn, workspace_id, user.id)?.is_some() {
            return Err(MemberRuleError::AlreadyMember.into());
        }
        let seats_used = Membership::count_for_workspace(conn, workspace_id)?;
        check_add(actor, role, seats_used, plan.seat_limit)?;
        Membership::insert(conn, workspace_id, user.id, role)?;
        Ok(user)
    })
}

pub fn change_role(
    conn: &mut DbConnection,
    workspace_id: i64,
    actor: Role,
    user_id: i64,
    role: Role,
) -> Result<(), TeamError> {
    write_transaction(conn, |conn| {
        Workspace::lock(conn, workspace_id)?;
        let target = Membership::find(conn, workspace_id, user_id)?.ok_or(TeamError::NotAMember)?;
        let owners = Membership::count_owners(conn, workspace_id)?;
        check_role_change(actor, target.role(), role, owners)?;
        Membership::set_role(conn, workspace_id, user_id, role)?;
        Ok(())
    })
}

pub fn remove_member(
    conn: &mut DbConnection,
    workspace_id: i64,
    actor: Role,
    actor_id: i64,
    user_id: i64,
) -> Result<(), TeamError> {
    write_transaction(conn, |conn| {
        Workspace::lock(conn, workspace_id)?;
        let target = Membership::find(conn, workspace_id, user_id)?.ok_or(TeamError::NotAMember)?;
        let owners = Membership::count_owners(conn, workspace_id)?;
        check_remove(actor, target.role(), actor_id == user_id, owners)?;
        Membership::delete(conn, workspace_id, user_id)?;
        Ok(())
    })
}
