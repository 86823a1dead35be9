//! The analytics page's charts as plain SVG geometry, computed here so the template only
//! prints numbers: no JavaScript, no inline styles (the CSP forbids both), colours from
//! classes in the stylesheet.

use crate::domain::money::format_count;
use crate::services::analytics::{DaySpend, QuotaUse};
use crate::web::format_date;

/// Chart canvas (SVG user units; the SVG scales to its container).
pub const WIDTH: i64 = 720;
const PLOT_TOP: i64 = 24;
const PLOT_BOTTOM: i64 = 180;
const LEFT: i64 = 8;

pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    /// `bar-current` or `bar-last`: which period the bar belongs to.
    pub class: &'static str,
    /// The tooltip and accessible name of the bar.
    pub label: String,
}

/// Credits spent per day: one column per day, the last period muted.
pub struct DailyChart {
    pub bars: Vec<Bar>,
    pub baseline: i64,
    pub max_label: String,
    pub first_day: String,
    pub last_day: String,
    /// One sentence saying what the chart shows (its `<desc>`).
    pub summary: String,
}

fn scaled(value: i64, max: i64, span: i64) -> i64 {
    if max <= 0 {
        return 0;
    }
    i64::try_from(i128::from(value.max(0)) * i128::from(span) / i128::from(max)).unwrap_or(span)
}

pub fn daily(days: &[DaySpend]) -> DailyChart {
    let max = days.iter().map(|d| d.credits).max().unwrap_or(0);
    let count = i64::try_from(days.len()).unwrap_or(1).max(1);
    let step = ((WIDTH - 2 * LEFT) / count).max(1);
    let span = PLOT_BOTTOM - PLOT_TOP;
    let bars = days
        .iter()
        .zip(0i64..)
        .map(|(day, i)| {
            let height = scaled(day.credits, max, span);
            Bar {
                x: LEFT + i * step,
                y: PLOT_BOTTOM - height,
                width: (step * 4 / 5).max(1),
                height,
                class: if day.current { "bar-current" } else { "bar-last" },
                label: format!("{}: {} credits", day.date.format("%-d %b %Y"), format_count(day.credits)),
            }
        })
        .collect();
    let total = |current: bool| days.iter().filter(|d| d.current == current).map(|d| d.credits).sum::<i64>();
    DailyChart {
        bars,
        baseline: PLOT_BOTTOM,
        max_label: format!("{} credits", format_count(max)),
        first_day: days.first().map(|d| d.date.format("%-d %b").to_string()).unwrap_or_default(),
        last_day: days.last().map(|d| d.date.format("%-d %b").to_string()).unwrap_or_default(),
        summary: format!(
            "Credits spent per day. Last period: {} credits; this period so far: {} credits; busiest day: {} credits.",
            format_count(total(false)),
            format_count(total(true)),
            format_count(max)
        ),
    }
}

/// One limit (or seats) as two horizontal bars, last period and this one, against the limit.
pub struct QuotaRow {
    pub label: String,
    pub label_y: i64,
    pub bars: Vec<Bar>,
    /// Where the limit falls, when there is one.
    pub limit_x: Option<i64>,
    pub limit_top: i64,
    pub limit_bottom: i64,
    pub text: String,
}

pub struct QuotaChart {
    pub rows: Vec<QuotaRow>,
    pub height: i64,
}

const ROW_HEIGHT: i64 = 56;
const BAR_LEFT: i64 = 160;

fn allowance_text(used: i64, limit: Option<i64>) -> String {
    match limit {
        Some(limit) => format!("{} of {}", format_count(used), format_count(limit)),
        None => format!("{} (unlimited)", format_count(used)),
    }
}

pub fn quotas(quotas: &[QuotaUse], seats_used: i64, seat_limit: Option<i64>) -> QuotaChart {
    let span = WIDTH - BAR_LEFT - LEFT;
    let mut rows = Vec::new();
    let mut add = |label: String, values: &[(i64, &'static str, &str)], limit: Option<i64>, text: String| {
        let top = i64::try_from(rows.len()).unwrap_or(0) * ROW_HEIGHT + 8;
        let max = values.iter().map(|v| v.0).chain(limit).max().unwrap_or(0).max(1);
        let bars = values
            .iter()
            .zip(0i64..)
            .map(|((value, class, period), i)| Bar {
                x: BAR_LEFT,
                y: top + i * 20,
                width: scaled(*value, max, span).max(1),
                height: 16,
                class,
                label: format!("{label}, {period}: {}", format_count(*value)),
            })
            .collect();
        rows.push(QuotaRow {
            label_y: top + 20,
            label,
            bars,
            limit_x: limit.map(|l| BAR_LEFT + scaled(l, max, span)),
            limit_top: top - 2,
            limit_bottom: top + 40,
            text,
        });
    };
    for q in quotas {
        let name = crate::services::entitlements::feature_name(&q.metric);
        let text = format!(
            "{name}: last period {}, this period {}",
            format_count(q.last_period),
            allowance_text(q.current_period, q.limit)
        );
        add(
            name,
            &[(q.last_period, "bar-last", "last period"), (q.current_period, "bar-current", "this period")],
            q.limit,
            text,
        );
    }
    let text = format!("Seats: {} used now", allowance_text(seats_used, seat_limit));
    add("Seats".to_owned(), &[(seats_used, "bar-current", "now")], seat_limit, text);
    let height = i64::try_from(rows.len()).unwrap_or(1) * ROW_HEIGHT + 8;
    QuotaChart { rows, height }
}

/// "12 Nov 2026" for the period headings.
pub fn day(at: chrono::DateTime<chrono::Utc>) -> String {
    format_date(&at.naive_utc())
}
