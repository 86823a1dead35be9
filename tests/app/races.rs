//! The success redirect racing the webhook, a failing handler followed by redelivery, and
//! Stripe's answers (to a question, a comparison or a change) racing webhooks, with Tollgate on
//! the real Stripe provider pointed at a fake Stripe whose answers the test scripts — so the
//! order of events is the test's to choose.

use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::schema::{checkout_sessions, credit_ledger};

use crate::common::*;
use crate::stripe_provider::{FakeStripe, checkout_answer, subscription_answer};
use crate::stripe_shapes::{Sub, event, now, subscription as stripe_subscription};

pub(crate) async fn stripe_app(stripe: &FakeStripe) -> TestApp {
    spawn_app_with(|vars| {
        vars.insert("BILLING_PROVIDER".into(), "stripe".into());
        vars.insert("STRIPE_SECRET_KEY".into(), "sk_test_fake_key".into());
        vars.insert("STRIPE_WEBHOOK_SECRET".into(), WEBHOOK_SECRET.into());
        vars.insert("STRIPE_API_BASE".into(), stripe.base.clone());
    })
    .await
}

pub(crate) fn subscription(ws: i64) -> Value {
    let mut sub = subscription_answer(false);
    sub["customer"] = json!("cus_race");
    sub["metadata"] = json!({ "workspace_id": ws.to_string() });
    sub["items"]["data"][0]["current_period_end"] = json!(now() + 30 * 86_400);
    sub["items"]["data"][0]["current_period_start"] = json!(now() - 60);
    sub
}

/// The completed checkout as Stripe answers it; `expanded` embeds the subscription.
fn session(ws: i64, expanded: bool) -> Value {
    let mut s = checkout_answer();
    s["status"] = json!("complete");
    s["payment_status"] = json!("paid");
    s["mode"] = json!("subscription");
    s["customer"] = json!("cus_race");
    s["client_reference_id"] = json!(ws.to_string());
    s["metadata"] = json!({ "workspace_id": ws.to_string(), "tollgate_kind": "plan", "tollgate_code": "starter" });
    s["subscription"] = if expanded { subscription(ws) } else { json!("sub_1") };
    s
}

/// The checkout as Tollgate recorded it when it created it.
pub(crate) fn recorded(app: &TestApp, ws: i64) {
    app.record_checkout("stripe", ws, "cs_test_1", Bought { purchase: "plan", code: "starter", subscription_id: None });
}

pub(crate) fn completed_event(ws: i64) -> String {
    event("evt_checkout_race", "checkout.session.completed", now(), session(ws, false))
}

pub(crate) fn counts(app: &TestApp, ws: i64) -> (i64, i64) {
    app.with_db(|conn| {
        let fulfilled = checkout_sessions::table
            .filter(checkout_sessions::fulfilled_at.is_not_null())
            .count()
            .get_result(conn)
            .unwrap();
        let resets = credit_ledger::table
            .filter(credit_ledger::workspace_id.eq(ws))
            .filter(credit_ledger::reason.like("monthly credits reset%"))
            .count()
            .get_result(conn)
            .unwrap();
        (fulfilled, resets)
    })
}

async fn success_page(app: &TestApp, ws: i64) {
    let res = app.get("/billing/success?session_id=cs_test_1").await;
    assert_eq!(location(&res), format!("/w/{ws}/billing"));
    let (_, html) = app.get_html(&format!("/w/{ws}/billing")).await;
    assert_eq!(select_all(&html, ".notice-success"), ["Welcome to Starter! Your workspace has been upgraded."]);
}

#[actix_web::test]
async fn redirect_then_webhook_activates_once() {
    let stripe = FakeStripe::start().await;
    let app = stripe_app(&stripe).await;
    let ws = app.signup("redirect-first@example.com").await;
    recorded(&app, ws);

    stripe.reply(200, session(ws, true));
    success_page(&app, ws).await;
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(counts(&app, ws), (1, 1));

    stripe.reply(200, subscription(ws)); // the webhook asks for the subscription's state
    let res = app.post_stripe(&completed_event(ws)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(counts(&app, ws), (1, 1), "no second fulfilment, no second credit grant");
}

#[actix_web::test]
async fn webhook_then_redirect_activates_once() {
    let stripe = FakeStripe::start().await;
    let app = stripe_app(&stripe).await;
    let ws = app.signup("webhook-first@example.com").await;
    recorded(&app, ws);

    stripe.reply(200, subscription(ws));
    let res = app.post_stripe(&completed_event(ws)).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(counts(&app, ws), (1, 1));

    stripe.reply(200, session(ws, true));
    success_page(&app, ws).await; // still welcomed, nothing granted twice
    assert_eq!(counts(&app, ws), (1, 1));
}

#[actix_web::test]
async fn a_failing_handler_answers_500_keeps_the_event_and_redelivery_succeeds() {
    let stripe = FakeStripe::start().await;
    let app = stripe_app(&stripe).await;
    let ws = app.signup("flaky@example.com").await;
    recorded(&app, ws);
    let body = completed_event(ws);

    stripe.reply(503, r#"{"error":{"type":"api_error","message":"Stripe is having a moment"}}"#);
    let res = app.post_stripe(&body).await;
    assert_eq!(res.status().as_u16(), 500);
    assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    assert_eq!(app.plan_code(ws), "free", "nothing applied");
    let e = &app.events()[0];
    assert_eq!((e.status.as_str(), e.attempts), ("failed", 1));
    assert!(e.error.as_deref().unwrap().contains("fetching subscription sub_1"), "{:?}", e.error);
    assert!(e.processed_at.is_none() && e.next_attempt_at.is_some());
    assert_eq!(e.payload, body);

    // Stripe redelivers; this time it answers.
    stripe.reply(200, subscription(ws));
    let res = app.post_stripe(&body).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.plan_code(ws), "starter");
    let e = &app.events()[0];
    assert_eq!((e.status.as_str(), e.attempts, e.error.as_deref()), ("processed", 2, None));
    assert!(e.processed_at.is_some());
    assert_eq!(counts(&app, ws), (1, 1));
}

/// The subscription `sub_1` of the races below as of `t`, scheduled to cancel or not.
fn cancelling(ws: i64, t: i64, cancel: bool) -> Value {
    with_status(ws, t, "active", cancel)
}

fn with_status(ws: i64, t: i64, status: &'static str, cancel: bool) -> Value {
    let (start, end) = (t - 60, t + 30 * 86_400);
    let sub = Sub {
        id: "sub_1",
        customer: "cus_race",
        workspace_id: ws,
        status,
        price: "price_starter_monthly",
        period_start: start,
        period_end: end,
        cancel_at_period_end: cancel,
        trial_end: None,
    };
    stripe_subscription(&sub)
}

/// A workspace on Stripe's `sub_1`, created at `t` (ten seconds ago) and not cancelling.
async fn subscribed_on_stripe(stripe: &FakeStripe, email: &str) -> (TestApp, i64, i64) {
    let app = stripe_app(stripe).await;
    let ws = app.signup(email).await;
    app.record_plan_checkout(ws, "sub_1", "starter");
    let t = now() - 10;
    let created = event("evt_created", "customer.subscription.created", t, cancelling(ws, t, false));
    assert_eq!(app.post_stripe(&created).await.status().as_u16(), 200);
    assert!(!app.workspace(ws).cancel_at_period_end);
    (app, ws, t)
}

/// Waits until Tollgate has asked Stripe something (the answer is held back).
async fn until_asked(stripe: &FakeStripe) {
    while stripe.requests().is_empty() {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// An event from the second the state was applied in conflicts with it, so Tollgate asks
/// Stripe. Stripe answers with the cancellation, but a newer change (the resume) is written
/// before that answer is: the answer is older than what is stored, so it must not be applied
/// over it; Tollgate asks again.
#[actix_web::test]
async fn an_answer_older_than_a_write_made_while_asking_is_not_applied() {
    let stripe = FakeStripe::start().await;
    let (app, ws, t) = subscribed_on_stripe(&stripe, "asked-while-resumed@example.com").await;

    stripe.hold(true);
    stripe.reply(200, cancelling(ws, t, true)); // as Stripe was when asked
    stripe.reply(200, cancelling(ws, t, false)); // as it is once resumed
    let cancel = event("evt_cancel", "customer.subscription.updated", t, cancelling(ws, t, true));
    let resume = event("evt_resume", "customer.subscription.updated", t + 1, cancelling(ws, t, false));
    let ambiguous = app.post_stripe(&cancel);
    let meanwhile = async {
        until_asked(&stripe).await;
        // Tollgate waits for Stripe's answer: the resume is applied meanwhile.
        assert_eq!(app.post_stripe(&resume).await.status().as_u16(), 200);
        assert!(!app.workspace(ws).cancel_at_period_end);
        stripe.hold(false);
    };
    let (res, ()) = tokio::join!(ambiguous, meanwhile);
    assert_eq!(res.status().as_u16(), 200);
    assert!(!app.workspace(ws).cancel_at_period_end, "the resume stands");
    let asked: Vec<String> = stripe.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(asked, ["GET /v1/subscriptions/sub_1"], "asked once more, after the resume");
}

/// Reconciling asks Stripe while a webhook is applied: Stripe's answer (not yet cancelling)
/// is older than the cancellation written meanwhile, so the comparison heals nothing and the
/// cancellation stands; the next comparison asks again.
#[actix_web::test]
async fn a_reconcile_answer_older_than_a_write_made_while_asking_is_not_applied() {
    use tollgate::domain::ids::WorkspaceId;
    use tollgate::services::reconcile::{Scope, reconcile};

    let stripe = FakeStripe::start().await;
    let (app, ws, t) = subscribed_on_stripe(&stripe, "reconciled-while-cancelled@example.com").await;

    stripe.hold(true);
    stripe.reply(200, cancelling(ws, t, false)); // as Stripe was when asked
    let cancel = event("evt_cancel", "customer.subscription.updated", t + 1, cancelling(ws, t, true));
    let compared = reconcile(&app.state, Scope::Workspace(WorkspaceId(ws)), "test");
    let meanwhile = async {
        until_asked(&stripe).await;
        assert_eq!(app.post_stripe(&cancel).await.status().as_u16(), 200);
        assert!(app.workspace(ws).cancel_at_period_end);
        stripe.hold(false);
    };
    let (report, ()) = tokio::join!(compared, meanwhile);
    let report = report.unwrap();
    assert_eq!((report.checked, report.healed.len(), report.failures.len()), (1, 0, 0), "{}", report.summary());
    assert!(app.workspace(ws).cancel_at_period_end, "the cancellation stands");
}

/// Cancels `ws`'s subscription from the billing page's form.
async fn cancel_from_billing_page(app: &TestApp, ws: i64) -> reqwest::Response {
    // The token is read from a page that does not ask Stripe anything.
    let token = app.csrf_token("/pricing").await;
    app.post_raw(&format!("/w/{ws}/subscription/cancel"), &[("csrf_token", token.as_str())]).await
}

/// Cancels from the billing page while Stripe holds its answers back, and applies a webhook
/// sent after the cancel (the renewal payment failed) while the answer is awaited.
async fn cancel_while_a_payment_fails(stripe: &FakeStripe, app: &TestApp, ws: i64, t: i64) -> reqwest::Response {
    let failed = event("evt_failed", "customer.subscription.updated", now(), with_status(ws, t, "past_due", true));
    let cancel = cancel_from_billing_page(app, ws);
    let meanwhile = async {
        until_asked(stripe).await;
        assert_eq!(app.post_stripe(&failed).await.status().as_u16(), 200);
        let status = app.workspace(ws).subscription_status.map(|s| s.as_str());
        assert_eq!(status, Some("past_due"), "the webhook is applied while the answer is awaited");
        stripe.hold(false);
    };
    let (res, ()) = tokio::join!(cancel, meanwhile);
    res
}

/// Stripe answers the cancel as of when it cancelled; while Tollgate waits for that answer, a
/// webhook sent after it is applied. The answer may be older than that webhook, so it is not
/// applied over it: Tollgate asks for the subscription again, and applies what Stripe says by
/// then (the payment retried and went through).
#[actix_web::test]
async fn a_cancel_answer_does_not_undo_a_webhook_applied_while_it_was_awaited() {
    let stripe = FakeStripe::start().await;
    let (app, ws, t) = subscribed_on_stripe(&stripe, "cancel-answer-race@example.com").await;

    stripe.hold(true);
    stripe.reply(200, cancelling(ws, t, true)); // the answer to the cancel
    stripe.reply(200, cancelling(ws, t, true)); // asked again, once paid
    let res = cancel_while_a_payment_fails(&stripe, &app, ws, t).await;
    assert_eq!(res.status().as_u16(), 303);
    let asked: Vec<String> = stripe.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(asked, ["GET /v1/subscriptions/sub_1"], "asked once more, after the webhook");
    let after = app.workspace(ws);
    assert_eq!(after.subscription_status.map(|s| s.as_str()), Some("active"), "as Stripe said when asked again");
    assert!(after.cancel_at_period_end);
}

/// As above, but asking again fails: the cancel went through at Stripe, so it is reported
/// done, and the webhook's state stands until Stripe's own events arrive.
#[actix_web::test]
async fn a_failed_second_question_leaves_the_webhook_standing_and_the_cancel_done() {
    let stripe = FakeStripe::start().await;
    let (app, ws, t) = subscribed_on_stripe(&stripe, "cancel-answer-refetch-fails@example.com").await;

    stripe.hold(true);
    stripe.reply(200, cancelling(ws, t, true));
    stripe.reply(404, json!({ "error": { "type": "invalid_request_error", "message": "No such subscription" } }));
    let res = cancel_while_a_payment_fails(&stripe, &app, ws, t).await;
    assert_eq!(res.status().as_u16(), 303, "the cancel is reported done");
    let after = app.workspace(ws);
    assert_eq!(after.subscription_status.map(|s| s.as_str()), Some("past_due"));
    assert!(after.cancel_at_period_end);
}

/// With nothing written while Stripe answers, the answer is applied as it is: one request.
#[actix_web::test]
async fn a_cancel_answer_is_applied_when_nothing_was_written_meanwhile() {
    let stripe = FakeStripe::start().await;
    let (app, ws, t) = subscribed_on_stripe(&stripe, "cancel-answer-alone@example.com").await;

    stripe.reply(200, cancelling(ws, t, true));
    assert_eq!(cancel_from_billing_page(&app, ws).await.status().as_u16(), 303);
    assert!(app.workspace(ws).cancel_at_period_end);
    let asked: Vec<String> = stripe.requests().into_iter().map(|r| format!("{} {}", r.method, r.path)).collect();
    assert_eq!(asked, ["POST /v1/subscriptions/sub_1"]);
}
