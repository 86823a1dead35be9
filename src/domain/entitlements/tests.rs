use chrono::{TimeDelta, TimeZone};

use super::*;
use crate::domain::catalog::default_plans;
use crate::domain::credits::credit_cycle;
use crate::domain::money::Interval;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).single().unwrap()
}

fn plan(code: &str) -> Plan {
    default_plans().into_iter().find(|p| p.code == code).unwrap()
}

fn on(code: &str, status: Option<SubscriptionStatus>, grace_until: Option<DateTime<Utc>>) -> BillingState {
    BillingState {
        plan_code: code.into(),
        status,
        subscription_id: status.map(|_| "sub_1".to_owned()),
        interval: Some(Interval::Month),
        current_period_end: Some(now() + TimeDelta::days(10)),
        grace_until,
        ..BillingState::default()
    }
}

fn answer(state: &BillingState, code: &str, usage: &[(&str, i64)], seats: i64) -> Entitlements {
    let catalog = default_plans();
    let plan = plan(code);
    let default = default_plans().into_iter().find(|p| p.is_default).unwrap();
    let usage: BTreeMap<String, i64> = usage.iter().map(|(m, n)| ((*m).to_owned(), *n)).collect();
    let cycle = credit_cycle(state, now());
    entitlements(&EntitlementsInput {
        state,
        plan: &plan,
        default_plan: &default,
        catalog: &catalog,
        seats_used: seats,
        usage: &usage,
        balance: CreditBalance { monthly: 40, purchased: -5 },
        cycle: &cycle,
        now: now(),
    })
}

#[test]
fn the_plan_that_applies_follows_the_subscription() {
    use SubscriptionStatus::*;
    let cases = [
        (on("free", None, None), "free", Standing::Free, false),
        (on("pro", Some(Active), None), "pro", Standing::Paid, true),
        (on("pro", Some(Trialing), None), "pro", Standing::Trial, true),
        (on("pro", Some(PastDue), Some(now() + TimeDelta::days(2))), "pro", Standing::Grace, true),
        (on("pro", Some(PastDue), Some(now() - TimeDelta::seconds(1))), "free", Standing::Lapsed, false),
        (on("pro", Some(Paused), None), "free", Standing::Lapsed, false),
        // Assigned by an operator, no subscription: applies as assigned.
        (on("enterprise", None, None), "enterprise", Standing::Paid, true),
    ];
    for (state, applies, standing, paid) in cases {
        let e = answer(&state, &state.plan_code, &[], 1);
        assert_eq!((e.plan.code.as_str(), e.standing, e.paid), (applies, standing, paid), "{state:?}");
        assert_eq!(e.has_feature("analytics"), applies == "pro" || applies == "enterprise");
    }
}

#[test]
fn limits_list_every_metric_with_this_periods_usage() {
    let free = answer(&on("free", None, None), "free", &[("projects", 1)], 1);
    assert_eq!(free.limits["projects"], Allowance { limit: Some(1), used: 1, remaining: Some(0) });
    assert_eq!(free.check_quota("projects", 1), Err(QuotaError::Exceeded { limit: 1, used: 1 }));
    assert_eq!(free.check_quota("robots", 1), Err(QuotaError::UnknownMetric));
    assert!(!free.seat_available());

    let pro = answer(&on("pro", Some(SubscriptionStatus::Active), None), "pro", &[("projects", 99)], 3);
    assert!(pro.check_quota("projects", 1).is_ok());
    assert!(pro.check_quota("projects", 2).is_err());
    assert_eq!(pro.seats, Allowance { limit: Some(10), used: 3, remaining: Some(7) });
    let enterprise = answer(&on("enterprise", None, None), "enterprise", &[("projects", 10_000)], 50);
    assert_eq!(enterprise.limits["projects"].limit, None);
    assert!(enterprise.check_quota("projects", i64::MAX).is_ok());
    assert!(enterprise.seat_available());
}

#[test]
fn credits_count_negative_buckets_as_empty() {
    let e = answer(&on("starter", Some(SubscriptionStatus::Active), None), "starter", &[], 1);
    assert_eq!(
        e.credits,
        Credits { unlimited: false, monthly: 40, purchased: -5, available: 40, monthly_grant: Some(2000) }
    );
    assert!(answer(&on("enterprise", None, None), "enterprise", &[], 1).credits.unlimited);
}

#[test]
fn the_cheapest_plan_that_unlocks_something_is_named() {
    let plans = default_plans();
    let code = |what| cheapest_plan_for(&plans, what).map(|p| p.code.clone());
    assert_eq!(code(Unlock::Feature("analytics")).as_deref(), Some("pro"));
    assert_eq!(code(Unlock::Feature("sso")).as_deref(), Some("enterprise"));
    assert_eq!(code(Unlock::Feature("teleport")), None);
    assert_eq!(code(Unlock::PaidPlan).as_deref(), Some("starter"));
    assert_eq!(code(Unlock::Seats { above: Some(3) }).as_deref(), Some("pro"));
    assert_eq!(code(Unlock::Quota { metric: "projects", above: Some(1) }).as_deref(), Some("starter"));

    assert_eq!(
        upgrade_notice(&plans, &plan("free"), Unlock::Feature("analytics")),
        "Analytics is not included in Free. Pro includes it: upgrade to Pro to unlock it."
    );
    assert_eq!(
        upgrade_notice(&plans, &plan("starter"), Unlock::Seats { above: None }),
        "Starter includes 3 seat(s). Pro includes 10 seats: upgrade to Pro to unlock it."
    );
    assert!(upgrade_notice(&plans, &plan("pro"), Unlock::Feature("sso")).contains("contact sales"));
    assert_eq!(Unlock::parse("analytics", &plans), Some(Unlock::Feature("analytics")));
    assert_eq!(Unlock::parse("projects", &plans), Some(Unlock::Quota { metric: "projects", above: None }));
    assert_eq!(Unlock::parse("<script>", &plans), None);
}

#[test]
fn feature_names_read_as_words() {
    assert_eq!(display_feature("analytics"), "Analytics");
    assert_eq!(display_feature("api_access"), "API access");
    assert_eq!(display_feature("priority_support"), "Priority support");
    assert_eq!(display_feature("sso"), "SSO");
}
