//! Extending a trial from the admin console: the sandbox moves the trial (and with it the
//! first charge) and the workspace follows at once, audited; a workspace not on a trial and
//! a bad number of days are refused with nothing changed. The sandbox's own `trial_end`
//! update refuses what it cannot do with Stripe-shaped 400s.

use reqwest::Method;
use tollgate::models::AuditEntry;

use super::*;
use crate::sandbox::{GOOD, clock_of, types};
use crate::sandbox_cancel_at::{deliver_after, subscribe, subscription};
use crate::sandbox_catalog::api;

const WEEK: i64 = 7 * 86_400;

fn unix(at: chrono::NaiveDateTime) -> i64 {
    at.and_utc().timestamp()
}

fn trial_audits(app: &TestApp) -> Vec<AuditEntry> {
    app.audit().into_iter().filter(|e| e.action == "workspace.extend_trial").collect()
}

#[actix_web::test]
async fn an_admin_extends_a_trial_at_the_sandbox_and_the_workspace_follows_audited() {
    let app = spawn_app().await;
    let (ws, _, sub_id) = subscribe(&app, "trial@example.com", "pro", "month", GOOD).await;
    let before = app.workspace(ws);
    assert_eq!(before.subscription_status.map(|s| s.as_str()), Some("trialing"));
    let old_end = before.trial_end.unwrap();
    let sandbox_before = subscription(&app, &sub_id).await;
    assert_eq!(sandbox_before["trial_end"].as_i64(), Some(unix(old_end)));

    let boss = app.new_browser();
    boss.sign_up_admin("boss@example.com").await;
    let page = format!("/admin/workspaces/{ws}");
    let (_, html) = boss.get_html(&page).await;
    assert_eq!(select_all(&html, "[data-testid=trial-form]").len(), 1, "the form shows while trialing");
    let recorded = crate::sandbox::stored_events(&app).len();
    let res = boss.post_form(&page, &format!("{page}/trial"), &[("days", "7")]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), page);

    // Our row moved by the time the redirect came: the provider's answer was applied, whether
    // or not its webhook had arrived.
    let after = app.workspace(ws);
    assert_eq!(after.trial_end.map(unix), Some(unix(old_end) + WEEK));
    assert_eq!(after.subscription_status.map(|s| s.as_str()), Some("trialing"));
    let sandbox_after = subscription(&app, &sub_id).await;
    assert_eq!(sandbox_after["status"], "trialing");
    assert_eq!(sandbox_after["trial_end"].as_i64(), Some(unix(old_end) + WEEK));
    assert_eq!(sandbox_after["items"]["data"][0]["current_period_end"].as_i64(), Some(unix(old_end) + WEEK));
    let (_, html) = boss.get_html(&page).await;
    assert!(html.contains("Trial extended"), "the flash says so");

    let audits = trial_audits(&app);
    assert_eq!(audits.len(), 1);
    let entry = &audits[0];
    assert_eq!(entry.actor, "boss@example.com");
    assert_eq!(entry.workspace_id, Some(tollgate::domain::ids::WorkspaceId(ws)));
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let before_json: serde_json::Value = serde_json::from_str(entry.before_json.as_deref().unwrap()).unwrap();
    let after_json: serde_json::Value = serde_json::from_str(entry.after_json.as_deref().unwrap()).unwrap();
    assert_eq!(before_json["trial_end"], fmt(old_end));
    assert_eq!(after_json["trial_end"], fmt(old_end + chrono::TimeDelta::days(7)));

    // The sandbox said so with a webhook too, and applying it changes nothing more.
    deliver_after(&app, recorded).await;
    assert!(types(&app).iter().skip(recorded).any(|t| t == "customer.subscription.updated"));
    assert_eq!(app.workspace(ws).trial_end, after.trial_end);
}

#[actix_web::test]
async fn bad_days_and_workspaces_not_on_a_trial_are_refused_with_nothing_changed() {
    let app = spawn_app().await;
    let (trialing, _, sub_id) = subscribe(&app, "trial@example.com", "pro", "month", GOOD).await;
    let (paying, _, paid_sub) = subscribe(&app.new_browser(), "paid@example.com", "starter", "month", GOOD).await;
    let free = app.new_browser().signup("free@example.com").await;
    let boss = app.new_browser();
    boss.sign_up_admin("boss@example.com").await;
    let sandbox_before = subscription(&app, &sub_id).await;
    let trial_before = app.workspace(trialing);

    let page = format!("/admin/workspaces/{trialing}");
    for days in ["0", "91", "x", "", "-3", "7.5"] {
        let res = boss.post_form(&page, &format!("{page}/trial"), &[("days", days)]).await;
        assert_eq!(res.status().as_u16(), 400, "days={days:?}");
        assert!(error_message(&res.text().await.unwrap()).contains("days"), "days={days:?}");
    }
    for ws in [paying, free] {
        let page = format!("/admin/workspaces/{ws}");
        let (_, html) = boss.get_html(&page).await;
        assert!(select_all(&html, "[data-testid=trial-form]").is_empty(), "no form without a trial");
        let before = app.workspace(ws);
        let res = boss.post_form(&page, &format!("{page}/trial"), &[("days", "7")]).await;
        assert_eq!(res.status().as_u16(), 400, "workspace {ws}");
        assert!(error_message(&res.text().await.unwrap()).contains("not on a trial"));
        assert_eq!(app.workspace(ws).trial_end, before.trial_end);
    }
    assert_eq!(app.workspace(trialing).trial_end, trial_before.trial_end);
    assert_eq!(subscription(&app, &sub_id).await["trial_end"], sandbox_before["trial_end"]);

    // Our row thinks the trial ended a month ago: a week on from then is already past, which
    // the provider refuses, and nothing changes here either.
    let month_ago = tollgate::models::now() - chrono::TimeDelta::days(30);
    app.with_db(|conn| {
        use diesel::prelude::*;
        use tollgate::schema::workspaces;
        diesel::update(workspaces::table.find(trialing)).set(workspaces::trial_end.eq(month_ago)).execute(conn).unwrap()
    });
    let res = boss.post_form(&page, &format!("{page}/trial"), &[("days", "7")]).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(error_message(&res.text().await.unwrap()).contains("refused"));
    assert_eq!(app.workspace(trialing).trial_end, Some(month_ago));
    assert_eq!(subscription(&app, &sub_id).await["trial_end"], sandbox_before["trial_end"]);
    assert_eq!(subscription(&app, &paid_sub).await["status"], "active");
    assert!(trial_audits(&app).is_empty());
}

#[actix_web::test]
async fn the_sandbox_moves_only_running_trials_within_bounds() {
    let app = spawn_app().await;
    let (_, customer, trial_sub) = subscribe(&app, "trial@example.com", "pro", "month", GOOD).await;
    let (_, _, paid_sub) = subscribe(&app.new_browser(), "paid@example.com", "starter", "month", GOOD).await;
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();
    let before = subscription(&app, &trial_sub).await;
    let in_a_month = (now + 30 * 86_400).to_string();
    let too_far = (now + 731 * 86_400).to_string();
    let past = (now - 60).to_string();
    let trial = format!("subscriptions/{trial_sub}");
    for (path, fields, words) in [
        (&trial, vec![("trial_end", "soon")], "not a unix timestamp"),
        (&trial, vec![("trial_end", &*past)], "in the future"),
        (&trial, vec![("trial_end", &*too_far)], "at most 730 days"),
        (&trial, vec![("trial_end", &*in_a_month), ("items[0][price]", "price_pro_yearly")], "separately"),
        (&format!("subscriptions/{paid_sub}"), vec![("trial_end", &*in_a_month)], "running trial"),
    ] {
        let (status, body) = api(&app, Method::POST, path, &fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{fields:?}: {body}");
    }
    assert_eq!(subscription(&app, &trial_sub).await, before, "nothing was written");

    let (status, sub) =
        api(&app, Method::POST, &trial, &[("trial_end", &*in_a_month), ("proration_behavior", "none")]).await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(sub["trial_end"].as_i64(), Some(now + 30 * 86_400));
    assert_eq!(sub["status"], "trialing");
    assert!(sub["latest_invoice"] == before["latest_invoice"], "moving a trial bills nothing");
}
