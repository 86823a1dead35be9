//! The workspace's test clock page and the one clock: in sandbox mode the app's own time-based
//! rules follow the customer's test clock, so a failed renewal followed by "advance 8 days"
//! shows the drop to Free on the billing page; the page is the workspace's alone, moved only
//! by its owners and admins, and absent with real providers.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use tollgate::domain::ids::WorkspaceId;
use tollgate::models::BillingEvent;
use tollgate::services::jobs;

use crate::common::*;
use crate::sandbox::{FAILS_LATER, GOOD, advance_days, clock_of};

/// Signs up, buys Starter monthly with `card` through the app's pages; returns the workspace.
async fn starter(app: &TestApp, email: &str, card: &str) -> i64 {
    let ws = app.signup(email).await;
    let billing = format!("/w/{ws}/billing");
    let res =
        app.post_form(&billing, &format!("/w/{ws}/checkout"), &[("plan", "starter"), ("interval", "month")]).await;
    let checkout = location(&res).strip_prefix(&app.address).unwrap().to_owned();
    let res = app.post_form(&checkout, &format!("{checkout}/pay"), &[("card", card)]).await;
    app.get(location(&res).strip_prefix(&app.address).unwrap()).await;
    assert_eq!(app.plan_code(ws), "starter");
    ws
}

async fn move_clock(app: &TestApp, ws: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/w/{ws}/billing/clock");
    app.post_form(&page, &page, fields).await
}

fn status(app: &TestApp, ws: i64) -> Option<String> {
    app.workspace(ws).subscription_status.map(|s| s.as_str().to_owned())
}

#[actix_web::test]
async fn a_failed_renewal_then_eight_days_on_the_clock_drops_the_workspace_to_free() {
    let app = spawn_app().await;
    let ws = starter(&app, "grace@example.com", FAILS_LATER).await;
    let (_, billing) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_attr(&billing, "[data-testid=test-clock-link]", "href"), [format!("/w/{ws}/billing/clock")]);

    let res = move_clock(&app, ws, &[("step", "next_renewal")]).await;
    assert_eq!(location(&res), format!("/w/{ws}/billing/clock"));
    assert_eq!(status(&app, ws).as_deref(), Some("past_due"));
    let w = app.workspace(ws);
    let period_end = w.current_period_end.unwrap();
    let grace = w.grace_until.unwrap();
    let clock = Utc::now().naive_utc() + Duration::days(28);
    assert!(grace > clock, "the grace period starts at the clock's time, a month ahead: {grace}");
    assert!((grace - (period_end - Duration::days(30) + Duration::days(7))).num_days().abs() <= 3, "{grace}");
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_all(&html, "[data-testid=current-plan]"), ["Starter"]);
    assert_eq!(select_all(&html, "[data-testid=plan-status]"), ["Past due"]);
    assert!(select_all(&html, ".banner")[0].contains("Update your payment method by"), "{html}");

    let res = move_clock(&app, ws, &[("step", "days"), ("days", "8")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.get_html(&format!("/w/{ws}/billing/clock")).await;
    assert!(select_all(&html, ".notice-success")[0].starts_with("The test clock now reads"), "{html}");
    assert_eq!(app.plan_code(ws), "free", "the grace job ran at the clock's time, right away");
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_all(&html, "[data-testid=current-plan]"), ["Free"]);
}

#[actix_web::test]
async fn the_scheduler_runs_each_workspace_at_its_own_clock() {
    let app = spawn_app().await;
    let ws = starter(&app, "sched@example.com", FAILS_LATER).await;
    move_clock(&app, ws, &[("step", "next_renewal")]).await;
    // Moved behind the app's back, through the API: only the scheduler can notice.
    let customer = app.workspace(ws).provider_customer_id.unwrap();
    advance_days(&app, &customer, 8).await;
    assert_eq!(app.plan_code(ws), "starter");
    app.with_db(|conn| jobs::end_expired_grace(conn, tollgate::domain::normalized::Provider::Stripe).unwrap());
    assert_eq!(app.plan_code(ws), "starter", "in real time the grace period has weeks to run");
    jobs::run_all(&app.state).await.unwrap();
    assert_eq!(app.plan_code(ws), "free", "at the customer's clock it is over");
}

#[actix_web::test]
async fn the_page_shows_only_the_workspaces_own_clock_subscriptions_and_events() {
    let app = spawn_app().await;
    let mine = starter(&app, "mine@example.com", GOOD).await;
    let other = app.new_browser();
    let theirs = starter(&other, "theirs@example.com", GOOD).await;
    move_clock(&other, theirs, &[("step", "1m")]).await;

    let (status, html) = app.get_html(&format!("/w/{mine}/billing/clock")).await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-testid=clock-subscriptions] tr").len(), 1);
    assert!(select_all(&html, "[data-testid=clock-subscriptions] tr")[0].starts_with("Starter"));
    let mine_events = app.with_db(|conn| BillingEvent::recent_for_workspace(conn, WorkspaceId(mine), 100).unwrap());
    assert_eq!(select_all(&html, "[data-testid=clock-events] tr").len(), mine_events.len());
    let customer = app.workspace(mine).provider_customer_id.unwrap();
    let clock = clock_of(&app, &customer).await;
    let shown = select_all(&html, "[data-testid=clock-time]");
    let at = chrono::DateTime::from_timestamp(clock["frozen_time"].as_i64().unwrap(), 0).unwrap();
    assert_eq!(shown, [at.format("%-d %b %Y %H:%M UTC").to_string()], "my clock did not move with theirs");
    assert_eq!(app.get(&format!("/w/{theirs}/billing/clock")).await.status().as_u16(), 404, "not a member");
}

#[actix_web::test]
async fn only_owners_and_admins_move_the_clock_and_bad_steps_are_explained() {
    let app = spawn_app().await;
    let ws = starter(&app, "owner@example.com", GOOD).await;
    let page = format!("/w/{ws}/billing/clock");
    let before = app.with_db(|conn| {
        use tollgate::sandbox::schema::sandbox_test_clocks;
        sandbox_test_clocks::table.select(sandbox_test_clocks::frozen_time).load::<chrono::NaiveDateTime>(conn).unwrap()
    });
    // No token: refused before anything happens.
    let res = app.post_raw(&page, &[("step", "1d")]).await;
    assert_eq!(res.status().as_u16(), 403);
    for (fields, words) in [
        (vec![("step", "days"), ("days", "0")], "whole number of days"),
        (vec![("step", "days"), ("days", "8000000000000")], "whole number of days"),
        (vec![("step", "days"), ("days", "4294967295")], "whole number of days"),
        (vec![("step", "days"), ("days", "-3")], "whole number of days"),
        (vec![("step", "days"), ("days", "90")], "at most two intervals"),
    ] {
        let res = move_clock(&app, ws, &fields).await;
        assert_eq!(res.status().as_u16(), 422, "{fields:?}");
        let html = res.text().await.unwrap();
        assert!(select_all(&html, "[data-testid=clock-error]")[0].contains(words), "{fields:?}: {html}");
    }
    assert_eq!(move_clock(&app, ws, &[("step", "1y")]).await.status().as_u16(), 400);

    // A plain member sees the page but no controls, and cannot move it.
    let member = app.new_browser();
    member.signup("member@example.com").await;
    app.post_form(
        &format!("/w/{ws}/settings"),
        &format!("/w/{ws}/members"),
        &[("email", "member@example.com"), ("role", "member")],
    )
    .await;
    let (status, html) = member.get_html(&page).await;
    assert_eq!(status, 200);
    assert!(select_all(&html, "[data-testid^=advance-]").is_empty());
    assert_eq!(move_clock(&member, ws, &[("step", "1d")]).await.status().as_u16(), 403);
    let after = app.with_db(|conn| {
        use tollgate::sandbox::schema::sandbox_test_clocks;
        sandbox_test_clocks::table.select(sandbox_test_clocks::frozen_time).load::<chrono::NaiveDateTime>(conn).unwrap()
    });
    assert_eq!(before, after, "nothing moved");
    let anonymous = app.new_browser();
    assert!(location(&anonymous.get(&page).await).starts_with("/login"));
}

#[actix_web::test]
async fn with_a_real_provider_there_is_no_clock_page() {
    let app = spawn_app_with(|vars| {
        vars.insert("BILLING_PROVIDER".into(), "stripe".into());
        vars.insert("STRIPE_SECRET_KEY".into(), "sk_test_123".into());
        vars.insert("STRIPE_WEBHOOK_SECRET".into(), "whsec_123".into());
    })
    .await;
    let ws = app.signup("real@example.com").await;
    assert_eq!(app.get(&format!("/w/{ws}/billing/clock")).await.status().as_u16(), 404);
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, "[data-testid=test-clock-link]").is_empty());
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    let token = select_attr(&html, "input[name=csrf_token]", "value")[0].clone();
    let res = app.post_raw(&format!("/w/{ws}/billing/clock"), &[("csrf_token", &token), ("step", "1d")]).await;
    assert_eq!(res.status().as_u16(), 404);
}

#[actix_web::test]
async fn a_clock_at_the_largest_date_leaves_its_pages_working_even_after_a_restart() {
    use reqwest::Method;
    let app = spawn_app().await;
    let ws = app.signup("far@example.com").await;
    let latest = tollgate::sandbox::time::unix(tollgate::sandbox::time::latest()).to_string();
    let (_, clock) =
        crate::sandbox::api(&app, Method::POST, "test_helpers/test_clocks", &[("frozen_time", &latest)]).await;
    let clock = clock["id"].as_str().unwrap().to_owned();
    let (_, customer) = crate::sandbox::api(&app, Method::POST, "customers", &[("test_clock", &clock)]).await;
    app.with_db(|conn| {
        use tollgate::schema::workspaces;
        diesel::update(workspaces::table.find(ws))
            .set((
                workspaces::provider_customer_id.eq(customer["id"].as_str().unwrap()),
                workspaces::billing_provider.eq(tollgate::domain::normalized::Provider::Stripe),
            ))
            .execute(conn)
            .unwrap()
    });
    let res = move_clock(&app, ws, &[("step", "1d")]).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(select_all(&res.text().await.unwrap(), "[data-testid=clock-error]")[0].contains("outside the times"));
    for path in [format!("/w/{ws}/billing/clock"), format!("/w/{ws}/billing")] {
        assert_eq!(app.get_html(&path).await.0, 200, "{path}");
    }
    jobs::run_all(&app.state).await.unwrap();

    let config = tollgate::config::Config::from_vars(&base_vars(&app.state.config.database_url)).unwrap();
    let again = tollgate::startup::Application::build(config).await.expect("starts again");
    drop(again);
    let other = app.new_browser();
    let theirs = starter(&other, "after@example.com", GOOD).await;
    assert_eq!(other.plan_code(theirs), "starter", "later checkouts still work");
}
