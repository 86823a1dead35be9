//! Event delivery: signed as Stripe signs (`Stripe-Signature: t=…,v1=…` over the raw body,
//! fresh real-time timestamp), sent in creation order, failures kept for retry. The events
//! are made by the sandbox app; delivery is pointed at a local receiver by giving
//! `deliver_pending` the app's state with another `base_url`.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::Utc;
use tollgate::billing::BillingProvider;
use tollgate::billing::sandbox::events::deliver_pending;
use tollgate::billing::signature::{DEFAULT_TOLERANCE_SECS, stripe_verify};
use tollgate::startup::AppState;

use crate::common::spawn_app;
use crate::sandbox::{GOOD, plan_checkout, provider, stored_events};

#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<(String, String, String)>>,
    status: Mutex<u16>,
}

async fn receive(req: HttpRequest, body: web::Bytes, r: web::Data<Receiver>) -> HttpResponse {
    let signature = req.headers().get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    r.got.lock().unwrap().push((req.path().to_owned(), signature, String::from_utf8_lossy(&body).into_owned()));
    HttpResponse::build(actix_web::http::StatusCode::from_u16(*r.status.lock().unwrap()).unwrap()).finish()
}

#[actix_web::test]
async fn events_are_signed_sent_in_order_and_retried() {
    let app = spawn_app().await;
    let page = provider(&app).create_checkout(&plan_checkout("pro", "price_pro_monthly", None)).await.unwrap();
    let path = page.url.strip_prefix(&app.address).unwrap().to_owned();
    app.post_form(&path, &format!("{path}/pay"), &[("card", GOOD)]).await;
    let stored = stored_events(&app);
    assert_eq!(stored.len(), 3);
    assert!(
        stored.iter().all(|e| e.delivered_at.is_some() && e.last_status == Some(200)),
        "delivered to the app's own /webhooks/stripe before the checkout page answered"
    );
    // Forget the deliveries, so they can be sent again to a receiver that inspects them.
    app.with_db(|conn| {
        use diesel::prelude::*;
        use tollgate::schema::sandbox_events;
        diesel::update(sandbox_events::table)
            .set((sandbox_events::delivered_at.eq(None::<chrono::NaiveDateTime>), sandbox_events::attempts.eq(0)))
            .execute(conn)
            .unwrap();
    });

    let receiver = Arc::new(Receiver { status: Mutex::new(500), ..Receiver::default() });
    let data = web::Data::from(receiver.clone());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(receive)))
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
    actix_web::rt::spawn(server);
    let mut config = (*app.state.config).clone();
    config.base_url = format!("http://127.0.0.1:{port}");
    let state = AppState {
        db: app.state.db.clone(),
        billing: tollgate::billing::Billing::from_config(&config).unwrap(),
        config: Arc::new(config),
        stripe_webhook_secret: app.state.stripe_webhook_secret.clone(),
    };

    // The endpoint fails: all stay pending, with the status recorded.
    let report = deliver_pending(&state, true).await.unwrap();
    assert_eq!((report.attempted, report.delivered, report.failed), (3, 0, 3));
    assert!(stored_events(&app).iter().all(|e| e.last_status == Some(500) && e.delivered_at.is_none()));

    *receiver.status.lock().unwrap() = 200;
    receiver.got.lock().unwrap().clear();
    let report = deliver_pending(&state, false).await.unwrap();
    assert_eq!((report.attempted, report.delivered), (3, 3));
    let got = receiver.got.lock().unwrap().clone();
    let sent_ids: Vec<String> = got
        .iter()
        .map(|(path, signature, body)| {
            assert_eq!(path, "/webhooks/stripe");
            let t = stripe_verify(
                signature,
                body.as_bytes(),
                &state.stripe_webhook_secret,
                Utc::now().timestamp(),
                DEFAULT_TOLERANCE_SECS,
            )
            .expect("a valid, fresh Stripe signature");
            assert!((Utc::now().timestamp() - t).abs() < 60);
            serde_json::from_str::<serde_json::Value>(body).unwrap()["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let stored = stored_events(&app);
    assert_eq!(sent_ids, stored.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), "creation order");
    assert!(stored.iter().all(|e| e.delivered_at.is_some() && e.last_status == Some(200) && e.attempts == 2));

    // Delivered events are not sent again.
    assert_eq!(deliver_pending(&state, true).await.unwrap().attempted, 0);
}
