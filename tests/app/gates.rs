//! Gates over HTTP in every billing standing: the analytics page (HTML: 303 to the billing
//! page naming the plan that unlocks it) and its JSON twin (402 with an upgrade URL), the
//! entitlements answer and the plan badge, all reading the same rules.

use crate::api_support::*;
use crate::common::*;

const STANDINGS: [(Standing, bool, &str, &str); 5] = [
    (Standing::Free, false, "free", "Free"),
    (Standing::Paid, true, "paid", "Pro"),
    (Standing::Trialing, true, "trial", "Pro · trial"),
    (Standing::PastDueInGrace, true, "grace", "Pro · past due"),
    (Standing::PastDueExpired, false, "lapsed", "Pro · lapsed"),
];

#[actix_web::test]
async fn the_analytics_page_is_open_to_paid_trialing_and_in_grace_workspaces_only() {
    let app = spawn_app().await;
    for (i, (standing, open, _, _)) in STANDINGS.into_iter().enumerate() {
        let browser = app.new_browser();
        let ws = workspace_in(&browser, &format!("gate{i}@example.com"), standing).await;
        let res = browser.get(&format!("/w/{ws}/analytics")).await;
        if open {
            assert_eq!(res.status().as_u16(), 200, "{standing:?}");
            let html = res.text().await.unwrap();
            assert_eq!(select_attr(&html, "svg[data-testid=chart-credits]", "role"), ["img"], "{standing:?}");
            assert_eq!(select_all(&html, "svg[data-testid=chart-credits] > title").len(), 1);
            assert!(!select_all(&html, "table[data-testid=table-quotas] td").is_empty());
        } else {
            assert_eq!(res.status().as_u16(), 303, "{standing:?}");
            assert_eq!(location(&res), format!("/w/{ws}/billing?upgrade=analytics"), "{standing:?}");
            let (_, html) = browser.get_html(&location(&res)).await;
            let notice = select_all(&html, "[data-testid=upgrade-notice]");
            assert!(
                notice[0].contains("Analytics is not included") && notice[0].contains("upgrade to Pro"),
                "{notice:?}"
            );
        }
    }
}

#[actix_web::test]
async fn the_api_gate_answers_402_with_an_upgrade_url() {
    let app = spawn_app().await;
    for (i, (standing, open, _, _)) in STANDINGS.into_iter().enumerate() {
        let browser = app.new_browser();
        let ws = workspace_in(&browser, &format!("apigate{i}@example.com"), standing).await;
        let (status, body) = browser.api_get(&format!("/api/v1/analytics?workspace_id={ws}"), Auth::Session).await;
        if open {
            assert_eq!(status, 200, "{standing:?}: {body}");
            assert!(body["credits_spent_per_day"].as_array().is_some_and(|days| !days.is_empty()));
            assert_eq!(body["seats"]["used"], 1);
        } else {
            assert_eq!(status, 402, "{standing:?}: {body}");
            assert_eq!(body["code"], "upgrade_required");
            assert_eq!(body["feature"], "analytics");
            assert_eq!(body["upgrade_url"], format!("{}/w/{ws}/billing?upgrade=analytics", app.address));
            assert!(body["error"].as_str().unwrap().contains("Pro"), "{body}");
        }
    }
}

#[actix_web::test]
async fn entitlements_and_the_plan_badge_say_the_same_as_the_gates() {
    let app = spawn_app().await;
    for (i, (standing, paid, word, badge)) in STANDINGS.into_iter().enumerate() {
        let browser = app.new_browser();
        let ws = workspace_in(&browser, &format!("ent{i}@example.com"), standing).await;
        let (status, body) = browser.api_get("/api/v1/entitlements", Auth::Session).await;
        assert_eq!(status, 200);
        assert_eq!(body["workspace_id"], ws);
        assert_eq!(body["standing"], word, "{standing:?}");
        assert_eq!(body["paid"], paid, "{standing:?}");
        assert_eq!(body["plan"]["code"], if paid { "pro" } else { "free" }, "{standing:?}");
        let features: Vec<&str> = body["features"].as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
        assert_eq!(features.contains(&"analytics"), paid);
        assert_eq!(body["limits"]["projects"]["limit"], if paid { 100 } else { 1 });
        assert_eq!(body["seats"]["used"], 1);
        assert!(body["credits"]["monthly"].is_i64() && body["period"]["start"].is_string());

        let (_, html) = browser.get_html(&format!("/w/{ws}/billing")).await;
        assert_eq!(select_all(&html, "[data-testid=plan-badge]"), [badge], "{standing:?}");
        let lock = select_all(&html, "[data-testid=nav-analytics] .lock-hint");
        assert_eq!(lock.is_empty(), paid, "the nav hints at the lock: {standing:?}");
    }
}

#[actix_web::test]
async fn a_full_team_is_sent_to_the_billing_page_naming_the_plan_with_more_seats() {
    let app = spawn_app().await;
    let ws = app.signup("seats@example.com").await;
    app.new_browser().signup("second@example.com").await;
    let settings = format!("/w/{ws}/settings");
    let res = app
        .post_form(&settings, &format!("/w/{ws}/members"), &[("email", "second@example.com"), ("role", "member")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/w/{ws}/billing?upgrade=seats"));
    let (_, html) = app.get_html(&location(&res)).await;
    assert!(select_all(&html, ".notice-error")[0].contains("1 seat(s)"));
    let notice = &select_all(&html, "[data-testid=upgrade-notice]")[0];
    assert!(notice.contains("Free includes 1 seat(s)") && notice.contains("Starter includes 3 seats"), "{notice}");
    let members: i64 = app.with_db(|conn| {
        use diesel::prelude::*;
        tollgate::schema::memberships::table
            .filter(tollgate::schema::memberships::workspace_id.eq(ws))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(members, 1, "nobody was added");
}

#[actix_web::test]
async fn unknown_upgrade_reasons_show_no_notice() {
    let app = spawn_app().await;
    let ws = app.signup("noupgrade@example.com").await;
    for what in ["<script>alert(1)</script>", "teleport", ""] {
        let (status, html) =
            app.get_html(&format!("/w/{ws}/billing?upgrade={}", tollgate::web::encode_component(what))).await;
        assert_eq!(status, 200);
        assert!(select_all(&html, "[data-testid=upgrade-notice]").is_empty(), "{what}");
    }
    let (_, html) = app.get_html(&format!("/w/{ws}/billing?upgrade=projects")).await;
    let notice = &select_all(&html, "[data-testid=upgrade-notice]")[0];
    assert!(
        notice.contains("Free includes 1 projects per period") && notice.contains("Starter includes 10"),
        "{notice}"
    );
}

#[actix_web::test]
async fn the_ledger_export_needs_a_paid_plan_in_every_standing() {
    let app = spawn_app().await;
    for (i, (standing, paid, _, _)) in STANDINGS.into_iter().enumerate() {
        let browser = app.new_browser();
        let ws = workspace_in(&browser, &format!("csv{i}@example.com"), standing).await;
        let res = browser.get(&format!("/w/{ws}/credits/ledger.csv")).await;
        let (_, billing) = browser.get_html(&format!("/w/{ws}/billing")).await;
        if paid {
            assert_eq!(res.status().as_u16(), 200, "{standing:?}");
            assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
            let csv = res.text().await.unwrap();
            let lines: Vec<&str> = csv.lines().collect();
            assert_eq!(lines[0], "id,created_at,bucket,delta,reason,reference");
            assert!(lines[1].contains(",monthly,100,monthly credits of the starting plan,free"), "{csv}");
            assert_eq!(select_attr(&billing, "[data-testid=ledger-export]", "href").len(), 1);
        } else {
            assert_eq!(location(&res), format!("/w/{ws}/billing?upgrade=paid"), "{standing:?}");
            assert_eq!(
                select_all(&billing, "[data-testid=ledger-export-locked]").len(),
                1,
                "the locked action says why"
            );
            let (_, html) = browser.get_html(&location(&res)).await;
            assert!(select_all(&html, "[data-testid=upgrade-notice]")[0].contains("upgrade to Starter"));
        }
    }
}
