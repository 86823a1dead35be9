//! Interval changes end to end against the sandbox, as Stripe bills them. Yearly → monthly
//! waits for the paid year (Tollgate asks with a subscription schedule): nothing is charged or
//! refunded when it is chosen, the year runs out at the yearly price, the monthly price starts
//! its own cycle at the year's end, and the schedule then completes and lets the subscription
//! renew monthly. Monthly → yearly starts a new yearly cycle now (`billing_cycle_anchor=now`),
//! less the unused part of the month. Schedules and anchors refuse bad input with Stripe 400s.

use reqwest::Method;
use serde_json::Value;

use crate::common::*;
use crate::sandbox::{GOOD, advance_days, advance_to_renewal, api, clock_of};
use crate::sandbox_cancel_at::{invoices, subscribe, subscription};

async fn choose(app: &TestApp, ws: i64, plan: &str, interval: &str) -> String {
    let billing = format!("/w/{ws}/billing");
    let res = app.post_form(&billing, &format!("/w/{ws}/plan"), &[("plan", plan), ("interval", interval)]).await;
    assert_eq!(res.status().as_u16(), 303, "{plan} {interval}");
    let (_, html) = app.get_html(&billing).await;
    select_all(&html, ".notice").join(" ")
}

fn period(sub: &Value) -> (i64, i64) {
    let item = &sub["items"]["data"][0];
    (item["current_period_start"].as_i64().unwrap(), item["current_period_end"].as_i64().unwrap())
}

fn price(sub: &Value) -> &str {
    sub["items"]["data"][0]["price"]["id"].as_str().unwrap()
}

#[actix_web::test]
async fn yearly_to_monthly_keeps_the_paid_year_then_bills_monthly() {
    let app = spawn_app().await;
    let (ws, customer, sub_id) = subscribe(&app, "y2m@example.com", "pro", "year", GOOD).await;
    advance_days(&app, &customer, 100).await;
    let (year_start, year_end) = period(&subscription(&app, &sub_id).await);

    let notice = choose(&app, ws, "pro", "month").await;
    assert!(notice.contains("changes to monthly billing"), "{notice}");
    let sub = subscription(&app, &sub_id).await;
    assert_eq!((price(&sub), period(&sub)), ("price_pro_yearly", (year_start, year_end)), "nothing changes now");
    let schedule_id = sub["schedule"].as_str().expect("a schedule manages it").to_owned();
    let (_, schedule) = api(&app, Method::GET, &format!("subscription_schedules/{schedule_id}"), &[]).await;
    assert_eq!((schedule["status"].as_str(), schedule["end_behavior"].as_str()), (Some("active"), Some("release")));
    let phases = schedule["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2);
    assert_eq!((phases[0]["start_date"].as_i64(), phases[0]["end_date"].as_i64()), (Some(year_start), Some(year_end)));
    assert_eq!(phases[1]["items"][0]["price"], "price_pro_monthly");
    assert_eq!(phases[1]["start_date"].as_i64(), Some(year_end));
    assert_eq!(schedule["current_phase"]["end_date"].as_i64(), Some(year_end));
    let w = app.workspace(ws);
    assert_eq!(
        (w.billing_interval.map(|i| i.as_str()), w.scheduled_interval.map(|i| i.as_str())),
        (Some("year"), Some("month"))
    );
    let bills = invoices(&app, &customer).await;
    assert_eq!(
        bills.iter().map(|i| i["amount_due"].as_i64().unwrap()).collect::<Vec<_>>(),
        [0, 50_000],
        "the trial, the year; no charge now"
    );

    // The upcoming invoice already shows the monthly price, from the year's end.
    let (status, upcoming) =
        api(&app, Method::POST, "invoices/create_preview", &[("customer", &customer), ("subscription", &sub_id)]).await;
    assert_eq!(status, 200, "{upcoming}");
    assert_eq!(
        (upcoming["amount_due"].as_i64(), upcoming["next_payment_attempt"].as_i64()),
        (Some(5000), Some(year_end))
    );

    // The paid year runs out; the monthly price starts its own cycle there.
    advance_to_renewal(&app, &customer).await;
    let sub = subscription(&app, &sub_id).await;
    let (start, end) = period(&sub);
    assert_eq!((price(&sub), start), ("price_pro_monthly", year_end));
    assert!((28..=31).contains(&((end - start) / 86_400)), "a monthly period: {start}..{end}");
    let last = invoices(&app, &customer).await.pop().unwrap();
    assert_eq!(
        (last["amount_due"].as_i64(), last["status"].as_str(), last["billing_reason"].as_str()),
        (Some(5000), Some("paid"), Some("subscription_cycle"))
    );
    let w = app.workspace(ws);
    assert_eq!((app.plan_code(ws).as_str(), w.billing_interval.map(|i| i.as_str())), ("pro", Some("month")));
    assert_eq!((w.scheduled_plan_id, w.scheduled_interval), (None, None));

    // The last phase ends: the schedule completes and the subscription goes on by itself.
    advance_to_renewal(&app, &customer).await;
    let (_, schedule) = api(&app, Method::GET, &format!("subscription_schedules/{schedule_id}"), &[]).await;
    assert_eq!((schedule["status"].as_str(), &schedule["current_phase"]), (Some("completed"), &Value::Null));
    let sub = subscription(&app, &sub_id).await;
    assert_eq!((&sub["schedule"], sub["status"].as_str()), (&Value::Null, Some("active")));
    advance_to_renewal(&app, &customer).await;
    let amounts: Vec<i64> = invoices(&app, &customer).await.iter().map(|i| i["amount_due"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [0, 50_000, 5000, 5000, 5000], "the whole paid year, then monthly: nothing forfeited");
    assert_eq!(app.plan_code(ws), "pro");
}

#[actix_web::test]
async fn keeping_the_yearly_plan_releases_the_schedule_and_charges_nothing() {
    let app = spawn_app().await;
    let (ws, customer, sub_id) = subscribe(&app, "keep@example.com", "pro", "year", GOOD).await;
    advance_days(&app, &customer, 20).await;
    choose(&app, ws, "pro", "month").await;
    let schedule_id = subscription(&app, &sub_id).await["schedule"].as_str().unwrap().to_owned();

    let notice = choose(&app, ws, "pro", "year").await;
    assert!(notice.contains("You're staying on Pro"), "{notice}");
    let (_, schedule) = api(&app, Method::GET, &format!("subscription_schedules/{schedule_id}"), &[]).await;
    assert_eq!(
        (schedule["status"].as_str(), schedule["released_subscription"].as_str()),
        (Some("released"), Some(&*sub_id))
    );
    let sub = subscription(&app, &sub_id).await;
    assert_eq!((&sub["schedule"], price(&sub)), (&Value::Null, "price_pro_yearly"));
    let w = app.workspace(ws);
    assert_eq!((w.scheduled_plan_id, w.scheduled_interval), (None, None));

    advance_to_renewal(&app, &customer).await;
    let amounts: Vec<i64> = invoices(&app, &customer).await.iter().map(|i| i["amount_due"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [0, 50_000, 50_000], "the trial, then yearly renewals: nothing else");
    assert_eq!(app.workspace(ws).billing_interval.map(|i| i.as_str()), Some("year"));
}

#[actix_web::test]
async fn monthly_to_yearly_starts_a_yearly_cycle_now_less_the_unused_month() {
    let app = spawn_app().await;
    let (ws, customer, sub_id) = subscribe(&app, "m2y@example.com", "starter", "month", GOOD).await;
    advance_days(&app, &customer, 10).await;
    let (start, end) = period(&subscription(&app, &sub_id).await);
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();

    choose(&app, ws, "starter", "year").await;
    let sub = subscription(&app, &sub_id).await;
    let (new_start, new_end) = period(&sub);
    assert_eq!((price(&sub), new_start), ("price_starter_yearly", now), "a new cycle from now");
    assert!((365..=366).contains(&((new_end - new_start) / 86_400)));
    assert_eq!(sub["billing_cycle_anchor"].as_i64(), Some(now));
    let last = invoices(&app, &customer).await.pop().unwrap();
    let credit = i128::from(2000) * i128::from(end - now) / i128::from(end - start);
    assert_eq!(i128::from(last["amount_due"].as_i64().unwrap()), 20_000 - credit);
    assert_eq!((last["status"].as_str(), last["billing_reason"].as_str()), (Some("paid"), Some("subscription_update")));
    assert_eq!(last["lines"]["data"][0]["period"]["end"].as_i64(), Some(new_end));
    assert_eq!(app.workspace(ws).billing_interval.map(|i| i.as_str()), Some("year"));
}

#[actix_web::test]
async fn a_new_cycle_during_a_trial_ends_it_and_credits_no_trial_time() {
    let app = spawn_app().await;
    let (_, customer, sub_id) = subscribe(&app, "trial@example.com", "pro", "month", GOOD).await;
    let sub = subscription(&app, &sub_id).await;
    assert_eq!(sub["status"], "trialing", "Pro starts with a trial");
    advance_days(&app, &customer, 3).await;
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();
    let fields = [("items[0][price]", "price_pro_yearly"), ("proration_behavior", "always_invoice")];
    let (status, sub) = api(&app, Method::POST, &format!("subscriptions/{sub_id}"), &fields).await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!((sub["status"].as_str(), sub["trial_end"].as_i64(), period(&sub).0), (Some("active"), Some(now), now));
    let last = invoices(&app, &customer).await.pop().unwrap();
    assert_eq!(
        (last["amount_due"].as_i64(), last["status"].as_str()),
        (Some(50_000), Some("paid")),
        "no credit for a free trial"
    );
}

#[actix_web::test]
async fn an_interval_change_always_starts_a_new_cycle_and_unchanged_is_refused() {
    let app = spawn_app().await;
    let (_, customer, sub_id) = subscribe(&app, "anchor@example.com", "starter", "month", GOOD).await;
    let path = format!("subscriptions/{sub_id}");
    let before = subscription(&app, &sub_id).await;
    for (fields, words) in [
        (
            vec![("items[0][price]", "price_starter_yearly"), ("billing_cycle_anchor", "unchanged")],
            "different billing interval",
        ),
        (vec![("billing_cycle_anchor", "tomorrow")], "Invalid billing_cycle_anchor"),
        (
            vec![("items[0][price]", "price_pro_monthly"), ("proration_behavior", "sometimes")],
            "Invalid proration_behavior",
        ),
        (vec![("items[0][price]", "price_pro_monthly"), ("payment_behavior", "hope")], "Invalid payment_behavior"),
    ] {
        let (status, body) = api(&app, Method::POST, &path, &fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{fields:?}: {body}");
    }
    assert_eq!(subscription(&app, &sub_id).await, before, "nothing was written");

    // `proration_behavior=none` credits nothing: the new period is billed in full, now.
    let now = clock_of(&app, &customer).await["frozen_time"].as_i64().unwrap();
    let fields = [("items[0][price]", "price_starter_yearly"), ("proration_behavior", "none")];
    let (status, sub) = api(&app, Method::POST, &path, &fields).await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(period(&sub).0, now);
    assert_eq!(invoices(&app, &customer).await.pop().unwrap()["amount_due"], 20_000);
}

#[actix_web::test]
async fn schedules_refuse_bad_input_with_stripe_400s() {
    let app = spawn_app().await;
    let (_, _, sub_id) = subscribe(&app, "sched@example.com", "pro", "year", GOOD).await;
    let (status, body) = api(&app, Method::POST, "subscription_schedules", &[("customer", "cus_x")]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = api(&app, Method::POST, "subscription_schedules", &[("from_subscription", "sub_nope")]).await;
    assert_eq!(status, 404, "{body}");
    let (status, schedule) = api(&app, Method::POST, "subscription_schedules", &[("from_subscription", &sub_id)]).await;
    assert_eq!(status, 200, "{schedule}");
    let (status, body) = api(&app, Method::POST, "subscription_schedules", &[("from_subscription", &sub_id)]).await;
    assert!(status == 400 && body["error"]["message"].as_str().unwrap().contains("already attached"), "{body}");
    let (status, body) =
        api(&app, Method::POST, &format!("subscriptions/{sub_id}"), &[("cancel_at_period_end", "true")]).await;
    assert!(
        status == 400 && body["error"]["message"].as_str().unwrap().contains("managed by the subscription schedule")
    );

    let id = schedule["id"].as_str().unwrap().to_owned();
    let path = format!("subscription_schedules/{id}");
    let bound = |name: &str| schedule["current_phase"][name].as_i64().unwrap();
    let (start, end, later) =
        (bound("start_date").to_string(), bound("end_date").to_string(), (bound("end_date") + 86_400).to_string());
    let (start, end, later) = (start.as_str(), end.as_str(), later.as_str());
    let with = |more: &[(&'static str, &'static str)]| {
        let mut fields = vec![("phases[0][items][0][price]", "price_pro_yearly"), ("phases[0][start_date]", start)];
        fields.extend_from_slice(more);
        fields
    };
    let keys: Vec<(String, String)> =
        (1..=10).map(|i| (format!("phases[{i}][items][0][price]"), format!("phases[{i}][iterations]"))).collect();
    let mut eleven = with(&[]);
    eleven.push(("phases[0][end_date]", end));
    for (price, iterations) in &keys {
        eleven.extend([(price.as_str(), "price_pro_monthly"), (iterations.as_str(), "1")]);
    }
    let mut ends_at_start = with(&[]);
    ends_at_start.push(("phases[0][end_date]", start));
    let mut gap = with(&[("phases[2][items][0][price]", "price_pro_monthly")]);
    gap.push(("phases[0][end_date]", end));
    let mut late = with(&[("phases[1][items][0][price]", "price_pro_monthly")]);
    late.extend([("phases[0][end_date]", end), ("phases[1][start_date]", later)]);
    let mut two_ends = with(&[("phases[0][iterations]", "1")]);
    two_ends.push(("phases[0][end_date]", end));
    let long = "x".repeat(501);
    let mut big_metadata = with(&[]);
    big_metadata.push(("metadata[k]", long.as_str()));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (eleven, "at most 10 phases"),
        (vec![("phases[0][items][0][price]", "price_pro_yearly")], "phases[0][start_date]"),
        (vec![("phases[0][items][0][price]", "price_pro_yearly"), ("phases[0][start_date]", "12345")], "current phase"),
        (ends_at_start, "end after it starts"),
        (with(&[("phases[0][end_date]", "77777777777777")]), "outside the times"),
        (with(&[("phases[1][items][0][price]", "price_pro_monthly")]), "only the last may omit it"),
        (gap, "without gaps"),
        (late, "must start when phase 0 ends"),
        (with(&[("phases[0][iterations]", "0")]), "between 1 and 36"),
        (with(&[("phases[0][iterations]", "100000")]), "between 1 and 36"),
        (with(&[("phases[0][duration][interval]", "decade")]), "day, week, month or year"),
        (two_ends, "only one of"),
        (with(&[("phases[0][items][0][quantity]", "3")]), "quantity of 1"),
        (with(&[("phases[0][items][1][price]", "price_pro_monthly")]), "exactly one item"),
        (vec![("phases[0][items][0][price]", "price_nope"), ("phases[0][start_date]", start)], "No such price"),
        (with(&[("end_behavior", "explode")]), "Invalid end_behavior"),
        (with(&[("proration_behavior", "maybe")]), "Invalid proration_behavior"),
        (big_metadata, "values up to 500"),
    ];
    for (fields, words) in cases {
        let (status, body) = api(&app, Method::POST, &path, &fields).await;
        assert_eq!(status, 400, "{fields:?}: {body}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{words}: {body}");
    }
    let (_, unchanged) = api(&app, Method::GET, &path, &[]).await;
    assert_eq!(unchanged, schedule, "nothing was written");

    let (status, released) = api(&app, Method::POST, &format!("{path}/release"), &[]).await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(
        (released["status"].as_str(), released["released_subscription"].as_str()),
        (Some("released"), Some(&*sub_id))
    );
    assert_eq!(subscription(&app, &sub_id).await["schedule"], Value::Null);
    let (status, body) = api(&app, Method::POST, &format!("{path}/release"), &[]).await;
    assert!(status == 400 && body["error"]["message"].as_str().unwrap().contains("`released` status"), "{body}");
    let (status, _) = api(&app, Method::POST, &path, &with(&[])).await;
    assert_eq!(status, 400, "a released schedule cannot be updated");
}
