//! Fair monthly credits over time, through provider webhooks and the jobs: an annual plan
//! month by month, a mid-cycle upgrade's prorated difference, downgrades, cancellations,
//! refunds and paused trials capped at the new plan's grant, credits expiring with their
//! cycle while purchased ones stay, and a past-due period waiting for its payment.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use serde_json::json;
use tollgate::schema::credit_ledger;
use tollgate::services::jobs;

use crate::api_support::*;
use crate::common::*;
use crate::stripe_shapes::*;

fn rows_like(app: &TestApp, ws: i64, pattern: &str) -> i64 {
    app.with_db(|conn| {
        credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(ws))
            .filter(credit_ledger::reason.like(pattern))
            .count()
            .get_result(conn)
            .unwrap()
    })
}

async fn post(app: &TestApp, body: &str) {
    assert_eq!(app.post_stripe(body).await.status().as_u16(), 200);
}

#[actix_web::test]
async fn an_annual_plan_grants_its_monthly_credits_month_by_month() {
    let app = spawn_app().await;
    let ws = app.signup("annual@example.com").await;
    app.record_plan_checkout(ws, "sub_y", "starter");
    let start = now() - 40 * DAY;
    let end = (chrono::DateTime::from_timestamp(start, 0).unwrap() + chrono::Months::new(12)).timestamp();
    post(
        &app,
        &sub_event(
            "evt_y",
            "customer.subscription.created",
            now() - 60,
            ws,
            "sub_y",
            "active",
            "price_starter_yearly",
            (start, end),
        ),
    )
    .await;
    assert_eq!(app.balance(ws).0, 2000, "one month's credits, not twelve");
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 1500);

    let (_, body) = app.api_get("/api/v1/entitlements", Auth::Session).await;
    assert_eq!(body["period"]["kind"], "subscription");
    let period = chrono::DateTime::parse_from_rfc3339(body["period"]["end"].as_str().unwrap()).unwrap()
        - chrono::DateTime::parse_from_rfc3339(body["period"]["start"].as_str().unwrap()).unwrap();
    assert!((28..=31).contains(&period.num_days()), "a monthly slice of the year: {period:?}");

    let grant = |days: i64| {
        app.with_db(|conn| jobs::settle_subscription_cycles(conn, Utc::now() + TimeDelta::days(days)).unwrap())
    };
    assert_eq!(grant(0), 0, "this month is granted");
    assert_eq!(app.balance(ws).0, 500);
    assert_eq!(grant(31), 1, "next month's credits arrive on the plan's own cycle");
    assert_eq!(app.balance(ws).0, 2000, "leftovers expire; the bucket is the monthly amount");
    assert_eq!(grant(31), 0, "once per month");
    assert_eq!(grant(62), 1);
    assert_eq!(app.balance(ws).0, 2000);
    assert_eq!(rows_like(&app, ws, "monthly credits reset%"), 3);
}

#[actix_web::test]
async fn an_upgrade_mid_cycle_grants_the_prorated_difference_once() {
    let app = spawn_app().await;
    let ws = app.signup("prorate@example.com").await;
    app.record_plan_checkout(ws, "sub_p", "starter");
    let period = (now() - 15 * DAY, now() + 15 * DAY);
    post(
        &app,
        &sub_event(
            "evt_s",
            "customer.subscription.created",
            now() - 60,
            ws,
            "sub_p",
            "active",
            "price_starter_monthly",
            period,
        ),
    )
    .await;
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 500);
    let upgrade = sub_event(
        "evt_up",
        "customer.subscription.updated",
        now() - 30,
        ws,
        "sub_p",
        "active",
        "price_pro_monthly",
        period,
    );
    post(&app, &upgrade).await;
    assert_eq!(app.plan_code(ws), "pro");
    let monthly = app.balance(ws).0;
    // 1,500 left + about half of (5,000 − 2,000): not a whole new 5,000.
    assert!((2900..=3060).contains(&monthly), "{monthly}");
    assert_eq!(rows_like(&app, ws, "monthly credits prorated%"), 1);
    post(&app, &upgrade.replace("evt_up", "evt_up_again")).await;
    assert_eq!(app.balance(ws).0, monthly, "granted once");
}

#[actix_web::test]
async fn a_period_end_downgrade_opens_the_next_cycle_at_the_lower_grant() {
    let app = spawn_app().await;
    let ws = app.signup("down@example.com").await;
    app.record_plan_checkout(ws, "sub_d", "pro");
    let first = (now() - 29 * DAY, now() + DAY);
    post(
        &app,
        &sub_event(
            "evt_p",
            "customer.subscription.created",
            now() - 60,
            ws,
            "sub_d",
            "active",
            "price_pro_monthly",
            first,
        ),
    )
    .await;
    assert_eq!(app.balance(ws).0, 5000);
    let renewal = (now() + DAY, now() + 31 * DAY);
    post(
        &app,
        &sub_event(
            "evt_r",
            "customer.subscription.updated",
            now() - 30,
            ws,
            "sub_d",
            "active",
            "price_starter_monthly",
            renewal,
        ),
    )
    .await;
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(app.balance(ws).0, 2000, "never more than the new plan grants");
}

#[actix_web::test]
async fn a_refund_and_cancellation_cap_monthly_credits_at_the_free_grant() {
    let app = spawn_app().await;
    let ws = app.signup("refund@example.com").await;
    app.record_plan_checkout(ws, "sub_r", "pro");
    let period = (now() - DAY, now() + 29 * DAY);
    post(
        &app,
        &sub_event(
            "evt_c",
            "customer.subscription.created",
            now() - 60,
            ws,
            "sub_r",
            "active",
            "price_pro_monthly",
            period,
        ),
    )
    .await;
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 200);
    let refund =
        event("evt_refund", "charge.refunded", now() - 20, charge("ch_1", &format!("cus_{ws}"), "pi_sub", 5000, 5000));
    post(&app, &refund).await;
    post(
        &app,
        &sub_event(
            "evt_del",
            "customer.subscription.deleted",
            now() - 10,
            ws,
            "sub_r",
            "canceled",
            "price_pro_monthly",
            period,
        ),
    )
    .await;
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(app.balance(ws).0, 100, "4,800 Pro credits do not outlive Pro");
    assert_eq!(app.with_db(|conn| jobs::reset_free_monthly_credits(conn).unwrap()), 0, "no second grant this month");
    assert_eq!(app.balance(ws).0, 100);
}

#[actix_web::test]
async fn a_paused_trial_drops_to_free_and_keeps_at_most_frees_credits() {
    let app = spawn_app().await;
    let ws = app.signup("paused@example.com").await;
    app.record_plan_checkout(ws, "sub_t", "pro");
    let trial = (now() - 14 * DAY, now() - 60);
    post(
        &app,
        &sub_event(
            "evt_t",
            "customer.subscription.created",
            now() - 100 * 60,
            ws,
            "sub_t",
            "trialing",
            "price_pro_monthly",
            trial,
        ),
    )
    .await;
    assert_eq!(app.balance(ws).0, 5000);
    post(
        &app,
        &sub_event(
            "evt_pause",
            "customer.subscription.updated",
            now() - 30,
            ws,
            "sub_t",
            "paused",
            "price_pro_monthly",
            trial,
        ),
    )
    .await;
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(app.balance(ws).0, 100, "Free's 100, not Pro's 5,000");

    // Spent down, a paused workspace is not refilled this month by the jobs.
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 70);
    app.with_db(|conn| {
        jobs::reset_free_monthly_credits(conn).unwrap();
        jobs::settle_subscription_cycles(conn, Utc::now()).unwrap();
    });
    assert_eq!(app.balance(ws).0, 30);
}

#[actix_web::test]
async fn monthly_credits_expire_with_their_cycle_and_purchased_ones_carry_over() {
    let app = spawn_app().await;
    let ws = app.signup("expiry@example.com").await;
    app.record_plan_checkout(ws, "sub_e", "pro");
    let period = (now() - 10 * DAY, now() + 20 * DAY);
    post(
        &app,
        &sub_event(
            "evt_e",
            "customer.subscription.created",
            now() - 60,
            ws,
            "sub_e",
            "active",
            "price_pro_monthly",
            period,
        ),
    )
    .await;
    let bought = Bought { purchase: "credit_pack", code: "credits_500", subscription_id: None };
    app.record_checkout("stripe", ws, "cs_pack_e", bought);
    let pack = checkout_session(&Checkout {
        id: "cs_pack_e",
        workspace_id: ws,
        mode: "payment",
        customer: &format!("cus_{ws}"),
        subscription: None,
        payment_intent: Some("pi_pack_e"),
        kind: "credit_pack",
        code: "credits_500",
        amount: 999,
    });
    post(&app, &event("evt_pack_e", "checkout.session.completed", now() - 50, pack)).await;
    assert_eq!(app.balance(ws), (5000, 500));

    // The period ends and no renewal has been heard of: the job lapses the cycle's credits.
    let after_end = Utc::now() + TimeDelta::days(21);
    assert_eq!(app.with_db(|conn| jobs::settle_subscription_cycles(conn, after_end).unwrap()), 1);
    assert_eq!(app.balance(ws), (0, 500));
    assert_eq!(rows_like(&app, ws, "monthly credits expired%"), 1);
    let token = app.meta_csrf(ws).await;
    let res = app
        .api_post(
            "/api/v1/credits/consume",
            Auth::Session,
            &json!({"amount": 10, "idempotency_key": "after-end"}),
            Some(&token),
        )
        .await;
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!((body["from_monthly"].as_i64(), body["from_purchased"].as_i64()), (Some(0), Some(10)), "{body}");
    assert_eq!(app.balance(ws), (0, 490));

    // The renewal is paid: a new cycle, and the pack's credits are still there.
    let next = (period.1, period.1 + 30 * DAY);
    post(&app, &invoice_event("evt_renew_e", ws, "sub_e", "paid", "price_pro_monthly", next)).await;
    assert_eq!(app.balance(ws), (5000, 490));
    app.assert_ledger_matches(ws);
}

#[actix_web::test]
async fn a_past_due_period_waits_for_its_payment() {
    let app = spawn_app().await;
    let ws = app.signup("pastdue@example.com").await;
    app.record_plan_checkout(ws, "sub_pd", "pro");
    let old = (now() - 30 * DAY, now() - 3600);
    post(
        &app,
        &sub_event(
            "evt_a",
            "customer.subscription.created",
            now() - 7200,
            ws,
            "sub_pd",
            "active",
            "price_pro_monthly",
            old,
        ),
    )
    .await;
    assert_eq!(app.balance(ws).0, 5000);
    let new = (now() - 3600, now() + 30 * DAY);
    post(
        &app,
        &sub_event(
            "evt_pd",
            "customer.subscription.updated",
            now() - 60,
            ws,
            "sub_pd",
            "past_due",
            "price_pro_monthly",
            new,
        ),
    )
    .await;
    assert_eq!(app.plan_code(ws), "pro", "features are kept in grace");
    assert_eq!(app.balance(ws).0, 0, "the unpaid period's credits wait; the old ones lapsed");
    post(&app, &invoice_event("evt_paid", ws, "sub_pd", "paid", "price_pro_monthly", new)).await;
    assert_eq!(app.workspace(ws).subscription_status.map(|s| s.as_str()), Some("active"));
    assert_eq!(app.balance(ws).0, 5000);
}

#[actix_web::test]
async fn a_new_month_replaces_last_months_free_credits_before_anything_reads_them() {
    let app = spawn_app().await;
    let ws = app.signup("rollover@example.com").await;
    let token = app.meta_csrf(ws).await;
    let res = app
        .api_post(
            "/api/v1/credits/consume",
            Auth::Session,
            &json!({"amount": 40, "idempotency_key": "m1"}),
            Some(&token),
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    // Pretend the sign-up grant was last month's.
    app.with_db(|conn| {
        diesel::update(credit_ledger::table.filter(credit_ledger::idempotency_key.like("%free-month%")))
            .set(credit_ledger::idempotency_key.eq("last-month"))
            .execute(conn)
            .unwrap()
    });
    let (_, body) = app.api_get("/api/v1/credits", Auth::Session).await;
    assert_eq!(body["balances"]["monthly"], 100, "{body}");
    assert_eq!(body["period"]["kind"], "calendar");
    assert_eq!(body["ledger"][0]["reason"], "monthly credits for a new month");
}
