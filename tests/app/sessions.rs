//! Signing out ends the session on the server: a cookie copied before sign-out is
//! anonymous afterwards, and "sign out everywhere" ends every browser's session.

use diesel::prelude::*;
use tollgate::models::now;
use tollgate::schema::{user_sessions, users, workspaces};

use crate::common::*;

fn session_rows(app: &TestApp, email: &str) -> Vec<(String, chrono::NaiveDateTime)> {
    app.with_db(|conn| {
        user_sessions::table
            .inner_join(users::table)
            .filter(users::email.eq(email))
            .select((user_sessions::token_hash, user_sessions::expires_at))
            .load(conn)
            .unwrap()
    })
}

fn workspace_name(app: &TestApp, id: i64) -> String {
    app.with_db(|conn| workspaces::table.find(id).select(workspaces::name).first(conn).unwrap())
}

#[actix_web::test]
async fn a_cookie_copied_before_sign_out_is_anonymous_after_it() {
    let app = spawn_app().await;
    let ws = app.signup("victim@example.com").await;
    let settings = format!("/w/{ws}/settings");
    let thief = app.stolen_cookies();
    // The copy works while the session lives: it reads the account and gets a form token.
    assert_eq!(thief.get("/api/me").await.status().as_u16(), 200);
    let token = thief.csrf_token(&settings).await;

    app.logout().await;

    let res = thief.get("/api/me").await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "Please sign in to continue.");
    let res = thief.post_raw(&settings, &[("csrf_token", &token), ("name", "Owned by thief")]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), format!("/login?next={settings}"), "sent to sign in, nothing done");
    assert_eq!(workspace_name(&app, ws), "victim's workspace");
    assert!(session_rows(&app, "victim@example.com").is_empty());
    // The owner signs in again as usual.
    assert_eq!(app.login("victim@example.com").await.status().as_u16(), 303);
    assert_eq!(app.get("/api/me").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn sign_out_everywhere_ends_every_browsers_session() {
    let laptop = spawn_app().await;
    let ws = laptop.signup("traveller@example.com").await;
    let phone = laptop.new_browser();
    assert_eq!(phone.login("traveller@example.com").await.status().as_u16(), 303);
    assert_eq!(session_rows(&laptop, "traveller@example.com").len(), 2);

    let settings = format!("/w/{ws}/settings");
    let (_, html) = laptop.get_html(&settings).await;
    assert_eq!(
        select_all(&html, "[data-testid=sessions] form[action='/logout/everywhere'] button"),
        ["Sign out everywhere"]
    );
    // Without the form's token nothing happens.
    let res = laptop.post_raw("/logout/everywhere", &[]).await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(session_rows(&laptop, "traveller@example.com").len(), 2);

    let res = laptop.post_form(&settings, "/logout/everywhere", &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/login");
    let (_, html) = laptop.get_html("/login").await;
    assert_eq!(select_all(&html, ".notice-success"), ["Signed out everywhere (2 sessions ended)."]);

    assert_eq!(phone.get("/api/me").await.status().as_u16(), 401, "the other browser is signed out");
    assert_eq!(laptop.get("/api/me").await.status().as_u16(), 401, "and this one");
    assert!(session_rows(&laptop, "traveller@example.com").is_empty());
    assert_eq!(phone.login("traveller@example.com").await.status().as_u16(), 303);
    assert_eq!(phone.get("/api/me").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn sessions_are_stored_hashed_expire_and_stay_alive_while_used() {
    let app = spawn_app().await;
    app.signup("regular@example.com").await;
    let rows = session_rows(&app, "regular@example.com");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].0.len() == 64 && rows[0].0.chars().all(|c| c.is_ascii_hexdigit()), "a SHA-256, not a token");
    let lifetime = rows[0].1 - now();
    assert!(lifetime > chrono::TimeDelta::days(13) && lifetime <= chrono::TimeDelta::days(14), "{lifetime}");

    // A session used near its end is extended…
    let set_expiry = |at: chrono::NaiveDateTime| {
        app.with_db(|conn| {
            diesel::update(user_sessions::table).set(user_sessions::expires_at.eq(at)).execute(conn).unwrap()
        })
    };
    set_expiry(now() + chrono::TimeDelta::days(1));
    assert_eq!(app.get("/api/me").await.status().as_u16(), 200);
    assert!(session_rows(&app, "regular@example.com")[0].1 > now() + chrono::TimeDelta::days(13));

    // …one past its end is over, and pruned.
    set_expiry(now() - chrono::TimeDelta::seconds(1));
    assert_eq!(app.get("/api/me").await.status().as_u16(), 401);
    app.with_db(|conn| tollgate::services::jobs::prune_expired(conn, now()).unwrap());
    assert!(session_rows(&app, "regular@example.com").is_empty());
}

#[actix_web::test]
async fn signed_in_pages_that_change_nothing_send_no_cookie() {
    let app = spawn_app().await;
    let ws = app.signup("reader@example.com").await;
    let settings = format!("/w/{ws}/settings");
    // The first visits may store what the session lacks (a form token, the current workspace).
    app.get(&settings).await;
    app.get(&format!("/w/{ws}/billing")).await;
    for page in ["/pricing".to_owned(), format!("/w/{ws}/billing"), settings.clone(), "/api/me".to_owned()] {
        let res = app.get(&page).await;
        assert_eq!(res.status().as_u16(), 200, "{page}");
        assert!(res.headers().get("set-cookie").is_none(), "{page} rewrote an unchanged session");
    }
    // A notice changes the session twice: when it is set, and when the next page shows it.
    let res = app.post_form(&settings, &settings, &[("name", "Renamed")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let shown = app.get(&settings).await;
    assert!(shown.headers().get("set-cookie").is_some(), "showing the notice removes it from the session");
    assert!(shown.text().await.unwrap().contains("Workspace renamed to"), "the notice is shown once");
    let again = app.get(&settings).await;
    assert!(again.headers().get("set-cookie").is_none());
    assert!(!again.text().await.unwrap().contains("Workspace renamed to"), "and not again");
}
