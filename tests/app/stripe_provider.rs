//! The Stripe provider against a fake Stripe: a local HTTP server that records every request
//! (method, path, query, Authorization, decoded form) and answers scripted Stripe-shaped
//! JSON. Asserts the exact parameters Tollgate sends and how answers and errors are read.

use std::collections::{BTreeMap, VecDeque};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use tollgate::billing::stripe::StripeProvider;
use tollgate::billing::{BillingError, BillingProvider, ChangeTiming, CheckoutRequest, Purchase, SubscriptionStatus};

const SUBSCRIPTION: &str = include_str!("../../src/sandbox/shapes/subscription.json");
const CHECKOUT: &str = include_str!("../../src/sandbox/shapes/checkout_session.json");
const INVOICE: &str = include_str!("../../src/sandbox/shapes/invoice.json");
const KEY: &str = "sk_test_fake_key";

#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) auth: String,
    pub(crate) form: BTreeMap<String, String>,
}

#[derive(Default)]
struct Fake {
    requests: Mutex<Vec<Recorded>>,
    answers: Mutex<VecDeque<(u16, String)>>,
    /// While set, requests are recorded but not answered.
    held: AtomicBool,
}

pub(crate) struct FakeStripe {
    fake: Arc<Fake>,
    pub(crate) base: String,
}

impl FakeStripe {
    pub(crate) async fn start() -> FakeStripe {
        let fake = Arc::new(Fake::default());
        let shared = web::Data::from(fake.clone());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || App::new().app_data(shared.clone()).default_service(web::to(answer)))
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
        actix_web::rt::spawn(server);
        FakeStripe { fake, base: format!("http://127.0.0.1:{port}/") }
    }

    pub(crate) fn provider(&self) -> StripeProvider {
        StripeProvider::new(KEY, &self.base, "https://tollgate.example").unwrap()
    }

    pub(crate) fn reply(&self, status: u16, body: impl ToString) {
        self.fake.answers.lock().unwrap().push_back((status, body.to_string()));
    }

    /// Holds the answers (requests are still recorded) until released, so a test can act while
    /// Tollgate waits for Stripe.
    pub(crate) fn hold(&self, held: bool) {
        self.fake.held.store(held, Ordering::SeqCst);
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.fake.requests.lock().unwrap())
    }

    fn only_request(&self) -> Recorded {
        let mut all = self.requests();
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }
}

fn decode(raw: &[u8]) -> BTreeMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw).unwrap().into_iter().collect()
}

async fn answer(req: HttpRequest, body: web::Bytes, fake: web::Data<Fake>) -> HttpResponse {
    fake.requests.lock().unwrap().push(Recorded {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: decode(req.query_string().as_bytes()),
        auth: req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        form: decode(&body),
    });
    while fake.held.load(Ordering::SeqCst) {
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, body) = fake.answers.lock().unwrap().pop_front().unwrap_or((500, "no answer scripted".into()));
    let status = actix_web::http::StatusCode::from_u16(status).unwrap();
    let content_type = if body.starts_with('{') { "application/json" } else { "text/html" };
    HttpResponse::build(status).content_type(content_type).body(body)
}

pub(crate) fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

pub(crate) fn checkout_answer() -> Value {
    let mut s: Value = serde_json::from_str(CHECKOUT).unwrap();
    s["id"] = json!("cs_test_1");
    s["url"] = json!("https://checkout.stripe.com/c/pay/cs_test_1");
    s
}

pub(crate) fn subscription_answer(pending: bool) -> Value {
    let mut s: Value = serde_json::from_str(SUBSCRIPTION).unwrap();
    s["id"] = json!("sub_1");
    s["status"] = json!("active");
    s["cancel_at_period_end"] = json!(false);
    s["items"]["data"][0]["id"] = json!("si_1");
    s["items"]["data"][0]["price"]["id"] = json!("price_starter_monthly");
    s["items"]["data"][0]["current_period_end"] = json!(1_900_000_000);
    s["pending_update"] =
        if pending { json!({"expires_at": 1_900_000_000, "subscription_items": null}) } else { Value::Null };
    s
}

fn request(purchase: Purchase, customer: Option<&str>, trial: Option<u32>) -> CheckoutRequest {
    CheckoutRequest {
        purchase,
        workspace_id: 42,
        code: "pro".into(),
        price_id: "price_pro_monthly".into(),
        customer_id: customer.map(str::to_owned),
        email: "owner@example.com".into(),
        trial_days: trial,
        subscription_id: None,
    }
}

const SUCCESS: &str = "https://tollgate.example/billing/success?session_id={CHECKOUT_SESSION_ID}";
const CANCEL: &str = "https://tollgate.example/billing/cancelled";

#[actix_web::test]
async fn subscription_checkout_sends_exactly_these_fields() {
    let stripe = FakeStripe::start().await;
    stripe.reply(200, checkout_answer());
    let page = stripe.provider().create_checkout(&request(Purchase::Plan, None, Some(14))).await.unwrap();
    assert_eq!((page.id.as_str(), page.url.as_str()), ("cs_test_1", "https://checkout.stripe.com/c/pay/cs_test_1"));
    let sent = stripe.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/checkout/sessions"));
    assert_eq!(sent.auth, format!("Bearer {KEY}"));
    assert_eq!(
        sent.form,
        fields(&[
            ("mode", "subscription"),
            ("line_items[0][price]", "price_pro_monthly"),
            ("line_items[0][quantity]", "1"),
            ("client_reference_id", "42"),
            ("customer_email", "owner@example.com"),
            ("allow_promotion_codes", "true"),
            ("metadata[workspace_id]", "42"),
            ("metadata[tollgate_kind]", "plan"),
            ("metadata[tollgate_code]", "pro"),
            ("subscription_data[trial_period_days]", "14"),
            ("subscription_data[metadata][workspace_id]", "42"),
            ("subscription_data[metadata][tollgate_kind]", "plan"),
            ("subscription_data[metadata][tollgate_code]", "pro"),
            ("success_url", SUCCESS),
            ("cancel_url", CANCEL),
        ])
    );
}

#[actix_web::test]
async fn checkout_reuses_the_customer_and_pays_packs_once() {
    let stripe = FakeStripe::start().await;
    stripe.reply(200, checkout_answer());
    stripe.provider().create_checkout(&request(Purchase::Addon, Some("cus_1"), None)).await.unwrap();
    let sent = stripe.only_request().form;
    assert_eq!(sent.get("customer").map(String::as_str), Some("cus_1"));
    assert_eq!(sent.get("mode").map(String::as_str), Some("subscription"));
    assert_eq!(sent.get("metadata[tollgate_kind]").map(String::as_str), Some("addon"));
    for absent in ["customer_email", "subscription_data[trial_period_days]", "customer_creation"] {
        assert!(!sent.contains_key(absent), "{absent} must not be sent: {sent:?}");
    }

    stripe.reply(200, checkout_answer());
    stripe.provider().create_checkout(&request(Purchase::CreditPack, None, None)).await.unwrap();
    let sent = stripe.only_request().form;
    assert_eq!(sent.get("mode").map(String::as_str), Some("payment"));
    assert_eq!(sent.get("customer_creation").map(String::as_str), Some("always"));
    assert_eq!(sent.get("payment_intent_data[metadata][tollgate_kind]").map(String::as_str), Some("credit_pack"));
    assert_eq!(sent.get("payment_intent_data[metadata][workspace_id]").map(String::as_str), Some("42"));
    assert!(!sent.keys().any(|k| k.starts_with("subscription_data")), "{sent:?}");
}

#[actix_web::test]
async fn confirm_checkout_expands_the_subscription() {
    let stripe = FakeStripe::start().await;
    let mut session = checkout_answer();
    session["status"] = json!("complete");
    session["payment_status"] = json!("paid");
    session["mode"] = json!("subscription");
    session["client_reference_id"] = json!("42");
    session["subscription"] = subscription_answer(false);
    stripe.reply(200, session);
    let confirmed = stripe.provider().confirm_checkout("cs_test_1").await.unwrap();
    let sent = stripe.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("GET", "/v1/checkout/sessions/cs_test_1"));
    assert_eq!(sent.query, fields(&[("expand[0]", "subscription")]));
    assert!(confirmed.is_paid());
    assert_eq!(confirmed.workspace_id(), Some(42));
    let sub = confirmed.subscription.unwrap();
    assert_eq!((sub.id.as_str(), sub.status), ("sub_1", Some(SubscriptionStatus::Active)));
    assert_eq!(sub.current_period_end.map(|t| t.timestamp()), Some(1_900_000_000));

    // A server that ignores `expand` answers an id: the provider asks for the subscription.
    let mut session = checkout_answer();
    session["subscription"] = json!("sub_1");
    stripe.reply(200, session);
    stripe.reply(200, subscription_answer(false));
    let confirmed = stripe.provider().confirm_checkout("cs_test_1").await.unwrap();
    assert_eq!(confirmed.subscription.map(|s| s.id), Some("sub_1".to_owned()));
    let paths: Vec<String> = stripe.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v1/checkout/sessions/cs_test_1", "/v1/subscriptions/sub_1"]);
}

#[actix_web::test]
async fn portal_cancel_and_reactivate() {
    let stripe = FakeStripe::start().await;
    stripe.reply(
        200,
        json!({"id": "bps_1", "object": "billing_portal.session", "url": "https://billing.stripe.com/p/1"}),
    );
    let page = stripe.provider().create_portal_session("cus_1", "https://tollgate.example/w/42/billing").await.unwrap();
    assert_eq!(page.url, "https://billing.stripe.com/p/1");
    let sent = stripe.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/billing_portal/sessions"));
    assert_eq!(sent.form, fields(&[("customer", "cus_1"), ("return_url", "https://tollgate.example/w/42/billing")]));

    for (call, flag) in [("cancel", "true"), ("reactivate", "false"), ("addon", "true")] {
        stripe.reply(200, subscription_answer(false));
        let provider = stripe.provider();
        match call {
            "cancel" => drop(provider.cancel_at_period_end("sub_1").await.unwrap()),
            "reactivate" => drop(provider.reactivate("sub_1").await.unwrap()),
            _ => provider.cancel_addon("sub_1", "price_email_5_monthly").await.unwrap(),
        }
        let sent = stripe.only_request();
        assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/subscriptions/sub_1"), "{call}");
        assert_eq!(sent.form, fields(&[("cancel_at_period_end", flag)]), "{call}");
    }
}

#[actix_web::test]
async fn change_plan_now_or_at_period_end() {
    let stripe = FakeStripe::start().await;
    stripe.reply(200, subscription_answer(false));
    stripe.reply(200, subscription_answer(false));
    let change = stripe.provider().change_plan("sub_1", "price_pro_monthly", ChangeTiming::Immediately).await.unwrap();
    assert!(change.applied);
    let sent = stripe.requests();
    assert_eq!((sent[0].method.as_str(), sent[0].path.as_str()), ("GET", "/v1/subscriptions/sub_1"));
    assert_eq!((sent[1].method.as_str(), sent[1].path.as_str()), ("POST", "/v1/subscriptions/sub_1"));
    assert_eq!(
        sent[1].form,
        fields(&[
            ("items[0][id]", "si_1"),
            ("items[0][price]", "price_pro_monthly"),
            ("proration_behavior", "always_invoice"),
            ("payment_behavior", "pending_if_incomplete"),
        ])
    );

    // Stripe could not charge the proration: the update is parked, not applied.
    stripe.reply(200, subscription_answer(false));
    stripe.reply(200, subscription_answer(true));
    let change = stripe.provider().change_plan("sub_1", "price_pro_monthly", ChangeTiming::Immediately).await.unwrap();
    assert!(!change.applied);
    assert_eq!(change.subscription.price_ids, ["price_starter_monthly"]);
    stripe.requests();

    stripe.reply(200, subscription_answer(false));
    stripe.reply(200, subscription_answer(false));
    let change = stripe.provider().change_plan("sub_1", "price_free", ChangeTiming::AtPeriodEnd).await.unwrap();
    assert!(change.applied);
    let sent = stripe.requests();
    assert_eq!(
        sent[1].form,
        fields(&[("items[0][id]", "si_1"), ("items[0][price]", "price_free"), ("proration_behavior", "none")])
    );
}

#[actix_web::test]
async fn invoices_and_preview() {
    let stripe = FakeStripe::start().await;
    let mut invoice: Value = serde_json::from_str(INVOICE).unwrap();
    invoice["id"] = json!("in_1");
    invoice["status"] = json!("paid");
    invoice["parent"]["subscription_details"]["subscription"] = json!("sub_1");
    stripe.reply(200, json!({"object": "list", "data": [invoice.clone()], "has_more": false, "url": "/v1/invoices"}));
    let invoices = stripe.provider().list_invoices("cus_1").await.unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!((invoices[0].id.as_str(), invoices[0].subscription_id.as_deref()), ("in_1", Some("sub_1")));
    let sent = stripe.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("GET", "/v1/invoices"));
    assert_eq!(sent.query, fields(&[("customer", "cus_1"), ("limit", "24")]));

    invoice["amount_due"] = json!(5000);
    invoice["next_payment_attempt"] = json!(1_900_000_000);
    stripe.reply(200, invoice);
    let preview = stripe.provider().preview_upcoming_invoice("cus_1", "sub_1").await.unwrap();
    assert_eq!((preview.amount_due_minor, preview.currency.as_str()), (5000, "usd"));
    assert_eq!(preview.next_payment_at.map(|t| t.timestamp()), Some(1_900_000_000));
    let sent = stripe.only_request();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/invoices/create_preview"));
    assert_eq!(sent.form, fields(&[("customer", "cus_1"), ("subscription", "sub_1")]));
}

fn stripe_error(message: &str) -> Value {
    json!({"error": {"type": "invalid_request_error", "message": message}})
}

#[actix_web::test]
async fn errors_are_mapped() {
    let stripe = FakeStripe::start().await;
    let provider = stripe.provider();
    stripe.reply(404, stripe_error("No such subscription: 'sub_x'"));
    assert!(
        matches!(provider.fetch_subscription("sub_x").await, Err(BillingError::NotFound(m)) if m.contains("sub_x"))
    );

    stripe.reply(400, stripe_error("No such price: 'price_x'"));
    let err = provider.create_checkout(&request(Purchase::Plan, None, None)).await.unwrap_err();
    assert!(matches!(&err, BillingError::Rejected { status: 400, message } if message == "No such price: 'price_x'"));

    stripe.reply(500, json!({"error": {"type": "api_error", "message": "Stripe is having a bad day"}}));
    assert!(matches!(provider.fetch_subscription("sub_1").await, Err(BillingError::Unavailable(_))));

    stripe.reply(502, "<html>Bad gateway</html>");
    assert!(matches!(provider.fetch_subscription("sub_1").await, Err(BillingError::Unavailable(_))));

    stripe.reply(200, "not json at all");
    assert!(matches!(provider.fetch_subscription("sub_1").await, Err(BillingError::Protocol(_))));

    stripe.reply(200, json!({"object": "subscription"}));
    assert!(matches!(provider.fetch_subscription("sub_1").await, Err(BillingError::Protocol(_))));

    // Nothing listens there.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nowhere = StripeProvider::new(KEY, &format!("http://127.0.0.1:{closed}/"), "https://t.example").unwrap();
    assert!(matches!(nowhere.fetch_subscription("sub_1").await, Err(BillingError::Unavailable(_))));
}
