//! Sign up, sign in, sign out. Forms re-render with a message on failure; success renews
//! the session (no fixation) and follows `next` only when it is a local path.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::accounts::AccountError;
use crate::domain::ids::UserId;
use crate::error::{AppError, AppResult};
use crate::services::accounts;
use crate::state::AppState;
use crate::web::{CsrfForm, FlashKind, Layout, Viewer, keys, redirect, render, safe_next, set_flash};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignupPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

fn home_for(viewer: &Viewer) -> String {
    viewer.current_workspace_id().map(|id| format!("/w/{id}/billing")).unwrap_or_else(|| "/pricing".into())
}

pub async fn signup_form(viewer: Viewer, query: web::Query<NextQuery>) -> AppResult<HttpResponse> {
    if viewer.user.is_some() {
        return Ok(redirect(&home_for(&viewer)));
    }
    let next = safe_next(query.next.as_deref()).unwrap_or_default();
    render(
        &SignupPage {
            layout: Layout::for_form("Create your account", &viewer),
            email: String::new(),
            next,
            error: None,
        },
        StatusCode::OK,
    )
}

pub async fn signup(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: CsrfForm<Credentials>,
) -> AppResult<HttpResponse> {
    let Credentials { email, password, next } = form.0;
    let next = safe_next(next.as_deref());
    match accounts::sign_up(&state, &email, &password).await {
        Ok((user, workspace)) => {
            start_session(&viewer, user.id)?;
            set_flash(
                &viewer.session,
                FlashKind::Success,
                format!("Welcome to Tollgate! Your workspace \u{201c}{}\u{201d} is on the Free plan.", workspace.name),
            );
            Ok(redirect(&next.unwrap_or_else(|| format!("/w/{}/billing", workspace.id))))
        }
        Err(AccountError::Internal(cause)) => Err(AppError::internal(cause)),
        Err(e) => render(
            &SignupPage {
                layout: Layout::for_form("Create your account", &viewer),
                email,
                next: next.unwrap_or_default(),
                error: Some(e.to_string()),
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

pub async fn login_form(viewer: Viewer, query: web::Query<NextQuery>) -> AppResult<HttpResponse> {
    if viewer.user.is_some() {
        return Ok(redirect(&home_for(&viewer)));
    }
    let next = safe_next(query.next.as_deref()).unwrap_or_default();
    render(
        &LoginPage { layout: Layout::for_form("Sign in", &viewer), email: String::new(), next, error: None },
        StatusCode::OK,
    )
}

pub async fn login(state: web::Data<AppState>, viewer: Viewer, form: CsrfForm<Credentials>) -> AppResult<HttpResponse> {
    let Credentials { email, password, next } = form.0;
    let next = safe_next(next.as_deref());
    match accounts::sign_in(&state, &email, &password).await {
        Ok(signed_in) => {
            start_session(&viewer, signed_in.user.id)?;
            let home = signed_in.home.map_or_else(|| "/pricing".to_owned(), |id| format!("/w/{id}/billing"));
            Ok(redirect(&next.unwrap_or(home)))
        }
        Err(AccountError::Internal(cause)) => Err(AppError::internal(cause)),
        Err(e) => render(
            &LoginPage {
                layout: Layout::for_form("Sign in", &viewer),
                email,
                next: next.unwrap_or_default(),
                error: Some(e.to_string()),
            },
            StatusCode::UNAUTHORIZED,
        ),
    }
}

pub async fn logout(viewer: Viewer, _form: CsrfForm<serde::de::IgnoredAny>) -> HttpResponse {
    viewer.session.purge();
    redirect("/pricing")
}

/// A new session for the signed-in user: a fresh cookie and a fresh CSRF token, so
/// nothing planted before sign-in survives it.
fn start_session(viewer: &Viewer, user_id: UserId) -> AppResult<()> {
    let session = &viewer.session;
    session.renew();
    session.remove(keys::CSRF);
    session.remove(keys::WORKSPACE);
    session.insert(keys::USER_ID, user_id.0).map_err(|e| AppError::internal(format!("session insert failed: {e}")))
}
