//! Who is asking: `Viewer` (maybe anonymous), `SignedIn` (must be signed in),
//! `WorkspaceAccess` (must be a member of the `{workspace_id}` in the path), and
//! `ViewerPage` and `WorkspacePage`, which also read the page's own data alongside. Each loads what it
//! needs in one database round trip. A cookie counts only while the server still has its
//! session (`services::sessions`), so a cookie copied before sign-out is anonymous. A
//! non-member gets 404, never 403, so workspace ids reveal nothing.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::keys;
use crate::billing::BillingProvider;
use crate::db::{DbConnection, reading_together};
use crate::domain::catalog::{Plan, PlanBook};
use crate::domain::ids::{UserId, WorkspaceId};
use crate::domain::members::Role;
use crate::error::AppError;
use crate::models::membership::MemberWorkspace;
use crate::models::user::User;
use crate::models::{Membership, Workspace};
use crate::services::catalog::plan_book;
use crate::services::sessions;
use crate::state::AppState;

/// A workspace in the header's switcher.
pub type NavWorkspace = MemberWorkspace;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| AppError::internal("AppState missing from app data"))
}

/// The user id and session token the cookie carries (both, or it is anonymous). A cookie from
/// before sessions were kept on the server (a user id alone) is cleared: sign in again.
fn session_claim(session: &Session) -> Option<(UserId, String)> {
    let user_id = session.get::<i64>(keys::USER_ID).ok().flatten().map(UserId);
    let token = session.get::<String>(keys::SESSION).ok().flatten();
    match (user_id, token) {
        (Some(user_id), Some(token)) => Some((user_id, token)),
        (Some(_), None) => {
            session.clear();
            None
        }
        _ => None,
    }
}

/// Loads the user of a live session and their workspaces; a session that was ended, has
/// expired or names a deleted user is anonymous.
fn load_user(
    conn: &mut crate::db::DbConnection,
    user_id: UserId,
    token: &str,
) -> Result<Option<(User, Vec<NavWorkspace>)>, AppError> {
    sessions::signed_in_user(conn, user_id, token)?.map(|user| with_nav(conn, user)).transpose()
}

/// A signed-in user's workspaces. Apart from finding the session (which may move its expiry
/// on, a write), a page's reads run together (`reading_together`): on SQLite, each statement
/// on its own took and released the database's shared locks, a few system calls each.
fn with_nav(conn: &mut DbConnection, user: User) -> Result<(User, Vec<NavWorkspace>), AppError> {
    let nav = Membership::workspaces_of(conn, user.id)?;
    Ok((user, nav))
}

pub struct Viewer {
    pub user: Option<User>,
    pub nav: Vec<NavWorkspace>,
    pub session: Session,
    /// The installation is a public sandbox demo: pages say so.
    pub demo: bool,
}

impl FromRequest for Viewer {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = state(req);
        Box::pin(async move {
            let state = state?;
            let demo = state.config.public_demo();
            let Some((user_id, token)) = session_claim(&session) else {
                return Ok(Viewer { user: None, nav: Vec::new(), session, demo });
            };
            let loaded = state.db.run(move |conn| load_user(conn, user_id, &token)).await?;
            match loaded {
                Some((user, nav)) => Ok(Viewer { user: Some(user), nav, session, demo }),
                None => {
                    // Cleared, not purged: a purged session ignores later inserts, so the
                    // sign-in form shown next would carry a CSRF token nobody kept.
                    session.clear();
                    Ok(Viewer { user: None, nav: Vec::new(), session, demo })
                }
            }
        })
    }
}

impl Viewer {
    /// The workspace pages act on when the URL names none: the one last visited if the
    /// user still belongs to it, else their first.
    pub fn current_workspace_id(&self) -> Option<WorkspaceId> {
        current_workspace(remembered_workspace(&self.session), &self.nav)
    }
}

fn remembered_workspace(session: &Session) -> Option<WorkspaceId> {
    session.get::<i64>(keys::WORKSPACE).ok().flatten().map(WorkspaceId)
}

fn current_workspace(remembered: Option<WorkspaceId>, nav: &[NavWorkspace]) -> Option<WorkspaceId> {
    remembered.filter(|id| nav.iter().any(|w| w.id == *id)).or_else(|| nav.first().map(|w| w.id))
}

/// What a page open to everyone reads beside who the visitor is, in the same trip to the
/// database (see [`ViewerPage`]).
pub trait ViewerLoad: Sized + Send + 'static {
    /// Reads the page's data; `workspace` is a signed-in visitor's current workspace.
    fn load(conn: &mut DbConnection, workspace: Option<WorkspaceId>, book: &PlanBook) -> Result<Self, AppError>;
}

/// [`Viewer`] and the page's own data `T`, read in one hand-off to the blocking pool (see
/// [`WorkspacePage`]).
pub struct ViewerPage<T> {
    pub viewer: Viewer,
    pub data: T,
}

impl<T: ViewerLoad> FromRequest for ViewerPage<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = state(req);
        Box::pin(async move {
            let state = state?;
            let demo = state.config.public_demo();
            let claim = session_claim(&session);
            let claimed = claim.is_some();
            let remembered = remembered_workspace(&session);
            let provider = state.billing.provider();
            let (user, data) = state
                .db
                .run(move |conn| {
                    let user = match claim {
                        Some((user_id, token)) => sessions::signed_in_user(conn, user_id, &token)?,
                        None => None,
                    };
                    let signed_in = user.is_some();
                    let read = |conn: &mut DbConnection| {
                        let user = user.map(|user| with_nav(conn, user)).transpose()?;
                        let current = user.as_ref().and_then(|(_, nav)| current_workspace(remembered, nav));
                        let book = plan_book(conn, provider)?;
                        Ok((user, T::load(conn, current, &book)?))
                    };
                    // An anonymous page reads only the catalog's version: a transaction around
                    // that one statement would cost more than the locks it saves.
                    if signed_in { reading_together(conn, read) } else { read(conn) }
                })
                .await?;
            let viewer = match user {
                Some((user, nav)) => Viewer { user: Some(user), nav, session, demo },
                None => {
                    if claimed {
                        // Cleared, not purged (see `Viewer`).
                        session.clear();
                    }
                    Viewer { user: None, nav: Vec::new(), session, demo }
                }
            };
            Ok(ViewerPage { viewer, data })
        })
    }
}

pub struct SignedIn {
    pub user: User,
    pub nav: Vec<NavWorkspace>,
    pub session: Session,
    pub demo: bool,
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let next = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
        let viewer = Viewer::from_request(req, payload);
        Box::pin(async move {
            let viewer = viewer.await?;
            match viewer.user {
                Some(user) => Ok(SignedIn { user, nav: viewer.nav, session: viewer.session, demo: viewer.demo }),
                None => Err(AppError::Unauthenticated { next }),
            }
        })
    }
}

pub struct WorkspaceAccess {
    pub user: User,
    pub nav: Vec<NavWorkspace>,
    pub session: Session,
    pub workspace: Workspace,
    pub plan: Plan,
    pub role: Role,
    pub demo: bool,
}

impl WorkspaceAccess {
    /// Owners and admins only; members get a 403 that says who can do it.
    pub fn require_manager(&self) -> Result<(), AppError> {
        crate::services::require_manager(self.role)
    }
}

impl FromRequest for WorkspaceAccess {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let loaded = load_with(req, |_, _, _| Ok(()));
        Box::pin(async move { Ok(loaded.await?.0) })
    }
}

/// What a page reads about its workspace beside the access check, in the same trip to the
/// database (see [`WorkspacePage`]).
pub trait WorkspaceLoad: Sized + Send + 'static {
    /// Reads the page's data; `ws` is the member's workspace, `book` the catalog.
    fn load(conn: &mut DbConnection, ws: &Workspace, book: &PlanBook) -> Result<Self, AppError>;
}

/// [`WorkspaceAccess`] and the page's own data `T`, read on one pooled connection in one
/// hand-off to the blocking pool: each hand-off costs two thread switches, which were a
/// third of a signed-in page's CPU.
pub struct WorkspacePage<T> {
    pub access: WorkspaceAccess,
    pub data: T,
}

impl<T: WorkspaceLoad> FromRequest for WorkspacePage<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let loaded = load_with(req, T::load);
        Box::pin(async move {
            let (access, data) = loaded.await?;
            Ok(WorkspacePage { access, data })
        })
    }
}

/// One round trip for everything: the session's user and their workspaces (which carry the
/// role here), the workspace row, its plan from the in-memory catalog, and then `then`'s
/// reads (only for a member).
fn load_with<T, F>(req: &HttpRequest, then: F) -> LocalBoxFuture<'static, Result<(WorkspaceAccess, T), AppError>>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection, &Workspace, &PlanBook) -> Result<T, AppError> + Send + 'static,
{
    let workspace_id = req.match_info().get("workspace_id").and_then(|id| id.parse::<WorkspaceId>().ok());
    let next = req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
    let session = req.get_session();
    let state = state(req);
    Box::pin(async move {
        let state = state?;
        let demo = state.config.public_demo();
        let Some((user_id, token)) = session_claim(&session) else {
            return Err(AppError::Unauthenticated { next });
        };
        let provider = state.billing.provider();
        let loaded = state
            .db
            .run(move |conn| {
                let Some(user) = sessions::signed_in_user(conn, user_id, &token)? else { return Ok(None) };
                reading_together(conn, |conn| {
                    let (user, nav) = with_nav(conn, user)?;
                    let role = workspace_id.and_then(|id| nav.iter().find(|w| w.id == id)).map(|w| w.role);
                    let (Some(workspace_id), Some(role)) = (workspace_id, role) else {
                        return Ok(Some((user, nav, None)));
                    };
                    let workspace = Workspace::find(conn, workspace_id)?;
                    let book = plan_book(conn, provider)?;
                    let plan = match book.by_id(workspace.plan_id) {
                        Some(plan) => plan.clone(),
                        None => Plan::find(conn, workspace.plan_id)?,
                    };
                    let data = then(conn, &workspace, &book)?;
                    Ok(Some((user, nav, Some((workspace, plan, role, data)))))
                })
            })
            .await?;
        let (user, nav, found) = match loaded {
            Some(loaded) => loaded,
            None => {
                session.clear();
                return Err(AppError::Unauthenticated { next });
            }
        };
        // Not a member looks exactly like a workspace that does not exist.
        let (workspace, plan, role, data) = found.ok_or(AppError::NotFound)?;
        // Only a change is written: any insert makes the session middleware encrypt and send
        // the cookie again.
        let remembered = session.get::<i64>(keys::WORKSPACE).ok().flatten();
        if remembered != Some(workspace.id.0)
            && let Err(e) = session.insert(keys::WORKSPACE, workspace.id.0)
        {
            log::warn!("could not remember current workspace: {e}");
        }
        Ok((WorkspaceAccess { user, nav, session, workspace, plan, role, demo }, data))
    })
}
