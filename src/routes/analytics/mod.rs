//! `GET /w/{workspace_id}/analytics`: the one page gated by a plan feature (`analytics`,
//! Pro and up). Credits spent per day, seats and each limit's use over the current and last
//! periods, as SVG charts that need no JavaScript, each with a text summary and a table.

mod chart;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::money::format_count;
use crate::error::AppResult;
use crate::services::analytics::{DaySpend, QuotaUse, analytics};
use crate::state::AppState;
use crate::web::{Analytics, Layout, RequireFeature, page};

#[derive(Template)]
#[template(path = "workspace/analytics.html")]
struct AnalyticsPage {
    layout: Layout,
    workspace_name: String,
    period: String,
    last_period: String,
    width: i64,
    daily: chart::DailyChart,
    quota: chart::QuotaChart,
    days: Vec<DayRow>,
    quotas: Vec<QuotaUse>,
    seats_used: i64,
    seat_limit: Option<i64>,
}

struct DayRow {
    date: String,
    credits: String,
    period: &'static str,
}

fn day_row(d: &DaySpend) -> DayRow {
    DayRow {
        date: d.date.format("%-d %b %Y").to_string(),
        credits: format_count(d.credits),
        period: if d.current { "this period" } else { "last period" },
    }
}

pub async fn show(state: web::Data<AppState>, gate: RequireFeature<Analytics>) -> AppResult<HttpResponse> {
    let access = &gate.access;
    let (snap, data) = analytics(&state, access.workspace.id).await?;
    let seats = snap.entitlements.seats;
    page(&AnalyticsPage {
        layout: Layout::for_workspace("Analytics", access),
        workspace_name: access.workspace.name.clone(),
        period: format!("{} – {}", chart::day(data.period_start), chart::day(data.period_end)),
        last_period: format!("{} – {}", chart::day(data.last_period_start), chart::day(data.period_start)),
        width: chart::WIDTH,
        daily: chart::daily(&data.credits_spent_per_day),
        quota: chart::quotas(&data.quotas, seats.used, seats.limit),
        days: data.credits_spent_per_day.iter().rev().map(day_row).collect(),
        quotas: data.quotas,
        seats_used: seats.used,
        seat_limit: seats.limit,
    })
}
