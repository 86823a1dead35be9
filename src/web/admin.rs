//! `AdminAccess`: the signed-in user is an instance administrator. Everyone else — members,
//! customers, anonymous visitors — gets the same 404 as for a page that does not exist, so the
//! admin area's addresses reveal nothing.

use actix_session::Session;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::Viewer;
use super::extractors::NavWorkspace;
use crate::error::AppError;
use crate::models::user::User;
use crate::services::admins::is_admin;
use crate::state::AppState;

pub struct AdminAccess {
    pub user: User,
    pub nav: Vec<NavWorkspace>,
    pub session: Session,
    pub demo: bool,
}

impl FromRequest for AdminAccess {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let viewer = Viewer::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let viewer = viewer.await?;
            let state = state.ok_or_else(|| AppError::internal("AppState missing from app data"))?;
            let user = viewer.user.ok_or(AppError::NotFound)?;
            let config = state.config.clone();
            let candidate = user.clone();
            let admin = state.db.run(move |conn| Ok(is_admin(conn, &config, &candidate)?)).await?;
            if !admin {
                return Err(AppError::NotFound);
            }
            Ok(AdminAccess { user, nav: viewer.nav, session: viewer.session, demo: viewer.demo })
        })
    }
}
