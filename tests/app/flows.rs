//! The whole billing journey through Tollgate's own pages, against the sandbox provider:
//! upgrade → hosted checkout → pay → success → plan; declines; portal cancellation and the
//! clock; failed renewals; plan changes; credit packs and add-ons; success-page forgery.

use crate::common::*;
use crate::sandbox::{DECLINED, FAILS_LATER, GOOD, advance_to_renewal};

/// Starts a checkout from the billing page; returns the hosted page's path on the sandbox.
pub(crate) async fn start(app: &TestApp, ws: i64, action: &str, fields: &[(&str, &str)]) -> String {
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/{action}"), fields).await;
    assert_eq!(res.status().as_u16(), 303, "{action}");
    let to = location(&res);
    let path = to.strip_prefix(&app.address).unwrap_or(&to).to_owned();
    assert!(path.starts_with("/sandbox/checkout/cs_"), "{path}");
    path
}

/// Pays on the hosted page; returns the success path the browser is sent back to.
pub(crate) async fn pay(app: &TestApp, checkout: &str, card: &str) -> reqwest::Response {
    app.post_form(checkout, &format!("{checkout}/pay"), &[("card", card)]).await
}

pub(crate) async fn upgrade(app: &TestApp, ws: i64, plan: &str, card: &str) -> String {
    let checkout = start(app, ws, "checkout", &[("plan", plan), ("interval", "month")]).await;
    let res = pay(app, &checkout, card).await;
    assert_eq!(res.status().as_u16(), 303);
    let success = location(&res);
    let success = success.strip_prefix(&app.address).unwrap().to_owned();
    assert!(success.starts_with("/billing/success?session_id=cs_"), "{success}");
    success
}

fn fulfilments(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    use tollgate::schema::checkout_sessions as cs;
    app.with_db(|conn| cs::table.filter(cs::fulfilled_at.is_not_null()).count().get_result(conn).unwrap())
}

/// Moves the workspace's customer's test clock to its next renewal.
pub(crate) async fn renew(app: &TestApp, ws: i64) {
    let customer = app.workspace(ws).provider_customer_id.expect("the workspace has a customer");
    advance_to_renewal(app, &customer).await;
}

#[actix_web::test]
async fn upgrade_pay_and_land_on_the_plan_once() {
    let app = spawn_app().await;
    let ws = app.signup("upgrade@example.com").await;
    let success = upgrade(&app, ws, "starter", GOOD).await;
    // The sandbox delivered its webhooks before redirecting: the plan is already granted.
    assert_eq!(app.plan_code(ws), "starter");

    let res = app.get(&success).await;
    assert_eq!(location(&res), format!("/w/{ws}/billing"));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_all(&html, ".notice-success"), ["Welcome to Starter! Your workspace has been upgraded."]);
    assert_eq!(select_all(&html, "[data-testid=current-plan]"), ["Starter"]);
    assert_eq!(select_all(&html, "[data-testid=plan-status]"), ["Active"]);
    assert!(html.contains("Next billing date"));
    assert_eq!(select_all(&html, "tbody tr").len(), 1, "the first invoice is listed");

    let w = app.workspace(ws);
    assert_eq!(w.subscription_status.map(|s| s.as_str()), Some("active"));
    assert!(w.current_period_end.unwrap() > tollgate::models::now());
    assert!(w.provider_customer_id.as_deref().unwrap().starts_with("cus_"));
    assert!(
        app.events().iter().all(|e| e.status.as_str() == "processed" || e.status.as_str() == "ignored"),
        "{:?}",
        app.events()
    );

    // Reloading the success page changes nothing twice.
    let res = app.get(&success).await;
    assert_eq!(location(&res), format!("/w/{ws}/billing"));
    assert_eq!(fulfilments(&app), 1);
    assert_eq!(app.credits(ws).0, 2000, "Starter's monthly credits, granted once");
}

#[actix_web::test]
async fn a_pro_checkout_starts_the_trial_once() {
    let app = spawn_app().await;
    let ws = app.signup("trial@example.com").await;
    app.get(&upgrade(&app, ws, "pro", GOOD).await).await;
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), w.subscription_status.map(|s| s.as_str())), ("pro", Some("trialing")));
    assert!(w.had_trial && w.trial_end.is_some());
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(html.contains("Your free trial ends on"));
}

#[actix_web::test]
async fn a_declined_card_changes_nothing() {
    let app = spawn_app().await;
    let ws = app.signup("declined@example.com").await;
    let checkout = start(&app, ws, "checkout", &[("plan", "starter"), ("interval", "month")]).await;
    let res = pay(&app, &checkout, DECLINED).await;
    assert_eq!(res.status().as_u16(), 402, "Stripe's status for a declined card");
    assert!(res.text().await.unwrap().to_lowercase().contains("declined"));
    assert_eq!(app.plan_code(ws), "free");
    assert!(app.events().is_empty());
    assert_eq!(fulfilments(&app), 0);
}

#[actix_web::test]
async fn cancel_in_the_portal_keeps_the_plan_until_the_period_ends() {
    let app = spawn_app().await;
    let ws = app.signup("portal@example.com").await;
    app.get(&upgrade(&app, ws, "starter", GOOD).await).await;

    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/portal"), &[]).await;
    let portal = location(&res);
    let portal = portal.strip_prefix(&app.address).unwrap().to_owned();
    assert!(portal.starts_with("/sandbox/portal/"), "{portal}");
    let (_, html) = app.get_html(&portal).await;
    let cancel = select_attr(&html, "form[action$='/cancel']", "action");
    assert_eq!(cancel.len(), 1, "{html}");
    app.post_form(&portal, &cancel[0], &[]).await;

    let w = app.workspace(ws);
    assert!(w.cancel_at_period_end);
    assert_eq!(app.plan_code(ws), "starter", "access continues until the period ends");
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".notice-info")[0].contains("Your subscription ends on"), "{html}");
    assert_eq!(select_all(&html, "form[action$='/subscription/resume'] button"), ["Resume subscription"]);

    renew(&app, ws).await;
    let w = app.workspace(ws);
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(
        (w.subscription_status.map(|s| s.as_str()), w.provider_subscription_id.as_deref()),
        (Some("canceled"), None)
    );
    assert!(w.provider_customer_id.is_some(), "the customer is kept for a later upgrade");
}

#[actix_web::test]
async fn cancel_and_resume_from_the_billing_page() {
    let app = spawn_app().await;
    let ws = app.signup("resume@example.com").await;
    app.get(&upgrade(&app, ws, "starter", GOOD).await).await;
    let billing = format!("/w/{ws}/billing");
    let res = app.post_form(&billing, &format!("/w/{ws}/subscription/cancel"), &[]).await;
    assert_eq!(location(&res), billing);
    assert!(app.workspace(ws).cancel_at_period_end);
    let (_, html) = app.get_html(&billing).await;
    assert!(
        select_all(&html, ".notice-success")[0].starts_with("Your subscription is cancelled. You keep Starter until")
    );

    app.post_form(&billing, &format!("/w/{ws}/subscription/resume"), &[]).await;
    assert!(!app.workspace(ws).cancel_at_period_end);
    renew(&app, ws).await;
    assert_eq!(app.plan_code(ws), "starter", "renewed, not ended");
}

#[actix_web::test]
async fn a_card_that_fails_at_renewal_puts_the_workspace_past_due() {
    let app = spawn_app().await;
    let ws = app.signup("pastdue@example.com").await;
    app.get(&upgrade(&app, ws, "starter", FAILS_LATER).await).await;
    assert_eq!(app.workspace(ws).subscription_status.map(|s| s.as_str()), Some("active"));
    renew(&app, ws).await;
    let w = app.workspace(ws);
    assert_eq!(w.subscription_status.map(|s| s.as_str()), Some("past_due"));
    assert!(w.grace_until.is_some());
    assert_eq!(app.plan_code(ws), "starter", "kept during the grace period");
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_all(&html, ".banner button"), ["Fix payment"]);
}

#[actix_web::test]
async fn upgrades_apply_when_paid_and_downgrades_wait_for_the_period_end() {
    let app = spawn_app().await;
    let ws = app.signup("change@example.com").await;
    app.get(&upgrade(&app, ws, "starter", GOOD).await).await;
    let billing = format!("/w/{ws}/billing");

    let res = app.post_form(&billing, &format!("/w/{ws}/plan"), &[("plan", "pro"), ("interval", "month")]).await;
    assert_eq!(location(&res), billing);
    assert_eq!(app.plan_code(ws), "pro");
    let (_, html) = app.get_html(&billing).await;
    assert_eq!(select_all(&html, ".notice-success"), ["You're now on Pro. The prorated difference has been charged."]);

    app.post_form(&billing, &format!("/w/{ws}/plan"), &[("plan", "starter"), ("interval", "month")]).await;
    assert_eq!(app.plan_code(ws), "pro", "kept until the period ends");
    let (_, html) = app.get_html(&billing).await;
    assert!(select_all(&html, ".notice-success")[0].starts_with("Your plan changes to Starter on"));
    assert!(select_all(&html, ".notice-info")[0].starts_with("Changes to Starter on"), "{html}");

    renew(&app, ws).await;
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(app.workspace(ws).scheduled_plan_id, None);
}

#[actix_web::test]
async fn a_declined_proration_leaves_the_workspace_where_it_was() {
    let app = spawn_app().await;
    let ws = app.signup("nocharge@example.com").await;
    app.get(&upgrade(&app, ws, "starter", FAILS_LATER).await).await;
    let billing = format!("/w/{ws}/billing");
    app.post_form(&billing, &format!("/w/{ws}/plan"), &[("plan", "pro"), ("interval", "month")]).await;
    assert_eq!(app.plan_code(ws), "starter");
    let (_, html) = app.get_html(&billing).await;
    assert!(select_all(&html, ".notice-error")[0].contains("declined"));
}

#[actix_web::test]
async fn credit_packs_and_add_ons_are_bought_and_granted_once() {
    let app = spawn_app().await;
    let ws = app.signup("extras@example.com").await;
    let checkout = start(&app, ws, "credits/credits_500/checkout", &[]).await;
    let success = location(&pay(&app, &checkout, GOOD).await);
    let success = success.strip_prefix(&app.address).unwrap().to_owned();
    app.get(&success).await;
    app.get(&success).await;
    assert_eq!(app.credits(ws), (100, 500));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".meter").iter().any(|m| m.contains("500")));

    let checkout = start(&app, ws, "addons/custom_domain/checkout", &[]).await;
    let success = location(&pay(&app, &checkout, GOOD).await);
    app.get(success.strip_prefix(&app.address).unwrap()).await;
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(html.contains("custom_domain/cancel"), "an active add-on can be cancelled");
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/addons/custom_domain/cancel"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".badge").iter().any(|b| b.starts_with("Ends ")), "{html}");
    assert_eq!(app.plan_code(ws), "free", "add-ons and packs leave the plan alone");
}

#[actix_web::test]
async fn forged_unknown_unpaid_and_foreign_checkouts_change_nothing() {
    let app = spawn_app().await;
    let ws = app.signup("victim@example.com").await;
    for id in ["cs_forged_123", "", "..%2F..%2Fetc"] {
        let res = app.get(&format!("/billing/success?session_id={id}")).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(status, 400, "{id}: {body}");
        assert!(select_all(&body, "p.lead")[0].starts_with("We couldn't find that checkout"), "{body}");
    }
    // Started but not paid.
    let checkout = start(&app, ws, "checkout", &[("plan", "starter"), ("interval", "month")]).await;
    let id = checkout.trim_start_matches("/sandbox/checkout/");
    let res = app.get(&format!("/billing/success?session_id={id}")).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(res.text().await.unwrap().contains("has not been paid"));

    // Someone else's paid checkout, presented by another signed-in user.
    let other = app.new_browser();
    let other_ws = other.signup("other@example.com").await;
    let success = upgrade(&other, other_ws, "starter", GOOD).await;
    let res = app.get(&success).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(app.plan_code(ws), "free");

    // Signed out: sign in first, then the check happens.
    let anonymous = app.new_browser();
    let res = anonymous.get(&success).await;
    assert!(location(&res).starts_with("/login?next=/billing/success"));
}
