//! Managing what the workspace has: `POST /w/{id}/portal`, `/plan`,
//! `/subscription/cancel`, `/subscription/resume`, `/addons/{code}/cancel`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::error::AppResult;
use crate::flows;
use crate::startup::AppState;
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
    match flows::open_portal(&state, &access, &client_ip(&req)).await? {
        Some(url) => Ok(redirect(&url)),
        None => {
            set_flash(&access.session, FlashKind::Info, "There is nothing to manage yet: choose a plan to upgrade.");
            Ok(redirect("/pricing"))
        }
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    plan: String,
    interval: String,
}

pub async fn change_plan(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: CsrfForm<ChangeForm>,
) -> AppResult<HttpResponse> {
    let outcome = flows::change_plan(&state, &access, &form.0.plan, &form.0.interval).await?;
    Ok(match outcome {
        Ok(notice) => back_to_billing(&access, FlashKind::Success, notice),
        Err(declined) => back_to_billing(&access, FlashKind::Error, declined),
    })
}

pub async fn cancel(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let notice = flows::cancel_subscription(&state, &access).await?;
    Ok(back_to_billing(&access, FlashKind::Success, notice))
}

pub async fn resume(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let notice = flows::resume_subscription(&state, &access).await?;
    Ok(back_to_billing(&access, FlashKind::Success, notice))
}

pub async fn cancel_addon(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let notice = flows::cancel_addon(&state, &access, &path.1).await?;
    Ok(back_to_billing(&access, FlashKind::Success, notice))
}
