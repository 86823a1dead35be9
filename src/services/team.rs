//! Workspace team changes, each one transaction that locks the workspace row first, so two
//! admins acting at once cannot both remove "the other" owner or overfill the seats.

use chrono::Utc;

use crate::db::{DbConnection, reading_together, write_transaction};
use crate::domain::catalog::Plan;
use crate::domain::entitlements::effective_plan;
use crate::domain::ids::{UserId, WorkspaceId};
use crate::domain::members::{MemberRuleError, Role, check_add, check_remove, check_role_change};
use crate::domain::names::{NameError, WorkspaceName};
use crate::error::AppResult;
use crate::models::api_key::ApiKey;
use crate::models::user::User;
use crate::models::{Membership, Workspace};
use crate::services::credits::billing_facts;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error(transparent)]
    Rule(#[from] MemberRuleError),
    #[error("There is no Tollgate account for {0}. Ask them to sign up first, then add them.")]
    NoSuchUser(String),
    #[error("That person is not a member of this workspace.")]
    NotAMember,
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
}

/// A team change either happened, or was refused by a rule (with nothing written).
pub type TeamResult<T> = AppResult<Result<T, TeamError>>;

/// What the settings page lists: the members with their emails (owners first), and the
/// active API keys.
pub struct TeamAndKeys {
    pub members: Vec<(Membership, String)>,
    pub keys: Vec<ApiKey>,
}

/// Both lists, on a connection the caller holds, in one read transaction on SQLite.
pub fn read_members_and_keys(conn: &mut DbConnection, workspace_id: WorkspaceId) -> AppResult<TeamAndKeys> {
    reading_together(conn, |conn| {
        Ok(TeamAndKeys {
            members: Membership::list_with_emails(conn, workspace_id)?,
            keys: ApiKey::active_for(conn, workspace_id)?,
        })
    })
}

/// Renames the workspace to a name already parsed (and so checked) at the boundary.
pub async fn rename(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    name: WorkspaceName,
) -> TeamResult<WorkspaceName> {
    state.db.run(move |conn| Ok(rename_in(conn, workspace_id, actor, name))).await
}

fn rename_in(
    conn: &mut DbConnection,
    workspace_id: WorkspaceId,
    actor: Role,
    name: WorkspaceName,
) -> Result<WorkspaceName, TeamError> {
    if !actor.can_manage() {
        return Err(MemberRuleError::NotAManager.into());
    }
    Workspace::rename(conn, workspace_id, &name)?;
    Ok(name)
}

pub async fn add_member(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    email: &str,
    role: Role,
) -> TeamResult<User> {
    let email = email.trim().to_lowercase();
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                let workspace = Workspace::lock(conn, workspace_id)?;
                // The seat limit of the plan that applies now (a lapsed subscription's plan does not).
                let (plan, default) = (Plan::find(conn, workspace.plan_id)?, Plan::default_plan(conn)?);
                let seat_limit = effective_plan(&billing_facts(&workspace), &plan, &default, Utc::now()).seat_limit;
                let user = User::find_by_email(conn, &email)?.ok_or_else(|| TeamError::NoSuchUser(email.clone()))?;
                if Membership::find(conn, workspace_id, user.id)?.is_some() {
                    return Err(MemberRuleError::AlreadyMember.into());
                }
                let seats_used = Membership::count_for_workspace(conn, workspace_id)?;
                check_add(actor, role, seats_used, seat_limit)?;
                Membership::insert(conn, workspace_id, user.id, role)?;
                Ok(user)
            }))
        })
        .await
}

pub async fn change_role(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    user_id: UserId,
    role: Role,
) -> TeamResult<()> {
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                Workspace::lock(conn, workspace_id)?;
                let target = Membership::find(conn, workspace_id, user_id)?.ok_or(TeamError::NotAMember)?;
                let owners = Membership::count_owners(conn, workspace_id)?;
                check_role_change(actor, target.role, role, owners)?;
                Membership::set_role(conn, workspace_id, user_id, role)?;
                Ok(())
            }))
        })
        .await
}

/// Removes `user_id`; `actor_id` removing themselves is leaving.
pub async fn remove_member(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    actor_id: UserId,
    user_id: UserId,
) -> TeamResult<()> {
    state
        .db
        .run(move |conn| {
            Ok(write_transaction(conn, |conn| {
                Workspace::lock(conn, workspace_id)?;
                let target = Membership::find(conn, workspace_id, user_id)?.ok_or(TeamError::NotAMember)?;
                let owners = Membership::count_owners(conn, workspace_id)?;
                check_remove(actor, target.role, actor_id == user_id, owners)?;
                Membership::delete(conn, workspace_id, user_id)?;
                Ok(())
            }))
        })
        .await
}
