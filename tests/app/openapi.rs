//! `GET /api/v1/openapi.json` describes every v1 endpoint (generated from the handlers), and
//! each endpoint it describes is really served.

use serde_json::Value;

use crate::common::*;

const ENDPOINTS: [(&str, &str); 18] = [
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/entitlements"),
    ("get", "/api/v1/analytics"),
    ("get", "/api/v1/credits"),
    ("post", "/api/v1/credits/consume"),
    ("post", "/api/v1/usage"),
    ("get", "/api/v1/workspaces/{workspace_id}/billing/subscription"),
    ("get", "/api/v1/workspaces/{workspace_id}/billing/plans"),
    ("get", "/api/v1/workspaces/{workspace_id}/billing/invoices"),
    ("get", "/api/v1/workspaces/{workspace_id}/billing/upcoming-invoice"),
    ("get", "/api/v1/workspaces/{workspace_id}/billing/addons"),
    ("post", "/api/v1/workspaces/{workspace_id}/billing/checkout"),
    ("post", "/api/v1/workspaces/{workspace_id}/billing/portal"),
    ("post", "/api/v1/workspaces/{workspace_id}/billing/change-plan"),
    ("post", "/api/v1/workspaces/{workspace_id}/billing/cancel"),
    ("post", "/api/v1/workspaces/{workspace_id}/billing/resume"),
    ("post", "/api/v1/workspaces/{workspace_id}/billing/addons/{code}/purchase"),
    ("post", "/api/v1/workspaces/{workspace_id}/billing/addons/{code}/cancel"),
];

/// The administrators' endpoints: 404 without an admin's credentials, so they are checked as
/// served in `operations`.
const ADMIN_ENDPOINTS: [(&str, &str); 5] = [
    ("get", "/api/v1/admin/platform-health/health"),
    ("get", "/api/v1/admin/platform-health/capacity"),
    ("get", "/api/v1/admin/platform-health/trends"),
    ("get", "/api/v1/admin/platform-health/recommendations"),
    ("post", "/api/v1/admin/platform-health/snapshot"),
];

#[actix_web::test]
async fn the_openapi_document_describes_every_endpoint_and_each_is_served() {
    let app = spawn_app().await;
    let res = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .filter(|(method, _)| ["get", "post", "put", "patch", "delete"].contains(&method.as_str()))
        .collect();
    documented.sort();
    let mut expected: Vec<(String, String)> =
        ENDPOINTS.iter().chain(&ADMIN_ENDPOINTS).map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    expected.sort();
    assert_eq!(documented, expected);
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.contains_key("api_key") && schemes.contains_key("session") && schemes.contains_key("admin_key"));
    assert!(doc["components"]["schemas"]["SpendReceipt"]["properties"]["balances"].is_object());

    // Everything documented is routed: without credentials it is 401, never 404 or 405.
    let client = reqwest::Client::new();
    for (method, path) in ENDPOINTS.iter().skip(1) {
        let url = app.url(&path.replace("{workspace_id}", "1").replace("{code}", "custom_domain"));
        let res = if *method == "get" { client.get(&url) } else { client.post(&url) }.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 401, "{method} {path}");
    }
}
