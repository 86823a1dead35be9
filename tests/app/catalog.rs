use std::process::Command;

use diesel::prelude::*;
use tollgate::domain::catalog;
use tollgate::domain::catalog::Plan;
use tollgate::schema::{plans, workspaces};

use crate::common::*;

const BASE: &str = include_str!("../../catalog.toml");

/// The default catalog with Starter removed, Pro repriced and a Team plan added.
fn edited_catalog() -> String {
    let start = BASE.find("[[plans]]\ncode = \"starter\"").unwrap();
    let end = BASE[start + 1..].find("[[plans]]").unwrap() + start + 1;
    let mut edited = format!("{}{}", &BASE[..start], &BASE[end..]);
    edited = edited.replace("price_month_minor = 5000", "price_month_minor = 5500");
    edited.push_str("\n[[plans]]\ncode = \"team\"\nname = \"Team\"\nprice_month_minor = 9900\nstripe_price_month = \"price_team_monthly\"\nseats = 25\n");
    edited
}

#[actix_web::test]
async fn catalog_is_loaded_on_first_start() {
    let app = spawn_app().await;
    let plans = app.with_db(|conn| Plan::all(conn).unwrap());
    let codes: Vec<_> = plans.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["free", "starter", "pro", "enterprise"]);
    let default: Vec<_> = plans.iter().filter(|p| p.is_default).map(|p| p.code.as_str()).collect();
    assert_eq!(default, ["free"]);
    let starter = &plans[1];
    assert_eq!(
        (starter.price_month_minor, starter.price_year_minor, starter.monthly_credits, starter.seat_limit),
        (Some(2000), Some(20000), Some(2000), Some(3))
    );
}

#[actix_web::test]
async fn resync_updates_by_code_archives_missing_and_keeps_plans_in_use() {
    let app = spawn_app().await;
    let workspace_id = app.signup("starter@example.com").await;
    app.set_plan(workspace_id, "starter");

    let edited = catalog::parse("edited.toml", &edited_catalog()).unwrap();
    let report = app.with_db(|conn| tollgate::services::catalog::sync(conn, &edited).unwrap());
    assert_eq!(report.created, ["team"]);
    assert_eq!(report.updated, ["pro", "enterprise"], "enterprise moved up a place");
    assert_eq!(report.archived, ["starter"]);
    assert_eq!(report.archived_in_use, ["starter"]);

    let (starter, pro) = app.with_db(|conn| {
        (Plan::find_by_code(conn, "starter").unwrap().unwrap(), Plan::find_by_code(conn, "pro").unwrap().unwrap())
    });
    assert!(!starter.is_active, "archived, not deleted");
    assert_eq!(pro.price_month_minor, Some(5500));
    let plan_id: i64 =
        app.with_db(|conn| workspaces::table.find(workspace_id).select(workspaces::plan_id).first(conn).unwrap());
    assert_eq!(plan_id, starter.id.0, "the workspace keeps its plan");

    // Pricing no longer offers Starter, but its workspace still works.
    let (_, html) = app.get_html("/pricing").await;
    assert_eq!(select_attr(&html, "article[data-plan]", "data-plan"), ["free", "pro", "enterprise", "team"]);
    let (status, html) = app.get_html(&format!("/w/{workspace_id}/billing")).await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "[data-testid=current-plan]"), ["Starter"]);

    // Syncing the same catalog again changes nothing; restoring the old one un-archives.
    let again = app.with_db(|conn| tollgate::services::catalog::sync(conn, &edited).unwrap());
    assert_eq!(again, catalog::SyncReport::default());
    let original = catalog::parse("catalog.toml", BASE).unwrap();
    let back = app.with_db(|conn| tollgate::services::catalog::sync(conn, &original).unwrap());
    assert_eq!(back.updated, ["starter", "pro", "enterprise"]);
    assert_eq!(back.archived, ["team"]);
}

#[actix_web::test]
async fn the_catalog_sync_command_reports_and_rejects_bad_files() {
    let (url, _db) = test_database();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("catalog.toml");
    std::fs::write(&good, edited_catalog()).unwrap();
    let run = |path: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .args(["catalog", "sync"])
            .env_clear()
            .env("DATABASE_URL", &url)
            .env("CATALOG_PATH", path)
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let out = run(&good);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("created: free, pro, enterprise, team"), "{stdout}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[plans]]\ncode = \"free\"\nname = \"Free\"\nprice_month_minor = \"zero\"\n").unwrap();
    let out = run(&bad);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:4:", bad.display())), "{stderr}");
}

#[actix_web::test]
async fn a_malformed_catalog_stops_start_up_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("catalog.toml");
    std::fs::write(&bad, "[[plans]]\ncode = \"free\"\nname = \"Free\"\nprice_month_minor = -1\ndefault = true\n")
        .unwrap();
    let (url, _db) = test_database();
    let mut vars = base_vars(&url);
    vars.insert("CATALOG_PATH".into(), bad.to_string_lossy().into_owned());
    let config = tollgate::config::Config::from_vars(&vars).unwrap();
    let err = tollgate::startup::Application::build(config).await.err().expect("start-up refuses").to_string();
    assert!(
        err.contains(&format!("{}:1: plan \"free\": price_month_minor must not be negative", bad.display())),
        "{err}"
    );
}

#[actix_web::test]
async fn a_paid_product_without_a_price_id_for_the_provider_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.toml");
    std::fs::write(
        &path,
        BASE.replace("stripe_price_year = \"price_pro_yearly\"\n", "")
            .replace("stripe_price = \"price_credits_500\"\n", ""),
    )
    .unwrap();
    let (url, _db) = test_database();
    let mut vars = base_vars(&url);
    vars.insert("CATALOG_PATH".into(), path.to_string_lossy().into_owned());
    vars.insert("BILLING_PROVIDER".into(), "stripe".into());
    vars.insert("STRIPE_SECRET_KEY".into(), "sk_test_x".into());
    vars.insert("STRIPE_WEBHOOK_SECRET".into(), "whsec_x".into());
    let config = tollgate::config::Config::from_vars(&vars).unwrap();
    let err = tollgate::startup::Application::build(config).await.err().expect("start-up refuses").to_string();
    assert!(err.contains("BILLING_PROVIDER=stripe"), "{err}");
    assert!(
        err.contains("plan \"pro\": stripe_price_year") && err.contains("credit pack \"credits_500\": stripe_price"),
        "{err}"
    );

    // The same catalog is fine for Chargebee, whose ids are all there.
    vars.insert("BILLING_PROVIDER".into(), "chargebee".into());
    vars.insert("CHARGEBEE_SITE".into(), "acme".into());
    vars.insert("CHARGEBEE_API_KEY".into(), "key".into());
    vars.insert("CHARGEBEE_API_BASE".into(), "http://127.0.0.1:9/api/v2".into());
    let config = tollgate::config::Config::from_vars(&vars).unwrap();
    assert!(tollgate::startup::Application::build(config).await.is_ok());
}

#[actix_web::test]
async fn the_catalog_kept_in_memory_follows_every_write_at_once() {
    let app = spawn_app().await;
    let names = |html: &str| select_all(html, "article[data-plan] h2");
    let (_, html) = app.get_html("/pricing").await;
    assert!(names(&html).contains(&"Starter".to_owned()), "{:?}", names(&html));
    // Written behind the app's back, as an operator's SQL or another instance would.
    app.with_db(|conn| {
        diesel::update(plans::table.filter(plans::code.eq("starter")))
            .set(plans::name.eq("Starter Plus"))
            .execute(conn)
            .unwrap();
    });
    let (_, html) = app.get_html("/pricing").await;
    assert!(names(&html).contains(&"Starter Plus".to_owned()), "the next page shows it: {:?}", names(&html));
    let before: i64 = app.with_db(|conn| {
        tollgate::schema::catalog_versions::table
            .select(tollgate::schema::catalog_versions::version)
            .first(conn)
            .unwrap()
    });
    // Reading changes nothing: the version moves only with writes.
    app.get_html("/pricing").await;
    let after: i64 = app.with_db(|conn| {
        tollgate::schema::catalog_versions::table
            .select(tollgate::schema::catalog_versions::version)
            .first(conn)
            .unwrap()
    });
    assert_eq!(before, after);
}
