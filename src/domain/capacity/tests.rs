use chrono::{DateTime, TimeDelta, Utc};

use super::*;

fn day(n: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).unwrap() + TimeDelta::days(n)
}

fn snap(n: i64, workspaces: i64, mrr: i64) -> Snapshot {
    Snapshot { taken_at: day(n), workspaces, mrr_minor: mrr, ..Snapshot::default() }
}

#[test]
fn a_trend_reports_start_current_change_growth_rate_and_projection() {
    let snaps = [snap(0, 10, 1000), snap(10, 20, 1000), snap(30, 40, 4000)];
    let t = trend(&snaps, Metric::Workspaces, 30, day(30)).unwrap();
    assert_eq!((t.start, t.current, t.change, t.days), (10, 40, 30, 30));
    assert_eq!((t.growth_percent, t.daily_rate, t.next_month), (Some(300.0), 1.0, 70));

    let week = trend(&snaps, Metric::Workspaces, 7, day(30)).unwrap();
    assert_eq!((week.start, week.change, week.daily_rate, week.next_month), (40, 0, 0.0, 40), "one snapshot");
    let twenty = trend(&snaps, Metric::Mrr, 20, day(30)).unwrap();
    assert_eq!((twenty.start, twenty.change, twenty.growth_percent), (1000, 3000, Some(300.0)));
    assert_eq!(twenty.daily_rate, 150.0, "3000 over 20 days");
    assert_eq!(twenty.next_month, 4000 + 4500);
}

#[test]
fn a_trend_needs_a_snapshot_in_its_window_and_handles_a_zero_start() {
    let snaps = [snap(0, 0, 0), snap(3, 9, 0)];
    assert_eq!(trend(&snaps, Metric::Workspaces, 7, day(30)), None);
    let t = trend(&snaps, Metric::Workspaces, 7, day(3)).unwrap();
    assert_eq!((t.growth_percent, t.daily_rate, t.next_month), (None, 3.0, 99));
    assert_eq!(trends(&snaps, day(3)).len(), WINDOWS.len() * Metric::ALL.len());
}

#[test]
fn utilisation_has_percent_and_headroom() {
    let s = Snapshot { seats_used: 17, seats_limit: 20, quota_used: 0, quota_limit: 0, ..Snapshot::default() };
    let u = utilisations(&s);
    assert_eq!((u[0].resource, u[0].percent, u[0].headroom), ("seats", Some(85.0), 3));
    assert_eq!((u[1].percent, u[1].headroom), (None, 0));
    assert_eq!(percent(1, 3), Some(33.3));
}

fn titles(recs: &[Recommendation]) -> Vec<(Severity, &str)> {
    recs.iter().map(|r| (r.severity, r.title.as_str())).collect()
}

#[test]
fn recommendations_flag_seat_utilisation_past_due_rate_and_the_deployment_tier() {
    let s = Snapshot {
        workspaces: 40,
        paying_workspaces: 20,
        past_due_workspaces: 2,
        seats_used: 85,
        seats_limit: 100,
        quota_used: 10,
        quota_limit: 100,
        ..Snapshot::default()
    };
    let recs = recommendations(&s, None, Deployment::Sqlite);
    assert_eq!(
        titles(&recs),
        [
            (Severity::Critical, "Past-due rate above 5% (10%)"),
            (Severity::Warning, "Seat utilisation at 85% of theoretical capacity"),
            (Severity::Info, "SQLite suits this installation"),
        ]
    );
    assert_eq!(recs[1].category, Category::Capacity);
    assert_eq!(recs[1].description, "85 of 100 allowed by the workspaces' plans are in use.");
}

#[test]
fn the_deployment_tier_follows_the_workspace_count_and_its_projection() {
    let quiet = |workspaces| Snapshot { workspaces, ..Snapshot::default() };
    let tier = |s: &Snapshot, t: Option<&Trend>, d| recommendations(s, t, d).pop().unwrap();
    let past = tier(&quiet(51), None, Deployment::Sqlite);
    assert_eq!((past.category, past.severity), (Category::Deployment, Severity::Critical));
    assert!(past.title.starts_with("Move to PostgreSQL"), "{}", past.title);
    assert_eq!(tier(&quiet(50), None, Deployment::Sqlite).severity, Severity::Info);
    let snaps = [snap(0, 30, 0), snap(20, 46, 0)];
    let month = trend(&snaps, Metric::Workspaces, 30, day(20)).unwrap();
    assert_eq!(month.next_month, 70);
    let soon = tier(&quiet(46), Some(&month), Deployment::Sqlite);
    assert_eq!(
        (soon.severity, soon.title.as_str()),
        (Severity::Warning, "Plan the move to PostgreSQL: about 70 workspaces next month")
    );
    assert_eq!(tier(&quiet(500), Some(&month), Deployment::Postgres).severity, Severity::Info);
}
