//! The catalog's editing forms: `/admin/catalog/{plans|addons|packs}/new` and
//! `/admin/catalog/{kind}/{id}`, posting to the same addresses. A field that does not
//! parse is a 400 page naming it, and nothing is written.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::views::{AuditView, audit_views, operator};
use crate::domain::catalog::{AddonFields, AddonForm, CreditPackFields, CreditPackForm, PlanFields, PlanForm};
use crate::domain::ids::{AddonId, CreditPackId, PlanId};
use crate::error::{AppError, AppResult};
use crate::services::console::catalog_edit::{EntryKind, catalog, save_addon, save_pack, save_plan};
use crate::state::AppState;
use crate::web::{AdminAccess, AdminForm, FlashKind, Layout, page, redirect, set_flash};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/catalog/plans/new", web::get().to(new_plan))
        .route("/catalog/plans", web::post().to(create_plan))
        .route("/catalog/plans/{id}", web::get().to(edit_plan))
        .route("/catalog/plans/{id}", web::post().to(update_plan))
        .route("/catalog/addons/new", web::get().to(new_addon))
        .route("/catalog/addons", web::post().to(create_addon))
        .route("/catalog/addons/{id}", web::get().to(edit_addon))
        .route("/catalog/addons/{id}", web::post().to(update_addon))
        .route("/catalog/packs/new", web::get().to(new_pack))
        .route("/catalog/packs", web::post().to(create_pack))
        .route("/catalog/packs/{id}", web::get().to(edit_pack))
        .route("/catalog/packs/{id}", web::post().to(update_pack));
}

fn opt(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

fn plan_form(p: &PlanFields) -> PlanForm {
    PlanForm {
        code: p.code.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        currency: p.currency.clone(),
        price_month_minor: opt(p.price_month_minor),
        price_year_minor: opt(p.price_year_minor),
        stripe_price_month: p.stripe_price_month.clone().unwrap_or_default(),
        stripe_price_year: p.stripe_price_year.clone().unwrap_or_default(),
        chargebee_item_price_month: p.chargebee_item_price_month.clone().unwrap_or_default(),
        chargebee_item_price_year: p.chargebee_item_price_year.clone().unwrap_or_default(),
        trial_days: p.trial_days.to_string(),
        monthly_credits: opt(p.monthly_credits),
        seats: opt(p.seat_limit.map(i64::from)),
        limits: p.limits.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join("\n"),
        features: p.features.join(", "),
        sort_order: p.sort_order.to_string(),
        contact_sales: p.contact_sales.then(String::new),
    }
}

fn addon_form(a: &AddonFields) -> AddonForm {
    AddonForm {
        code: a.code.clone(),
        name: a.name.clone(),
        description: a.description.clone(),
        currency: a.currency.clone(),
        price_minor: a.price_minor.to_string(),
        interval: a.interval.as_str().to_owned(),
        stripe_price: a.stripe_price.clone().unwrap_or_default(),
        chargebee_item_price: a.chargebee_item_price.clone().unwrap_or_default(),
        sort_order: a.sort_order.to_string(),
    }
}

fn pack_form(p: &CreditPackFields) -> CreditPackForm {
    CreditPackForm {
        code: p.code.clone(),
        name: p.name.clone(),
        credits: p.credits.to_string(),
        currency: p.currency.clone(),
        price_minor: p.price_minor.to_string(),
        stripe_price: p.stripe_price.clone().unwrap_or_default(),
        chargebee_item_price: p.chargebee_item_price.clone().unwrap_or_default(),
        sort_order: p.sort_order.to_string(),
    }
}

/// What every catalog form page shows around its fields.
struct FormFrame {
    /// Where the form posts.
    action: String,
    /// `None` for a new entry: the code can be chosen once.
    id: Option<i64>,
    archived: bool,
}

#[derive(Template)]
#[template(path = "admin/plan_form.html")]
struct PlanPage {
    frame: FormFrame,
    layout: Layout,
    audit: Vec<AuditView>,
    form: PlanForm,
    is_default: bool,
}

#[derive(Template)]
#[template(path = "admin/addon_form.html")]
struct AddonPage {
    frame: FormFrame,
    layout: Layout,
    audit: Vec<AuditView>,
    form: AddonForm,
}

#[derive(Template)]
#[template(path = "admin/pack_form.html")]
struct PackPage {
    frame: FormFrame,
    layout: Layout,
    audit: Vec<AuditView>,
    form: CreditPackForm,
}

fn frame(base: &str, id: Option<i64>, archived: bool) -> FormFrame {
    let action = id.map_or_else(|| base.to_owned(), |id| format!("{base}/{id}"));
    FormFrame { action, id, archived }
}

fn blank_currency() -> String {
    "usd".to_owned()
}

async fn new_plan(admin: AdminAccess) -> AppResult<HttpResponse> {
    let frame = frame("/admin/catalog/plans", None, false);
    let form = PlanForm { currency: blank_currency(), trial_days: "0".into(), ..PlanForm::default() };
    page(&PlanPage { layout: Layout::for_admin("New plan", &admin), frame, form, is_default: false, audit: Vec::new() })
}

async fn edit_plan(state: web::Data<AppState>, admin: AdminAccess, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let view = catalog(&state, Some((EntryKind::Plan, id))).await?;
    let plan = view.plans.iter().find(|p| p.id.0 == id).ok_or(AppError::NotFound)?;
    let title = format!("Plan {}", plan.name);
    let frame = frame("/admin/catalog/plans", Some(id), !plan.is_active);
    let audit = audit_views(view.audit);
    page(&PlanPage {
        layout: Layout::for_admin(&title, &admin),
        frame,
        form: plan_form(plan),
        is_default: plan.is_default,
        audit,
    })
}

async fn create_plan(
    state: web::Data<AppState>,
    AdminForm { admin, form }: AdminForm<PlanForm>,
) -> AppResult<HttpResponse> {
    let id = save_plan(&state, operator(&admin), None, form).await?;
    set_flash(&admin.session, FlashKind::Success, "Plan created: it is on the pricing page now.");
    Ok(redirect(&format!("/admin/catalog/plans/{id}")))
}

async fn update_plan(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form }: AdminForm<PlanForm>,
) -> AppResult<HttpResponse> {
    let id = save_plan(&state, operator(&admin), Some(PlanId(id.into_inner())), form).await?;
    set_flash(&admin.session, FlashKind::Success, "Plan saved.");
    Ok(redirect(&format!("/admin/catalog/plans/{id}")))
}

async fn new_addon(admin: AdminAccess) -> AppResult<HttpResponse> {
    let frame = frame("/admin/catalog/addons", None, false);
    let form = AddonForm { currency: blank_currency(), interval: "month".into(), ..AddonForm::default() };
    page(&AddonPage { layout: Layout::for_admin("New add-on", &admin), frame, form, audit: Vec::new() })
}

async fn edit_addon(state: web::Data<AppState>, admin: AdminAccess, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let view = catalog(&state, Some((EntryKind::Addon, id))).await?;
    let addon = view.addons.iter().find(|a| a.id.0 == id).ok_or(AppError::NotFound)?;
    let title = format!("Add-on {}", addon.name);
    let frame = frame("/admin/catalog/addons", Some(id), !addon.is_active);
    let audit = audit_views(view.audit);
    page(&AddonPage { layout: Layout::for_admin(&title, &admin), frame, form: addon_form(addon), audit })
}

async fn create_addon(
    state: web::Data<AppState>,
    AdminForm { admin, form }: AdminForm<AddonForm>,
) -> AppResult<HttpResponse> {
    let id = save_addon(&state, operator(&admin), None, form).await?;
    set_flash(&admin.session, FlashKind::Success, "Add-on created.");
    Ok(redirect(&format!("/admin/catalog/addons/{id}")))
}

async fn update_addon(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form }: AdminForm<AddonForm>,
) -> AppResult<HttpResponse> {
    let id = save_addon(&state, operator(&admin), Some(AddonId(id.into_inner())), form).await?;
    set_flash(&admin.session, FlashKind::Success, "Add-on saved.");
    Ok(redirect(&format!("/admin/catalog/addons/{id}")))
}

async fn new_pack(admin: AdminAccess) -> AppResult<HttpResponse> {
    let frame = frame("/admin/catalog/packs", None, false);
    let form = CreditPackForm { currency: blank_currency(), ..CreditPackForm::default() };
    page(&PackPage { layout: Layout::for_admin("New credit pack", &admin), frame, form, audit: Vec::new() })
}

async fn edit_pack(state: web::Data<AppState>, admin: AdminAccess, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let view = catalog(&state, Some((EntryKind::CreditPack, id))).await?;
    let pack = view.packs.iter().find(|p| p.id.0 == id).ok_or(AppError::NotFound)?;
    let title = format!("Credit pack {}", pack.name);
    let frame = frame("/admin/catalog/packs", Some(id), !pack.is_active);
    let audit = audit_views(view.audit);
    page(&PackPage { layout: Layout::for_admin(&title, &admin), frame, form: pack_form(pack), audit })
}

async fn create_pack(
    state: web::Data<AppState>,
    AdminForm { admin, form }: AdminForm<CreditPackForm>,
) -> AppResult<HttpResponse> {
    let id = save_pack(&state, operator(&admin), None, form).await?;
    set_flash(&admin.session, FlashKind::Success, "Credit pack created.");
    Ok(redirect(&format!("/admin/catalog/packs/{id}")))
}

async fn update_pack(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form }: AdminForm<CreditPackForm>,
) -> AppResult<HttpResponse> {
    let id = save_pack(&state, operator(&admin), Some(CreditPackId(id.into_inner())), form).await?;
    set_flash(&admin.session, FlashKind::Success, "Credit pack saved.");
    Ok(redirect(&format!("/admin/catalog/packs/{id}")))
}
