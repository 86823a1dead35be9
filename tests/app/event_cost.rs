//! What one webhook costs must not grow with a workspace's history: the 10,000th ended
//! subscription is processed with the same statements as the 10th, and nothing on the
//! workspace row grows. Counted with diesel's instrumentation, not timed.

use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use tollgate::db::DbConnection;
use tollgate::domain::normalized::Provider;
use tollgate::schema::ended_subscriptions;
use tollgate::services::webhooks::{parse, record_and_apply_on};

use crate::common::*;
use crate::stripe_shapes::*;

/// Keeps the SQL of each statement a connection starts.
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let text = query.to_string();
            let sql = text.split(" -- binds:").next().unwrap_or_default().to_owned();
            self.0.lock().unwrap().push(sql);
        }
    }
}

fn deleted(ws: i64, n: usize) -> String {
    let sub = Sub {
        id: &format!("sub_{n}"),
        customer: "cus_cost",
        workspace_id: ws,
        status: "canceled",
        price: "price_pro_monthly",
        period_start: now() - 30 * DAY,
        period_end: now(),
        cancel_at_period_end: false,
        trial_end: None,
    };
    event(&format!("evt_del_{n}"), "customer.subscription.deleted", now(), subscription(&sub))
}

/// Applies one event on an instrumented connection; returns how many statements it ran.
fn statements_for(app: &TestApp, body: &str) -> usize {
    statements_of(app, body).len()
}

/// Applies one event on an instrumented connection; returns the SQL of each statement it ran.
fn statements_of(app: &TestApp, body: &str) -> Vec<String> {
    let event = parse(Provider::Stripe, body.as_bytes()).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    app.with_db(|conn| {
        conn.set_instrumentation(Recorder(seen.clone()));
        let outcome = record_and_apply_on(conn, &event, body, 7).unwrap();
        conn.set_instrumentation(Recorder(Arc::default()));
        assert!(outcome.is_some(), "the event needs nothing from the provider");
    });
    seen.lock().unwrap().clone()
}

#[actix_web::test]
async fn the_ten_thousandth_ended_subscription_costs_what_the_tenth_does() {
    let app = spawn_app().await;
    let ws = app.signup("history@example.com").await;
    for n in 1..10 {
        assert_eq!(app.post_stripe(&deleted(ws, n)).await.status().as_u16(), 200);
    }
    let tenth = statements_for(&app, &deleted(ws, 10));
    assert!(tenth >= 5, "the counter sees the statements ({tenth})");

    // 9,990 more subscriptions ended (rows written directly: history, not the subject).
    app.with_db(|conn| {
        conn.transaction(|conn| {
            for chunk in (11..10_001).collect::<Vec<i64>>().chunks(500) {
                let ended: Vec<String> =
                    chunk.iter().map(|n| format!("({ws}, 'sub_{n}', CURRENT_TIMESTAMP)")).collect();
                diesel::sql_query(format!(
                    "INSERT INTO ended_subscriptions (workspace_id, subscription_id, ended_at) VALUES {}",
                    ended.join(", ")
                ))
                .execute(conn)?;
                let events: Vec<String> = chunk
                    .iter()
                    .map(|n| {
                        format!(
                            "('stripe', 'evt_del_{n}', 'customer.subscription.deleted', 'processed', {ws}, \
                             CURRENT_TIMESTAMP, 1, '{{}}')"
                        )
                    })
                    .collect();
                diesel::sql_query(format!(
                    "INSERT INTO billing_events (provider, event_id, event_type, status, workspace_id, received_at, \
                     attempts, payload) VALUES {}",
                    events.join(", ")
                ))
                .execute(conn)?;
            }
            diesel::QueryResult::Ok(())
        })
        .unwrap();
    });
    let ten_thousandth = statements_for(&app, &deleted(ws, 10_001));
    assert_eq!(ten_thousandth, tenth, "statements per event must not grow with history");

    let ended: i64 = app.with_db(|conn| {
        ended_subscriptions::table.filter(ended_subscriptions::workspace_id.eq(ws)).count().get_result(conn).unwrap()
    });
    assert_eq!(ended, 10_001, "each ended subscription is one row");
    // A redelivery of the newest is a duplicate, and the first ones stay ended.
    assert_eq!(
        app.post_stripe(&deleted(ws, 10_001)).await.json::<serde_json::Value>().await.unwrap()["status"],
        "duplicate"
    );
    assert_eq!(app.plan_code(ws), "free");
}

#[derive(QueryableByName)]
struct PlanStep {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// With each new event the store asks whether other events of its workspace are pending, and
/// reads them when there are. However long the workspace's history, both go to the pending rows
/// through an index, not through every event it ever had (checked on SQLite, whose planner
/// picks an index by its shape, not by statistics).
#[actix_web::test]
async fn the_pending_events_of_a_workspace_are_found_without_reading_its_history() {
    let app = spawn_app().await;
    let pending = "FROM billing_events WHERE workspace_id = 1 AND status = 'pending'";
    for query in [
        format!("SELECT EXISTS (SELECT id {pending})"),
        format!("SELECT id {pending} ORDER BY provider_created_at, id"),
    ] {
        let plan: Option<Vec<PlanStep>> = app.with_db(|conn| match conn {
            tollgate::db::DbConnection::Sqlite(c) => {
                Some(diesel::sql_query(format!("EXPLAIN QUERY PLAN {query}")).load(c).unwrap())
            }
            _ => None,
        });
        if let Some(plan) = plan {
            let steps: Vec<&str> = plan.iter().map(|s| s.detail.as_str()).collect();
            assert!(
                steps.iter().any(|s| s.contains("billing_events_pending_idx") && s.contains("status=?")),
                "{query}: {steps:?}"
            );
        }
    }
}

/// A workspace with a recorded Pro checkout, the `created` event of its subscription, and
/// that subscription's first period.
async fn pro_subscriber(app: &TestApp, email: &str, sub: &str) -> (i64, String, (i64, i64)) {
    let ws = app.signup(email).await;
    app.record_plan_checkout(ws, sub, "pro");
    let period = (now() - 29 * DAY, now() + DAY);
    let created = crate::api_support::sub_event(
        &format!("evt_{sub}_created"),
        "customer.subscription.created",
        now() - 60,
        ws,
        sub,
        "active",
        "price_pro_monthly",
        period,
    );
    (ws, created, period)
}

/// No statement of an event scans a table that grows with history, or binds a row limit.
/// Checked on SQLite with `EXPLAIN QUERY PLAN` on the statements themselves: its planner takes
/// no index for a column of the row being updated inside `RETURNING`, where the workspace's
/// lock once looked up its ended subscriptions, and scanned every ended subscription of every
/// workspace per event.
#[actix_web::test]
async fn no_statement_of_an_event_scans_a_growing_table() {
    let app = spawn_app().await;
    let (ws, created, period) = pro_subscriber(&app, "plans@example.com", "sub_p").await;
    let mut statements = statements_of(&app, &created);
    statements.extend(statements_of(
        &app,
        &renewal(ws, "evt_p2", now() - 40, "price_pro_monthly", (period.1, period.1 + 30 * DAY)),
    ));
    statements.extend(statements_of(&app, &deleted(ws, 1)));
    let growing = ["ended_subscriptions", "billing_events", "credit_ledger", "workspaces", "invoices"];
    let mut explained = 0;
    for sql in statements.iter().filter(|s| !matches!(s.as_str(), "BEGIN IMMEDIATE" | "COMMIT" | "BEGIN")) {
        let plan: Option<Vec<PlanStep>> = app.with_db(|conn| match conn {
            tollgate::db::DbConnection::Sqlite(c) => {
                Some(diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(c).unwrap())
            }
            _ => None,
        });
        // A bound LIMIT makes SQLite compile the statement again on every run.
        assert!(!sql.contains("LIMIT ?"), "{sql}");
        let Some(plan) = plan else { return };
        explained += 1;
        for step in plan.iter().map(|s| s.detail.as_str()) {
            let scans = growing.iter().any(|t| step.starts_with(&format!("SCAN {t}")) || step == format!("SCAN {t}"));
            assert!(!scans, "{sql}\n scans: {step}");
        }
    }
    assert!(explained >= 15, "the events' statements were explained ({explained})");
}

fn ledger_rows(app: &TestApp, ws: i64) -> i64 {
    use tollgate::schema::credit_ledger;
    app.with_db(|conn| {
        credit_ledger::table.filter(credit_ledger::workspace_id.eq(ws)).count().get_result(conn).unwrap()
    })
}

/// A subscription event for the paying workspace `ws` on `price`, period `[start, end)`.
fn renewal(ws: i64, event_id: &str, created: i64, price: &str, period: (i64, i64)) -> String {
    crate::api_support::sub_event(
        event_id,
        "customer.subscription.updated",
        created,
        ws,
        "sub_n",
        "active",
        price,
        period,
    )
}

/// The events a paying workspace sends most cost a fixed handful of statements. A renewal:
/// find and lock the workspace by its subscription in one statement that also reads the
/// catalog's version and whether the subscription had ended; write the new state, getting
/// back the row and, for the credit cycle that state is in, its ledger marks and the monthly
/// balance; store the event with its
/// outcome (a new delivery is not looked up first: its insert would find a stored one),
/// learning in the same statement whether other events wait on the workspace; and the
/// transaction's begin and commit (on PostgreSQL with a `SELECT 1` before the commit, which
/// fails if the transaction was aborted, where `COMMIT` would quietly roll back). When the
/// period moved on, the new grant is written: a ledger row and its balance move, one statement
/// on PostgreSQL and two on SQLite. A period-end downgrade also records the plan change.
#[actix_web::test]
async fn renewals_and_downgrades_cost_a_fixed_handful_of_statements() {
    let app = spawn_app().await;
    let (ws, created, first) = pro_subscriber(&app, "renewal@example.com", "sub_n").await;
    assert_eq!(app.post_stripe(&created).await.status().as_u16(), 200);
    assert_eq!(app.balance(ws).0, 5000);

    let renewed =
        statements_for(&app, &renewal(ws, "evt_n2", now() - 40, "price_pro_monthly", (first.1, first.1 + 30 * DAY)));
    let before = ledger_rows(&app, ws);
    let downgraded = statements_for(
        &app,
        &renewal(ws, "evt_n3", now() - 30, "price_starter_monthly", (first.1 + 30 * DAY, first.1 + 60 * DAY)),
    );
    assert_eq!(app.plan_code(ws), "starter");
    assert_eq!(ledger_rows(&app, ws), before + 1, "the downgrade capped the monthly credits");
    assert_eq!(app.balance(ws).0, 2000);
    assert!(before >= 3, "the renewal opened a new cycle");
    let (grant, check) = if app.with_db(|conn| matches!(conn, DbConnection::Postgres(_))) { (1, 1) } else { (2, 0) };
    assert_eq!(renewed, 5 + grant + check, "a renewal's statements");
    assert_eq!(downgraded, 6 + grant + check, "a downgrade's statements");
}
