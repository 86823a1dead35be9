//! The `tollgate` binary: `tollgate` serves the app; `tollgate catalog sync` re-applies
//! the catalog file to the database; `tollgate migrate` only runs migrations;
//! `tollgate credits adjust` grants or revokes a workspace's credits (an operator's tool
//! until the operators' screen exists).

use std::process::ExitCode;

use tollgate::config::Config;
use tollgate::db::{build_pool, run_migrations};
use tollgate::domain::catalog;
use tollgate::startup::Application;

const USAGE: &str = "usage: tollgate [serve | catalog sync | migrate | admin grant EMAIL | admin revoke EMAIL | admin list | credits adjust WORKSPACE_ID monthly|purchased ±AMOUNT REASON…]";

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info,stripe=warn")).init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => serve(config),
        ["catalog", "sync"] => catalog_sync(&config),
        ["migrate"] => migrate(&config),
        ["admin", "grant", email] => set_admin(&config, email, true),
        ["admin", "revoke", email] => set_admin(&config, email, false),
        ["admin", "list"] => list_admins(&config),
        ["credits", "adjust", workspace, bucket, amount, reason @ ..] if !reason.is_empty() => {
            credits_adjust(&config, workspace, bucket, amount, &reason.join(" "))
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => fail(USAGE),
    }
}

fn fail(message: &str) -> ExitCode {
    log::error!("{message}");
    eprintln!("tollgate: {message}");
    ExitCode::FAILURE
}

fn serve(config: Config) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).await.map_err(|e| e.to_string())?;
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn open_database(config: &Config) -> Result<tollgate::db::DbPool, String> {
    let pool = build_pool(&config.database_url, 2)?;
    let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
    run_migrations(&mut conn)?;
    Ok(pool)
}

fn catalog_sync(config: &Config) -> ExitCode {
    let result = (|| {
        let products = catalog::load(&config.catalog_path, config.catalog_path_explicit).map_err(|e| e.to_string())?;
        let pool = open_database(config)?;
        let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
        tollgate::services::catalog::sync(&mut conn, &products).map_err(|e| format!("catalog sync failed: {e}"))
    })();
    match result {
        Ok(report) => {
            println!("catalog synced from {}: {report}", config.catalog_path);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn migrate(config: &Config) -> ExitCode {
    match open_database(config) {
        Ok(_) => {
            println!("database is up to date");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn set_admin(config: &Config, email: &str, grant: bool) -> ExitCode {
    let result = open_database(config).and_then(|pool| {
        let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
        tollgate::services::admins::set_admin(&mut conn, email, grant).map_err(|e| e.to_string())
    });
    match (result, grant) {
        (Ok(true), true) => println!("{email} is now an administrator"),
        (Ok(false), true) => println!("{email} already was an administrator"),
        (Ok(true), false) => println!("{email} is no longer an administrator"),
        (Ok(false), false) => println!("{email} was not an administrator granted from the command line"),
        (Err(e), _) => return fail(&e),
    }
    ExitCode::SUCCESS
}

fn list_admins(config: &Config) -> ExitCode {
    let result = open_database(config).and_then(|pool| {
        let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
        tollgate::models::instance_admin::emails(&mut conn).map_err(|e| e.to_string())
    });
    match result {
        Ok(granted) => {
            for email in &config.admin_emails {
                println!("{email} (ADMIN_EMAILS)");
            }
            for email in granted {
                println!("{email}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn credits_adjust(config: &Config, workspace: &str, bucket: &str, amount: &str, reason: &str) -> ExitCode {
    use tollgate::domain::credits::CreditBucket;
    use tollgate::services::credits::{Adjustment, adjust_in};
    let result = (|| {
        let workspace_id = workspace.parse().map_err(|_| format!("not a workspace id: {workspace}"))?;
        let bucket =
            CreditBucket::parse(bucket).ok_or_else(|| format!("the bucket is monthly or purchased, not {bucket}"))?;
        let delta = amount.parse::<i64>().map_err(|_| format!("not a whole number of credits: {amount}"))?;
        let pool = open_database(config)?;
        let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
        let adjustment =
            Adjustment { bucket, delta, reason: reason.to_owned(), actor: "the tollgate command".to_owned() };
        adjust_in(&mut conn, workspace_id, &adjustment).map_err(|e| e.detail())
    })();
    match result {
        Ok(balance) => {
            println!("workspace {workspace}: monthly {}, purchased {}", balance.monthly, balance.purchased);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}
