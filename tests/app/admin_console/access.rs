//! Every admin address answers 404 to anyone but an administrator, for GET and POST alike
//! (a valid CSRF token changes nothing), and every admin action refuses a missing or wrong
//! CSRF token without writing anything.

use tollgate::domain::catalog::Plan;

use super::*;
use crate::stripe_shapes::{event, now};

/// A workspace, an event and the catalog's first entries: real ids for every address.
async fn arrange(app: &TestApp) -> (i64, i64) {
    let ws = app.signup("customer@example.com").await;
    let body =
        event("evt_access", "customer.created", now(), serde_json::json!({ "id": "cus_x", "object": "customer" }));
    assert_eq!(app.post_stripe(&body).await.status().as_u16(), 200);
    let event_id = app.events()[0].id;
    (ws, event_id)
}

fn get_paths(ws: i64, ev: i64) -> Vec<String> {
    [
        "/admin".to_owned(),
        "/admin/workspaces?q=a".to_owned(),
        format!("/admin/workspaces/{ws}"),
        "/admin/events?status=failed".to_owned(),
        format!("/admin/events/{ev}"),
        "/admin/catalog".to_owned(),
        "/admin/catalog/plans/new".to_owned(),
        "/admin/catalog/plans/1".to_owned(),
        "/admin/catalog/addons/new".to_owned(),
        "/admin/catalog/addons/1".to_owned(),
        "/admin/catalog/packs/new".to_owned(),
        "/admin/catalog/packs/1".to_owned(),
    ]
    .to_vec()
}

/// Each admin action with a form that would be accepted from an administrator.
fn actions(ws: i64, ev: i64) -> Vec<(String, Vec<(&'static str, &'static str)>)> {
    let plan = vec![("name", "Hacked"), ("currency", "usd"), ("price_month_minor", "1"), ("code", "hacked")];
    let addon =
        vec![("name", "Hacked"), ("currency", "usd"), ("price_minor", "1"), ("interval", "month"), ("code", "hacked")];
    let pack =
        vec![("name", "Hacked"), ("currency", "usd"), ("price_minor", "1"), ("credits", "9"), ("code", "hacked")];
    vec![
        (
            format!("/admin/workspaces/{ws}/credits"),
            vec![("bucket", "purchased"), ("direction", "grant"), ("amount", "5"), ("reason", "x")],
        ),
        (format!("/admin/workspaces/{ws}/sync"), vec![]),
        (format!("/admin/workspaces/{ws}/trial"), vec![("days", "7")]),
        (format!("/admin/events/{ev}/replay"), vec![]),
        (format!("/admin/events/{ev}/ignore"), vec![("reason", "x")]),
        ("/admin/catalog/plans".to_owned(), plan.clone()),
        ("/admin/catalog/plans/2".to_owned(), plan),
        ("/admin/catalog/addons".to_owned(), addon.clone()),
        ("/admin/catalog/addons/1".to_owned(), addon),
        ("/admin/catalog/packs".to_owned(), pack.clone()),
        ("/admin/catalog/packs/1".to_owned(), pack),
        ("/admin/catalog/plans/2/archive".to_owned(), vec![]),
        ("/admin/catalog/plans/2/restore".to_owned(), vec![]),
    ]
}

#[actix_web::test]
async fn every_admin_address_is_a_404_for_anyone_else() {
    let app = spawn_app().await;
    let (ws, ev) = arrange(&app).await;
    let catalog_before = app.with_db(|conn| Plan::all(conn).unwrap());
    let credits_before = app.credits(ws);
    let anonymous = app.new_browser();
    for path in get_paths(ws, ev) {
        assert_eq!(anonymous.get(&path).await.status().as_u16(), 404, "anonymous GET {path}");
        assert_eq!(app.get(&path).await.status().as_u16(), 404, "customer GET {path}");
    }
    let token = app.csrf_token("/pricing").await;
    for (path, fields) in actions(ws, ev) {
        let res = anonymous.post_raw(&path, &fields).await;
        assert_eq!(res.status().as_u16(), 404, "anonymous POST {path}");
        let mut with_token = vec![("csrf_token", token.as_str())];
        with_token.extend(fields.iter().copied());
        assert_eq!(app.post_raw(&path, &with_token).await.status().as_u16(), 404, "customer POST {path}");
        // Even a bad token gets the 404, not a CSRF refusal that would show the address exists.
        assert_eq!(app.post_raw(&path, &fields).await.status().as_u16(), 404, "customer POST {path} without token");
    }
    assert!(app.audit().is_empty(), "nothing was done");
    assert_eq!(app.with_db(|conn| Plan::all(conn).unwrap()), catalog_before);
    assert_eq!(app.credits(ws), credits_before);
    assert_eq!(app.events()[0].status.as_str(), "ignored");
    // A query string that cannot be read is a 404 too, not a 400 that shows the address exists.
    for path in ["/admin/workspaces?page=1&page=2", "/admin/events?status=failed&status=pending"] {
        assert_eq!(app.get(path).await.status().as_u16(), 404, "customer GET {path}");
    }

    // The administrator reaches every page.
    let boss = app.new_browser();
    boss.sign_up_admin("boss@example.com").await;
    for path in get_paths(ws, ev) {
        assert_eq!(boss.get(&path).await.status().as_u16(), 200, "admin GET {path}");
    }
    assert_eq!(boss.get("/admin/workspaces?page=1&page=2").await.status().as_u16(), 400);
}

#[actix_web::test]
async fn every_admin_action_refuses_a_missing_or_wrong_csrf_token() {
    let app = spawn_app().await;
    let (ws, ev) = arrange(&app).await;
    app.logout().await;
    app.sign_up_admin("boss@example.com").await;
    let catalog_before = app.with_db(|conn| Plan::all(conn).unwrap());
    let credits_before = app.credits(ws);
    for (path, fields) in actions(ws, ev) {
        assert_eq!(app.post_raw(&path, &fields).await.status().as_u16(), 403, "no token: {path}");
        let mut wrong = vec![("csrf_token", "forged")];
        wrong.extend(fields.iter().copied());
        assert_eq!(app.post_raw(&path, &wrong).await.status().as_u16(), 403, "wrong token: {path}");
    }
    assert!(app.audit().is_empty(), "nothing was done");
    assert_eq!(app.with_db(|conn| Plan::all(conn).unwrap()), catalog_before);
    assert_eq!(app.credits(ws), credits_before);
}
