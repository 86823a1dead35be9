//! The sandbox's answers parse in async-stripe's own strict types (every required field of
//! the pinned API version present), not only in our lenient reader. If one of these fails,
//! a shape in `src/sandbox/shapes/` lost a field the crate requires.

use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::{CreatePreviewInvoice, ListInvoice};
use stripe_billing::subscription::{RetrieveSubscription, UpdateSubscription};
use stripe_checkout::checkout_session::RetrieveCheckoutSession;
use stripe_core::customer::{CreateCustomer, RetrieveCustomer};
use tollgate::billing::BillingProvider;

use crate::common::spawn_app;
use crate::sandbox::{FAILS_LATER, GOOD, plan_checkout, provider};

#[actix_web::test]
async fn sandbox_answers_parse_as_async_stripe_types() {
    let app = spawn_app().await;
    let client = stripe::ClientBuilder::new(app.sandbox_key()).url(app.url("/sandbox/")).build().unwrap();

    let customer = CreateCustomer::new().email("typed@example.com").send(&client).await.unwrap();
    RetrieveCustomer::new(customer.id.clone()).send(&client).await.unwrap();

    let page = provider(&app).create_checkout(&plan_checkout("pro", "price_pro_monthly", Some(7))).await.unwrap();
    let open = RetrieveCheckoutSession::new(page.id.as_str()).send(&client).await.unwrap();
    assert_eq!(open.url.as_deref(), Some(page.url.as_str()));

    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();
    let res = app.post_form(&path, &format!("{path}/pay"), &[("card", GOOD)]).await;
    assert_eq!(res.status().as_u16(), 303);

    let done = RetrieveCheckoutSession::new(page.id.as_str())
        .expand(vec!["subscription".to_owned()])
        .send(&client)
        .await
        .unwrap();
    let sub = done.subscription.and_then(|s| s.into_object()).expect("subscription is expanded");
    assert_eq!(sub.items.data.len(), 1);
    let sub = RetrieveSubscription::new(sub.id.clone()).send(&client).await.unwrap();
    let customer_id = sub.customer.id().to_string();
    UpdateSubscription::new(sub.id.clone()).cancel_at_period_end(true).send(&client).await.unwrap();

    let invoices = ListInvoice::new().customer(customer_id.as_str()).send(&client).await.unwrap();
    assert_eq!(invoices.data.len(), 1);
    CreatePreviewInvoice::new()
        .customer(customer_id.as_str())
        .subscription(sub.id.as_str())
        .send(&client)
        .await
        .unwrap();
    CreateBillingPortalSession::new()
        .customer(customer_id.as_str())
        .return_url(app.url("/"))
        .send(&client)
        .await
        .unwrap();

    // A parked price change (failed proration charge) carries a `pending_update`.
    let failing = crate::sandbox::buy_for_test(&app, "price_starter_monthly", FAILS_LATER).await;
    let change = provider(&app)
        .change_plan(&failing, "price_pro_monthly", tollgate::billing::ChangeTiming::Immediately)
        .await
        .unwrap();
    assert!(!change.applied);
    let parked = RetrieveSubscription::new(failing.as_str()).send(&client).await.unwrap();
    assert!(parked.pending_update.is_some());
}

/// Parses an answer into async-stripe's own type for it, as strictly as the crate would.
fn strict<T: miniserde::Deserialize>(value: &serde_json::Value) -> T {
    miniserde::json::from_str(&value.to_string()).unwrap_or_else(|_| panic!("not a strict Stripe object: {value}"))
}

#[actix_web::test]
async fn catalog_answers_parse_as_async_stripe_types() {
    let app = spawn_app().await;
    let call = |method: reqwest::Method, path: &str| {
        app.client.request(method, app.url(&format!("/sandbox/v1/{path}"))).bearer_auth(app.sandbox_key())
    };
    let product: serde_json::Value = call(reqwest::Method::POST, "products")
        .form(&[("id", "prod_typed"), ("name", "Typed"), ("description", "A product"), ("metadata[a]", "1")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let typed: stripe_shared::Product = strict(&product);
    assert_eq!((typed.id.as_str(), typed.name.as_str()), ("prod_typed", "Typed"));
    let again: serde_json::Value =
        call(reqwest::Method::GET, "products/prod_typed").send().await.unwrap().json().await.unwrap();
    strict::<stripe_shared::Product>(&again);

    for form in [
        vec![("id", "price_typed_month"), ("recurring[interval]", "month"), ("nickname", "Typed monthly")],
        vec![("id", "price_typed_once"), ("lookup_key", "typed_once")],
    ] {
        let mut form = form;
        form.extend([("product", "prod_typed"), ("unit_amount", "1200"), ("currency", "usd"), ("metadata[k]", "v")]);
        let price: serde_json::Value =
            call(reqwest::Method::POST, "prices").form(&form).send().await.unwrap().json().await.unwrap();
        let typed: stripe_shared::Price = strict(&price);
        assert_eq!(typed.unit_amount, Some(1200));
        assert_eq!(typed.recurring.is_some(), form[0].1 == "price_typed_month");
    }
    let one: serde_json::Value =
        call(reqwest::Method::GET, "prices/price_typed_once").send().await.unwrap().json().await.unwrap();
    strict::<stripe_shared::Price>(&one);
    let list: serde_json::Value =
        call(reqwest::Method::GET, "prices?product=prod_typed").send().await.unwrap().json().await.unwrap();
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    data.iter().for_each(|p| drop(strict::<stripe_shared::Price>(p)));
}

#[actix_web::test]
async fn test_clocks_and_subscription_lists_parse_as_async_stripe_types() {
    use stripe_billing::subscription::{ListSubscription, ListSubscriptionStatus};
    use stripe_billing::test_helpers_test_clock::{
        AdvanceTestHelpersTestClock, CreateTestHelpersTestClock, DeleteTestHelpersTestClock, ListTestHelpersTestClock,
        RetrieveTestHelpersTestClock,
    };

    let app = spawn_app().await;
    let client = stripe::ClientBuilder::new(app.sandbox_key()).url(app.url("/sandbox/")).build().unwrap();
    let now = chrono::Utc::now().timestamp();
    let clock = CreateTestHelpersTestClock::new(now).name("typed").send(&client).await.unwrap();
    assert_eq!((clock.frozen_time, clock.name.as_deref()), (now, Some("typed")));
    let customer =
        CreateCustomer::new().email("clocked@example.com").test_clock(clock.id.as_str()).send(&client).await.unwrap();
    assert_eq!(customer.test_clock.map(|c| c.id().to_string()), Some(clock.id.to_string()));
    let advanced = AdvanceTestHelpersTestClock::new(clock.id.clone(), now + 86_400).send(&client).await.unwrap();
    assert_eq!(advanced.frozen_time, now + 86_400);
    let again = RetrieveTestHelpersTestClock::new(clock.id.clone()).send(&client).await.unwrap();
    assert_eq!(again.status, stripe_shared::TestHelpersTestClockStatus::Ready);
    assert_eq!(ListTestHelpersTestClock::new().send(&client).await.unwrap().data.len(), 1);

    crate::sandbox::buy_for_test(&app, "price_starter_monthly", GOOD).await;
    let all = ListSubscription::new().status(ListSubscriptionStatus::All).send(&client).await.unwrap();
    assert_eq!(all.data.len(), 1);
    let id = all.data[0].customer.id().to_string();
    let mine = ListSubscription::new().customer(id).send(&client).await.unwrap();
    assert_eq!(mine.data[0].id, all.data[0].id);
    let deleted = DeleteTestHelpersTestClock::new(clock.id.clone()).send(&client).await.unwrap();
    assert_eq!(deleted.id, clock.id);
}
