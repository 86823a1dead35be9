//! Managing what the workspace has: `POST /w/{id}/portal`, `/plan`,
//! `/subscription/cancel`, `/subscription/resume`, `/addons/{code}/cancel`.

use actix_web::{HttpRequest, HttpResponse, web};

use super::checkout::PlanForm;
use crate::domain::purchases::PlanChoice;
use crate::error::AppResult;
use crate::services::cancel_addon::cancel_addon as end_addon;
use crate::services::change_plan::change_plan as change;
use crate::services::portal::open_portal;
use crate::services::subscription::{cancel_subscription, resume_subscription};
use crate::state::AppState;
use crate::web::{CsrfForm, FlashKind, WorkspaceAccess, client_ip, redirect, set_flash};

fn back_to_billing(access: &WorkspaceAccess, kind: FlashKind, message: String) -> HttpResponse {
    set_flash(&access.session, kind, message);
    redirect(&format!("/w/{}/billing", access.workspace.id))
}

pub async fn portal(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    req: HttpRequest,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    match open_portal(&state, access.workspace.id, access.role, client_ip(&req)).await? {
        Some(url) => Ok(redirect(&url)),
        None => {
            set_flash(&access.session, FlashKind::Info, "There is nothing to manage yet: choose a plan to upgrade.");
            Ok(redirect("/pricing"))
        }
    }
}

pub async fn change_plan(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: CsrfForm<PlanForm>,
) -> AppResult<HttpResponse> {
    let choice = PlanChoice::try_from(form.0)?;
    Ok(match change(&state, access.workspace.id, access.role, choice).await? {
        Ok(notice) => back_to_billing(&access, FlashKind::Success, notice),
        Err(declined) => back_to_billing(&access, FlashKind::Error, declined),
    })
}

pub async fn cancel(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let notice = cancel_subscription(&state, access.workspace.id, access.role).await?;
    Ok(back_to_billing(&access, FlashKind::Success, notice))
}

pub async fn resume(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let notice = resume_subscription(&state, access.workspace.id, access.role).await?;
    Ok(back_to_billing(&access, FlashKind::Success, notice))
}

pub async fn cancel_addon(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let notice = end_addon(&state, access.workspace.id, access.role, &path.1).await?;
    Ok(back_to_billing(&access, FlashKind::Success, notice))
}
