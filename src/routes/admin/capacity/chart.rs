//! The capacity page's line charts as plain SVG geometry, computed here so the template only
//! prints numbers: no JavaScript, no inline styles, a `<title>` and a summary for each.

use crate::domain::capacity::{Metric, Snapshot};
use crate::domain::money::format_count;

/// Chart canvas (SVG user units; the SVG scales to its container).
pub const WIDTH: i64 = 720;
pub const HEIGHT: i64 = 200;
const TOP: i64 = 24;
const BOTTOM: i64 = 170;
const LEFT: i64 = 8;

pub struct Dot {
    pub x: i64,
    pub y: i64,
    /// The point's tooltip: its date and value.
    pub label: String,
}

pub struct LineChart {
    pub id: &'static str,
    pub title: &'static str,
    /// `x,y x,y …` for the polyline.
    pub points: String,
    pub dots: Vec<Dot>,
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

/// `metric` over `history` (oldest first), one point per snapshot, evenly spaced.
pub fn line(metric: Metric, history: &[Snapshot]) -> LineChart {
    let values: Vec<i64> = history.iter().map(|s| metric.of(s)).collect();
    let max = values.iter().copied().max().unwrap_or(0);
    let gaps = i64::try_from(values.len()).unwrap_or(1).saturating_sub(1).max(1);
    let dots: Vec<Dot> = history
        .iter()
        .zip(&values)
        .zip(0i64..)
        .map(|((snap, value), i)| Dot {
            x: LEFT + (WIDTH - 2 * LEFT) * i / gaps,
            y: BOTTOM - scaled(*value, max, BOTTOM - TOP),
            label: format!("{}: {}", snap.taken_at.format("%-d %b %Y"), format_count(*value)),
        })
        .collect();
    let points = dots.iter().map(|d| format!("{},{}", d.x, d.y)).collect::<Vec<_>>().join(" ");
    let day = |s: Option<&Snapshot>| s.map(|s| s.taken_at.format("%-d %b").to_string()).unwrap_or_default();
    let summary = match (values.first(), values.last()) {
        (Some(first), Some(last)) => format!(
            "{} over {} snapshot(s): from {} to {}, highest {}.",
            metric.label(),
            values.len(),
            format_count(*first),
            format_count(*last),
            format_count(max)
        ),
        _ => format!("{}: no snapshots yet.", metric.label()),
    };
    LineChart {
        id: metric.as_str(),
        title: metric.label(),
        points,
        dots,
        baseline: BOTTOM,
        max_label: format_count(max),
        first_day: day(history.first()),
        last_day: day(history.last()),
        summary,
    }
}
