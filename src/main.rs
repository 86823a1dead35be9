//! The `tollgate` binary: `tollgate` serves the app; `tollgate catalog sync` re-applies
//! the catalog file to the database; `tollgate migrate` only runs migrations;
//! `tollgate credits adjust` grants or revokes a workspace's credits; `tollgate jobs list|run`
//! shows and runs the background jobs; `tollgate sync` reconciles workspaces with the
//! provider; `tollgate admin key create|revoke` issues platform-health API keys.

use std::process::ExitCode;

use tollgate::config::Config;
use tollgate::db::{build_pool, run_migrations};
use tollgate::domain::catalog;
use tollgate::startup::Application;

const USAGE: &str = "usage: tollgate [serve | catalog sync | migrate | admin grant EMAIL | admin revoke EMAIL | admin list | admin key create EMAIL | admin key revoke EMAIL | credits adjust WORKSPACE_ID monthly|purchased ±AMOUNT REASON… | jobs list | jobs run NAME | sync [--workspace ID]]";

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
        ["admin", "key", "create", email] => create_admin_key(&config, email),
        ["admin", "key", "revoke", email] => revoke_admin_keys(&config, email),
        ["jobs", "list"] => list_jobs(&config),
        ["jobs", "run", name] => run_job(config, name),
        ["sync"] => sync(config, None),
        ["sync", "--workspace", id] => sync(config, Some(id)),
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

fn create_admin_key(config: &Config, email: &str) -> ExitCode {
    let result = open_database(config).and_then(|pool| {
        let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
        tollgate::services::admin_keys::create_admin_key(&mut conn, config, email).map_err(|e| e.to_string())
    });
    match result {
        Ok(secret) => {
            println!("{secret}");
            eprintln!("the key for {email}; it is not shown again. Send it as `Authorization: Bearer …`.");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn revoke_admin_keys(config: &Config, email: &str) -> ExitCode {
    let result = open_database(config).and_then(|pool| {
        let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
        tollgate::services::admin_keys::revoke_admin_keys(&mut conn, email).map_err(|e| e.to_string())
    });
    match result {
        Ok(count) => {
            println!("{count} key(s) of {email} revoked");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn list_jobs(config: &Config) -> ExitCode {
    let result = open_database(config).and_then(|pool| {
        let mut conn = pool.get().map_err(|e| format!("no database connection: {e}"))?;
        tollgate::services::jobs::job_statuses(&mut conn).map_err(|e| e.detail())
    });
    let statuses = match result {
        Ok(statuses) => statuses,
        Err(e) => return fail(&e),
    };
    println!("{:<28} {:>8}  {:<20} LAST RUN", "JOB", "EVERY", "NEXT RUN (UTC)");
    for status in statuses {
        let every = status.job.interval();
        let every = if every.num_hours() >= 1 {
            format!("{}h", every.num_hours())
        } else {
            format!("{}m", every.num_minutes())
        };
        let next = status.next_run_at.map_or("first round".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
        let last = status.last_run.map_or("never".to_owned(), |run| {
            format!(
                "{} {} ({} change(s)) {}",
                run.started_at.format("%Y-%m-%d %H:%M:%S"),
                run.outcome,
                run.changes,
                run.message
            )
        });
        println!("{:<28} {every:>8}  {next:<20} {last}", status.job.as_str());
    }
    ExitCode::SUCCESS
}

/// Starts the app on a loopback port of its own, without the scheduler, for one command that
/// talks to the provider (with the sandbox as provider, this process serves the sandbox too).
fn with_app<F, Fut>(mut config: Config, f: F) -> ExitCode
where
    F: FnOnce(actix_web::web::Data<tollgate::startup::AppState>) -> Fut,
    Fut: std::future::Future<Output = Result<bool, String>>,
{
    config.host = "127.0.0.1".to_owned();
    config.port = 0;
    config.run_jobs = false;
    let result = actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config).await.map_err(|e| e.to_string())?;
        f(app.state()).await
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => fail(&e),
    }
}

fn run_job(config: Config, name: &str) -> ExitCode {
    use tollgate::domain::jobs::{ALL, Job, Outcome, RunBy};
    let Some(job) = Job::parse(name) else {
        let names: Vec<&str> = ALL.iter().map(|j| j.as_str()).collect();
        return fail(&format!("no job is called {name}; the jobs are {}", names.join(", ")));
    };
    with_app(config, |state| async move {
        let instance = tollgate::services::jobs::instance_id();
        let report = tollgate::services::jobs::run_job(&state, job, RunBy::CommandLine, &instance)
            .await
            .map_err(|e| e.detail())?;
        println!("{}: {} ({} change(s)) {}", job.as_str(), report.outcome.as_str(), report.changes, report.message);
        Ok(report.outcome == Outcome::Ok)
    })
}

fn sync(config: Config, workspace: Option<&str>) -> ExitCode {
    use tollgate::services::reconcile::{Scope, reconcile};
    let scope = match workspace.map(str::parse) {
        None => Scope::Paid,
        Some(Ok(id)) => Scope::Workspace(id),
        Some(Err(_)) => return fail(&format!("not a workspace id: {}", workspace.unwrap_or_default())),
    };
    with_app(config, |state| async move {
        let report = reconcile(&state, scope, "cli:sync").await.map_err(|e| e.detail())?;
        for healed in &report.healed {
            println!("{}", healed.describe());
        }
        println!("{}", report.summary());
        Ok(report.failures.is_empty())
    })
}
