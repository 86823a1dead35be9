//! Two instances of the app on one database, as behind a load balancer: the throttles and
//! the checkout limits are counted once for both, and signing out on one ends the session
//! on the other.

use diesel::prelude::*;
use tollgate::domain::ids::WorkspaceId;
use tollgate::domain::throttle::Bucket;

use crate::common::*;
use crate::throttling::{hits, login_with};

async fn checkout(app: &TestApp, ws: i64) -> u16 {
    let (page, path) = (format!("/w/{ws}/billing"), format!("/w/{ws}/checkout"));
    app.post_form(&page, &path, &[("plan", "pro"), ("interval", "month")]).await.status().as_u16()
}

#[actix_web::test]
async fn checkout_limits_are_shared_by_instances() {
    let a = spawn_app().await;
    let ws = a.signup("shared@example.com").await;
    let b = a.another_instance().await;
    assert_ne!(a.address, b.address);
    for _ in 0..5 {
        assert_eq!(checkout(&a, ws).await, 303);
        assert_eq!(checkout(&b, ws).await, 303);
    }
    assert_eq!(checkout(&b, ws).await, 429, "ten in all, whichever instance counted them");
    assert_eq!(checkout(&a, ws).await, 429);
    assert_eq!(hits(&a, &Bucket::CheckoutWorkspace(WorkspaceId(ws))), Some(10));
}

#[actix_web::test]
async fn sign_in_throttling_is_shared_by_instances() {
    let a = spawn_app().await;
    a.signup("guarded@example.com").await;
    a.logout().await;
    let b = a.another_instance().await;
    for _ in 0..5 {
        assert_eq!(login_with(&a, "guarded@example.com", "wrong password").await.status().as_u16(), 401);
        assert_eq!(login_with(&b, "guarded@example.com", "wrong password").await.status().as_u16(), 401);
    }
    assert_eq!(login_with(&a, "guarded@example.com", PASSWORD).await.status().as_u16(), 429);
    assert_eq!(login_with(&b, "guarded@example.com", PASSWORD).await.status().as_u16(), 429);
}

#[actix_web::test]
async fn signing_out_on_one_instance_ends_the_session_on_every_instance() {
    let a = spawn_app().await;
    a.signup("roaming@example.com").await;
    let b = a.another_instance().await;
    let thief = a.stolen_cookies();
    let me_on_b = format!("{}/api/me", b.address);
    assert_eq!(thief.client.get(&me_on_b).send().await.unwrap().status().as_u16(), 200);
    a.logout().await;
    assert_eq!(thief.client.get(&me_on_b).send().await.unwrap().status().as_u16(), 401);
    let rows: i64 = a.with_db(|conn| tollgate::schema::user_sessions::table.count().get_result(conn).unwrap());
    assert_eq!(rows, 0);
}
