//! Billing correctness on the Stripe path, with signed Stripe-shaped events: a failed
//! proration, a cancel date beyond the period end, a paid invoice never reopened, an unpaid
//! trial, and a deleted subscription never returning.

use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::billing::Provider;
use tollgate::schema::{invoices, workspaces};
use tollgate::services::jobs;

use crate::common::*;
use crate::stripe_shapes::*;

pub(crate) fn sub_json(ws: i64, id: &str, status: &str, price: &str, period_end: i64) -> Value {
    subscription(&Sub {
        id,
        customer: "cus_rules",
        workspace_id: ws,
        status,
        price,
        period_start: now() - DAY,
        period_end,
        cancel_at_period_end: false,
        trial_end: None,
    })
}

pub(crate) fn inv_json(ws: i64, id: &str, sub: &str, status: &str, price: &str, reason: &str) -> Value {
    invoice(&Inv {
        id,
        customer: "cus_rules",
        subscription: sub,
        workspace_id: ws,
        status,
        amount: 5000,
        price,
        period_start: now(),
        period_end: now() + 30 * DAY,
        billing_reason: reason,
    })
}

async fn post_ok(app: &TestApp, body: &str) -> Value {
    let res = app.post_stripe(body).await;
    assert_eq!(res.status().as_u16(), 200, "{body}");
    res.json().await.unwrap()
}

fn invoice_rows(app: &TestApp, ws: i64) -> Vec<(String, String, i64)> {
    app.with_db(|conn| {
        invoices::table
            .filter(invoices::workspace_id.eq(ws))
            .select((invoices::provider_invoice_id, invoices::status, invoices::amount_paid_minor))
            .order(invoices::id.asc())
            .load(conn)
            .unwrap()
    })
}

#[actix_web::test]
async fn a_failed_proration_changes_nothing_whatever_the_order() {
    // With no grace at all, a wrong past-due would show at once as a drop to Free.
    let app = spawn_app_with(|vars| {
        vars.insert("GRACE_PERIOD_DAYS".into(), "0".into());
    })
    .await;
    for (n, failure_first) in [(1, true), (2, false)] {
        let browser = app.new_browser();
        let ws = browser.signup(&format!("proration{n}@example.com")).await;
        let sub_id = format!("sub_proration_{n}");
        app.record_plan_checkout(ws, &sub_id, "starter");
        let start = sub_json(ws, &sub_id, "active", "price_starter_monthly", now() + 29 * DAY);
        post_ok(&app, &event(&format!("evt_start_{n}"), "customer.subscription.created", now() - 100, start)).await;
        // The upgrade to Pro is declined and parked: the invoice fails, the subscription keeps
        // Starter with a `pending_update`.
        let proration =
            inv_json(ws, &format!("in_proration_{n}"), &sub_id, "open", "price_pro_monthly", "subscription_update");
        let failed = event(&format!("evt_failed_{n}"), "invoice.payment_failed", now() - 10, proration);
        let mut parked = sub_json(ws, &sub_id, "active", "price_starter_monthly", now() + 29 * DAY);
        parked["pending_update"] = json!({"expires_at": now() + 3600, "subscription_items": []});
        let updated = event(&format!("evt_parked_{n}"), "customer.subscription.updated", now() - 10, parked);
        let order = if failure_first { [&failed, &updated] } else { [&updated, &failed] };
        for body in order {
            post_ok(&app, body).await;
        }
        let w = app.workspace(ws);
        assert_eq!(app.plan_code(ws), "starter", "order {n}");
        assert_eq!(
            (w.subscription_status.map(|s| s.as_str()), w.grace_until, w.past_due_since),
            (Some("active"), None, None),
            "order {n}"
        );
        let failure = app.events().into_iter().find(|e| e.event_id == format!("evt_failed_{n}")).unwrap();
        assert_eq!(failure.status.as_str(), "ignored");
        assert!(failure.error.unwrap().contains("failed proration"));
        let (_, html) = browser.get_html(&format!("/w/{ws}/billing")).await;
        assert!(select_all(&html, ".banner").is_empty(), "no payment-failed banner: {html}");
        assert_eq!(select_all(&html, "[data-testid=plan-status]"), ["Active"]);
    }
}

#[actix_web::test]
async fn a_cancel_date_beyond_the_period_end_is_kept_and_renewals_before_it_count() {
    let app = spawn_app().await;
    let ws = app.signup("cancelat@example.com").await;
    app.record_plan_checkout(ws, "sub_cancel_at", "pro");
    let start = sub_json(ws, "sub_cancel_at", "active", "price_pro_monthly", now() + 29 * DAY);
    post_ok(&app, &event("evt_ca_1", "customer.subscription.created", now() - 100, start)).await;
    // A schedule (or a custom cancel date, or a flexible-mode cancel) ends it in 90 days.
    let ends = now() + 90 * DAY;
    let mut scheduled = sub_json(ws, "sub_cancel_at", "active", "price_pro_monthly", now() + 29 * DAY);
    scheduled["cancel_at"] = json!(ends);
    scheduled["cancel_at_period_end"] = json!(false);
    post_ok(&app, &event("evt_ca_2", "customer.subscription.updated", now() - 90, scheduled)).await;
    let w = app.workspace(ws);
    assert!(w.cancel_at_period_end);
    assert_eq!(w.cancel_at.map(|t| t.and_utc().timestamp()), Some(ends));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    let end_date = chrono::DateTime::from_timestamp(ends, 0).unwrap().format("%-d %b %Y").to_string();
    let notice = select_all(&html, "#subscription .notice-info");
    assert_eq!(notice, [format!("Your subscription ends on {end_date}. Pro stays available until then.")]);
    assert!(html.contains("Next billing date"), "it renews before it ends");

    // The period ends without the provider ending anything: the safety net waits for the real end.
    let period_ended = tollgate::models::now() - chrono::TimeDelta::hours(3);
    app.with_db(|conn| {
        diesel::update(workspaces::table.find(ws))
            .set(workspaces::current_period_end.eq(period_ended))
            .execute(conn)
            .unwrap();
        assert_eq!(jobs::end_lapsed_cancellations(conn, Provider::Stripe).unwrap(), 0);
    });
    assert_eq!(app.plan_code(ws), "pro");

    // The renewal charge before the real end is an ordinary renewal.
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 1000);
    // Its period is the month after the one that ended, as Stripe bills it (a period that
    // merely ends a day later than the last one would be the same credit cycle on some dates).
    let next_end = period_ended.and_utc().checked_add_months(chrono::Months::new(1)).unwrap();
    let renewal = invoice(&Inv {
        id: "in_renewal",
        customer: "cus_rules",
        subscription: "sub_cancel_at",
        workspace_id: ws,
        status: "paid",
        amount: 5000,
        price: "price_pro_monthly",
        period_start: period_ended.and_utc().timestamp(),
        period_end: next_end.timestamp(),
        billing_reason: "subscription_cycle",
    });
    assert_eq!(post_ok(&app, &event("evt_ca_3", "invoice.paid", now() - 50, renewal)).await["status"], "processed");
    assert_eq!(app.credits(ws).0, 5000, "the new period's credits");
    assert!(app.workspace(ws).current_period_end.unwrap() > tollgate::models::now());

    // Once the real end is past, the safety net ends it.
    app.with_db(|conn| {
        diesel::update(workspaces::table.find(ws))
            .set(workspaces::cancel_at.eq(tollgate::models::now() - chrono::TimeDelta::hours(3)))
            .execute(conn)
            .unwrap();
        assert_eq!(jobs::end_lapsed_cancellations(conn, Provider::Stripe).unwrap(), 1);
    });
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), w.subscription_status.map(|s| s.as_str())), ("free", Some("canceled")));
}

#[actix_web::test]
async fn a_stale_payment_failure_never_reopens_a_paid_invoice() {
    let app = spawn_app().await;
    let ws = app.signup("paidrow@example.com").await;
    app.record_plan_checkout(ws, "sub_paidrow", "pro");
    let start = sub_json(ws, "sub_paidrow", "active", "price_pro_monthly", now() + 29 * DAY);
    post_ok(&app, &event("evt_pr_1", "customer.subscription.created", now() - 100, start)).await;
    let paid = inv_json(ws, "in_row", "sub_paidrow", "paid", "price_pro_monthly", "subscription_cycle");
    post_ok(&app, &event("evt_pr_2", "invoice.paid", now() - 10, paid)).await;
    // The earlier failed attempt of the same invoice arrives late.
    let failed = inv_json(ws, "in_row", "sub_paidrow", "open", "price_pro_monthly", "subscription_cycle");
    let outcome = post_ok(&app, &event("evt_pr_3", "invoice.payment_failed", now() - 60, failed)).await;
    assert_eq!(outcome["status"], "ignored");
    assert_eq!(invoice_rows(&app, ws), [("in_row".to_owned(), "paid".to_owned(), 5000)]);
    assert_eq!(app.workspace(ws).subscription_status.map(|s| s.as_str()), Some("active"), "state ignored it too");
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_all(&html, "tbody .status"), ["paid"]);
    // A newer invoice still records normally.
    let next = inv_json(ws, "in_next", "sub_paidrow", "open", "price_pro_monthly", "subscription_cycle");
    post_ok(&app, &event("evt_pr_4", "invoice.finalized", now() - 5, next)).await;
    assert_eq!(invoice_rows(&app, ws).len(), 2);
}

#[actix_web::test]
async fn a_trial_that_ends_unpaid_gets_no_grace() {
    let app = spawn_app().await;
    let ws = app.signup("trialunpaid@example.com").await;
    app.record_plan_checkout(ws, "sub_trial", "pro");
    let mut trial = sub_json(ws, "sub_trial", "trialing", "price_pro_monthly", now() + 29 * DAY);
    trial["trial_end"] = json!(now() - 60);
    post_ok(&app, &event("evt_tu_1", "customer.subscription.created", now() - 100, trial)).await;
    assert_eq!(app.plan_code(ws), "pro");
    let first = inv_json(ws, "in_first", "sub_trial", "open", "price_pro_monthly", "subscription_cycle");
    post_ok(&app, &event("evt_tu_2", "invoice.payment_failed", now() - 30, first)).await;
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), w.subscription_status.map(|s| s.as_str())), ("free", Some("past_due")));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert!(select_all(&html, ".banner")[0].contains("Update your payment method to restore your plan."));
    // Paying the invoice restores Pro.
    let paid = inv_json(ws, "in_first", "sub_trial", "paid", "price_pro_monthly", "subscription_cycle");
    post_ok(&app, &event("evt_tu_3", "invoice.paid", now() - 20, paid)).await;
    assert_eq!(app.plan_code(ws), "pro");
}

#[actix_web::test]
async fn a_deleted_stripe_subscription_never_returns() {
    let app = spawn_app().await;
    let ws = app.signup("noreturn@example.com").await;
    app.record_plan_checkout(ws, "sub_gone", "pro");
    let start = sub_json(ws, "sub_gone", "active", "price_pro_monthly", now() + 29 * DAY);
    post_ok(&app, &event("evt_nr_1", "customer.subscription.created", now() - 100, start)).await;
    let gone = sub_json(ws, "sub_gone", "canceled", "price_pro_monthly", now() + 29 * DAY);
    post_ok(&app, &event("evt_nr_2", "customer.subscription.deleted", now() - 50, gone)).await;
    // Even a newer "active" snapshot (which Stripe never sends) does not bring it back.
    let back = sub_json(ws, "sub_gone", "active", "price_pro_monthly", now() + 29 * DAY);
    let outcome = post_ok(&app, &event("evt_nr_3", "customer.subscription.updated", now() - 10, back)).await;
    assert_eq!(outcome["status"], "ignored");
    assert_eq!(app.plan_code(ws), "free");
}
