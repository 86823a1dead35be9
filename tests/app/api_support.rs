//! Helpers for the entitlement and v1 API tests: API keys made on the settings page, JSON
//! requests with a key or with the session (and its CSRF header), and workspaces put in each
//! billing standing through Stripe-shaped webhooks.

use diesel::prelude::*;
use serde_json::Value;
use tollgate::domain::ids::WorkspaceId;
use tollgate::models::CreditEntry;
use tollgate::schema::workspaces;

use crate::common::*;
use crate::stripe_shapes::*;

/// How a test asks the API.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    Key(&'a str),
    Session,
    Nobody,
}

impl TestApp {
    /// Creates an API key on the settings page (the workspace's plan must include API access);
    /// returns the secret shown once.
    pub async fn api_key(&self, ws: i64, name: &str) -> String {
        let settings = format!("/w/{ws}/settings");
        let res = self.post_form(&settings, &format!("/w/{ws}/api-keys"), &[("name", name)]).await;
        assert_eq!(res.status().as_u16(), 303, "creating a key redirects back");
        let (_, html) = self.get_html(&settings).await;
        select_all(&html, "[data-testid=new-api-key]").into_iter().next().expect("the new key is shown once")
    }

    /// The session's CSRF token as the pages publish it for scripts.
    pub async fn meta_csrf(&self, ws: i64) -> String {
        let (_, html) = self.get_html(&format!("/w/{ws}/billing")).await;
        select_attr(&html, "meta[name=csrf-token]", "content").into_iter().next().expect("csrf meta tag")
    }

    fn authed(&self, builder: reqwest::RequestBuilder, auth: Auth<'_>) -> reqwest::RequestBuilder {
        match auth {
            Auth::Key(key) => builder.header("Authorization", format!("Bearer {key}")),
            Auth::Session => builder,
            // A cookie-less client: no session, no key.
            Auth::Nobody => builder,
        }
    }

    fn client_for(&self, auth: Auth<'_>) -> reqwest::Client {
        match auth {
            Auth::Nobody | Auth::Key(_) => reqwest::Client::new(),
            Auth::Session => self.client.clone(),
        }
    }

    pub async fn api_get(&self, path: &str, auth: Auth<'_>) -> (u16, Value) {
        let res = self.authed(self.client_for(auth).get(self.url(path)), auth).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// POSTs JSON; with the session, `csrf` is sent as `X-CSRF-Token` when given.
    pub async fn api_post(&self, path: &str, auth: Auth<'_>, body: &Value, csrf: Option<&str>) -> reqwest::Response {
        let mut req = self.authed(self.client_for(auth).post(self.url(path)), auth).json(body);
        if let Some(token) = csrf {
            req = req.header("X-CSRF-Token", token);
        }
        req.send().await.unwrap()
    }

    pub async fn api_post_json(&self, path: &str, auth: Auth<'_>, body: &Value) -> (u16, Value) {
        let res = self.api_post(path, auth, body, None).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub fn balance(&self, ws: i64) -> (i64, i64) {
        self.credits(ws)
    }

    /// The running balance and the ledger's own sums agree.
    pub fn assert_ledger_matches(&self, ws: i64) {
        let (cached, summed) = self.with_db(|conn| {
            (
                CreditEntry::balance(conn, WorkspaceId(ws)).unwrap(),
                CreditEntry::ledger_balance(conn, WorkspaceId(ws)).unwrap(),
            )
        });
        assert_eq!(cached, summed, "credit_balances must equal the ledger's sums");
    }

    pub fn set_grace_until(&self, ws: i64, at: chrono::NaiveDateTime) {
        self.with_db(|conn| {
            diesel::update(workspaces::table.find(ws)).set(workspaces::grace_until.eq(at)).execute(conn).unwrap()
        });
    }
}

/// A subscription webhook for `ws` on `price` in `status`, period `[start, end)`.
#[expect(clippy::too_many_arguments, reason = "a test builder: every field is one a test varies")]
pub fn sub_event(
    event_id: &str,
    kind: &str,
    created: i64,
    ws: i64,
    sub_id: &str,
    status: &str,
    price: &str,
    (start, end): (i64, i64),
) -> String {
    let sub = Sub {
        id: sub_id,
        customer: &format!("cus_{ws}"),
        workspace_id: ws,
        status,
        price,
        period_start: start,
        period_end: end,
        cancel_at_period_end: false,
        trial_end: (status == "trialing").then_some(end),
    };
    event(event_id, kind, created, subscription(&sub))
}

/// A paid or failed invoice webhook for `ws`'s subscription.
pub fn invoice_event(
    event_id: &str,
    ws: i64,
    sub_id: &str,
    status: &'static str,
    price: &str,
    (start, end): (i64, i64),
) -> String {
    let kind = if status == "paid" { "invoice.paid" } else { "invoice.payment_failed" };
    event(
        event_id,
        kind,
        now(),
        invoice(&Inv {
            id: &format!("in_{event_id}"),
            customer: &format!("cus_{ws}"),
            subscription: sub_id,
            workspace_id: ws,
            status,
            amount: 5000,
            price,
            period_start: start,
            period_end: end,
            billing_reason: "subscription_cycle",
        }),
    )
}

/// The billing standings the gates must tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Free,
    Paid,
    Trialing,
    PastDueInGrace,
    PastDueExpired,
}

/// A new workspace put in `standing` on Pro (where a plan applies) through webhooks.
pub async fn workspace_in(app: &TestApp, email: &str, standing: Standing) -> i64 {
    let ws = app.signup(email).await;
    let sub = format!("sub_{ws}");
    let period = (now() - DAY, now() + 29 * DAY);
    let status = match standing {
        Standing::Free => return ws,
        Standing::Trialing => "trialing",
        _ => "active",
    };
    app.record_plan_checkout(ws, &sub, "pro");
    let created = sub_event(
        &format!("evt_c{ws}"),
        "customer.subscription.created",
        now() - 60,
        ws,
        &sub,
        status,
        "price_pro_monthly",
        period,
    );
    assert_eq!(app.post_stripe(&created).await.status().as_u16(), 200);
    if matches!(standing, Standing::PastDueInGrace | Standing::PastDueExpired) {
        let failed =
            invoice_event(&format!("evt_f{ws}"), ws, &sub, "open", "price_pro_monthly", (now(), now() + 30 * DAY));
        assert_eq!(app.post_stripe(&failed).await.status().as_u16(), 200);
        assert_eq!(app.workspace(ws).subscription_status.map(|s| s.as_str()), Some("past_due"));
    }
    if standing == Standing::PastDueExpired {
        // Grace is over, and the job that moves the workspace to Free has not run yet: the
        // gates must already refuse.
        app.set_grace_until(ws, tollgate::models::now() - chrono::TimeDelta::minutes(1));
        assert_eq!(app.plan_code(ws), "pro", "the row still says Pro");
    }
    ws
}
