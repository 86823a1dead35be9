//! The operators' screens and API: `/admin/jobs` (run now, CSRF, audited), `/admin/capacity`
//! and `/api/v1/admin/platform-health/…` from prepared snapshots, admin API keys, and the
//! `tollgate jobs` commands. Everyone but an administrator gets 404 on all of it.

use std::process::Command;

use chrono::TimeDelta;
use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::models::capacity_snapshot::NewCapacitySnapshot;
use tollgate::models::now;
use tollgate::schema::{audit_log, capacity_snapshots, job_runs};

use crate::api_support::Auth;
use crate::common::*;

const BOSS: &str = "boss@example.com";
const API: &str = "/api/v1/admin/platform-health";

async fn with_admin() -> TestApp {
    let app = spawn_app_with(|vars| {
        vars.insert("ADMIN_EMAILS".into(), BOSS.into());
    })
    .await;
    app.signup(BOSS).await;
    app
}

fn tollgate(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command.args(args).env_clear().env("RUST_LOG", "error");
    for (key, value) in base_vars(&app.state.config.database_url) {
        command.env(key, value);
    }
    command.env("ADMIN_EMAILS", BOSS);
    command.output().unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[actix_web::test]
async fn every_operations_address_is_404_for_everyone_but_administrators() {
    let app = with_admin().await;
    let admin_key = stdout(&tollgate(&app, &["admin", "key", "create", BOSS])).trim().to_owned();
    assert!(admin_key.starts_with("tgk_"), "{admin_key}");

    let customer = app.new_browser();
    let ws = customer.signup("customer@example.com").await;
    customer.set_plan(ws, "pro");
    let workspace_key = customer.api_key(ws, "mine").await;
    let csrf = customer.meta_csrf(ws).await;

    let pages = ["/admin/jobs", "/admin/capacity"];
    for form in ["/admin/jobs/reconcile/run", "/admin/capacity/snapshot"] {
        for visitor in [&customer, &app.new_browser()] {
            assert_eq!(visitor.post_raw(form, &[("csrf_token", &csrf)]).await.status().as_u16(), 404, "{form}");
        }
    }
    let gets = ["health", "capacity", "trends", "recommendations"];
    for visitor in [&customer, &app.new_browser()] {
        for page in pages {
            assert_eq!(visitor.get(page).await.status().as_u16(), 404, "{page}");
        }
        for path in gets {
            assert_eq!(visitor.api_get(&format!("{API}/{path}"), Auth::Session).await.0, 404, "{path}");
        }
        let res = visitor.api_post(&format!("{API}/snapshot"), Auth::Session, &json!({}), Some(&csrf)).await;
        assert_eq!(res.status().as_u16(), 404);
    }
    for key in [workspace_key.as_str(), "tgk_nonsense", "not-a-key"] {
        for path in gets {
            assert_eq!(app.api_get(&format!("{API}/{path}"), Auth::Key(key)).await.0, 404, "{key} {path}");
        }
        let res = app.api_post(&format!("{API}/snapshot"), Auth::Key(key), &json!({}), None).await;
        assert_eq!(res.status().as_u16(), 404);
    }
    let nothing_ran: i64 = app.with_db(|conn| job_runs::table.count().get_result(conn).unwrap());
    assert_eq!(nothing_ran, 0);

    let (status, body) = app.api_get(&format!("{API}/health"), Auth::Key(&admin_key)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["jobs"].as_array().unwrap().len(), 8);
    assert_eq!(app.get_html("/admin/jobs").await.0, 200);

    // Revoked, or no longer an administrator: the key stops working.
    assert!(tollgate(&app, &["admin", "key", "revoke", BOSS]).status.success());
    assert_eq!(app.api_get(&format!("{API}/health"), Auth::Key(&admin_key)).await.0, 404);
    let refused = tollgate(&app, &["admin", "key", "create", "customer@example.com"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not an administrator"));
}

#[actix_web::test]
async fn run_now_needs_the_csrf_token_runs_the_job_once_and_is_audited() {
    let app = with_admin().await;
    let res = app.post_raw("/admin/jobs/prune/run", &[]).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = app.post_raw("/admin/jobs/prune/run", &[("csrf_token", "forged")]).await;
    assert_eq!(res.status().as_u16(), 403);
    let runs: i64 = app.with_db(|conn| job_runs::table.count().get_result(conn).unwrap());
    assert_eq!(runs, 0, "nothing ran");
    let res = app.post_form("/admin/jobs", "/admin/jobs/no_such_job/run", &[]).await;
    assert_eq!(res.status().as_u16(), 404);

    let res = app.post_form("/admin/jobs", "/admin/jobs/prune/run", &[]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/admin/jobs".to_owned()));
    let runs: Vec<(String, String, String)> = app.with_db(|conn| {
        job_runs::table.select((job_runs::job, job_runs::run_by, job_runs::outcome)).load(conn).unwrap()
    });
    assert_eq!(runs, [("prune".to_owned(), "admin".to_owned(), "ok".to_owned())]);
    let audit: Vec<(String, String, String)> = app.with_db(|conn| {
        audit_log::table
            .filter(audit_log::action.eq("job.run"))
            .select((audit_log::actor, audit_log::subject_id, audit_log::after_json.assume_not_null()))
            .load(conn)
            .unwrap()
    });
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].0.as_str(), audit[0].1.as_str()), (BOSS, "prune"));
    assert_eq!(serde_json::from_str::<Value>(&audit[0].2).unwrap()["outcome"], "ok");

    let (status, html) = app.get_html("/admin/jobs").await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-job=prune] [data-testid=outcome]"), ["ok"]);
    assert!(select_all(&html, "[data-job=prune] [data-testid=last-run]")[0].ends_with("(admin)"));
    assert_eq!(select_all(&html, "[data-job=reconcile] [data-testid=outcome]"), [""]);
    assert_eq!(select_all(&html, "[data-testid=jobs] tbody tr").len(), 8);
}

#[actix_web::test]
async fn the_jobs_commands_list_the_jobs_and_run_one_by_name() {
    let app = spawn_app().await;
    let out = tollgate(&app, &["jobs", "run", "capture_capacity_snapshot"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).starts_with("capture_capacity_snapshot: ok (1 change(s)) snapshot taken"), "{}", stdout(&out));
    let taken: i64 = app.with_db(|conn| capacity_snapshots::table.count().get_result(conn).unwrap());
    assert_eq!(taken, 1);

    let list = stdout(&tollgate(&app, &["jobs", "list"]));
    let line = list.lines().find(|l| l.starts_with("capture_capacity_snapshot")).unwrap();
    assert!(line.contains("24h") && line.contains(" ok (1 change(s)) snapshot taken"), "{line}");
    let reconcile = list.lines().find(|l| l.starts_with("reconcile")).unwrap();
    assert!(reconcile.contains("1h") && reconcile.ends_with("never"), "{reconcile}");

    let unknown = tollgate(&app, &["jobs", "run", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no job is called nope; the jobs are"));
}

fn snapshot(taken_at: chrono::NaiveDateTime, workspaces: i64, mrr: i64) -> NewCapacitySnapshot {
    NewCapacitySnapshot {
        taken_at,
        users_total: workspaces,
        workspaces_total: workspaces,
        paying_workspaces: 20,
        mrr_minor: mrr,
        credits_outstanding: 0,
        events_last_day: 0,
        events_failed: 0,
        by_status: r#"{"active":18,"past_due":2,"none":20}"#.to_owned(),
        by_plan: r#"{"free":20,"pro":20}"#.to_owned(),
        past_due_workspaces: 2,
        seats_used: 85,
        seats_limit: 100,
        credits_granted: 1000,
        credits_spent: 250,
        quota_used: 10,
        quota_limit: 100,
        database_bytes: 4096,
    }
}

#[actix_web::test]
async fn capacity_page_and_api_report_known_numbers_from_prepared_snapshots() {
    let app = with_admin().await;
    let at = now() - TimeDelta::minutes(1);
    app.with_db(|conn| {
        snapshot(at - TimeDelta::days(29), 10, 1000).insert(conn).unwrap();
        snapshot(at - TimeDelta::days(10), 20, 1000).insert(conn).unwrap();
        snapshot(at, 40, 4000).insert(conn).unwrap();
    });
    let postgres = app.state.db.backend() == tollgate::db::Backend::Postgres;

    let (status, html) = app.get_html("/admin/capacity").await;
    assert_eq!(status, 200);
    assert_eq!(
        select_all(&html, "[data-testid=utilisation] [data-resource=seats] td"),
        ["seats", "85", "100", "85%", "15"]
    );
    let rows: Vec<String> = select_all(&html, "[data-testid=trends] tbody tr");
    let month = rows.iter().find(|r| r.starts_with("Workspaces30")).unwrap();
    // 10 → 40 over 29 days: +30, 300%, 1.03 a day, 40 + 31 next month.
    assert_eq!(month, "Workspaces30104030300%1.0371");
    assert!(rows.iter().any(|r| r == "Workspaces7404000%0.0040"), "{rows:?}");
    let titles = select_all(&html, "[data-testid=recommendations] li strong");
    assert_eq!(titles[0], "Past-due rate above 5% (10%)");
    assert!(titles.contains(&"Seat utilisation at 85% of theoretical capacity".to_owned()), "{titles:?}");
    let tier = if postgres {
        "PostgreSQL suits this installation"
    } else {
        "Plan the move to PostgreSQL: about 71 workspaces next month"
    };
    assert!(titles.contains(&tier.to_owned()), "{titles:?}");
    assert_eq!(select_all(&html, "svg[data-testid=chart-workspaces] title")[0], "Workspaces");
    assert_eq!(select_all(&html, "svg[data-testid=chart-workspaces] circle").len(), 3);

    let (status, trends) = app.api_get(&format!("{API}/trends"), Auth::Session).await;
    assert_eq!(status, 200);
    let month = trends["trends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["metric"] == "workspaces" && t["days"] == 30)
        .unwrap()
        .clone();
    assert_eq!(
        (month["start"].clone(), month["current"].clone(), month["change"].clone()),
        (json!(10), json!(40), json!(30))
    );
    assert_eq!((month["growth_percent"].clone(), month["next_month"].clone()), (json!(300.0), json!(71)));
    let (_, capacity) = app.api_get(&format!("{API}/capacity"), Auth::Session).await;
    assert_eq!(capacity["latest"]["workspaces"], 40);
    assert_eq!(
        capacity["utilisation"][0],
        json!({"resource": "seats", "used": 85, "capacity": 100, "percent": 85.0, "headroom": 15})
    );
    let (_, recs) = app.api_get(&format!("{API}/recommendations"), Auth::Session).await;
    assert_eq!(recs["recommendations"][0]["severity"], "critical");
    assert_eq!(recs["recommendations"][0]["category"], "billing");

    // A snapshot on demand: a session needs its CSRF header.
    let res = app.api_post(&format!("{API}/snapshot"), Auth::Session, &json!({}), None).await;
    assert_eq!(res.status().as_u16(), 403);
    let (_, html) = app.get_html("/admin/jobs").await;
    let csrf = select_attr(&html, "meta[name=csrf-token]", "content").remove(0);
    let res = app.api_post(&format!("{API}/snapshot"), Auth::Session, &json!({}), Some(&csrf)).await;
    assert_eq!(res.status().as_u16(), 201);
    let taken: Value = res.json().await.unwrap();
    assert_eq!(taken["workspaces"], 1, "the real installation: the admin's own workspace");
    let count: i64 = app.with_db(|conn| capacity_snapshots::table.count().get_result(conn).unwrap());
    assert_eq!(count, 4);
    let audited: i64 = app.with_db(|conn| {
        audit_log::table.filter(audit_log::action.eq("capacity.snapshot")).count().get_result(conn).unwrap()
    });
    assert_eq!(audited, 1);

    // The page's own button: CSRF-checked, then one more snapshot.
    assert_eq!(app.post_raw("/admin/capacity/snapshot", &[]).await.status().as_u16(), 403);
    let res = app.post_form("/admin/capacity", "/admin/capacity/snapshot", &[]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/admin/capacity".to_owned()));
    let count: i64 = app.with_db(|conn| capacity_snapshots::table.count().get_result(conn).unwrap());
    assert_eq!(count, 5);
}
