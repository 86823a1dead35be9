//! `/admin/workspaces`: search and page through workspaces; `/admin/workspaces/{id}`: one
//! workspace with its members, subscription, credits, invoices, events and audit entries,
//! the credit grant/revoke form, "sync from the provider now" and "extend the trial".

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::views::{AuditView, Pager, audit_views, maybe_when, money, operator, query, when};
use crate::domain::admin_query::{Page, WorkspaceSearch};
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::SubscriptionStatus;
use crate::error::AppResult;
use crate::services::console::bad_field;
use crate::services::console::extend_trial::{MAX_DAYS, extend_trial};
use crate::services::console::grant_credits::{CreditChange, change_credits};
use crate::services::console::workspaces::{Listed, WorkspaceDetail, detail, list};
use crate::services::reconcile::{Scope, reconcile};
use crate::state::AppState;
use crate::web::{AdminAccess, AdminForm, FlashKind, Layout, page, redirect, set_flash};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/workspaces", web::get().to(index))
        .route("/workspaces/{id}", web::get().to(show))
        .route("/workspaces/{id}/credits", web::post().to(credits))
        .route("/workspaces/{id}/sync", web::post().to(sync))
        .route("/workspaces/{id}/trial", web::post().to(trial));
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<String>,
}

pub struct ListRow {
    pub id: i64,
    pub name: String,
    pub owners: String,
    pub plan: String,
    pub status: String,
    pub mrr: String,
    pub period_end: String,
    pub past_due: String,
}

impl From<Listed> for ListRow {
    fn from(l: Listed) -> ListRow {
        let r = l.row;
        ListRow {
            id: r.id.0,
            name: r.name,
            owners: l.owners.join(", "),
            plan: r.plan_name,
            status: r.status.map(|s| s.as_str().to_owned()).unwrap_or_else(|| "none".to_owned()),
            mrr: money(l.mrr_minor, &r.currency),
            period_end: maybe_when(&r.current_period_end),
            past_due: match (r.past_due_since, r.grace_until) {
                (Some(since), Some(until)) => format!("since {}, grace until {}", when(&since), when(&until)),
                (Some(since), None) => format!("since {}", when(&since)),
                _ => String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "admin/workspaces.html")]
struct ListPage {
    layout: Layout,
    q: String,
    rows: Vec<ListRow>,
    pager: Pager,
}

async fn index(state: web::Data<AppState>, admin: AdminAccess, req: HttpRequest) -> AppResult<HttpResponse> {
    let query: ListQuery = query(&req)?;
    let search = WorkspaceSearch::parse(query.q.as_deref()).map_err(bad_field)?;
    let number = Page::parse(query.page.as_deref()).map_err(bad_field)?;
    let found = list(&state, search.clone(), number).await?;
    page(&ListPage {
        layout: Layout::for_admin("Workspaces", &admin),
        q: search.text.clone().unwrap_or_default(),
        pager: Pager::new("/admin/workspaces", &[("q", search.text)], number, found.total),
        rows: found.workspaces.into_iter().map(ListRow::from).collect(),
    })
}

#[derive(Template)]
#[template(path = "admin/workspace.html")]
struct DetailPage {
    layout: Layout,
    d: WorkspaceDetail,
    mrr: String,
    /// When a scheduled cancellation ends the subscription.
    cancels: String,
    audit: Vec<AuditView>,
    /// Whether the trial can be extended (the subscription is trialing).
    trialing: bool,
    max_trial_days: i64,
}

impl DetailPage {
    fn at(&self, at: &Option<chrono::NaiveDateTime>) -> String {
        maybe_when(at)
    }

    fn time(&self, at: &chrono::NaiveDateTime) -> String {
        when(at)
    }

    fn money(&self, minor: &i64, currency: &str) -> String {
        money(*minor, currency)
    }
}

async fn show(state: web::Data<AppState>, admin: AdminAccess, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let mut d = detail(&state, WorkspaceId(id.into_inner())).await?;
    let audit = audit_views(std::mem::take(&mut d.audit));
    page(&DetailPage {
        layout: Layout::for_admin(&format!("Workspace {}", d.workspace.name), &admin),
        mrr: money(d.mrr_minor, &d.plan.currency),
        cancels: maybe_when(&d.workspace.cancel_at.or(d.workspace.current_period_end)),
        trialing: d.workspace.subscription_status == Some(SubscriptionStatus::Trialing),
        max_trial_days: MAX_DAYS,
        d,
        audit,
    })
}

#[derive(Deserialize)]
struct CreditsForm {
    bucket: String,
    direction: String,
    amount: String,
    reason: String,
}

async fn credits(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form }: AdminForm<CreditsForm>,
) -> AppResult<HttpResponse> {
    let id = WorkspaceId(id.into_inner());
    let change =
        CreditChange { bucket: &form.bucket, direction: &form.direction, amount: &form.amount, reason: &form.reason };
    let after = change_credits(&state, operator(&admin), id, change).await?;
    let message = format!("Credits now: {} monthly, {} purchased.", after.monthly, after.purchased);
    set_flash(&admin.session, FlashKind::Success, message);
    Ok(redirect(&format!("/admin/workspaces/{id}")))
}

/// The form carries nothing but its CSRF token.
#[derive(Deserialize)]
struct SyncForm {}

/// Compares the workspace with the provider now and heals any difference through the state
/// machine (audited by the reconcile service, as the hourly job does).
async fn sync(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form: SyncForm {} }: AdminForm<SyncForm>,
) -> AppResult<HttpResponse> {
    let id = WorkspaceId(id.into_inner());
    let report = reconcile(&state, Scope::Workspace(id), &admin.user.email).await?;
    let (kind, message) = match (report.failures.first(), report.healed.first()) {
        (Some((_, why)), _) => (FlashKind::Error, format!("The provider could not be asked: {why}")),
        (None, Some(healed)) => (FlashKind::Success, format!("Synced from the provider: {}.", healed.describe())),
        (None, None) => (FlashKind::Success, "Synced from the provider: nothing differed.".to_owned()),
    };
    set_flash(&admin.session, kind, message);
    Ok(redirect(&format!("/admin/workspaces/{id}")))
}

#[derive(Deserialize)]
struct TrialForm {
    days: String,
}

/// Extends the trial at the provider, then here (see the service).
async fn trial(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    AdminForm { admin, form }: AdminForm<TrialForm>,
) -> AppResult<HttpResponse> {
    let id = WorkspaceId(id.into_inner());
    let after = extend_trial(&state, operator(&admin), id, &form.days).await?;
    set_flash(&admin.session, FlashKind::Success, format!("Trial extended: it now ends {}.", maybe_when(&after)));
    Ok(redirect(&format!("/admin/workspaces/{id}")))
}
