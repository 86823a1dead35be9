//! `GET /`: signed-in people land on their workspace's billing page, others on pricing.

use actix_web::HttpResponse;

use crate::web::{Viewer, redirect};

pub async fn index(viewer: Viewer) -> HttpResponse {
    match (viewer.user.is_some(), viewer.current_workspace_id()) {
        (true, Some(id)) => redirect(&format!("/w/{id}/billing")),
        _ => redirect("/pricing"),
    }
}
