//! The official stripe-python SDK against the sandbox (`tests/sdk/stripe_python.py`): Stripe's
//! own client must get Stripe's objects and typed errors from it — lists of prices and
//! subscriptions, the JSON 404 for an endpoint it does not serve, and test clocks.
//!
//! Needs a Python with the `stripe` package: `.ci/run` installs it into
//! `target/stripe-python-venv` and runs `cargo test --features stripe-python-tests --test
//! stripe_python` (`STRIPE_PYTHON` names another interpreter).

#![cfg(feature = "stripe-python-tests")]

use std::collections::HashMap;
use std::process::Command;

use tollgate::config::Config;
use tollgate::startup::Application;

#[actix_web::test]
async fn the_official_python_sdk_lists_and_drives_test_clocks() {
    let dir = tempfile::tempdir().unwrap();
    let vars: HashMap<String, String> = [
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("DATABASE_URL", &dir.path().join("sdk.db").to_string_lossy()),
        ("SESSION_KEY", "sdk-test-session-key-0123456789abcdef0123456789abcdef0123456789abcdef012345"),
        ("RUN_JOBS", "false"),
        ("CATALOG_PATH", concat!(env!("CARGO_MANIFEST_DIR"), "/catalog.toml")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let app = Application::build(Config::from_vars(&vars).unwrap()).await.unwrap();
    let base = format!("http://127.0.0.1:{}/sandbox", app.port());
    let key = app.sandbox().unwrap().api_key.clone();
    actix_web::rt::spawn(app.run_until_stopped());

    let root = env!("CARGO_MANIFEST_DIR");
    let python =
        std::env::var("STRIPE_PYTHON").unwrap_or_else(|_| format!("{root}/target/stripe-python-venv/bin/python"));
    let script = format!("{root}/tests/sdk/stripe_python.py");
    // The SDK blocks; the app must keep serving on this thread meanwhile.
    let run =
        move || Command::new(&python).arg(&script).env("SANDBOX_API_BASE", base).env("SANDBOX_API_KEY", key).output();
    let output = actix_web::rt::task::spawn_blocking(run)
        .await
        .unwrap()
        .expect("a Python with the `stripe` package (see .ci/run, or set STRIPE_PYTHON)");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "stripe-python failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("passed, 0 failed"), "{stdout}");
}
