//! `GET /admin/capacity`: utilisation against the plans' theoretical limits with headroom,
//! growth over 7, 30 and 90 days, line charts that read without JavaScript, and scaling
//! recommendations, all from the daily capacity snapshots (`services::platform_health`).
//! `POST /admin/capacity/snapshot` takes one now (CSRF-checked, audited).

mod chart;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::capacity::{Metric, Recommendation, Trend, Utilisation};
use crate::error::AppResult;
use crate::services::platform_health::{capacity, snapshot_now};
use crate::state::AppState;
use crate::web::{AdminAccess, CsrfForm, FlashKind, Layout, page, redirect, set_flash};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/capacity", web::get().to(show)).route("/capacity/snapshot", web::post().to(snapshot));
}

/// The metrics charted, in order.
const CHARTED: [Metric; 4] = [Metric::Workspaces, Metric::PayingWorkspaces, Metric::Mrr, Metric::SeatsUsed];

pub struct TrendRow {
    pub label: &'static str,
    pub days: i64,
    pub start: i64,
    pub current: i64,
    pub change: i64,
    pub growth: String,
    pub daily_rate: String,
    pub next_month: i64,
}

fn trend_row(t: &Trend) -> TrendRow {
    let label = Metric::ALL.iter().find(|m| m.as_str() == t.metric).map_or(t.metric, |m| m.label());
    TrendRow {
        label,
        days: t.days,
        start: t.start,
        current: t.current,
        change: t.change,
        growth: t.growth_percent.map_or_else(|| "–".to_owned(), |g| format!("{g}%")),
        daily_rate: format!("{:.2}", t.daily_rate),
        next_month: t.next_month,
    }
}

#[derive(Template)]
#[template(path = "admin/capacity.html")]
struct CapacityPage {
    layout: Layout,
    taken_at: Option<String>,
    utilisation: Vec<Utilisation>,
    by_plan: Vec<(String, i64)>,
    by_status: Vec<(String, i64)>,
    trends: Vec<TrendRow>,
    charts: Vec<chart::LineChart>,
    width: i64,
    height: i64,
    recommendations: Vec<Recommendation>,
}

async fn show(state: web::Data<AppState>, admin: AdminAccess) -> AppResult<HttpResponse> {
    let capacity = capacity(&state).await?;
    let latest = capacity.latest.as_ref();
    page(&CapacityPage {
        layout: Layout::for_admin("Capacity", &admin),
        taken_at: latest.map(|s| s.taken_at.format("%Y-%m-%d %H:%M UTC").to_string()),
        by_plan: latest.map(|s| s.by_plan.clone().into_iter().collect()).unwrap_or_default(),
        by_status: latest.map(|s| s.by_status.clone().into_iter().collect()).unwrap_or_default(),
        utilisation: capacity.utilisation,
        trends: capacity.trends.iter().map(trend_row).collect(),
        charts: CHARTED.iter().map(|m| chart::line(*m, &capacity.history)).collect(),
        width: chart::WIDTH,
        height: chart::HEIGHT,
        recommendations: capacity.recommendations,
    })
}

async fn snapshot(
    state: web::Data<AppState>,
    admin: AdminAccess,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    snapshot_now(&state, admin.user.email.clone(), Some(admin.user.id)).await?;
    set_flash(&admin.session, FlashKind::Success, "Snapshot taken.");
    Ok(redirect("/admin/capacity"))
}
