//! The workspace directory (search by name, owner email or id; pages), a workspace's page,
//! audited credit grants and revocations with every bad input refused, and the overview's
//! numbers from the plan-change history.

use tollgate::domain::credits::CreditBucket;
use tollgate::domain::ids::WorkspaceId;
use tollgate::domain::names::WorkspaceName;
use tollgate::models::Workspace;
use tollgate::models::credit_ledger::CreditEntry;

use super::*;
use crate::stripe_shapes::{DAY, Sub, event, now, subscription};

#[actix_web::test]
async fn workspaces_are_searched_by_name_owner_email_or_id_and_paged() {
    let app = spawn_app().await;
    let ada = app.new_browser().signup("ada@lovelace.example").await;
    let free = app.with_db(|conn| tollgate::domain::catalog::Plan::find_by_code(conn, "free").unwrap().unwrap().id);
    app.with_db(|conn| {
        for i in 0..28 {
            Workspace::insert(conn, &WorkspaceName::parse(&format!("Acme {i:02}")).unwrap(), free).unwrap();
        }
    });
    app.sign_up_admin("boss@example.com").await;

    let (_, html) = app.get_html("/admin/workspaces?q=ACME").await;
    assert_eq!(select_all(&html, "[data-testid=workspaces] tbody tr").len(), 25);
    assert!(select_all(&html, "[data-testid=pager] span")[0].contains("28 in all"));
    let next = select_attr(&html, "[data-testid=pager] a[rel=next]", "href");
    assert_eq!(next, ["/admin/workspaces?q=ACME&page=2"]);
    let (_, html) = app.get_html(&next[0]).await;
    let names: Vec<String> = select_all(&html, "[data-testid=workspaces] tbody td a");
    assert_eq!(names, ["Acme 02", "Acme 01", "Acme 00"]);

    let (_, html) = app.get_html("/admin/workspaces?q=lovelace").await;
    assert_eq!(select_attr(&html, "[data-testid=workspaces] tbody tr", "data-workspace"), [ada.to_string()]);
    assert_eq!(select_all(&html, "[data-testid=workspaces] tbody td:nth-child(3)"), ["ada@lovelace.example"]);
    let (_, html) = app.get_html(&format!("/admin/workspaces?q=%23{ada}")).await;
    assert_eq!(select_attr(&html, "[data-testid=workspaces] tbody tr", "data-workspace"), [ada.to_string()]);
    // LIKE wildcards are searched for literally.
    let (_, html) = app.get_html("/admin/workspaces?q=%25").await;
    assert!(select_all(&html, "[data-testid=workspaces] tbody tr").is_empty());
    let (_, html) = app.get_html("/admin/workspaces").await;
    assert!(select_all(&html, "[data-testid=pager] span")[0].contains("30 in all"));

    for (query, field) in [("page=0", "page"), ("page=abc", "page"), ("q=", "")] {
        let res = app.get(&format!("/admin/workspaces?{query}")).await;
        if field.is_empty() {
            assert_eq!(res.status().as_u16(), 200, "{query}");
        } else {
            assert_eq!(res.status().as_u16(), 400, "{query}");
            assert!(error_message(&res.text().await.unwrap()).contains(field));
        }
    }
    let res = app.get(&format!("/admin/workspaces?q={}", "x".repeat(201))).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(app.get("/admin/workspaces/999999").await.status().as_u16(), 404);
}

#[actix_web::test]
async fn credit_grants_and_revocations_are_audited_and_bad_input_is_refused() {
    let app = spawn_app().await;
    let ws = app.new_browser().signup("owner@example.com").await;
    app.sign_up_admin("boss@example.com").await;
    let page = format!("/admin/workspaces/{ws}");
    let credits = format!("{page}/credits");
    let (before_monthly, _) = app.credits(ws);

    let res = app
        .post_form(
            &page,
            &credits,
            &[
                ("bucket", "purchased"),
                ("direction", "grant"),
                ("amount", "250"),
                ("reason", "goodwill for the outage"),
            ],
        )
        .await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, page.clone()));
    assert_eq!(app.credits(ws), (before_monthly, 250));
    let audit = app.audit();
    let entry = &audit[0];
    assert_eq!((entry.action.as_str(), entry.actor.as_str()), ("credits.grant", "boss@example.com"));
    assert_eq!((entry.workspace_id, entry.reason.as_deref()), (Some(WorkspaceId(ws)), Some("goodwill for the outage")));
    let before: serde_json::Value = serde_json::from_str(entry.before_json.as_deref().unwrap()).unwrap();
    let after: serde_json::Value = serde_json::from_str(entry.after_json.as_deref().unwrap()).unwrap();
    assert_eq!((before["purchased"].as_i64(), after["purchased"].as_i64()), (Some(0), Some(250)));
    let ledger = app.with_db(|conn| CreditEntry::recent(conn, WorkspaceId(ws), 1).unwrap());
    assert_eq!((ledger[0].bucket, ledger[0].delta), (CreditBucket::Purchased, 250));
    assert!(ledger[0].reason.contains("boss@example.com") && ledger[0].reason.contains("goodwill"));

    let (_, html) = app.get_html(&page).await;
    assert_eq!(
        select_all(&html, ".notice-success"),
        [format!("Credits now: {before_monthly} monthly, 250 purchased.")]
    );
    assert!(select_all(&html, "[data-testid=audit] td").contains(&"goodwill for the outage".to_owned()));
    assert_eq!(select_all(&html, "[data-testid=members] tbody td:first-child"), ["owner@example.com"]);
    assert_eq!(select_all(&html, "[data-testid=plan]"), ["Free"]);

    let res = app
        .post_form(
            &page,
            &credits,
            &[("bucket", "purchased"), ("direction", "revoke"), ("amount", "50"), ("reason", "double grant")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(app.credits(ws), (before_monthly, 200));
    assert_eq!(app.audit()[0].action, "credits.revoke");

    // Bad input: a 4xx naming the field, and nothing written.
    let good = [("bucket", "purchased"), ("direction", "grant"), ("amount", "5"), ("reason", "why")];
    for (field, value) in [
        ("amount", "abc"),
        ("amount", "0"),
        ("amount", "-5"),
        ("amount", "99999999999"),
        ("bucket", "gold"),
        ("direction", "steal"),
        ("reason", " "),
        ("reason", "line\nbreak"),
    ] {
        let fields: Vec<(&str, &str)> =
            good.iter().map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) }).collect();
        let res = app.post_form(&page, &credits, &fields).await;
        assert_eq!(res.status().as_u16(), 400, "{field}={value:?}");
        assert!(error_message(&res.text().await.unwrap()).contains(field), "{field}");
    }
    let res = app
        .post_form(
            &page,
            &credits,
            &[("bucket", "purchased"), ("direction", "revoke"), ("amount", "201"), ("reason", "too much")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422, "a revocation cannot take a bucket below zero");
    assert_eq!(app.credits(ws), (before_monthly, 200));
    assert_eq!(app.audit().len(), 2);
    let res = app.post_form(&page, "/admin/workspaces/999999/credits", &good).await;
    assert_eq!(res.status().as_u16(), 404);
}

fn sub_event(ws: i64, id: &str, status: &str, price: &str, created: i64) -> String {
    let sub_id = format!("sub_overview_{ws}");
    let sub = Sub {
        id: &sub_id,
        customer: "cus_overview",
        workspace_id: ws,
        status,
        price,
        period_start: now() - DAY,
        period_end: now() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: (status == "trialing").then(|| now() + 13 * DAY),
    };
    event(id, "customer.subscription.updated", created, subscription(&sub))
}

#[actix_web::test]
async fn the_overview_counts_revenue_trials_upgrades_and_churn() {
    let app = spawn_app().await;
    let trial = app.new_browser().signup("trial@example.com").await;
    let upgrader = app.new_browser().signup("upgrader@example.com").await;
    let churner = app.new_browser().signup("churner@example.com").await;
    for (ws, plan) in [(trial, "pro"), (upgrader, "starter"), (churner, "starter")] {
        app.record_plan_checkout(ws, &format!("sub_overview_{ws}"), plan);
    }
    let t = now() - 100;
    for body in [
        sub_event(trial, "evt_t1", "trialing", "price_pro_monthly", t),
        sub_event(trial, "evt_t2", "active", "price_pro_monthly", t + 1),
        sub_event(upgrader, "evt_u1", "active", "price_starter_monthly", t),
        sub_event(upgrader, "evt_u2", "active", "price_pro_monthly", t + 1),
        sub_event(churner, "evt_c1", "active", "price_starter_monthly", t),
        sub_event(churner, "evt_c2", "canceled", "price_starter_monthly", t + 1),
    ] {
        assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    }
    assert_eq!(
        (app.plan_code(trial), app.plan_code(upgrader), app.plan_code(churner)),
        ("pro".into(), "pro".into(), "free".into())
    );
    app.sign_up_admin("boss@example.com").await;
    let (_, html) = app.get_html("/admin").await;
    let stat = |id: &str| select_all(&html, &format!("[data-testid=overview] [data-testid={id}]"));
    assert_eq!(stat("mrr"), ["$100.00"], "two Pro workspaces at $50");
    assert_eq!(stat("trials-started"), ["1"]);
    assert_eq!(stat("trials-converted"), ["1"]);
    assert_eq!(stat("trial-conversion"), ["100%"]);
    assert_eq!(stat("new-subscriptions"), ["2"]);
    assert_eq!(stat("upgrades"), ["1"]);
    assert_eq!(stat("churned"), ["1"]);
    assert_eq!(stat("trialing"), ["0"]);
    let by_plan = select_all(&html, "[data-testid=by-plan] tbody td");
    assert_eq!(by_plan, ["Free", "2", "Pro", "2"]);
    let by_status = select_all(&html, "[data-testid=by-status] tbody td");
    assert!(by_status.windows(2).any(|w| w == ["active", "2"]), "{by_status:?}");
}
