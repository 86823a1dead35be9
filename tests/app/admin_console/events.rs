//! The webhook event log: filters and pages, the payload shown escaped, a failed event
//! replayed once its cause is fixed (and a second replay harmless), and an event ignored
//! with a reason so that the retry job and redeliveries leave it alone.

use serde_json::json;

use super::*;
use crate::races::{completed_event, counts, recorded, stripe_app, subscription};
use crate::stripe_provider::FakeStripe;
use crate::stripe_shapes::{DAY, Sub, event, now};

fn update(ws: i64, event_id: &str, status: &str) -> String {
    let sub = Sub {
        id: "sub_admin",
        customer: "cus_admin",
        workspace_id: ws,
        status,
        price: "price_pro_monthly",
        period_start: now() - DAY,
        period_end: now() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: None,
    };
    event(event_id, "customer.subscription.updated", now(), crate::stripe_shapes::subscription(&sub))
}

#[actix_web::test]
async fn a_failed_event_is_replayed_once_its_cause_is_fixed() {
    let stripe = FakeStripe::start().await;
    let app = stripe_app(&stripe).await;
    let ws = app.signup("flaky@example.com").await;
    recorded(&app, ws);
    stripe.reply(503, r#"{"error":{"type":"api_error","message":"Stripe is having a moment"}}"#);
    assert_eq!(app.post_stripe(&completed_event(ws)).await.status().as_u16(), 500);
    let failed = app.events()[0].clone();
    assert_eq!(failed.status.as_str(), "failed");

    let admin = app.new_browser();
    admin.sign_up_admin("boss@example.com").await;
    let (_, html) = admin.get_html("/admin/events?status=failed").await;
    assert_eq!(select_attr(&html, "[data-testid=events] tbody tr", "data-event"), ["evt_checkout_race"]);
    let page = format!("/admin/events/{}", failed.id);
    let (_, html) = admin.get_html(&page).await;
    assert!(select_all(&html, "[data-testid=event-error]")[0].contains("fetching subscription sub_1"));

    // The cause goes away: Stripe answers again.
    stripe.reply(200, subscription(ws));
    let res = admin.post_form(&page, &format!("{page}/replay"), &[]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, page.clone()));
    assert_eq!(app.plan_code(ws), "starter");
    let e = app.events()[0].clone();
    assert_eq!((e.status.as_str(), e.attempts, e.error.as_deref()), ("processed", 2, None));
    assert_eq!(counts(&app, ws), (1, 1));
    let (_, html) = admin.get_html(&page).await;
    assert_eq!(select_all(&html, ".notice-success"), ["Replayed: the event is processed."]);
    assert_eq!(select_all(&html, "[data-testid=event-status]"), ["processed"]);
    assert!(select_all(&html, "form[action$=replay]").is_empty(), "nothing left to replay");

    // A second replay does nothing harmful: no second grant, no second fulfilment.
    let res = admin.post_form("/admin/events", &format!("{page}/replay"), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(counts(&app, ws), (1, 1));
    assert_eq!(app.events()[0].attempts, 2);
    let audit = app.audit();
    assert_eq!(audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["event.replay", "event.replay"]);
    let first: serde_json::Value = serde_json::from_str(audit[1].before_json.as_deref().unwrap()).unwrap();
    let then: serde_json::Value = serde_json::from_str(audit[1].after_json.as_deref().unwrap()).unwrap();
    assert_eq!((first["status"].as_str(), then["status"].as_str()), (Some("failed"), Some("processed")));
    assert_eq!(audit[1].workspace_id.map(|w| w.0), Some(ws));
}

#[actix_web::test]
async fn an_ignored_event_is_left_alone_by_retries_and_redeliveries() {
    let app = spawn_app().await;
    let ws = app.signup("odd@example.com").await;
    app.record_plan_checkout(ws, "sub_admin", "pro");
    // A status no provider sends: applying it fails.
    let body = update(ws, "evt_sideways", "sideways");
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 500);
    let row = app.events()[0].clone();
    assert_eq!(row.status.as_str(), "failed");

    let admin = app.new_browser();
    admin.sign_up_admin("boss@example.com").await;
    let page = format!("/admin/events/{}", row.id);
    let res = admin.post_form(&page, &format!("{page}/ignore"), &[("reason", "  ")]).await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(error_message(&res.text().await.unwrap()).contains("reason"));
    assert_eq!(app.events()[0].status.as_str(), "failed");

    let res = admin.post_form(&page, &format!("{page}/ignore"), &[("reason", "a test event from the dashboard")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let e = app.events()[0].clone();
    assert_eq!(e.status.as_str(), "dismissed");
    assert!(e.next_attempt_at.is_none());
    let audit = app.audit();
    assert_eq!(
        (audit[0].action.as_str(), audit[0].reason.as_deref()),
        ("event.ignore", Some("a test event from the dashboard"))
    );
    let (_, html) = admin.get_html(&page).await;
    assert_eq!(select_all(&html, "[data-testid=event-status]"), ["dismissed"]);
    assert!(select_all(&html, "[data-testid=audit] td").contains(&"a test event from the dashboard".to_owned()));

    // Neither the retry job, a redelivery, a replay nor a second ignore touches it.
    app.with_db(|conn| {
        use diesel::prelude::*;
        use tollgate::schema::billing_events;
        // Due, were it still failed.
        let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::hours(1);
        diesel::update(billing_events::table).set(billing_events::next_attempt_at.eq(past)).execute(conn).unwrap();
    });
    tollgate::services::retry_events::retry_due_events(&app.state, 100).await.unwrap();
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    admin.post_form(&page, &format!("{page}/replay"), &[]).await;
    assert_eq!(admin.post_form(&page, &format!("{page}/ignore"), &[("reason", "again")]).await.status().as_u16(), 409);
    let e = app.events()[0].clone();
    assert_eq!((e.status.as_str(), e.attempts), ("dismissed", 1));
    assert_eq!(app.plan_code(ws), "free");
}

#[actix_web::test]
async fn the_event_log_filters_pages_and_shows_payloads_escaped() {
    let app = spawn_app().await;
    let ws = app.signup("busy@example.com").await;
    app.record_plan_checkout(ws, "sub_admin", "pro");
    for i in 0..30 {
        let customer = json!({ "id": format!("cus_{i}"), "object": "customer", "name": "<b>Bold</b> & co" });
        let body = event(&format!("evt_customer_{i:02}"), "customer.created", now(), customer);
        assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    }
    assert_eq!(app.post_stripe(&update(ws, "evt_active", "active")).await.status().as_u16(), 200);
    let admin = app.new_browser();
    admin.sign_up_admin("boss@example.com").await;

    let (_, html) = admin.get_html("/admin/events?type=customer.created").await;
    assert_eq!(select_all(&html, "[data-testid=events] tbody tr").len(), 25);
    assert!(select_all(&html, "[data-testid=pager] span")[0].contains("30 in all"));
    let next = select_attr(&html, "[data-testid=pager] a[rel=next]", "href");
    assert_eq!(next, ["/admin/events?type=customer.created&page=2"]);
    let (_, html) = admin.get_html(&next[0]).await;
    let rows = select_attr(&html, "[data-testid=events] tbody tr", "data-event");
    assert_eq!(rows, ["evt_customer_04", "evt_customer_03", "evt_customer_02", "evt_customer_01", "evt_customer_00"]);

    let (_, html) = admin.get_html(&format!("/admin/events?workspace={ws}&provider=stripe&status=processed")).await;
    assert_eq!(select_attr(&html, "[data-testid=events] tbody tr", "data-event"), ["evt_active"]);
    let today = chrono::Utc::now().date_naive();
    let (_, html) =
        admin.get_html(&format!("/admin/events?from={today}&to={today}&type=customer.subscription.updated")).await;
    assert_eq!(select_attr(&html, "[data-testid=events] tbody tr", "data-event"), ["evt_active"]);
    let yesterday = today.pred_opt().unwrap();
    let (_, html) = admin.get_html(&format!("/admin/events?to={yesterday}")).await;
    assert!(select_all(&html, "[data-testid=events] tbody tr").is_empty());

    for (query, field) in [
        ("provider=paypal", "provider"),
        ("status=lost", "status"),
        ("workspace=abc", "workspace"),
        ("from=2026-02-31", "from"),
        ("from=2026-02-02&to=2026-02-01", "to"),
        ("type=%3Cscript%3E", "type"),
        ("page=0", "page"),
    ] {
        let res = admin.get(&format!("/admin/events?{query}")).await;
        assert_eq!(res.status().as_u16(), 400, "{query}");
        assert!(error_message(&res.text().await.unwrap()).contains(field), "{query}");
    }

    // The payload is shown as pretty JSON, as text: markup in it is escaped, not rendered.
    let row = app.events().into_iter().find(|e| e.event_id == "evt_customer_07").unwrap();
    let (status, html) = admin.get_html(&format!("/admin/events/{}", row.id)).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<b>Bold</b>"), "escaped");
    assert!(select_all(&html, "[data-testid=payload] b").is_empty(), "no markup from the payload");
    let payload = select_all(&html, "[data-testid=payload]")[0].clone();
    assert!(payload.contains("<b>Bold</b> & co"), "shown as text: {payload}");
    assert!(payload.contains("\n  \"id\": \"evt_customer_07\""), "{payload}");
    assert_eq!(admin.get("/admin/events/999999").await.status().as_u16(), 404);
}
