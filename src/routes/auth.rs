//! Sign up, sign in, sign out (here, or everywhere). Forms re-render with a message on
//! failure, with 429 and `Retry-After` when throttled; success renews the session (no
//! fixation) and follows `next` only when it is a local path.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::accounts::AccountError;
use crate::domain::ids::UserId;
use crate::error::{AppError, AppResult};
use crate::services::{accounts, sessions};
use crate::state::AppState;
use crate::web::{
    CsrfForm, FlashKind, Layout, SignedIn, Viewer, client_ip, keys, redirect, render, safe_next, set_flash,
};

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

/// How a refused form is answered: 429 with `Retry-After` when throttled, else `status`.
fn refused_status(error: &AccountError, status: StatusCode) -> (StatusCode, Option<u64>) {
    match error {
        AccountError::SignInThrottled(r) | AccountError::SignUpThrottled(r) => {
            (StatusCode::TOO_MANY_REQUESTS, Some(r.retry_after_secs()))
        }
        _ => (status, None),
    }
}

fn render_refused<T: Template>(page: &T, error: &AccountError, status: StatusCode) -> AppResult<HttpResponse> {
    let (status, retry_after) = refused_status(error, status);
    let mut response = render(page, status)?;
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    Ok(response)
}

pub async fn signup(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<Credentials>,
) -> AppResult<HttpResponse> {
    let Credentials { email, password, next } = form.0;
    let next = safe_next(next.as_deref());
    match accounts::sign_up(&state, &email, &password, client_ip(&req)).await {
        Ok(accounts::SignedUp { user, workspace, session_token }) => {
            start_session(&viewer, user.id, session_token)?;
            set_flash(
                &viewer.session,
                FlashKind::Success,
                format!("Welcome to Tollgate! Your workspace \u{201c}{}\u{201d} is on the Free plan.", workspace.name),
            );
            Ok(redirect(&next.unwrap_or_else(|| format!("/w/{}/billing", workspace.id))))
        }
        Err(AccountError::Internal(cause)) => Err(AppError::internal(cause)),
        Err(e) => render_refused(
            &SignupPage {
                layout: Layout::for_form("Create your account", &viewer),
                email,
                next: next.unwrap_or_default(),
                error: Some(e.to_string()),
            },
            &e,
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

pub async fn login(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    form: CsrfForm<Credentials>,
) -> AppResult<HttpResponse> {
    let Credentials { email, password, next } = form.0;
    let next = safe_next(next.as_deref());
    match accounts::sign_in(&state, &email, &password, client_ip(&req)).await {
        Ok(signed_in) => {
            start_session(&viewer, signed_in.user.id, signed_in.session_token)?;
            let home = signed_in.home.map_or_else(|| "/pricing".to_owned(), |id| format!("/w/{id}/billing"));
            Ok(redirect(&next.unwrap_or(home)))
        }
        Err(AccountError::Internal(cause)) => Err(AppError::internal(cause)),
        Err(e) => render_refused(
            &LoginPage {
                layout: Layout::for_form("Sign in", &viewer),
                email,
                next: next.unwrap_or_default(),
                error: Some(e.to_string()),
            },
            &e,
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// Ends this browser's session on the server, then drops the cookie: a copy of the cookie
/// taken before is anonymous from now on.
pub async fn logout(
    state: web::Data<AppState>,
    viewer: Viewer,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    if let Ok(Some(token)) = viewer.session.get::<String>(keys::SESSION) {
        sessions::end(&state, token).await?;
    }
    viewer.session.purge();
    Ok(redirect("/pricing"))
}

/// "Sign out everywhere": ends every session of the user, in every browser, this one too.
pub async fn logout_everywhere(
    state: web::Data<AppState>,
    who: SignedIn,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    let ended = sessions::end_all(&state, who.user.id).await?;
    // Cleared rather than purged, so the notice below survives to the sign-in page.
    who.session.clear();
    who.session.renew();
    let devices = if ended == 1 { "1 session".to_owned() } else { format!("{ended} sessions") };
    set_flash(&who.session, FlashKind::Success, format!("Signed out everywhere ({devices} ended)."));
    Ok(redirect("/login"))
}

/// A new session for the signed-in user: a fresh cookie naming the server-side session
/// `token`, and a fresh CSRF token, so nothing planted before sign-in survives it.
fn start_session(viewer: &Viewer, user_id: UserId, token: String) -> AppResult<()> {
    let session = &viewer.session;
    session.renew();
    session.remove(keys::CSRF);
    session.remove(keys::WORKSPACE);
    let failed = |e| AppError::internal(format!("session insert failed: {e}"));
    session.insert(keys::USER_ID, user_id.0).map_err(failed)?;
    session.insert(keys::SESSION, token).map_err(failed)
}
