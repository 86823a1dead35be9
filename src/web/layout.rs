//! What the base layout needs on every page: who is signed in, their workspaces for the
//! switcher, the CSRF token for forms, a pending flash notice, and on workspace pages the
//! plan badge and whether analytics is locked (read with the entitlements' own rules).

use actix_session::Session;
use chrono::Utc;

use super::extractors::NavWorkspace;
use super::gates::{Analytics, Feature};
use super::{Flash, Viewer, WorkspaceAccess, csrf_token, take_flash};
use crate::domain::entitlements::Standing;
use crate::domain::ids::WorkspaceId;
use crate::services::credits::billing_facts;

pub struct Layout {
    pub title: String,
    pub email: Option<String>,
    pub nav: Vec<NavWorkspace>,
    pub current_workspace: Option<WorkspaceId>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// "Pro", "Pro · trial", "Pro · past due": the workspace's plan, on workspace pages.
    pub plan_badge: Option<String>,
    /// Whether the analytics page is locked for this workspace (`None` off workspace pages).
    pub analytics_locked: Option<bool>,
    /// A public sandbox demo (`SANDBOX_PUBLIC=true`): every page says payments are simulated.
    pub demo: bool,
}

impl Layout {
    fn build(
        title: &str,
        session: &Session,
        email: Option<String>,
        nav: Vec<NavWorkspace>,
        current: Option<WorkspaceId>,
        demo: bool,
    ) -> Layout {
        // Anonymous pages without forms get no token, so browsing pricing sets no cookie.
        let csrf = if email.is_some() { csrf_token(session) } else { String::new() };
        Layout {
            title: title.to_owned(),
            email,
            nav,
            current_workspace: current,
            csrf,
            flash: take_flash(session),
            plan_badge: None,
            analytics_locked: None,
            demo,
        }
    }

    pub fn for_viewer(title: &str, viewer: &Viewer) -> Layout {
        Layout::build(
            title,
            &viewer.session,
            viewer.user.as_ref().map(|u| u.email.clone()),
            viewer.nav.clone(),
            viewer.current_workspace_id(),
            viewer.demo,
        )
    }

    /// For the sign-in and sign-up pages: anonymous, but they post a form.
    pub fn for_form(title: &str, viewer: &Viewer) -> Layout {
        let mut layout = Layout::for_viewer(title, viewer);
        layout.csrf = csrf_token(&viewer.session);
        layout
    }

    pub fn for_workspace(title: &str, access: &WorkspaceAccess) -> Layout {
        let mut layout = Layout::build(
            title,
            &access.session,
            Some(access.user.email.clone()),
            access.nav.clone(),
            Some(access.workspace.id),
            access.demo,
        );
        let standing = Standing::of(&billing_facts(&access.workspace), access.plan.is_free(), Utc::now());
        layout.plan_badge = Some(match standing.note() {
            Some(note) => format!("{} \u{b7} {note}", access.plan.name),
            None => access.plan.name.clone(),
        });
        let has_analytics = standing != Standing::Lapsed && access.plan.has_feature(Analytics::NAME);
        layout.analytics_locked = Some(!has_analytics);
        layout
    }

    /// For the admin console: signed in, no workspace selected.
    pub fn for_admin(title: &str, admin: &super::AdminAccess) -> Layout {
        Layout::build(title, &admin.session, Some(admin.user.email.clone()), admin.nav.clone(), None, admin.demo)
    }

    pub fn is_current(&self, workspace_id: &WorkspaceId) -> bool {
        self.current_workspace == Some(*workspace_id)
    }
}
