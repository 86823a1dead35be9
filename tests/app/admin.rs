//! Who reaches the admin console: administrators by `ADMIN_EMAILS` or granted from the
//! command line; everyone else gets a 404 for every admin address.

use std::process::Command;

use crate::common::*;

fn admin_command(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .arg("admin")
        .args(args)
        .env_clear()
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error")
        .env("CATALOG_PATH", concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.toml"))
        .output()
        .unwrap()
}

#[actix_web::test]
async fn only_administrators_see_the_admin_console() {
    let app = spawn_app_with(|vars| {
        vars.insert("ADMIN_EMAILS".into(), "Boss@Example.com".into());
    })
    .await;
    for path in ["/admin", "/admin/", "/admin/workspaces", "/admin/no-such-page"] {
        assert_eq!(app.get(path).await.status().as_u16(), 404, "anonymous: {path}");
    }
    app.signup("customer@example.com").await;
    for path in ["/admin", "/admin/no-such-page"] {
        assert_eq!(app.get(path).await.status().as_u16(), 404, "customer: {path}");
    }
    let boss = app.new_browser();
    boss.signup("boss@example.com").await;
    let (status, html) = boss.get_html("/admin").await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-testid=admins] li"), ["boss@example.com"]);
    assert_eq!(boss.get("/admin/no-such-page").await.status().as_u16(), 404);
}

#[actix_web::test]
async fn admins_are_granted_and_revoked_from_the_command_line_and_audited() {
    let app = spawn_app().await;
    app.signup("ops@example.com").await;
    assert_eq!(app.get("/admin").await.status().as_u16(), 404);
    let url = app.state.config.database_url.clone();

    let granted = admin_command(&url, &["grant", "OPS@example.com"]);
    assert!(granted.status.success(), "{}", String::from_utf8_lossy(&granted.stderr));
    assert!(String::from_utf8_lossy(&granted.stdout).contains("is now an administrator"));
    let (status, html) = app.get_html("/admin").await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-testid=audit] code"), ["admin.grant"]);

    let unknown = admin_command(&url, &["grant", "nobody@example.com"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("sign up first"));

    assert!(admin_command(&url, &["revoke", "ops@example.com"]).status.success());
    assert_eq!(app.get("/admin").await.status().as_u16(), 404);
}
