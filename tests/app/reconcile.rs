//! Reconciling: a workspace that drifted from its provider's subscription (a lost webhook, a
//! hand edit) is healed from the sandbox through the state machine, and audited; a second
//! run changes nothing. `tollgate sync` does the same and prints what it changed.

use std::process::Command;

use diesel::prelude::*;
use tollgate::domain::jobs::{Job, Outcome, RunBy};
use tollgate::schema::{audit_log, plans, workspaces};
use tollgate::services::jobs;

use crate::common::*;

const GOOD: &str = "4242 4242 4242 4242";

async fn starter(app: &TestApp, email: &str) -> i64 {
    let ws = app.signup(email).await;
    let billing = format!("/w/{ws}/billing");
    let res =
        app.post_form(&billing, &format!("/w/{ws}/checkout"), &[("plan", "starter"), ("interval", "month")]).await;
    let checkout = location(&res).strip_prefix(&app.address).unwrap().to_owned();
    let res = app.post_form(&checkout, &format!("{checkout}/pay"), &[("card", GOOD)]).await;
    app.get(location(&res).strip_prefix(&app.address).unwrap()).await;
    assert_eq!(app.plan_code(ws), "starter");
    ws
}

/// Our row says Free, past due, cancelling — the sandbox says Starter, active.
fn drift(app: &TestApp, ws: i64) {
    app.with_db(|conn| {
        let free: i64 = plans::table.filter(plans::code.eq("free")).select(plans::id).first(conn).unwrap();
        diesel::update(workspaces::table.find(ws))
            .set((
                workspaces::plan_id.eq(free),
                workspaces::subscription_status.eq("past_due"),
                workspaces::cancel_at_period_end.eq(true),
            ))
            .execute(conn)
            .unwrap()
    });
}

fn reconcile_audits(app: &TestApp, ws: i64) -> Vec<(String, String, String)> {
    app.with_db(|conn| {
        audit_log::table
            .filter(audit_log::action.eq("workspace.reconcile"))
            .filter(audit_log::workspace_id.eq(ws))
            .order(audit_log::id)
            .select((
                audit_log::actor,
                audit_log::before_json.assume_not_null(),
                audit_log::after_json.assume_not_null(),
            ))
            .load(conn)
            .unwrap()
    })
}

#[actix_web::test]
async fn reconcile_heals_a_drifted_workspace_from_the_provider_and_audits_it_once() {
    let app = spawn_app().await;
    let ws = starter(&app, "drift@example.com").await;
    let untouched = starter(&app.new_browser(), "fine@example.com").await;
    drift(&app, ws);

    let run = jobs::run_job(&app.state, Job::Reconcile, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 1), "{run:?}");
    assert_eq!(app.plan_code(ws), "starter");
    let w = app.workspace(ws);
    assert_eq!((w.subscription_status.map(|s| s.as_str()), w.cancel_at_period_end), (Some("active"), false));
    let audits = reconcile_audits(&app, ws);
    assert_eq!(audits.len(), 1, "{audits:?}");
    let (actor, before, after) = &audits[0];
    assert_eq!(actor, "job:reconcile");
    let before: serde_json::Value = serde_json::from_str(before).unwrap();
    let after: serde_json::Value = serde_json::from_str(after).unwrap();
    assert_eq!(before, serde_json::json!({ "plan": "free", "status": "past_due", "cancel_at_period_end": true }));
    assert_eq!(after, serde_json::json!({ "plan": "starter", "status": "active", "cancel_at_period_end": false }));
    assert!(reconcile_audits(&app, untouched).is_empty(), "a workspace that agrees is left alone");

    let again = jobs::run_job(&app.state, Job::Reconcile, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((again.outcome, again.changes), (Outcome::Ok, 0), "{again:?}");
    assert_eq!(reconcile_audits(&app, ws).len(), 1, "nothing more to heal");
}

#[actix_web::test]
async fn tollgate_sync_heals_one_workspace_on_demand_and_prints_what_changed() {
    let app = spawn_app().await;
    let ws = starter(&app, "sync@example.com").await;
    drift(&app, ws);
    let sync = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
        command.arg("sync").args(args).env_clear().env("RUST_LOG", "error");
        for (key, value) in base_vars(&app.state.config.database_url) {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    let out = sync(&["--workspace", &ws.to_string()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(&format!("workspace {ws}: ")) && stdout.contains(r#"plan "free" → "starter""#), "{stdout}");
    assert!(stdout.contains("1 workspace(s) checked, 1 healed"), "{stdout}");
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(reconcile_audits(&app, ws)[0].0, "cli:sync");

    let out = sync(&[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 workspace(s) checked, 0 healed"));
    let free = app.new_browser().signup("free-sync@example.com").await;
    let out = sync(&["--workspace", &free.to_string()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no subscription"), "{out:?}");
    let out = sync(&["--workspace", "nope"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a workspace id"));
}

#[actix_web::test]
async fn a_trial_our_row_thinks_ended_is_checked_with_the_provider() {
    let app = spawn_app().await;
    let ws = app.signup("trial@example.com").await;
    let billing = format!("/w/{ws}/billing");
    let res = app.post_form(&billing, &format!("/w/{ws}/checkout"), &[("plan", "pro"), ("interval", "month")]).await;
    let checkout = location(&res).strip_prefix(&app.address).unwrap().to_owned();
    let res = app.post_form(&checkout, &format!("{checkout}/pay"), &[("card", GOOD)]).await;
    app.get(location(&res).strip_prefix(&app.address).unwrap()).await;
    let w = app.workspace(ws);
    assert_eq!(w.subscription_status.map(|s| s.as_str()), Some("trialing"));
    let real_end = w.trial_end.unwrap();

    let run = jobs::run_job(&app.state, Job::CheckTrialExpirations, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 0), "the trial runs for two weeks: nothing to ask");
    // Our row says the trial ended two hours ago, and no webhook came.
    let ended = tollgate::models::now() - chrono::TimeDelta::hours(2);
    app.with_db(|conn| {
        diesel::update(workspaces::table.find(ws)).set(workspaces::trial_end.eq(ended)).execute(conn).unwrap()
    });
    let run = jobs::run_job(&app.state, Job::CheckTrialExpirations, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 1), "{run:?}");
    assert_eq!(app.workspace(ws).trial_end, Some(real_end), "the provider's trial end is back");
    assert_eq!(reconcile_audits(&app, ws)[0].0, "job:check_trial_expirations");
}

#[actix_web::test]
async fn reconcile_leaves_changes_made_through_the_app_alone_a_scheduled_downgrade_included() {
    let app = spawn_app().await;
    let ws = starter(&app, "changes@example.com").await;
    let billing = format!("/w/{ws}/billing");
    app.post_form(&billing, &format!("/w/{ws}/plan"), &[("plan", "pro"), ("interval", "month")]).await;
    assert_eq!(app.plan_code(ws), "pro");
    app.post_form(&billing, &format!("/w/{ws}/plan"), &[("plan", "starter"), ("interval", "month")]).await;
    let scheduled = app.workspace(ws).scheduled_plan_id;
    assert!(scheduled.is_some(), "the downgrade waits for the period end");

    let run = jobs::run_job(&app.state, Job::Reconcile, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 0), "{run:?}");
    assert_eq!(app.plan_code(ws), "pro");
    assert_eq!(app.workspace(ws).scheduled_plan_id, scheduled);
    assert!(reconcile_audits(&app, ws).is_empty());
}

#[actix_web::test]
async fn an_administrator_syncs_one_workspace_from_its_page_and_nobody_else_can() {
    let app = spawn_app().await;
    let ws = starter(&app, "owner-sync@example.com").await;
    drift(&app, ws);
    let path = format!("/admin/workspaces/{ws}/sync");

    // The workspace's own owner is not an administrator: the address does not exist for them.
    let res = app.post_form(&format!("/w/{ws}/billing"), &path, &[]).await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(app.plan_code(ws), "free", "nothing was synced");

    let admin = app.new_browser();
    admin.sign_up_admin("ops-sync@example.com").await;
    let forged = admin.post_raw(&path, &[("csrf_token", "forged")]).await;
    assert_eq!(forged.status().as_u16(), 403, "a forged CSRF token is refused");
    assert_eq!(app.plan_code(ws), "free");

    let page = admin.get(&format!("/admin/workspaces/{ws}")).await.text().await.unwrap();
    assert!(page.contains("data-testid=\"sync-form\""), "the page offers the sync");
    let res = admin.post_form(&format!("/admin/workspaces/{ws}"), &path, &[]).await;
    assert_eq!(location(&res), format!("/admin/workspaces/{ws}"));
    assert_eq!(app.plan_code(ws), "starter");
    let flash = admin.get(&format!("/admin/workspaces/{ws}")).await.text().await.unwrap();
    assert!(flash.contains("Synced from the provider: workspace"), "the flash says what changed");
    let audits = reconcile_audits(&app, ws);
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0].0, "ops-sync@example.com", "audited as the administrator");

    // A second sync finds nothing to heal and audits nothing.
    admin.post_form(&format!("/admin/workspaces/{ws}"), &path, &[]).await;
    assert_eq!(reconcile_audits(&app, ws).len(), 1);
}
