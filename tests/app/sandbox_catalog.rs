//! The sandbox's catalog API, as a merchant (or the app at start) uses it: products and prices
//! created, retrieved, listed and updated with Stripe's parameters and answers, the price `id`
//! extension with its idempotent re-registration, Stripe-shaped refusals, and the app's
//! registration of its catalog at every start — the sandbox's only source of prices.

use reqwest::Method;
use serde_json::Value;

use tollgate::billing::BillingProvider;

use crate::common::{TestApp, base_vars, spawn_app};

/// Calls the sandbox's API with the installation's key: form body for POST, query otherwise.
pub async fn api(app: &TestApp, method: Method, path: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let mut url = app.url(&format!("/sandbox/v1/{path}"));
    if method != Method::POST && !params.is_empty() {
        url = format!("{url}?{}", serde_urlencoded::to_string(params).unwrap());
    }
    let request = app.client.request(method.clone(), url).bearer_auth(app.sandbox_key());
    let request = if method == Method::POST { request.form(params) } else { request };
    let res = request.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn widget(app: &TestApp) {
    let (status, _) = api(app, Method::POST, "products", &[("id", "prod_widget"), ("name", "Widget")]).await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn products_are_created_retrieved_and_updated_like_stripes() {
    let app = spawn_app().await;
    let res = app.client.post(app.url("/sandbox/v1/products")).form(&[("name", "No key")]).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);

    let (status, created) = api(&app, Method::POST, "products", &[("id", "prod_widget"), ("name", "Widget")]).await;
    assert_eq!(status, 200);
    assert_eq!((created["object"].as_str(), created["id"].as_str()), (Some("product"), Some("prod_widget")));
    assert_eq!((created["name"].as_str(), created["active"].as_bool()), (Some("Widget"), Some(true)));
    let (_, fetched) = api(&app, Method::GET, "products/prod_widget", &[]).await;
    assert_eq!(fetched, created);

    let (status, taken) = api(&app, Method::POST, "products", &[("id", "prod_widget"), ("name", "Again")]).await;
    assert_eq!(status, 400);
    assert_eq!(taken["error"]["code"], "resource_already_exists");

    let update = [("name", "Gadget"), ("active", "false"), ("metadata[tier]", "gold")];
    let (status, updated) = api(&app, Method::POST, "products/prod_widget", &update).await;
    assert_eq!(status, 200);
    assert_eq!((updated["name"].as_str(), updated["active"].as_bool()), (Some("Gadget"), Some(false)));
    assert_eq!(updated["metadata"]["tier"], "gold");
    let (_, unset) = api(&app, Method::POST, "products/prod_widget", &[("metadata[tier]", "")]).await;
    assert_eq!(unset["metadata"], serde_json::json!({}));

    let (_, generated) = api(&app, Method::POST, "products", &[("name", "Generated")]).await;
    assert!(generated["id"].as_str().unwrap().starts_with("prod_"), "{generated}");
    let (status, missing) = api(&app, Method::GET, "products/prod_nope", &[]).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (404, Some("resource_missing")));
    let (status, nameless) = api(&app, Method::POST, "products", &[("id", "prod_nameless")]).await;
    assert_eq!((status, nameless["error"]["type"].as_str()), (400, Some("invalid_request_error")));
}

#[actix_web::test]
async fn prices_are_created_retrieved_and_listed() {
    let app = spawn_app().await;
    widget(&app).await;
    let monthly = [
        ("id", "price_widget_monthly"),
        ("product", "prod_widget"),
        ("unit_amount", "1500"),
        ("currency", "USD"),
        ("recurring[interval]", "month"),
        ("nickname", "Widget monthly"),
        ("metadata[plan]", "widget"),
    ];
    let (status, price) = api(&app, Method::POST, "prices", &monthly).await;
    assert_eq!(status, 200, "{price}");
    assert_eq!((price["object"].as_str(), price["id"].as_str()), (Some("price"), Some("price_widget_monthly")));
    assert_eq!((price["type"].as_str(), price["recurring"]["interval"].as_str()), (Some("recurring"), Some("month")));
    assert_eq!((price["unit_amount"].as_i64(), price["currency"].as_str()), (Some(1500), Some("usd")));
    assert_eq!((price["product"].as_str(), price["nickname"].as_str()), (Some("prod_widget"), Some("Widget monthly")));
    assert_eq!(price["metadata"]["plan"], "widget");
    let (_, fetched) = api(&app, Method::GET, "prices/price_widget_monthly", &[]).await;
    assert_eq!(fetched, price);

    let once = [("product", "prod_widget"), ("unit_amount", "999"), ("currency", "usd")];
    let (_, one_time) = api(&app, Method::POST, "prices", &once).await;
    assert!(one_time["id"].as_str().unwrap().starts_with("price_"), "{one_time}");
    assert_eq!((one_time["type"].as_str(), &one_time["recurring"]), (Some("one_time"), &Value::Null));

    let ids = |list: &Value| -> Vec<String> {
        list["data"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect()
    };
    let (_, all) = api(&app, Method::GET, "prices", &[("product", "prod_widget")]).await;
    assert_eq!((all["object"].as_str(), all["has_more"].as_bool()), (Some("list"), Some(false)));
    assert_eq!(ids(&all).len(), 2);
    let (_, recurring) = api(&app, Method::GET, "prices", &[("product", "prod_widget"), ("type", "recurring")]).await;
    assert_eq!(ids(&recurring), ["price_widget_monthly"]);
    let (_, first) = api(&app, Method::GET, "prices", &[("product", "prod_widget"), ("limit", "1")]).await;
    assert_eq!((ids(&first).len(), first["has_more"].as_bool()), (1, Some(true)));
    let after = ids(&first).remove(0);
    let page = [("product", "prod_widget"), ("limit", "1"), ("starting_after", after.as_str())];
    let (_, second) = api(&app, Method::GET, "prices", &page).await;
    assert_eq!(second["has_more"].as_bool(), Some(false));
    assert_ne!(ids(&second), [after], "the next page starts after the last one seen");

    for (bad, why) in [
        (vec![("unit_amount", "100"), ("currency", "usd")], "product"),
        (vec![("product", "prod_nope"), ("unit_amount", "100"), ("currency", "usd")], "No such product"),
        (vec![("product", "prod_widget"), ("currency", "usd")], "unit_amount"),
        (vec![("product", "prod_widget"), ("unit_amount", "-1"), ("currency", "usd")], "unit_amount"),
        (
            vec![
                ("product", "prod_widget"),
                ("unit_amount", "1"),
                ("currency", "usd"),
                ("recurring[interval]", "week"),
            ],
            "interval",
        ),
    ] {
        let (status, err) = api(&app, Method::POST, "prices", &bad).await;
        assert_eq!((status, err["error"]["type"].as_str()), (400, Some("invalid_request_error")), "{bad:?}");
        assert!(err["error"]["message"].as_str().unwrap().contains(why), "{err}");
    }
    let (status, missing) = api(&app, Method::GET, "prices/price_nope", &[]).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (404, Some("resource_missing")));
}

#[actix_web::test]
async fn registering_a_price_again_is_idempotent_and_new_terms_update_it() {
    let app = spawn_app().await;
    widget(&app).await;
    let terms = [("id", "price_widget_yearly"), ("product", "prod_widget"), ("unit_amount", "10000")];
    let yearly = [terms.as_slice(), &[("currency", "usd"), ("recurring[interval]", "year")]].concat();
    let (_, first) = api(&app, Method::POST, "prices", &yearly).await;
    let (status, again) = api(&app, Method::POST, "prices", &yearly).await;
    assert_eq!(status, 200);
    assert_eq!(again, first, "the same terms change nothing");

    let cheaper =
        [&yearly[..2], &[("unit_amount", "8000"), ("currency", "usd"), ("recurring[interval]", "year")]].concat();
    let (status, updated) = api(&app, Method::POST, "prices", &cheaper).await;
    assert_eq!(status, 200);
    assert_eq!(updated["unit_amount"], 8000);
    assert_eq!(updated["created"], first["created"], "still the same price");
    let (_, fetched) = api(&app, Method::GET, "prices/price_widget_yearly", &[]).await;
    assert_eq!(fetched, updated);
    let (_, list) = api(&app, Method::GET, "prices", &[("product", "prod_widget")]).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn a_checkout_for_an_unregistered_price_is_a_stripe_shaped_400() {
    let app = spawn_app().await;
    let checkout = [
        ("mode", "subscription"),
        ("line_items[0][price]", "price_unregistered"),
        ("line_items[0][quantity]", "1"),
        ("success_url", "http://127.0.0.1/ok"),
        ("cancel_url", "http://127.0.0.1/no"),
    ];
    let (status, err) = api(&app, Method::POST, "checkout/sessions", &checkout).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["type"], "invalid_request_error");
    assert_eq!(err["error"]["message"], "No such price: 'price_unregistered'");
}

/// Starts the app again on `app`'s database, as a restart would (it registers the catalog).
async fn restart(app: &TestApp) {
    let config = tollgate::config::Config::from_vars(&base_vars(&app.state.config.database_url)).unwrap();
    let again = tollgate::startup::Application::build(config).await.unwrap();
    assert_eq!(again.sandbox().unwrap().api_key, app.sandbox_key(), "the same installation");
}

fn set_pro_monthly_in_the_apps_table(app: &TestApp, amount: i64, active: bool) {
    use diesel::prelude::*;
    use tollgate::schema::plans;
    app.with_db(|conn| {
        diesel::update(plans::table.filter(plans::code.eq("pro")))
            .set((plans::price_month_minor.eq(amount), plans::is_active.eq(active)))
            .execute(conn)
            .unwrap()
    });
}

#[actix_web::test]
async fn the_catalog_is_registered_at_start_and_again_at_every_start() {
    let app = spawn_app().await;
    let (_, list) = api(&app, Method::GET, "prices", &[("limit", "100")]).await;
    let amounts: Vec<(String, i64)> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p["unit_amount"].as_i64().unwrap()))
        .collect();
    for expected in [
        ("price_starter_monthly", 2000),
        ("price_starter_yearly", 20000),
        ("price_pro_monthly", 5000),
        ("price_pro_yearly", 50000),
        ("price_custom_domain_yearly", 1500),
        ("price_email_5_monthly", 500),
        ("price_credits_500", 999),
        ("price_credits_2000", 2999),
    ] {
        assert!(amounts.contains(&(expected.0.to_owned(), expected.1)), "{expected:?} in {amounts:?}");
    }
    assert_eq!(amounts.len(), 11, "plans month and year, five add-ons, two packs");
    let (_, pro) = api(&app, Method::GET, "prices/price_pro_yearly", &[]).await;
    assert_eq!((pro["recurring"]["interval"].as_str(), pro["product"].as_str()), (Some("year"), Some("prod_plan_pro")));
    let (_, product) = api(&app, Method::GET, "products/prod_plan_pro", &[]).await;
    assert_eq!(product["name"], "Pro");
    let (_, pack) = api(&app, Method::GET, "prices/price_credits_500", &[]).await;
    assert_eq!(
        (pack["type"].as_str(), pack["product"].as_str()),
        (Some("one_time"), Some("prod_credit_pack_credits_500"))
    );

    // A restart with the same catalog changes nothing; a changed one (a `catalog sync` while the
    // server ran) is what the next start registers.
    let (_, starter) = api(&app, Method::GET, "prices/price_starter_monthly", &[]).await;
    let (_, starter_product) = api(&app, Method::GET, "products/prod_plan_starter", &[]).await;
    set_pro_monthly_in_the_apps_table(&app, 6000, true);
    app.with_db(|conn| {
        use diesel::prelude::*;
        use tollgate::schema::plans;
        diesel::update(plans::table.filter(plans::code.eq("pro"))).set(plans::name.eq("Pro Max")).execute(conn).unwrap()
    });
    restart(&app).await;
    assert_eq!(api(&app, Method::GET, "prices/price_starter_monthly", &[]).await.1, starter);
    assert_eq!(api(&app, Method::GET, "products/prod_plan_starter", &[]).await.1, starter_product);
    let (_, pro) = api(&app, Method::GET, "prices/price_pro_monthly", &[]).await;
    assert_eq!(pro["unit_amount"], 6000);
    assert_eq!(api(&app, Method::GET, "products/prod_plan_pro", &[]).await.1["name"], "Pro Max");
}

#[actix_web::test]
async fn the_sandbox_reads_no_app_table_only_what_was_registered() {
    let app = spawn_app().await;
    // Change and archive Pro in the app's own table, behind the sandbox's back.
    set_pro_monthly_in_the_apps_table(&app, 7000, false);
    let (_, price) = api(&app, Method::GET, "prices/price_pro_monthly", &[]).await;
    assert_eq!((price["unit_amount"].as_i64(), price["active"].as_bool()), (Some(5000), Some(true)));
    let pro = crate::sandbox::plan_checkout("pro", "price_pro_monthly", None);
    let page = crate::sandbox::provider(&app).create_checkout(&pro).await.unwrap();
    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();
    let (_, html) = app.get_html(&path).await;
    assert_eq!(crate::common::select_all(&html, "[data-testid=price]"), ["$50.00 / month"]);

    // Re-registered, the sandbox knows the new terms, and refuses the archived price as Stripe does.
    restart(&app).await;
    let (_, price) = api(&app, Method::GET, "prices/price_pro_monthly", &[]).await;
    assert_eq!((price["unit_amount"].as_i64(), price["active"].as_bool()), (Some(7000), Some(false)));
    let err = crate::sandbox::provider(&app).create_checkout(&pro).await.unwrap_err();
    assert!(
        matches!(&err, tollgate::billing::BillingError::Rejected { status: 400, message } if message.contains("inactive")),
        "{err:?}"
    );
}
