//! The analytics page's content: credits spent per day and limit use, as SVG bars with a
//! text summary and tables, the same numbers as its JSON twin.

use serde_json::json;

use crate::api_support::*;
use crate::common::*;

#[actix_web::test]
async fn analytics_show_todays_spend_and_the_periods_usage() {
    let app = spawn_app().await;
    let ws = app.signup("charts@example.com").await;
    app.set_plan(ws, "pro");
    let token = app.meta_csrf(ws).await;
    for (i, amount) in [7, 5].into_iter().enumerate() {
        let body = json!({"amount": amount, "idempotency_key": format!("c{i}")});
        assert_eq!(
            app.api_post("/api/v1/credits/consume", Auth::Session, &body, Some(&token)).await.status().as_u16(),
            200
        );
    }
    let usage = json!({"metric": "projects", "quantity": 3, "idempotency_key": "u1"});
    assert_eq!(app.api_post("/api/v1/usage", Auth::Session, &usage, Some(&token)).await.status().as_u16(), 200);

    let (status, html) = app.get_html(&format!("/w/{ws}/analytics")).await;
    assert_eq!(status, 200);
    let today = chrono::Utc::now().format("%-d %b %Y").to_string();
    let newest = select_all(&html, "table[data-testid=table-credits] tbody tr:first-child td");
    assert_eq!(newest, [today.as_str(), "12", "this period"]);
    let bars = select_all(&html, "svg[data-testid=chart-credits] rect.bar-current title");
    assert!(bars.contains(&format!("{today}: 12 credits")), "{bars:?}");
    assert!(select_all(&html, "svg[data-testid=chart-credits] desc")[0].contains("this period so far: 12 credits"));
    let quota = select_all(&html, "table[data-testid=table-quotas] tbody tr:first-child td");
    assert_eq!(quota, ["projects", "0", "3", "100"]);
    let seats = select_all(&html, "table[data-testid=table-quotas] tbody tr:last-child td");
    assert_eq!(seats, ["seats (now)", "–", "1", "10"]);
    assert!(!html.contains("style="), "no inline styles under the CSP");
    assert!(!html.contains("<script"), "no scripts");

    let (_, body) = app.api_get("/api/v1/analytics", Auth::Session).await;
    let days = body["credits_spent_per_day"].as_array().unwrap();
    assert_eq!(days.last().unwrap()["credits"], 12);
    assert_eq!(body["quotas"][0], json!({"metric": "projects", "limit": 100, "last_period": 0, "current_period": 3}));
}
