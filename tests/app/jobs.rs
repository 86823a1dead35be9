//! Background jobs: each due job runs once across instances, runs are recorded, grace
//! expiry, the period-end safety net, free monthly credits and capacity snapshots.

use diesel::prelude::*;
use tollgate::billing::Provider;
use tollgate::domain::jobs::{ALL, Job, Outcome, RunBy};
use tollgate::models::now;
use tollgate::schema::{capacity_snapshots, job_runs, jobs as job_schedule, workspaces};
use tollgate::services::jobs;

use crate::common::*;
use crate::stripe_shapes::*;

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
async fn capacity_snapshots_are_taken_daily() {
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
    assert_eq!(count, 1, "at most one a day");
}

fn runs_per_job(app: &TestApp) -> Vec<(String, i64)> {
    app.with_db(|conn| {
        job_runs::table
            .group_by(job_runs::job)
            .select((job_runs::job, diesel::dsl::count_star()))
            .order(job_runs::job)
            .load(conn)
            .unwrap()
    })
}

fn every_job_ran(times: i64) -> Vec<(String, i64)> {
    let mut expected: Vec<(String, i64)> = ALL.iter().map(|j| (j.as_str().to_owned(), times)).collect();
    expected.sort();
    expected
}

#[actix_web::test]
async fn each_due_job_runs_exactly_once_however_many_schedulers_tick_at_once() {
    let app = spawn_app().await;
    app.signup("sched@example.com").await;
    let other = app.another_instance().await;
    let third = app.another_instance().await;
    let states = [&app.state, &other.state, &third.state, &app.state, &other.state, &third.state];
    let round = || {
        futures_util::future::join_all(
            states
                .iter()
                .enumerate()
                .map(|(i, state)| async move { jobs::tick(state, &format!("instance-{i}")).await }),
        )
    };

    let reports: Vec<_> = round().await.into_iter().map(Result::unwrap).collect();
    assert_eq!(reports.iter().map(Vec::len).sum::<usize>(), ALL.len(), "{reports:?}");
    assert_eq!(runs_per_job(&app), every_job_ran(1));
    let outcomes: Vec<String> = app.with_db(|conn| job_runs::table.select(job_runs::outcome).load(conn).unwrap());
    assert!(outcomes.iter().all(|o| o == "ok"), "{outcomes:?}");

    let again: Vec<_> = round().await.into_iter().map(Result::unwrap).collect();
    assert!(again.iter().all(Vec::is_empty), "nothing is due yet: {again:?}");
    assert_eq!(runs_per_job(&app), every_job_ran(1));

    // Every job falls due again: once more, each runs once.
    app.with_db(|conn| {
        diesel::update(job_schedule::table)
            .set(job_schedule::next_run_at.eq(now() - chrono::TimeDelta::seconds(1)))
            .execute(conn)
            .unwrap()
    });
    round().await.into_iter().for_each(|r| drop(r.unwrap()));
    assert_eq!(runs_per_job(&app), every_job_ran(2));
    let next: Vec<(String, chrono::NaiveDateTime)> = app.with_db(|conn| {
        job_schedule::table.select((job_schedule::name, job_schedule::next_run_at)).load(conn).unwrap()
    });
    let reconcile = next.iter().find(|(name, _)| name == "reconcile").unwrap().1;
    assert!((reconcile - now() - chrono::TimeDelta::hours(1)).num_seconds().abs() < 60, "hourly: {reconcile}");
}

#[actix_web::test]
async fn a_job_run_by_name_records_what_it_changed_and_changes_nothing_the_second_time() {
    let app = spawn_app().await;
    let ws = pro_workspace(&app, "named@example.com").await;
    app.with_db(|conn| {
        diesel::update(workspaces::table.find(ws))
            .set((
                workspaces::subscription_status.eq("past_due"),
                workspaces::grace_until.eq(now() - chrono::TimeDelta::minutes(1)),
            ))
            .execute(conn)
            .unwrap()
    });
    let first = jobs::run_job(&app.state, Job::ExpireGracePeriods, RunBy::Admin, "test").await.unwrap();
    assert_eq!((first.outcome, first.changes), (Outcome::Ok, 1), "{first:?}");
    assert_eq!(app.plan_code(ws), "free");
    let second = jobs::run_job(&app.state, Job::ExpireGracePeriods, RunBy::Admin, "test").await.unwrap();
    assert_eq!((second.outcome, second.changes), (Outcome::Ok, 0));
    let rows: Vec<(String, String, String, i64, bool)> = app.with_db(|conn| {
        job_runs::table
            .order(job_runs::id)
            .select((
                job_runs::job,
                job_runs::run_by,
                job_runs::outcome,
                job_runs::changes,
                job_runs::finished_at.is_not_null(),
            ))
            .load(conn)
            .unwrap()
    });
    let row = |changes| ("expire_grace_periods".to_owned(), "admin".to_owned(), "ok".to_owned(), changes, true);
    assert_eq!(rows, [row(1), row(0)]);
}

#[actix_web::test]
async fn the_cleanup_job_ends_a_cancellation_whose_webhook_never_came() {
    let app = spawn_app().await;
    let ws = pro_workspace(&app, "stale@example.com").await;
    app.with_db(|conn| {
        diesel::update(workspaces::table.find(ws))
            .set((
                workspaces::cancel_at_period_end.eq(true),
                workspaces::current_period_end.eq(now() - chrono::TimeDelta::hours(3)),
            ))
            .execute(conn)
            .unwrap()
    });
    let run = jobs::run_job(&app.state, Job::CleanupStaleSubscriptions, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 1));
    assert_eq!(app.plan_code(ws), "free");
    let run = jobs::run_job(&app.state, Job::CleanupStaleSubscriptions, RunBy::Schedule, "test").await.unwrap();
    assert_eq!(run.changes, 0);
}

#[actix_web::test]
async fn the_snapshot_job_measures_seats_quotas_credits_and_the_database() {
    let app = spawn_app().await;
    let paying = pro_workspace(&app, "measured@example.com").await;
    app.new_browser().signup("free-measured@example.com").await;
    let run = jobs::run_job(&app.state, Job::CaptureCapacitySnapshot, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 1));
    let snap = app.with_db(|conn| tollgate::models::CapacitySnapshot::recent(conn, 1).unwrap().remove(0));
    assert_eq!((snap.workspaces_total, snap.paying_workspaces, snap.past_due_workspaces), (2, 1, 0));
    let by_plan: serde_json::Value = serde_json::from_str(&snap.by_plan).unwrap();
    assert_eq!(by_plan, serde_json::json!({ "free": 1, "pro": 1 }));
    let by_status: serde_json::Value = serde_json::from_str(&snap.by_status).unwrap();
    assert_eq!(by_status, serde_json::json!({ "active": 1, "none": 1 }));
    let seat_limits: i64 = app.with_db(|conn| {
        use tollgate::schema::plans;
        ["free", "pro"]
            .iter()
            .map(|code| {
                plans::table
                    .filter(plans::code.eq(code))
                    .select(plans::seat_limit)
                    .first::<Option<i32>>(conn)
                    .unwrap()
                    .map_or(0, i64::from)
            })
            .sum()
    });
    assert_eq!((snap.seats_used, snap.seats_limit), (2, seat_limits), "one member in each workspace");
    assert!(snap.credits_granted >= app.credits(paying).0, "{snap:?}");
    assert!(snap.database_bytes > 0);
    let again = jobs::run_job(&app.state, Job::CaptureCapacitySnapshot, RunBy::Schedule, "test").await.unwrap();
    assert_eq!(again.changes, 0, "one a day");
}

#[actix_web::test]
async fn the_retry_job_applies_an_event_whose_workspace_became_known() {
    use tollgate::schema::billing_events;
    let app = spawn_app().await;
    let ws = app.signup("waiting@example.com").await;
    let sub = Sub {
        id: "sub_waiting",
        customer: "cus_later",
        workspace_id: ws,
        status: "active",
        price: "price_pro_monthly",
        period_start: now_ts() - DAY,
        period_end: now_ts() + 29 * DAY,
        cancel_at_period_end: false,
        trial_end: None,
    };
    let mut object = subscription(&sub);
    object["metadata"] = serde_json::json!({});
    let res = app.post_stripe(&event("evt_waiting", "customer.subscription.updated", now_ts(), object)).await;
    assert_eq!(res.status().as_u16(), 200);
    let run = jobs::run_job(&app.state, Job::RetryFailedEvents, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 0), "its backoff has not passed");

    // The customer becomes known: the checkout that created the subscription is recorded and
    // the workspace is linked to its customer.
    app.record_plan_checkout(ws, "sub_waiting", "pro");
    app.with_db(|conn| {
        diesel::update(workspaces::table.find(ws))
            .set((workspaces::provider_customer_id.eq("cus_later"), workspaces::billing_provider.eq("stripe")))
            .execute(conn)
            .unwrap();
        diesel::update(billing_events::table).set(billing_events::next_attempt_at.eq(now())).execute(conn).unwrap();
    });
    let run = jobs::run_job(&app.state, Job::RetryFailedEvents, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes, run.message.as_str()), (Outcome::Ok, 1, "1 event(s) retried"));
    assert_eq!(app.plan_code(ws), "pro");
}

#[actix_web::test]
async fn the_period_counters_job_opens_a_new_month_once() {
    use tollgate::schema::credit_ledger;
    let app = spawn_app().await;
    let ws = app.signup("counters@example.com").await;
    app.with_db(|conn| {
        diesel::update(credit_ledger::table.filter(credit_ledger::workspace_id.eq(ws)))
            .set(credit_ledger::idempotency_key.eq("last-month"))
            .execute(conn)
            .unwrap()
    });
    app.spend(ws, tollgate::domain::credits::CreditBucket::Monthly, 30);
    let run = jobs::run_job(&app.state, Job::ResetPeriodCounters, RunBy::Schedule, "test").await.unwrap();
    assert_eq!((run.outcome, run.changes), (Outcome::Ok, 1), "{run:?}");
    assert_eq!(app.credits(ws).0, 100);
    let again = jobs::run_job(&app.state, Job::ResetPeriodCounters, RunBy::Schedule, "test").await.unwrap();
    assert_eq!(again.changes, 0);
}

#[actix_web::test]
async fn pruning_forgets_job_runs_older_than_a_month() {
    use tollgate::models::job_run::NewJobRun;
    let app = spawn_app().await;
    app.with_db(|conn| {
        for days in [40, 3] {
            NewJobRun {
                job: "reconcile",
                run_by: "schedule",
                instance: "old",
                started_at: now() - chrono::TimeDelta::days(days),
                outcome: "ok",
            }
            .insert(conn)
            .unwrap();
        }
    });
    let run = jobs::run_job(&app.state, Job::Prune, RunBy::Schedule, "test").await.unwrap();
    assert_eq!(run.outcome, Outcome::Ok);
    assert!(run.message.ends_with("and 1 old job run(s) deleted"), "{}", run.message);
    let kept: Vec<String> =
        app.with_db(|conn| job_runs::table.order(job_runs::id).select(job_runs::job).load(conn).unwrap());
    assert_eq!(kept, ["reconcile", "prune"], "the recent run and this one");
}
