//! The sandbox driven through the real Stripe provider (the app's own `state.billing`, whose
//! base URL points at `/sandbox/`), the hosted pages over HTTP like a browser, and each
//! customer's test clock through Stripe's test-clock API. Events are checked as stored and as
//! `parse_stripe_event` reads them.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use tollgate::billing::stripe::StripeProvider;
use tollgate::billing::stripe_events::parse_stripe_event;
use tollgate::billing::{Billing, BillingProvider, CheckoutRequest, Purchase, metadata};
use tollgate::domain::normalized::{CheckoutMode, EventKind, NormalizedEvent, SubscriptionStatus};
use tollgate::sandbox::events::Event;

use crate::common::{TestApp, location, select_all, spawn_app};
pub use crate::sandbox_catalog::api;

pub const GOOD: &str = "4242 4242 4242 4242";
pub const DECLINED: &str = "4000 0000 0000 0002";
pub const FAILS_LATER: &str = "4000 0000 0000 0341";
const WORKSPACE: i64 = 42;

pub fn provider(app: &TestApp) -> &StripeProvider {
    match &app.state.billing {
        Billing::Stripe(p) => p,
        _ => panic!("the sandbox runs the Stripe provider"),
    }
}

pub fn plan_checkout(code: &str, price: &str, trial_days: Option<u32>) -> CheckoutRequest {
    CheckoutRequest {
        purchase: Purchase::Plan,
        workspace_id: WORKSPACE,
        code: code.to_owned(),
        price_id: price.to_owned(),
        customer_id: None,
        email: "owner@example.com".to_owned(),
        trial_days,
        subscription_id: None,
    }
}

/// Creates a checkout, pays it on the hosted page with `card`; returns the session id.
pub async fn buy(app: &TestApp, request: &CheckoutRequest, card: &str) -> String {
    let page = provider(app).create_checkout(request).await.unwrap();
    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();
    let res = app.post_form(&path, &format!("{path}/pay"), &[("card", card)]).await;
    assert_eq!(res.status().as_u16(), 303, "paying with {card} completes the checkout");
    assert_eq!(location(&res), format!("{}/billing/success?session_id={}", app.address, page.id));
    page.id
}

/// Buys a monthly plan price with `card`; returns the subscription id.
pub async fn buy_for_test(app: &TestApp, price: &str, card: &str) -> String {
    let id = buy(app, &plan_checkout("plan", price, None), card).await;
    provider(app).confirm_checkout(&id).await.unwrap().subscription.unwrap().id
}

/// Buys Pro monthly with `card`; returns (customer id, subscription id).
async fn subscribe(app: &TestApp, card: &str) -> (String, String) {
    let id = buy(app, &plan_checkout("pro", "price_pro_monthly", None), card).await;
    let confirmed = provider(app).confirm_checkout(&id).await.unwrap();
    let sub = confirmed.subscription.unwrap();
    (confirmed.checkout.customer_id.unwrap(), sub.id)
}

pub fn stored_events(app: &TestApp) -> Vec<Event> {
    app.with_db(|conn| Event::all(conn).unwrap())
}

pub fn parsed(app: &TestApp) -> Vec<NormalizedEvent> {
    stored_events(app).iter().map(|e| parse_stripe_event(e.payload.as_bytes()).unwrap()).collect()
}

pub fn types(app: &TestApp) -> Vec<String> {
    stored_events(app).into_iter().map(|e| e.event_type).collect()
}

/// The test clock a customer lives on (the app creates every sandbox customer on one).
pub async fn clock_of(app: &TestApp, customer: &str) -> Value {
    let (status, customer) = api(app, reqwest::Method::GET, &format!("customers/{customer}"), &[]).await;
    assert_eq!(status, 200, "{customer}");
    let id = customer["test_clock"].as_str().expect("the customer is on a test clock").to_owned();
    api(app, reqwest::Method::GET, &format!("test_helpers/test_clocks/{id}"), &[]).await.1
}

/// Moves a customer's test clock to `to` (unix seconds); returns the clock as answered.
pub async fn advance_to(app: &TestApp, customer: &str, to: i64) -> Value {
    let clock = clock_of(app, customer).await;
    let path = format!("test_helpers/test_clocks/{}/advance", clock["id"].as_str().unwrap());
    let (status, clock) = api(app, reqwest::Method::POST, &path, &[("frozen_time", &to.to_string())]).await;
    assert_eq!(status, 200, "{clock}");
    assert_eq!(clock["status"], "ready", "the sandbox finishes an advance before answering");
    clock
}

/// Moves a customer's test clock `days` forward.
pub async fn advance_days(app: &TestApp, customer: &str, days: i64) -> Value {
    let now = clock_of(app, customer).await["frozen_time"].as_i64().unwrap();
    advance_to(app, customer, now + days * 86_400).await
}

/// Moves a customer's test clock to the end of its earliest live subscription period.
pub async fn advance_to_renewal(app: &TestApp, customer: &str) -> Value {
    let subs = provider(app).list_subscriptions(customer).await.unwrap();
    let live = [SubscriptionStatus::Trialing, SubscriptionStatus::Active, SubscriptionStatus::PastDue];
    let next = subs
        .iter()
        .filter(|s| s.status.is_some_and(|st| live.contains(&st)))
        .filter_map(|s| s.current_period_end)
        .min()
        .expect("a live subscription");
    advance_to(app, customer, next.timestamp()).await
}

#[actix_web::test]
async fn checkout_page_pay_and_confirm() {
    let app = spawn_app().await;
    let page = provider(&app).create_checkout(&plan_checkout("pro", "price_pro_monthly", None)).await.unwrap();
    assert!(page.url.starts_with(&format!("{}/sandbox/checkout/cs_test_", app.address)), "{}", page.url);

    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();
    let (status, html) = app.get_html(&path).await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-testid=product]"), ["Pro"]);
    assert_eq!(select_all(&html, "[data-testid=price]"), ["$50.00 / month"]);
    assert!(select_all(&html, "[data-testid=sandbox-banner]")[0].contains("Sandbox — test mode"));
    assert_eq!(select_all(&html, "[data-testid=test-cards] tr").len(), 3);
    // The session's sandbox form token, for paying a second time once the page has no form.
    let token = app.csrf_token(&path).await;

    let res = app.post_form(&path, &format!("{path}/pay"), &[("card", GOOD)]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("{}/billing/success?session_id={}", app.address, page.id));

    let confirmed = provider(&app).confirm_checkout(&page.id).await.unwrap();
    assert!(confirmed.is_paid());
    assert_eq!(confirmed.workspace_id(), Some(WORKSPACE));
    assert_eq!(confirmed.purchase(), Some(Purchase::Plan));
    assert_eq!(confirmed.checkout.mode, Some(CheckoutMode::Subscription));
    assert_eq!(confirmed.checkout.payment_status.as_deref(), Some("paid"));
    assert_eq!(confirmed.checkout.amount_total_minor, Some(5000));
    let sub = confirmed.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert_eq!(sub.price_ids, ["price_pro_monthly"]);
    assert_eq!(sub.metadata.get(metadata::WORKSPACE_ID).map(String::as_str), Some("42"));
    let end = sub.current_period_end.unwrap();
    assert!(end > Utc::now() + Duration::days(27) && end < Utc::now() + Duration::days(32), "{end}");

    assert_eq!(types(&app), ["customer.subscription.created", "invoice.paid", "checkout.session.completed"]);
    let events = parsed(&app);
    assert!(events.iter().all(|e| e.workspace_ref.as_deref() == Some("42")), "{events:?}");
    let created = events[0].subscription.as_ref().unwrap();
    assert_eq!((events[0].kind, created.status), (EventKind::SubscriptionUpdated, Some(SubscriptionStatus::Active)));
    assert_eq!(created.current_period_end, Some(end));
    let invoice = events[1].invoice.as_ref().unwrap();
    assert_eq!(events[1].kind, EventKind::InvoicePaid);
    assert_eq!(invoice.subscription_id.as_deref(), Some(sub.id.as_str()));
    assert_eq!((invoice.amount_paid_minor, invoice.billing_reason.as_deref()), (5000, Some("subscription_create")));
    assert_eq!(invoice.line_period_end, Some(end));
    assert_eq!(invoice.price_ids, ["price_pro_monthly"]);
    let checkout = events[2].checkout.as_ref().unwrap();
    assert_eq!(events[2].kind, EventKind::CheckoutCompleted);
    assert_eq!(checkout.client_reference_id.as_deref(), Some("42"));
    assert_eq!(checkout.subscription_id.as_deref(), Some(sub.id.as_str()));
    assert_eq!(checkout.metadata.get(metadata::KIND).map(String::as_str), Some("plan"));
    assert_eq!(checkout.metadata.get(metadata::CODE).map(String::as_str), Some("pro"));

    // Each event was attempted (answered 404 here: the webhook endpoint is not on this branch).
    assert!(stored_events(&app).iter().all(|e| e.attempts == 1 && e.last_status.is_some()));
    // Paying again (a double click) lands on the same page and changes nothing.
    let res = app.post_raw(&format!("{path}/pay"), &[("csrf_token", &token), ("card", GOOD)]).await;
    assert_eq!(location(&res), format!("{}/billing/success?session_id={}", app.address, page.id));
    assert_eq!(stored_events(&app).len(), 3);

    // The completed page now only offers to continue.
    let (_, html) = app.get_html(&path).await;
    assert_eq!(select_all(&html, "[data-testid=closed]").len(), 1);
}

#[actix_web::test]
async fn trial_checkout_starts_trialing_without_charge() {
    let app = spawn_app().await;
    let id = buy(&app, &plan_checkout("pro", "price_pro_monthly", Some(14)), GOOD).await;
    let confirmed = provider(&app).confirm_checkout(&id).await.unwrap();
    let customer = confirmed.checkout.customer_id.clone().unwrap();
    assert!(confirmed.is_paid());
    assert_eq!(confirmed.checkout.payment_status.as_deref(), Some("no_payment_required"));
    let sub = confirmed.subscription.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Trialing));
    let trial_end = sub.trial_end.unwrap();
    assert!((trial_end - (Utc::now() + Duration::days(14))).num_seconds().abs() < 60);
    assert_eq!(sub.current_period_end, Some(trial_end));

    // The trial ends: the first real charge, and the subscription becomes active.
    let before = types(&app).len();
    advance_to_renewal(&app, &customer).await;
    assert_eq!(types(&app)[before..], ["customer.subscription.updated", "invoice.paid"], "one thing happened");
    let sub = provider(&app).fetch_subscription(&sub.id).await.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    let paid = parsed(&app).into_iter().rfind(|e| e.kind == EventKind::InvoicePaid).unwrap();
    assert_eq!(paid.invoice.as_ref().map(|i| i.amount_paid_minor), Some(5000));
}

#[actix_web::test]
async fn declined_card_shows_the_decline_and_changes_nothing() {
    let app = spawn_app().await;
    let page = provider(&app).create_checkout(&plan_checkout("pro", "price_pro_monthly", None)).await.unwrap();
    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();

    let res = app.post_form(&path, &format!("{path}/pay"), &[("card", DECLINED)]).await;
    assert_eq!(res.status().as_u16(), 402);
    let html = res.text().await.unwrap();
    assert!(select_all(&html, "[data-testid=error]")[0].contains("declined"));

    let res = app.post_form(&path, &format!("{path}/pay"), &[("card", "1234 5678")]).await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(select_all(&res.text().await.unwrap(), "[data-testid=error]")[0].contains("test cards"));

    let confirmed = provider(&app).confirm_checkout(&page.id).await.unwrap();
    assert_eq!(confirmed.checkout.status.as_deref(), Some("open"));
    assert_eq!(confirmed.checkout.payment_status.as_deref(), Some("unpaid"));
    assert!(!confirmed.is_paid() && confirmed.subscription.is_none());
    assert!(stored_events(&app).is_empty());
}

#[actix_web::test]
async fn portal_cancel_at_period_end_then_clock_ends_the_subscription() {
    let app = spawn_app().await;
    let (customer, sub_id) = subscribe(&app, GOOD).await;
    let portal = provider(&app).create_portal_session(&customer, &app.url("/w/42/billing")).await.unwrap();
    let path = portal.url.strip_prefix(&app.address).unwrap().to_owned();
    let (status, html) = app.get_html(&path).await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-testid=plan]"), ["Pro"]);
    assert!(select_all(&html, "[data-testid=next-invoice]")[0].starts_with("Next invoice: $50.00 on "));
    assert_eq!(select_all(&html, "[data-testid=invoices] tr").len(), 1);
    assert_eq!(crate::common::select_attr(&html, "[data-testid=return]", "href"), [app.url("/w/42/billing")]);

    let res = app.post_form(&path, &format!("{path}/subscriptions/{sub_id}/cancel"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let sub = provider(&app).fetch_subscription(&sub_id).await.unwrap();
    assert_eq!((sub.cancel_at_period_end, sub.status), (Some(true), Some(SubscriptionStatus::Active)));
    let (_, html) = app.get_html(&path).await;
    assert_eq!(select_all(&html, "[data-testid=ends]").len(), 1);

    advance_days(&app, &customer, 1).await;
    assert_eq!(provider(&app).fetch_subscription(&sub_id).await.unwrap().status, Some(SubscriptionStatus::Active));
    let before = types(&app).len();
    advance_to_renewal(&app, &customer).await;
    assert_eq!(types(&app).len(), before + 1, "one thing happened");
    let sub = provider(&app).fetch_subscription(&sub_id).await.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Canceled));
    let last = parsed(&app).pop().unwrap();
    assert_eq!(
        (last.event_type.as_str(), last.kind),
        ("customer.subscription.deleted", EventKind::SubscriptionDeleted)
    );
    assert_eq!(last.workspace_ref.as_deref(), Some("42"));
    assert_eq!(last.subscription.unwrap().status, Some(SubscriptionStatus::Canceled));
}

#[actix_web::test]
async fn portal_resume_keeps_the_subscription() {
    let app = spawn_app().await;
    let (customer, sub_id) = subscribe(&app, GOOD).await;
    provider(&app).reactivate(&sub_id).await.unwrap();
    assert_eq!(stored_events(&app).len(), 3, "an update that changes nothing sends no event");
    provider(&app).cancel_at_period_end(&sub_id).await.unwrap();
    let sub = provider(&app).reactivate(&sub_id).await.unwrap();
    assert_eq!(sub.cancel_at_period_end, Some(false));
    let portal = provider(&app).create_portal_session(&customer, &app.url("/")).await.unwrap();
    let path = portal.url.strip_prefix(&app.address).unwrap().to_owned();
    app.post_form(&path, &format!("{path}/subscriptions/{sub_id}/cancel"), &[]).await;
    let res = app.post_form(&path, &format!("{path}/subscriptions/{sub_id}/resume"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    advance_to_renewal(&app, &customer).await;
    let sub = provider(&app).fetch_subscription(&sub_id).await.unwrap();
    assert_eq!((sub.status, sub.cancel_at_period_end), (Some(SubscriptionStatus::Active), Some(false)));
}

#[actix_web::test]
async fn renewal_with_a_good_card_is_paid_and_moves_the_period() {
    let app = spawn_app().await;
    let (customer, sub_id) = subscribe(&app, GOOD).await;
    let before = provider(&app).fetch_subscription(&sub_id).await.unwrap().current_period_end.unwrap();
    let preview = provider(&app).preview_upcoming_invoice(&customer, &sub_id).await.unwrap();
    assert_eq!((preview.amount_due_minor, preview.currency.as_str()), (5000, "usd"));
    assert_eq!(preview.next_payment_at, Some(before));

    let answer = advance_to_renewal(&app, &customer).await;
    // The customer's time is its test clock's, frozen where the advance left it.
    let near = |now: &Value| (0..5).contains(&(now.as_i64().unwrap() - before.timestamp()));
    assert!(near(&answer["frozen_time"]), "{answer}");
    let sub = provider(&app).fetch_subscription(&sub_id).await.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::Active));
    assert!(sub.current_period_end.unwrap() > before + Duration::days(27));

    let events = parsed(&app);
    let renewal: Vec<&NormalizedEvent> = events.iter().skip(3).collect();
    assert_eq!(
        renewal.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(),
        ["customer.subscription.updated", "invoice.paid"]
    );
    assert_eq!(renewal[0].subscription.as_ref().unwrap().current_period_end, sub.current_period_end);
    let invoice = renewal[1].invoice.as_ref().unwrap();
    assert_eq!(invoice.billing_reason.as_deref(), Some("subscription_cycle"));
    assert_eq!((invoice.line_period_start, invoice.line_period_end), (Some(before), sub.current_period_end));
    // Event times are real time (signatures must be fresh), object times sandbox time.
    assert!((renewal[1].created_at - Utc::now()).num_seconds().abs() < 60);

    let invoices = provider(&app).list_invoices(&customer).await.unwrap();
    assert_eq!(invoices.len(), 2);
    assert_eq!(invoices[0].billing_reason.as_deref(), Some("subscription_cycle"), "newest first");
    assert!(invoices.iter().all(|i| i.status == "paid"));

    let clock = clock_of(&app, &customer).await;
    assert!(near(&clock["frozen_time"]), "{clock}");
}

#[actix_web::test]
async fn failing_card_renewal_goes_past_due_and_a_new_card_pays() {
    let app = spawn_app().await;
    let (customer, sub_id) = subscribe(&app, FAILS_LATER).await;
    assert_eq!(provider(&app).fetch_subscription(&sub_id).await.unwrap().status, Some(SubscriptionStatus::Active));

    advance_to_renewal(&app, &customer).await;
    let sub = provider(&app).fetch_subscription(&sub_id).await.unwrap();
    assert_eq!(sub.status, Some(SubscriptionStatus::PastDue));
    let events = parsed(&app);
    let failed = events.iter().find(|e| e.kind == EventKind::InvoicePaymentFailed).unwrap();
    assert_eq!(failed.event_type, "invoice.payment_failed");
    assert_eq!(failed.workspace_ref.as_deref(), Some("42"));
    let invoice = failed.invoice.as_ref().unwrap();
    assert_eq!((invoice.status.as_str(), invoice.amount_paid_minor), ("open", 0));
    assert_eq!(events.last().unwrap().subscription.as_ref().unwrap().status, Some(SubscriptionStatus::PastDue));

    let portal = provider(&app).create_portal_session(&customer, &app.url("/")).await.unwrap();
    let path = portal.url.strip_prefix(&app.address).unwrap().to_owned();
    let (_, html) = app.get_html(&path).await;
    assert_eq!(select_all(&html, "[data-testid=past-due]").len(), 1);
    let res = app.post_form(&path, &format!("{path}/card"), &[("card", DECLINED)]).await;
    assert!(location(&res).ends_with("done=declined"));
    assert_eq!(provider(&app).fetch_subscription(&sub_id).await.unwrap().status, Some(SubscriptionStatus::PastDue));

    let res = app.post_form(&path, &format!("{path}/card"), &[("card", GOOD)]).await;
    assert!(location(&res).ends_with("done=card"));
    assert_eq!(provider(&app).fetch_subscription(&sub_id).await.unwrap().status, Some(SubscriptionStatus::Active));
    let types = types(&app);
    assert_eq!(&types[types.len() - 2..], ["invoice.paid", "customer.subscription.updated"]);
}

#[actix_web::test]
async fn the_event_log_needs_the_key_and_the_anonymous_clock_is_gone() {
    let app = spawn_app().await;
    subscribe(&app, GOOD).await;
    for (method, path) in [
        (reqwest::Method::GET, "/sandbox/clock"),
        (reqwest::Method::GET, "/sandbox/clock.json"),
        (reqwest::Method::POST, "/sandbox/clock/advance"),
    ] {
        let res =
            app.client.request(method, app.url(path)).json(&json!({"seconds": 8_000_000_000_000_i64})).send().await;
        assert_eq!(res.unwrap().status().as_u16(), 404, "{path} no longer exists");
    }
    for (method, path) in
        [(reqwest::Method::GET, "/sandbox/events.json"), (reqwest::Method::POST, "/sandbox/events/redeliver")]
    {
        let res = app.client.request(method, app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{path} needs the key");
    }
    let log: Value = app
        .client
        .get(app.url("/sandbox/events.json"))
        .bearer_auth(app.sandbox_key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["data"].as_array().unwrap().len(), 3);
    let res =
        app.client.post(app.url("/sandbox/events/redeliver")).bearer_auth(app.sandbox_key()).send().await.unwrap();
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["attempted"], 0, "everything already reached /webhooks/stripe");
    assert!(log["data"].as_array().unwrap().iter().all(|e| e["last_status"] == 200), "{log}");
}

#[actix_web::test]
async fn an_expired_checkout_cannot_be_paid() {
    let app = spawn_app().await;
    let page = provider(&app).create_checkout(&plan_checkout("pro", "price_pro_monthly", None)).await.unwrap();
    let customer = provider(&app).confirm_checkout(&page.id).await.unwrap().checkout.customer_id.unwrap();
    advance_days(&app, &customer, 2).await;
    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();
    let res = app.post_form(&path, &format!("{path}/pay"), &[("card", GOOD)]).await;
    assert_eq!(res.status().as_u16(), 410);
    assert_eq!(select_all(&res.text().await.unwrap(), "[data-testid=closed]"), ["This checkout has expired."]);
    let confirmed = provider(&app).confirm_checkout(&page.id).await.unwrap();
    assert_eq!(confirmed.checkout.status.as_deref(), Some("expired"));
    assert!(stored_events(&app).is_empty());
}
