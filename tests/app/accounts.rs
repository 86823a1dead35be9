use diesel::prelude::*;
use tollgate::schema::{memberships, users, workspaces};

use crate::common::*;

fn user_count(app: &TestApp) -> i64 {
    app.with_db(|conn| users::table.count().get_result(conn).unwrap())
}

#[actix_web::test]
async fn signup_creates_user_free_workspace_and_owner_membership() {
    let app = spawn_app().await;
    let workspace_id = app.signup("Ada@Example.com").await;

    let (email, role, plan): (String, String, String) = app.with_db(|conn| {
        use tollgate::schema::plans;
        memberships::table
            .inner_join(users::table)
            .inner_join(workspaces::table.inner_join(plans::table))
            .filter(workspaces::id.eq(workspace_id))
            .select((users::email, memberships::role, plans::code))
            .first(conn)
            .unwrap()
    });
    assert_eq!((email.as_str(), role.as_str(), plan.as_str()), ("ada@example.com", "owner", "free"));

    // Signed in straight away: the billing page shows the Free plan.
    let (status, html) = app.get_html(&format!("/w/{workspace_id}/billing")).await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-testid=current-plan]"), ["Free"]);
    assert_eq!(select_all(&html, "[data-testid=no-invoices]").len(), 1);
    let meters = select_all(&html, ".meter");
    assert!(meters[0].contains("100 of 100 credits"), "{meters:?}");
    assert!(meters[2].contains("1 of 1 seats"), "{meters:?}");
}

#[actix_web::test]
async fn login_after_logout_lands_on_the_workspace() {
    let app = spawn_app().await;
    let workspace_id = app.signup("grace@example.com").await;
    app.logout().await;

    let res = app.get(&format!("/w/{workspace_id}/billing")).await;
    assert_eq!(res.status().as_u16(), 303, "signed-out visitors are sent to sign in");
    assert_eq!(location(&res), format!("/login?next=/w/{workspace_id}/billing"));

    let res = app.login("GRACE@example.com").await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/w/{workspace_id}/billing"));
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 303, "{html}");
    let (status, html) = app.get_html(&format!("/w/{workspace_id}/settings")).await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "tr[data-member] td:first-child"), ["grace@example.com (you)"]);
}

#[actix_web::test]
async fn duplicate_email_is_a_form_error() {
    let app = spawn_app().await;
    app.signup("dup@example.com").await;
    let other = app.new_browser();
    let res = other.post_form("/signup", "/signup", &[("email", "DUP@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(select_all(&html, ".notice-error")[0].contains("already exists"));
    assert_eq!(select_attr(&html, "input[name=email]", "value"), ["DUP@example.com"], "the form keeps what was typed");
    assert_eq!(user_count(&app), 1);
}

#[actix_web::test]
async fn invalid_signup_input_is_explained() {
    let app = spawn_app().await;
    for (email, password, needle) in
        [("not-an-email", PASSWORD, "valid email"), ("a@example.com", "short", "at least 8")]
    {
        let res = app.post_form("/signup", "/signup", &[("email", email), ("password", password)]).await;
        assert_eq!(res.status().as_u16(), 422);
        assert!(res.text().await.unwrap().contains(needle), "{needle}");
    }
    assert_eq!(user_count(&app), 0);
}

#[actix_web::test]
async fn wrong_password_and_unknown_email_get_the_same_generic_error() {
    let app = spawn_app().await;
    app.signup("lin@example.com").await;
    app.logout().await;
    let mut messages = Vec::new();
    for (email, password) in [("lin@example.com", "wrong password"), ("nobody@example.com", PASSWORD)] {
        let res = app.post_form("/login", "/login", &[("email", email), ("password", password)]).await;
        assert_eq!(res.status().as_u16(), 401);
        messages.push(select_all(&res.text().await.unwrap(), ".notice-error"));
    }
    assert_eq!(messages[0], ["Email or password is incorrect."]);
    assert_eq!(messages[0], messages[1]);
    assert_eq!(app.get("/api/me").await.status().as_u16(), 401, "still signed out");
}

#[actix_web::test]
async fn missing_or_wrong_csrf_token_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    app.get("/signup").await; // the session now has a token
    for fields in [
        vec![("email", "x@example.com"), ("password", PASSWORD)],
        vec![("csrf_token", "forged"), ("email", "x@example.com"), ("password", PASSWORD)],
    ] {
        let res = app.post_raw("/signup", &fields).await;
        assert_eq!(res.status().as_u16(), 403);
        assert!(res.text().await.unwrap().contains("form has expired"));
    }
    assert_eq!(user_count(&app), 0);

    let workspace_id = app.signup("owner@example.com").await;
    let res =
        app.post_raw(&format!("/w/{workspace_id}/settings"), &[("csrf_token", "nope"), ("name", "Hijacked")]).await;
    assert_eq!(res.status().as_u16(), 403);
    let name: String =
        app.with_db(|conn| workspaces::table.find(workspace_id).select(workspaces::name).first(conn).unwrap());
    assert_eq!(name, "owner's workspace");

    // A token from another session does not work either.
    let other = app.new_browser();
    let foreign = other.csrf_token("/signup").await;
    let res =
        app.post_raw(&format!("/w/{workspace_id}/settings"), &[("csrf_token", &foreign), ("name", "Hijacked")]).await;
    assert_eq!(res.status().as_u16(), 403);
}

#[actix_web::test]
async fn next_is_followed_only_for_local_paths() {
    let app = spawn_app().await;
    let workspace_id = app.signup("nia@example.com").await;
    app.logout().await;
    for (next, expected) in [
        ("https://evil.example", format!("/w/{workspace_id}/billing")),
        ("//evil.example/x", format!("/w/{workspace_id}/billing")),
        ("/pricing", "/pricing".to_owned()),
    ] {
        let res = app
            .post_form(
                &format!("/login?next={next}"),
                "/login",
                &[("email", "nia@example.com"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(location(&res), expected, "next={next}");
        app.logout().await;
    }
    let (_, html) = app.get_html("/login?next=https://evil.example").await;
    assert_eq!(select_attr(&html, "input[name=next]", "value"), [""], "never echoed into the form");
    let res = app
        .post_form(
            "/signup?next=https://evil.example",
            "/signup",
            &[("email", "new@example.com"), ("password", PASSWORD), ("next", "https://evil.example")],
        )
        .await;
    assert!(location(&res).starts_with("/w/"), "{}", location(&res));
}

#[actix_web::test]
async fn session_cookie_is_http_only_lax_and_secure_on_https() {
    let app = spawn_app().await;
    let res = app.get("/signup").await;
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");

    let app = spawn_app_with(|vars| {
        vars.insert("BASE_URL".into(), "https://billing.example.com".into());
    })
    .await;
    let res = app.get("/signup").await;
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}
