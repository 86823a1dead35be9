//! Plan changes through Tollgate's own pages: undoing a scheduled downgrade (sandbox), and
//! billing-interval changes against the fake Stripe and the fake Chargebee: yearly → monthly
//! waits for the paid year, monthly → yearly starts now.

use diesel::prelude::*;
use serde_json::json;
use tollgate::billing::BillingProvider;
use tollgate::schema::invoices;

use crate::chargebee_provider::fake::{FakeChargebee, subscription as cb_subscription, subscription_answer};
use crate::chargebee_webhooks::{ACTIVATED, basic, chargebee_app_at, subscription_event};
use crate::common::*;
use crate::flows::{renew, upgrade};
use crate::sandbox::{GOOD, provider};
use crate::stripe_billing_rules::sub_json;
use crate::stripe_provider::{FakeStripe, fields};
use crate::stripe_provider_changes::{on_price, schedule_answer};
use crate::stripe_shapes::{event, now};

async fn choose(app: &TestApp, ws: i64, plan: &str, interval: &str) -> String {
    let billing = format!("/w/{ws}/billing");
    let res = app.post_form(&billing, &format!("/w/{ws}/plan"), &[("plan", plan), ("interval", interval)]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, billing.clone()), "{plan} {interval}");
    let (_, html) = app.get_html(&billing).await;
    select_all(&html, ".flash, .notice-success, .notice-error").into_iter().next().unwrap_or_default()
}

fn invoice_count(app: &TestApp, ws: i64) -> i64 {
    app.with_db(|conn| invoices::table.filter(invoices::workspace_id.eq(ws)).count().get_result(conn).unwrap())
}

#[actix_web::test]
async fn a_scheduled_downgrade_is_undone_by_choosing_the_current_plan_again() {
    let app = spawn_app().await;
    let ws = app.signup("undo@example.com").await;
    app.get(&upgrade(&app, ws, "starter", GOOD).await).await;
    choose(&app, ws, "pro", "month").await;
    assert_eq!(app.plan_code(ws), "pro");
    choose(&app, ws, "starter", "month").await;
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".notice-info")[0].starts_with("Changes to Starter on"), "{html}");
    assert_eq!(select_all(&html, "[data-testid=keep-plan] button"), ["Keep Pro"]);
    let invoices_before = invoice_count(&app, ws);

    // Choosing Pro monthly again is not "already on that plan": it keeps Pro.
    let notice = choose(&app, ws, "pro", "month").await;
    assert_eq!(notice, "You're staying on Pro. The scheduled change to Starter is cancelled.");
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), w.scheduled_plan_id, w.scheduled_interval), ("pro", None, None));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".notice-info").iter().all(|n| !n.contains("Changes to")), "{html}");
    assert!(select_all(&html, "[data-testid=keep-plan]").is_empty());
    assert_eq!(invoice_count(&app, ws), invoices_before, "nothing was charged");
    let sub = provider(&app).fetch_subscription(w.provider_subscription_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(sub.price_ids, ["price_pro_monthly"], "the provider bills Pro again");

    // The renewal stays on Pro.
    renew(&app, ws).await;
    assert_eq!(app.plan_code(ws), "pro");
}

async fn stripe_app(stripe: &FakeStripe) -> TestApp {
    let base = stripe.base.clone();
    spawn_app_with(|vars| {
        vars.insert("BILLING_PROVIDER".into(), "stripe".into());
        vars.insert("STRIPE_SECRET_KEY".into(), "sk_test_fake_key".into());
        vars.insert("STRIPE_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into());
        vars.insert("STRIPE_API_BASE".into(), base);
    })
    .await
}

#[actix_web::test]
async fn stripe_yearly_to_monthly_waits_for_the_paid_year_and_can_be_kept() {
    let stripe = FakeStripe::start().await;
    let app = stripe_app(&stripe).await;
    let ws = app.signup("yearly@example.com").await;
    app.record_plan_checkout(ws, "sub_1", "pro");
    let yearly = sub_json(ws, "sub_1", "active", "price_pro_yearly", now() + 300 * 86_400);
    assert_eq!(
        app.post_stripe(&event("evt_y", "customer.subscription.created", now() - 60, yearly)).await.status(),
        200
    );

    stripe.reply(200, on_price("price_pro_yearly", None));
    stripe.reply(200, schedule_answer("sub_sched_1"));
    stripe.reply(200, schedule_answer("sub_sched_1"));
    let notice = choose(&app, ws, "pro", "month").await;
    assert!(notice.starts_with("Your plan changes to monthly billing on"), "{notice}");
    let sent = stripe.requests();
    let calls: Vec<String> = sent.iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(
        calls,
        [
            "GET /v1/subscriptions/sub_1",
            "POST /v1/subscription_schedules",
            "POST /v1/subscription_schedules/sub_sched_1"
        ]
    );
    assert_eq!(sent[2].form.get("phases[1][items][0][price]").map(String::as_str), Some("price_pro_monthly"));
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), w.billing_interval.map(|i| i.as_str())), ("pro", Some("year")));
    assert_eq!(w.scheduled_interval.map(|i| i.as_str()), Some("month"));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".notice-info")[0].starts_with("Changes to Pro (monthly billing) on"), "{html}");

    // Keep Pro yearly: the schedule is released, nothing is charged.
    stripe.reply(200, on_price("price_pro_yearly", Some("sub_sched_1")));
    stripe.reply(200, schedule_answer("sub_sched_1"));
    let notice = choose(&app, ws, "pro", "year").await;
    assert_eq!(notice, "You're staying on Pro. The scheduled change to monthly billing is cancelled.");
    let calls: Vec<String> = stripe.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(calls, ["GET /v1/subscriptions/sub_1", "POST /v1/subscription_schedules/sub_sched_1/release"]);
    let w = app.workspace(ws);
    assert_eq!((w.scheduled_plan_id, w.scheduled_interval), (None, None));
}

#[actix_web::test]
async fn stripe_monthly_to_yearly_starts_a_new_cycle_now() {
    let stripe = FakeStripe::start().await;
    let app = stripe_app(&stripe).await;
    let ws = app.signup("monthly@example.com").await;
    app.record_plan_checkout(ws, "sub_1", "starter");
    let monthly = sub_json(ws, "sub_1", "active", "price_starter_monthly", now() + 20 * 86_400);
    assert_eq!(
        app.post_stripe(&event("evt_m", "customer.subscription.created", now() - 60, monthly)).await.status(),
        200
    );

    stripe.reply(200, on_price("price_starter_monthly", None));
    stripe.reply(200, on_price("price_starter_yearly", None));
    let notice = choose(&app, ws, "starter", "year").await;
    assert_eq!(notice, "You're now on Starter. The prorated difference has been charged.");
    let sent = stripe.requests();
    assert_eq!(
        sent[1].form,
        fields(&[
            ("items[0][id]", "si_1"),
            ("items[0][price]", "price_starter_yearly"),
            ("proration_behavior", "always_invoice"),
            ("payment_behavior", "pending_if_incomplete"),
            ("billing_cycle_anchor[type]", "now"),
        ])
    );
    let w = app.workspace(ws);
    assert_eq!((w.billing_interval.map(|i| i.as_str()), w.scheduled_plan_id), (Some("year"), None));
}

#[actix_web::test]
async fn chargebee_yearly_to_monthly_waits_for_the_end_of_term_and_can_be_kept() {
    let (fake, base) = FakeChargebee::start_server().await;
    let app = chargebee_app_at(true, false, &base).await;
    let ws = app.signup("cbyearly@example.com").await;
    app.record_chargebee_checkout(ws, "pro");
    let auth = basic("hook", "s3cret pass");
    let activated = subscription_event(ACTIVATED, "ev_cy", ws, "pro-USD-Yearly", true, now() - 60);
    assert_eq!(app.post_chargebee(&activated, Some(&auth)).await.status(), 200);
    let sub_id = format!("cb_sub_{ws}");

    let mut scheduled = cb_subscription(&sub_id, "active", &["pro-USD-Yearly"]);
    scheduled["has_scheduled_changes"] = json!(true);
    let path = format!("subscriptions/{sub_id}");
    fake.answer("POST", &format!("{path}/update_for_items"), 200, subscription_answer(scheduled.clone()));
    choose(&app, ws, "pro", "month").await;
    let sent = fake.requests();
    assert_eq!(sent[0].form().get("change_option").map(String::as_str), Some("end_of_term"));
    let w = app.workspace(ws);
    assert_eq!(
        (w.billing_interval.map(|i| i.as_str()), w.scheduled_interval.map(|i| i.as_str())),
        (Some("year"), Some("month"))
    );

    fake.answer("GET", &path, 200, subscription_answer(scheduled));
    let mut cleared = cb_subscription(&sub_id, "active", &["pro-USD-Yearly"]);
    cleared["has_scheduled_changes"] = json!(false);
    fake.answer("POST", &format!("{path}/remove_scheduled_changes"), 200, subscription_answer(cleared));
    choose(&app, ws, "pro", "year").await;
    let calls: Vec<String> = fake.requests().into_iter().skip(1).map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(calls, [format!("GET /api/v2/{path}"), format!("POST /api/v2/{path}/remove_scheduled_changes")]);
    let w = app.workspace(ws);
    assert_eq!((w.scheduled_plan_id, w.scheduled_interval), (None, None));
    assert_eq!(app.plan_code(ws), "pro");
}
