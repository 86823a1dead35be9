//! Chargebee checkouts through the app against a fake that follows Chargebee's documented
//! API: the customer is created once, before the hosted page; a new subscription gets the id
//! Tollgate recorded (no `subscription[meta_data]`, which `checkout_new_for_items` does not
//! take), so its webhooks alone complete the purchase; a refunded credit pack takes its
//! credits back.

use diesel::prelude::*;
use serde_json::{Value, json};
use tollgate::schema::checkout_sessions as cs;

use crate::chargebee_provider::fake::{FakeChargebee, subscription as cb_subscription};
use crate::chargebee_webhooks::{ACTIVATED, basic, chargebee_app_at, subscription_event};
use crate::common::*;

const CREATED: &str = include_str!("../fixtures/chargebee/subscription_created.json");
const REFUNDED: &str = include_str!("../fixtures/chargebee/payment_refunded.json");

fn hosted_page(id: &str, kind: &str) -> Value {
    json!({"hosted_page": {"id": id, "type": kind, "state": "created", "embed": false,
        "url": format!("https://acme-test.chargebee.com/pages/v3/{id}/"), "created_at": 1_700_000_000,
        "expires_at": 1_700_010_800, "object": "hosted_page"}})
}

fn customer_answer(id: &str) -> Value {
    json!({"customer": {"id": id, "email": "cb-buyer@example.com", "auto_collection": "on", "object": "customer"}})
}

fn recorded_subscription(app: &TestApp, ws: i64) -> Option<String> {
    app.with_db(|conn| cs::table.filter(cs::workspace_id.eq(ws)).select(cs::subscription_id).first(conn)).unwrap()
}

fn fulfilled(app: &TestApp, ws: i64) -> i64 {
    app.with_db(|conn| {
        cs::table.filter(cs::workspace_id.eq(ws)).filter(cs::fulfilled_at.is_not_null()).count().get_result(conn)
    })
    .unwrap()
}

#[actix_web::test]
async fn a_chargebee_purchase_completes_by_webhooks_alone() {
    let (fake, base) = FakeChargebee::start_server().await;
    let app = chargebee_app_at(true, false, &base).await;
    let ws = app.signup("cb-buyer@example.com").await;
    fake.answer("POST", "customers", 200, customer_answer("cb_cus_buyer"));
    fake.answer("POST", "hosted_pages/checkout_new_for_items", 200, hosted_page("hp_new", "checkout_new"));

    let billing = format!("/w/{ws}/billing");
    let res = app.post_form(&billing, &format!("/w/{ws}/checkout"), &[("plan", "pro"), ("interval", "month")]).await;
    assert_eq!(
        (res.status().as_u16(), location(&res)),
        (303, "https://acme-test.chargebee.com/pages/v3/hp_new/".into())
    );

    let sent = fake.requests();
    let paths: Vec<&str> = sent.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/api/v2/customers", "/api/v2/hosted_pages/checkout_new_for_items"]);
    let customer = sent[0].form();
    assert!(customer["id"].starts_with(&format!("tg_cus_{ws}_")), "{customer:?}");
    assert_eq!(customer["email"], "cb-buyer@example.com");
    let checkout = sent[1].form();
    let sub_id = checkout["subscription[id]"].clone();
    assert!(sub_id.starts_with(&format!("tg_sub_{ws}_")), "{checkout:?}");
    assert_eq!(checkout["customer[id]"], "cb_cus_buyer");
    assert!(!checkout.keys().any(|k| k.contains("meta_data") || k == "customer[email]"), "{checkout:?}");
    assert_eq!(recorded_subscription(&app, ws), Some(sub_id.clone()));
    assert_eq!(app.workspace(ws).provider_customer_id.as_deref(), Some("cb_cus_buyer"), "stored before paying");

    // The buyer pays and closes the tab: only Chargebee's webhook arrives, naming no workspace.
    let mut event: Value = serde_json::from_str(&subscription_event(
        CREATED,
        "ev_created_alone",
        ws,
        "pro-USD-Monthly",
        true,
        chrono::Utc::now().timestamp() - 30,
    ))
    .unwrap();
    let sub = &mut event["content"]["subscription"];
    sub["id"] = json!(sub_id);
    sub["customer_id"] = json!("cb_cus_buyer");
    sub["status"] = json!("active");
    sub.as_object_mut().unwrap().remove("meta_data");
    event["content"]["customer"]["id"] = json!("cb_cus_buyer");
    let res = app.post_chargebee(&event.to_string(), Some(&basic("hook", "s3cret pass"))).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "processed");
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), w.provider_subscription_id), ("pro", Some(sub_id.clone())));
    assert_eq!(fulfilled(&app, ws), 1);

    // The browser does come back after all: welcomed, nothing granted twice.
    let mut sub = cb_subscription(&sub_id, "active", &["pro-USD-Monthly"]);
    sub["customer_id"] = json!("cb_cus_buyer");
    let mut page = hosted_page("hp_new", "checkout_new");
    page["hosted_page"]["state"] = json!("succeeded");
    page["hosted_page"]["content"] = json!({"subscription": sub, "customer": {"id": "cb_cus_buyer"}});
    fake.answer("GET", "hosted_pages/hp_new", 200, page);
    let res = app.get("/billing/success?id=hp_new&state=succeeded").await;
    assert_eq!(location(&res), billing);
    let (_, html) = app.get_html(&billing).await;
    assert_eq!(select_all(&html, ".notice-success"), ["Welcome to Pro! Your workspace has been upgraded."]);
    assert_eq!(fulfilled(&app, ws), 1);
    let resets: i64 = app
        .with_db(|conn| {
            use tollgate::schema::credit_ledger as cl;
            cl::table
                .filter(cl::workspace_id.eq(ws))
                .filter(cl::reason.like("monthly credits reset%"))
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(resets, 1, "one grant of Pro's monthly credits");

    // A second plan checkout is refused now that the workspace has a live subscription.
    let asked = fake.requests().len();
    let res = app.post_form(&billing, &format!("/w/{ws}/checkout"), &[("plan", "pro"), ("interval", "year")]).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(fake.requests().len(), asked, "Chargebee was not asked");
}

#[actix_web::test]
async fn a_chargebee_subscription_for_another_plan_or_an_unknown_id_grants_nothing() {
    let (_fake, base) = FakeChargebee::start_server().await;
    let app = chargebee_app_at(true, false, &base).await;
    let ws = app.signup("cb-claims@example.com").await;
    app.record_chargebee_checkout(ws, "starter");
    let auth = basic("hook", "s3cret pass");
    let t = chrono::Utc::now().timestamp() - 30;
    // Recorded as Starter; the subscription says Pro.
    let pro = subscription_event(ACTIVATED, "ev_claims", ws, "pro-USD-Monthly", true, t);
    assert_eq!(app.post_chargebee(&pro, Some(&auth)).await.json::<Value>().await.unwrap()["status"], "ignored");
    // Metadata naming the workspace, on a subscription no recorded checkout created.
    let other = app.new_browser().signup("cb-other@example.com").await;
    let stranger = subscription_event(ACTIVATED, "ev_stranger", other, "pro-USD-Monthly", true, t);
    assert_eq!(app.post_chargebee(&stranger, Some(&auth)).await.status().as_u16(), 200);
    for w in [ws, other] {
        assert_eq!((app.plan_code(w).as_str(), fulfilled(&app, w)), ("free", 0), "workspace {w}");
    }
}

#[actix_web::test]
async fn a_refunded_chargebee_credit_pack_takes_its_credits_back() {
    let (fake, base) = FakeChargebee::start_server().await;
    let app = chargebee_app_at(true, false, &base).await;
    let ws = app.signup("cb-pack@example.com").await;
    fake.answer("POST", "customers", 200, customer_answer("cb_cus_pack"));
    fake.answer("POST", "hosted_pages/checkout_one_time_for_items", 200, hosted_page("hp_pack", "checkout_one_time"));
    let res = app.post_form(&format!("/w/{ws}/billing"), &format!("/w/{ws}/credits/credits_500/checkout"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);

    let mut page = hosted_page("hp_pack", "checkout_one_time");
    page["hosted_page"]["state"] = json!("succeeded");
    page["hosted_page"]["content"] = json!({
        "customer": {"id": "cb_cus_pack", "object": "customer"},
        "invoice": {"id": "inv_pack", "customer_id": "cb_cus_pack", "status": "paid", "total": 999,
            "amount_paid": 999, "currency_code": "USD", "object": "invoice"},
    });
    fake.answer("GET", "hosted_pages/hp_pack", 200, page);
    let res = app.get("/billing/success?id=hp_pack&state=succeeded").await;
    assert_eq!(location(&res), format!("/w/{ws}/billing"));
    assert_eq!(app.credits(ws).1, 500);

    // Chargebee refunds it: the event names the transaction and the pack's invoice.
    let mut event: Value = serde_json::from_str(REFUNDED).unwrap();
    event["id"] = json!("ev_pack_refund");
    event["occurred_at"] = json!(chrono::Utc::now().timestamp());
    let content = event["content"].as_object_mut().unwrap();
    content.remove("subscription");
    content["customer"]["id"] = json!("cb_cus_pack");
    let txn = &mut content["transaction"];
    txn["customer_id"] = json!("cb_cus_pack");
    txn["amount"] = json!(999);
    txn.as_object_mut().unwrap().remove("subscription_id");
    txn["linked_credit_notes"][0]["cn_reference_invoice_id"] = json!("inv_pack");
    txn["linked_credit_notes"][0]["cn_total"] = json!(999);
    let cn = &mut content["credit_note"];
    cn["customer_id"] = json!("cb_cus_pack");
    cn["reference_invoice_id"] = json!("inv_pack");
    cn["amount_refunded"] = json!(999);
    let invoice = &mut content["invoice"];
    invoice["id"] = json!("inv_pack");
    invoice["customer_id"] = json!("cb_cus_pack");
    invoice["amount_paid"] = json!(999);
    invoice["total"] = json!(999);
    let res = app.post_chargebee(&event.to_string(), Some(&basic("hook", "s3cret pass"))).await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.credits(ws).1, 0, "the pack's credits are taken back");
}
