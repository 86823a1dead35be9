//! `/admin/catalog`: plans, add-ons and credit packs, archived ones too, with archive and
//! restore buttons and the catalog's audit log. Editing forms are in `catalog_forms`.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::{AuditView, audit_views, money, operator};
use crate::domain::catalog::{Addon, CreditPack, Plan};
use crate::error::{AppError, AppResult};
use crate::services::console::catalog_edit::{EntryKind, catalog, set_active};
use crate::state::AppState;
use crate::web::{AdminAccess, AdminForm, FlashKind, Layout, page, redirect, set_flash};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/catalog", web::get().to(index))
        .route("/catalog/{kind}/{id}/archive", web::post().to(archive))
        .route("/catalog/{kind}/{id}/restore", web::post().to(restore))
        .configure(super::catalog_forms::configure);
}

#[derive(Template)]
#[template(path = "admin/catalog.html")]
struct CatalogPage {
    layout: Layout,
    plans: Vec<Plan>,
    addons: Vec<Addon>,
    packs: Vec<CreditPack>,
    audit: Vec<AuditView>,
}

impl CatalogPage {
    fn price(&self, minor: &Option<i64>, currency: &str) -> String {
        minor.map(|m| money(m, currency)).unwrap_or_else(|| "—".to_owned())
    }

    fn money(&self, minor: &i64, currency: &str) -> String {
        money(*minor, currency)
    }
}

async fn index(state: web::Data<AppState>, admin: AdminAccess) -> AppResult<HttpResponse> {
    let view = catalog(&state, None).await?;
    page(&CatalogPage {
        layout: Layout::for_admin("Catalog", &admin),
        plans: view.plans,
        addons: view.addons,
        packs: view.packs,
        audit: audit_views(view.audit),
    })
}

#[derive(Deserialize)]
struct NoFields {}

async fn toggle(state: &AppState, admin: &AdminAccess, path: (String, i64), active: bool) -> AppResult<HttpResponse> {
    let (kind, id) = path;
    let kind = EntryKind::parse(&kind).ok_or(AppError::NotFound)?;
    set_active(state, operator(admin), kind, id, active).await?;
    let message = if active { "Restored: it is on sale again." } else { "Archived: it is no longer sold." };
    set_flash(&admin.session, FlashKind::Success, message);
    Ok(redirect("/admin/catalog"))
}

async fn archive(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    AdminForm { admin, form: NoFields {} }: AdminForm<NoFields>,
) -> AppResult<HttpResponse> {
    toggle(&state, &admin, path.into_inner(), false).await
}

async fn restore(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    AdminForm { admin, form: NoFields {} }: AdminForm<NoFields>,
) -> AppResult<HttpResponse> {
    toggle(&state, &admin, path.into_inner(), true).await
}
