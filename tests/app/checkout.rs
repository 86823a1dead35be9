//! Starting a checkout: who may, what is refused with which message, rate limits, and
//! the portal for a workspace that has nothing to manage yet.

use crate::common::*;
use crate::stripe_shapes::*;

async fn checkout(app: &TestApp, ws: i64, plan: &str, interval: &str) -> reqwest::Response {
    app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/checkout"), &[("plan", plan), ("interval", interval)])
        .await
}

#[actix_web::test]
async fn refused_checkouts_explain_why_and_reach_no_provider() {
    let app = spawn_app().await;
    let ws = app.signup("buyer@example.com").await;
    for (plan, interval, status, message) in [
        ("platinum", "month", 404, "couldn't find"),
        ("free", "month", 422, "free plan needs no checkout"),
        ("enterprise", "month", 422, "contact sales"),
        ("pro", "fortnight", 400, "monthly or annual"),
    ] {
        let res = checkout(&app, ws, plan, interval).await;
        assert_eq!(res.status().as_u16(), status, "{plan}/{interval}");
        let html = res.text().await.unwrap();
        assert!(select_all(&html, "p.lead")[0].contains(message), "{plan}: {html}");
    }
    app.with_db(|conn| {
        use diesel::prelude::*;
        use tollgate::schema::plans;
        diesel::update(plans::table.filter(plans::code.eq("starter")))
            .set(plans::is_active.eq(false))
            .execute(conn)
            .unwrap();
    });
    let res = checkout(&app, ws, "starter", "month").await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("no longer offered"));
}

#[actix_web::test]
async fn a_subscribed_workspace_is_sent_to_change_plan_instead() {
    let app = spawn_app().await;
    let ws = app.signup("subscribed@example.com").await;
    app.record_plan_checkout(ws, "sub_x", "starter");
    let sub = Sub {
        id: "sub_x",
        customer: "cus_x",
        workspace_id: ws,
        status: "active",
        price: "price_starter_monthly",
        period_start: now() - DAY,
        period_end: now() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: None,
    };
    app.post_stripe(&event("evt_x", "customer.subscription.created", now(), subscription(&sub))).await;
    let res = checkout(&app, ws, "pro", "month").await;
    assert_eq!(res.status().as_u16(), 409);
    assert!(res.text().await.unwrap().contains("Change your plan"));
    // …and the page offers exactly that: the upgrade form posts to the plan change.
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_attr(&html, "article[data-plan=pro] form", "action"), [format!("/w/{ws}/plan")]);
    assert_eq!(select_all(&html, "article[data-plan=pro] form button"), ["Upgrade to Pro"]);
}

#[actix_web::test]
async fn only_owners_and_admins_start_checkouts_and_forms_need_the_token() {
    let app = spawn_app().await;
    let ws = app.signup("owner@example.com").await;
    app.set_plan(ws, "starter");
    let member = app.new_browser();
    member.signup("member@example.com").await;
    app.post_form(
        &format!("/w/{ws}/settings"),
        &format!("/w/{ws}/members"),
        &[("email", "member@example.com"), ("role", "member")],
    )
    .await;
    let res = checkout(&member, ws, "pro", "month").await;
    assert_eq!(res.status().as_u16(), 403);
    let res =
        member.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/credits/credits_500/checkout"), &[]).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = app.post_raw(&format!("/w/{ws}/checkout"), &[("plan", "pro"), ("interval", "month")]).await;
    assert_eq!(res.status().as_u16(), 403, "no CSRF token");
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/addons/no_such_addon/checkout"), &[]).await;
    assert_eq!(res.status().as_u16(), 404);
}

#[actix_web::test]
async fn checkout_creation_is_rate_limited_per_workspace() {
    let app = spawn_app().await;
    let ws = app.signup("hasty@example.com").await;
    for _ in 0..10 {
        let res = checkout(&app, ws, "pro", "month").await;
        assert_ne!(res.status().as_u16(), 429);
    }
    let res = checkout(&app, ws, "pro", "month").await;
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(res.headers()["retry-after"], "60");
    assert!(res.text().await.unwrap().contains("Too many requests"));
}

#[actix_web::test]
async fn the_portal_sends_a_workspace_without_customer_to_upgrade() {
    let app = spawn_app().await;
    let ws = app.signup("noportal@example.com").await;
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/portal"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/pricing");
    let (_, html) = app.get_html("/pricing").await;
    assert!(select_all(&html, ".notice-info")[0].contains("choose a plan"));
}

#[actix_web::test]
async fn cancelled_checkout_returns_to_pricing_with_a_notice() {
    let app = spawn_app().await;
    app.signup("undecided@example.com").await;
    let res = app.get("/billing/cancelled").await;
    assert_eq!(location(&res), "/pricing");
    let (_, html) = app.get_html("/pricing").await;
    assert!(select_all(&html, ".notice-info")[0].contains("nothing was charged"));
}
