//! Safe defaults around accounts: names that hide no text, HSTS over https, a private
//! SQLite file, and page requests that keep their connections during a sign-in flood.

use diesel::prelude::*;
use tollgate::db::DbConnection;
use tollgate::schema::{users, workspaces};

use crate::common::*;

fn workspace_name(app: &TestApp, id: i64) -> String {
    app.with_db(|conn| workspaces::table.find(id).select(workspaces::name).first(conn).unwrap())
}

#[actix_web::test]
async fn workspace_names_refuse_hidden_characters() {
    let app = spawn_app().await;
    let ws = app.signup("namer@example.com").await;
    let settings = format!("/w/{ws}/settings");
    for bad in ["Invoices\u{202E}fdp.exe", "a\u{2066}b\u{2069}", "two\nlines", "mark\u{200F}"] {
        let res = app.post_form(&settings, &settings, &[("name", bad)]).await;
        assert_eq!(res.status().as_u16(), 303, "{bad:?}");
        let (_, html) = app.get_html(&settings).await;
        assert_eq!(
            select_all(&html, ".notice-error"),
            ["Workspace names cannot contain control characters or invisible characters that change text direction."],
            "{bad:?}"
        );
        assert_eq!(workspace_name(&app, ws), "namer's workspace");
    }
    let res = app.post_form(&settings, &settings, &[("name", "Café Zürich 👩‍💻")]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(workspace_name(&app, ws), "Café Zürich 👩‍💻", "letters, accents and emoji are fine");
}

#[actix_web::test]
async fn an_email_hiding_characters_cannot_sign_up_or_name_a_workspace() {
    let app = spawn_app().await;
    let res =
        app.post_form("/signup", "/signup", &[("email", "gnp\u{202E}evil@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(res.status().as_u16(), 422);
    let html = res.text().await.unwrap();
    assert!(select_all(&html, ".notice-error")[0].contains("invisible characters"), "{html}");
    let (users_count, workspaces_count): (i64, i64) = app.with_db(|conn| {
        (users::table.count().get_result(conn).unwrap(), workspaces::table.count().get_result(conn).unwrap())
    });
    assert_eq!((users_count, workspaces_count), (0, 0));
}

/// Reverts or re-runs this change's migration (the one that cleans stored names).
fn our_migration(conn: &mut DbConnection, run: bool) {
    use diesel::migration::{Migration, MigrationSource};
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};

    fn find<DB: diesel::backend::Backend>(folder: &str) -> Box<dyn Migration<DB>>
    where
        FileBasedMigrations: MigrationSource<DB>,
    {
        let path = format!("{}/migrations/{folder}", env!("CARGO_MANIFEST_DIR"));
        let source = FileBasedMigrations::from_path(path).unwrap();
        let all = MigrationSource::<DB>::migrations(&source).unwrap();
        all.into_iter().find(|m| m.name().to_string().starts_with("2026-11-30-000020")).unwrap()
    }
    match conn {
        DbConnection::Sqlite(c) => {
            let m = find("sqlite");
            if run { c.run_migration(&*m).map(|_| ()) } else { c.revert_migration(&*m).map(|_| ()) }
        }
        DbConnection::Postgres(c) => {
            let m = find("postgres");
            if run { c.run_migration(&*m).map(|_| ()) } else { c.revert_migration(&*m).map(|_| ()) }
        }
    }
    .unwrap();
}

#[actix_web::test]
async fn the_migration_cleans_names_stored_before_they_were_checked() {
    let app = spawn_app().await;
    let ws = app.signup("legacy@example.com").await;
    let ws2 = app.new_browser().signup("legacy2@example.com").await;
    app.with_db(|conn| {
        our_migration(conn, false);
        for (id, name) in [(ws, " Acme\u{202E}gpj.exe\tReports "), (ws2, "\u{202E}\u{2066}")] {
            diesel::update(workspaces::table.find(id)).set(workspaces::name.eq(name)).execute(conn).unwrap();
        }
        our_migration(conn, true);
    });
    assert_eq!(workspace_name(&app, ws), "Acmegpj.exe Reports");
    assert_eq!(workspace_name(&app, ws2), "Workspace");
}

#[actix_web::test]
async fn hsts_is_sent_on_every_response_only_over_https() {
    let https = spawn_app_with(|vars| {
        vars.insert("BASE_URL".into(), "https://billing.example.com".into());
    })
    .await;
    let plain = spawn_app().await;
    for (path, put) in [("/pricing", false), ("/no/such/page", false), ("/pricing", true)] {
        let send = |app: &TestApp| {
            let url = app.url(path);
            if put { app.client.put(url) } else { app.client.get(url) }.send()
        };
        let res = send(&https).await.unwrap();
        let hsts = res.headers().get("strict-transport-security").map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(hsts.as_deref(), Some("max-age=31536000; includeSubDomains"), "{path} ({})", res.status());
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path} ({})", res.status());
        let res = send(&plain).await.unwrap();
        assert!(res.headers().get("strict-transport-security").is_none(), "{path} over http");
    }
}

#[cfg(unix)]
#[actix_web::test]
async fn the_sqlite_file_and_generated_secrets_are_private() {
    use std::os::unix::fs::PermissionsExt;
    // A SQLite file whatever TEST_DATABASE_URL says: the file is what is being checked.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("private.db").to_string_lossy().into_owned();
    let app = spawn_app_with(|vars| {
        vars.insert("DATABASE_URL".into(), db.clone());
        vars.remove("SESSION_KEY");
        vars.remove("SANDBOX_WEBHOOK_SECRET");
    })
    .await;
    app.signup("private@example.com").await; // something in the write-ahead log
    for suffix in ["", "-wal", "-shm", ".session-key", ".sandbox-webhook-secret"] {
        let path = format!("{db}{suffix}");
        let mode = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{path}: {e}")).permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{path} has mode {:o}", mode & 0o777);
    }
}

#[actix_web::test]
async fn a_sign_in_flood_does_not_starve_the_pages_of_connections() {
    let app = spawn_app_with(|vars| {
        vars.insert("DATABASE_POOL_SIZE".into(), "1".into());
    })
    .await;
    let token = app.csrf_token("/login").await;
    let flood = (0..40).map(|i| {
        let (client, url, token) = (app.client.clone(), app.url("/login"), token.clone());
        async move {
            let email = format!("nobody{i}@example.com");
            let form = [("csrf_token", token.as_str()), ("email", &email), ("password", "wrong password")];
            client.post(url).form(&form).send().await.unwrap().status().as_u16()
        }
    });
    let visitor = app.new_browser();
    let pages = async {
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(visitor.get("/pricing").await.status().as_u16());
        }
        statuses
    };
    let (logins, pages) = futures_util::join!(futures_util::future::join_all(flood), pages);
    assert!(logins.iter().all(|s| *s == 401 || *s == 429), "{logins:?}");
    assert_eq!(pages, [200; 20], "the pricing page kept its connection while passwords were hashed");
}
