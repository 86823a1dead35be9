//! A fake Chargebee: an actix-web server on a random local port that records every request
//! (method, path, query, Authorization, decoded form) and answers what the test told it to.
//! Anything it was not told about gets Chargebee's 404 error body.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use tollgate::billing::chargebee::ChargebeeProvider;

/// `Basic base64("test_key:")`: the API key as user name, an empty password.
pub const AUTHORIZATION: &str = "Basic dGVzdF9rZXk6";

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// As sent, still percent-encoded.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Recorded {
    /// The form as a map, after checking no parameter was sent twice.
    pub fn form(&self) -> BTreeMap<String, String> {
        let map: BTreeMap<_, _> = self.form.iter().cloned().collect();
        assert_eq!(map.len(), self.form.len(), "a parameter was sent twice: {:?}", self.form);
        map
    }
}

/// (method, full path) → (status, body)
type Answers = HashMap<(String, String), (u16, String)>;

#[derive(Clone, Default)]
pub struct FakeChargebee {
    requests: Arc<Mutex<Vec<Recorded>>>,
    answers: Arc<Mutex<Answers>>,
}

impl FakeChargebee {
    /// Starts the fake and returns it with a provider pointed at it.
    pub async fn start() -> (FakeChargebee, ChargebeeProvider) {
        let (fake, api_base) = FakeChargebee::start_server().await;
        let provider = ChargebeeProvider::new(&api_base, "test_key", "http://tollgate.test").unwrap();
        (fake, provider)
    }

    /// Starts the fake and returns it with its API base (`http://127.0.0.1:PORT/api/v2`).
    pub async fn start_server() -> (FakeChargebee, String) {
        let fake = FakeChargebee::default();
        let state = fake.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(web::Data::new(state.clone())).default_service(web::to(record_and_answer))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        (fake, format!("http://127.0.0.1:{port}/api/v2"))
    }

    /// Answer `method /api/v2/{path}` with `status` and a JSON body.
    pub fn answer(&self, method: &str, path: &str, status: u16, body: Value) {
        self.answer_raw(method, path, status, &body.to_string());
    }

    pub fn answer_raw(&self, method: &str, path: &str, status: u16, body: &str) {
        let key = (method.to_owned(), format!("/api/v2/{path}"));
        self.answers.lock().unwrap().insert(key, (status, body.to_owned()));
    }

    /// Every request so far, each checked to carry the API key.
    pub fn requests(&self) -> Vec<Recorded> {
        let requests = self.requests.lock().unwrap().clone();
        for r in &requests {
            assert_eq!(r.authorization.as_deref(), Some(AUTHORIZATION), "{} {}", r.method, r.path);
        }
        requests
    }

    /// The one request made so far.
    pub fn only_request(&self) -> Recorded {
        let mut requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests.remove(0)
    }
}

async fn record_and_answer(req: HttpRequest, body: web::Bytes, fake: web::Data<FakeChargebee>) -> HttpResponse {
    let decode = |bytes: &[u8]| serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap();
    fake.requests.lock().unwrap().push(Recorded {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: decode(req.query_string().as_bytes()),
        authorization: req.headers().get("authorization").map(|v| v.to_str().unwrap().to_owned()),
        form: decode(&body),
    });
    let key = (req.method().to_string(), req.path().to_owned());
    match fake.answers.lock().unwrap().get(&key) {
        Some((status, body)) => HttpResponse::build(StatusCode::from_u16(*status).unwrap())
            .content_type("application/json")
            .body(body.clone()),
        None => HttpResponse::NotFound().json(json!({
            "message": format!("Sorry, we couldn't find that resource: {}", req.path()),
            "type": "invalid_request",
            "api_error_code": "resource_not_found",
            "http_status_code": 404,
        })),
    }
}

/// A PC 2.0 subscription as Chargebee returns it (with some fields we do not read).
pub fn subscription(id: &str, status: &str, item_price_ids: &[&str]) -> Value {
    let items: Vec<Value> = item_price_ids
        .iter()
        .enumerate()
        .map(|(i, price)| {
            json!({"item_price_id": price, "item_type": if i == 0 { "plan" } else { "addon" }, "quantity": 1,
                "unit_price": 2900, "amount": 2900, "object": "subscription_item"})
        })
        .collect();
    json!({
        "id": id, "customer_id": "cus_1", "status": status, "billing_period": 1, "billing_period_unit": "month",
        "current_term_start": 1_700_000_000, "current_term_end": 1_702_592_000, "next_billing_at": 1_702_592_000,
        "subscription_items": items, "meta_data": {"workspace_id": "42"}, "currency_code": "USD",
        "resource_version": 1_700_000_000_123_i64, "deleted": false, "object": "subscription", "due_invoices_count": 0
    })
}

/// `{"subscription": ..., "customer": ...}`, the answer of every subscription endpoint.
pub fn subscription_answer(subscription: Value) -> Value {
    json!({"subscription": subscription, "customer": {"id": "cus_1", "email": "owner@example.com", "object": "customer"}})
}
