//! `/w/{workspace_id}/settings`: rename the workspace and manage its members. Every
//! change is a CSRF-checked form that redirects back with a notice; rule violations come
//! back as a notice too, with nothing written.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::domain::catalog::PlanBook;
use crate::domain::ids::{UserId, WorkspaceId};
use crate::domain::members::Role;
use crate::domain::names::WorkspaceName;
use crate::error::{AppError, AppResult};
use crate::models::Workspace;
use crate::services::entitlements::{entitlements_now, seat_limit_reached};
use crate::services::team::{self, TeamError};
use crate::state::AppState;
use crate::web::{
    CsrfForm, FlashKind, Layout, WorkspaceAccess, WorkspaceLoad, WorkspacePage, page, redirect, set_flash,
};

pub struct MemberRow {
    pub user_id: UserId,
    pub email: String,
    pub role: String,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "workspace/settings.html")]
struct SettingsPage {
    layout: Layout,
    workspace_id: WorkspaceId,
    workspace_name: String,
    can_manage: bool,
    is_owner: bool,
    members: Vec<MemberRow>,
    seats: String,
    roles: [Role; 3],
    api_keys: super::api_keys::ApiKeysSection,
}

/// The settings page's lists are read together with the access check.
impl WorkspaceLoad for team::TeamAndKeys {
    fn load(conn: &mut DbConnection, ws: &Workspace, _: &PlanBook) -> AppResult<team::TeamAndKeys> {
        team::read_members_and_keys(conn, ws.id)
    }
}

pub async fn show(page_access: WorkspacePage<team::TeamAndKeys>) -> AppResult<HttpResponse> {
    let WorkspacePage { access, data: team::TeamAndKeys { members, keys } } = page_access;
    let workspace_id = access.workspace.id;
    let seats = match access.plan.seat_limit {
        Some(limit) => format!("{} of {limit} seats used", members.len()),
        None => format!("{} seats used (unlimited)", members.len()),
    };
    page(&SettingsPage {
        layout: Layout::for_workspace("Settings", &access),
        workspace_id,
        workspace_name: access.workspace.name.clone(),
        can_manage: access.role.can_manage(),
        is_owner: access.role == Role::Owner,
        members: members
            .into_iter()
            .map(|(m, email)| MemberRow {
                user_id: m.user_id,
                is_self: m.user_id == access.user.id,
                role: m.role.as_str().to_owned(),
                email,
            })
            .collect(),
        seats,
        roles: Role::ALL,
        api_keys: super::api_keys::section(&access, keys),
    })
}

#[derive(Deserialize)]
pub struct RenameForm {
    name: String,
}

impl TryFrom<RenameForm> for WorkspaceName {
    type Error = TeamError;

    fn try_from(form: RenameForm) -> Result<WorkspaceName, TeamError> {
        Ok(WorkspaceName::parse(&form.name)?)
    }
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    email: String,
    role: String,
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

fn settings_url(workspace_id: WorkspaceId) -> String {
    format!("/w/{workspace_id}/settings")
}

fn parse_role(role: &str) -> AppResult<Role> {
    Role::parse(role).ok_or_else(|| AppError::validation("Choose a role: owner, admin or member."))
}

/// Rule violations are shown as a notice on the settings page, with the right status
/// kept for programs: 403 for "not allowed", 422 for "not possible".
fn outcome(access: &WorkspaceAccess, result: Result<String, TeamError>) -> AppResult<HttpResponse> {
    use crate::domain::members::MemberRuleError::*;
    match result {
        Ok(message) => {
            set_flash(&access.session, FlashKind::Success, message);
            Ok(redirect(&settings_url(access.workspace.id)))
        }
        Err(TeamError::Database(e)) => Err(e.into()),
        Err(TeamError::Rule(rule @ (NotAManager | OwnerOnly))) => Err(AppError::Forbidden(rule.to_string())),
        Err(e) => {
            set_flash(&access.session, FlashKind::Error, e.to_string());
            Ok(redirect(&settings_url(access.workspace.id)))
        }
    }
}

pub async fn rename(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: CsrfForm<RenameForm>,
) -> AppResult<HttpResponse> {
    access.require_manager()?;
    let result = match WorkspaceName::try_from(form.0) {
        Ok(name) => team::rename(&state, access.workspace.id, access.role, name).await?,
        Err(refused) => Err(refused),
    };
    outcome(&access, result.map(|name| format!("Workspace renamed to \u{201c}{name}\u{201d}.")))
}

pub async fn add_member(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: CsrfForm<AddMemberForm>,
) -> AppResult<HttpResponse> {
    let role = parse_role(&form.0.role)?;
    let result = team::add_member(&state, access.workspace.id, access.role, &form.0.email, role).await?;
    // A full team is the seat gate's answer: the billing page naming the plan with more
    // seats (402 for programs), the notice kept for the next page.
    if let Err(full @ TeamError::Rule(crate::domain::members::MemberRuleError::SeatLimit { .. })) = &result {
        set_flash(&access.session, FlashKind::Error, full.to_string());
        let snap = entitlements_now(&state, access.workspace.id).await?;
        return Err(seat_limit_reached(&snap, &state.config.base_url));
    }
    outcome(&access, result.map(|user| format!("{} added as {}.", user.email, role.as_str())))
}

pub async fn change_role(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(i64, i64)>,
    form: CsrfForm<RoleForm>,
) -> AppResult<HttpResponse> {
    let role = parse_role(&form.0.role)?;
    let result = team::change_role(&state, access.workspace.id, access.role, UserId(path.1), role).await?;
    outcome(&access, result.map(|()| format!("Role changed to {}.", role.as_str())))
}

pub async fn remove_member(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let (actor_id, user_id) = (access.user.id, UserId(path.1));
    let result = team::remove_member(&state, access.workspace.id, access.role, actor_id, user_id).await?;
    if result.is_ok() && actor_id == user_id {
        set_flash(&access.session, FlashKind::Success, format!("You left {}.", access.workspace.name));
        return Ok(redirect("/"));
    }
    outcome(&access, result.map(|()| "Member removed.".to_owned()))
}
