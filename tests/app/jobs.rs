//! Background jobs: the run-once lease, grace expiry, the period-end safety net, free
//! monthly credits and capacity snapshots.

use diesel::prelude::*;
use tollgate::billing::Provider;
use tollgate::models::now;
use tollgate::schema::{capacity_snapshots, job_leases, workspaces};
use tollgate::services::jobs;

use crate::common::*;
use crate::stripe_shapes::*;

#[actix_web::test]
async fn only_one_instance_holds_the_job_lease_until_it_lapses() {
    let app = spawn_app().await;
    app.with_db(|conn| {
        assert!(jobs::acquire_lease(conn, "instance-a").unwrap());
        assert!(!jobs::acquire_lease(conn, "instance-b").unwrap(), "b waits while a holds it");
        assert!(jobs::acquire_lease(conn, "instance-a").unwrap(), "a renews");
        diesel::update(job_leases::table)
            .set(job_leases::expires_at.eq(now() - chrono::TimeDelta::seconds(1)))
            .execute(conn)
            .unwrap();
        assert!(jobs::acquire_lease(conn, "instance-b").unwrap(), "b takes over a lapsed lease");
        assert!(!jobs::acquire_lease(conn, "instance-a").unwrap());
    });
}

async fn pro_workspace(app: &TestApp, email: &str) -> i64 {
    let ws = app.new_browser().signup(email).await;
    let sub = Sub {
        id: &format!("sub_{ws}"),
        customer: &format!("cus_{ws}"),
        workspace_id: ws,
        status: "active",
        price: "price_pro_monthly",
        period_start: now_ts() - DAY,
        period_end: now_ts() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: None,
    };
    app.record_plan_checkout(ws, sub.id, "pro");
    let res = app
        .post_stripe(&event(&format!("evt_{ws}"), "customer.subscription.created", now_ts() - 60, subscription(&sub)))
        .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(app.plan_code(ws), "pro");
    ws
}

fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}

#[actix_web::test]
async fn an_expired_grace_period_moves_the_workspace_to_free() {
    let app = spawn_app().await;
    let ws = pro_workspace(&app, "grace@example.com").await;
    let other = pro_workspace(&app, "fine@example.com").await;
    app.with_db(|conn| {
        diesel::update(workspaces::table.filter(workspaces::id.eq_any([ws, other])))
            .set(workspaces::subscription_status.eq("past_due"))
            .execute(conn)
            .unwrap();
        diesel::update(workspaces::table.find(ws))
            .set(workspaces::grace_until.eq(now() - chrono::TimeDelta::minutes(1)))
            .execute(conn)
            .unwrap();
        diesel::update(workspaces::table.find(other))
            .set(workspaces::grace_until.eq(now() + chrono::TimeDelta::days(3)))
            .execute(conn)
            .unwrap();
        assert_eq!(jobs::end_expired_grace(conn, Provider::Stripe).unwrap(), 1);
        assert_eq!(jobs::end_expired_grace(conn, Provider::Stripe).unwrap(), 0, "idempotent");
    });
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!(
        app.workspace(ws).subscription_status.map(|s| s.as_str()),
        Some("past_due"),
        "the provider decides the subscription's fate"
    );
    assert_eq!(app.plan_code(other), "pro", "still within grace");
}

#[actix_web::test]
async fn a_lost_cancellation_webhook_is_covered_after_the_period_ends() {
    let app = spawn_app().await;
    let ws = pro_workspace(&app, "lapsed@example.com").await;
    app.with_db(|conn| {
        diesel::update(workspaces::table.find(ws))
            .set((
                workspaces::cancel_at_period_end.eq(true),
                workspaces::current_period_end.eq(now() - chrono::TimeDelta::hours(3)),
            ))
            .execute(conn)
            .unwrap();
        assert_eq!(jobs::end_lapsed_cancellations(conn, Provider::Stripe).unwrap(), 1);
    });
    let w = app.workspace(ws);
    assert_eq!(app.plan_code(ws), "free");
    assert_eq!((w.subscription_status.map(|s| s.as_str()), w.provider_subscription_id), (Some("canceled"), None));
}

#[actix_web::test]
async fn free_workspaces_get_their_monthly_credits_once_a_month() {
    let app = spawn_app().await;
    let ws = app.signup("free@example.com").await;
    assert_eq!(app.credits(ws).0, 100);
    app.with_db(|conn| {
        assert_eq!(jobs::reset_free_monthly_credits(conn).unwrap(), 0, "the sign-up grant covers this month");
        // Pretend the grant was last month's.
        use tollgate::schema::credit_ledger;
        diesel::update(credit_ledger::table.filter(credit_ledger::workspace_id.eq(ws)))
            .set(credit_ledger::idempotency_key.eq("last-month"))
            .execute(conn)
            .unwrap();
    });
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 40);
    app.with_db(|conn| {
        assert_eq!(jobs::reset_free_monthly_credits(conn).unwrap(), 1);
        assert_eq!(jobs::reset_free_monthly_credits(conn).unwrap(), 0);
    });
    assert_eq!(app.credits(ws).0, 100);
}

#[actix_web::test]
async fn capacity_snapshots_are_taken_hourly() {
    let app = spawn_app().await;
    pro_workspace(&app, "paying@example.com").await;
    app.new_browser().signup("free@example.com").await;
    jobs::run_all(&app.state).await.unwrap();
    let rows: Vec<(i64, i64, i64, i64)> = app.with_db(|conn| {
        capacity_snapshots::table
            .select((
                capacity_snapshots::users_total,
                capacity_snapshots::workspaces_total,
                capacity_snapshots::paying_workspaces,
                capacity_snapshots::mrr_minor,
            ))
            .load(conn)
            .unwrap()
    });
    assert_eq!(rows, [(2, 2, 1, 5000)]);
    jobs::run_all(&app.state).await.unwrap();
    let count: i64 = app.with_db(|conn| capacity_snapshots::table.count().get_result(conn).unwrap());
    assert_eq!(count, 1, "at most one an hour");
}
