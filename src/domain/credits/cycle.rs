//! The monthly cycle a workspace's credits and quotas run on.
//!
//! A subscription that grants its plan runs on its own billing cycle: a monthly plan's cycle
//! is its billing period, an annual plan's year is cut into twelve monthly slices counted
//! back from the period end (so `/pricing`'s "N credits / month" holds on a yearly price).
//! Everything else — the free plan, a paused or lapsed subscription — runs on calendar
//! months (UTC). A cycle's `key` names it for idempotency: whoever notices a cycle first (a
//! webhook, the job, a spend) grants it, and nobody grants it twice.

use chrono::{DateTime, Datelike, Months, TimeZone, Utc};

use crate::domain::billing_state::{BillingState, Interval};
use crate::domain::ids::WorkspaceId;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleSource {
    /// The subscription's own billing cycle (or a monthly slice of an annual one).
    Subscription,
    /// A calendar month: no subscription grants the plan.
    Calendar,
}

impl CycleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleSource::Subscription => "subscription",
            CycleSource::Calendar => "calendar",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub source: CycleSource,
    /// `{subscription}:{start as unix seconds}` or `month:{YYYY-MM}`.
    pub key: String,
}

impl Cycle {
    /// The ledger key of this cycle's grant. Calendar months keep the key sign-up and the
    /// free-plan job have always used, so a month granted at sign-up is not granted again.
    pub fn grant_key(&self, workspace_id: WorkspaceId) -> String {
        match self.source {
            CycleSource::Calendar => {
                format!("workspace:{workspace_id}:free-month:{}", self.key.trim_start_matches("month:"))
            }
            CycleSource::Subscription => format!("workspace:{workspace_id}:cycle:{}", self.key),
        }
    }

    /// The ledger key of the entry that empties the monthly bucket when this cycle's credits
    /// lapse (at most one per cycle).
    pub fn expiry_key(&self, workspace_id: WorkspaceId) -> String {
        format!("workspace:{workspace_id}:expired:{}", self.key)
    }

    /// Where the cycle before this one started (a month earlier): for "last period" charts.
    pub fn previous_start(&self) -> DateTime<Utc> {
        self.start.checked_sub_months(Months::new(1)).unwrap_or(self.start)
    }
}

/// The cycle `state` is in at `now`.
pub fn credit_cycle(state: &BillingState, now: DateTime<Utc>) -> Cycle {
    subscription_cycle(state, now).unwrap_or_else(|| calendar_cycle(now))
}

fn subscription_cycle(state: &BillingState, now: DateTime<Utc>) -> Option<Cycle> {
    let subscription = state.subscription_id.as_deref()?;
    let period_end = state.current_period_end?;
    if !state.grants_plan(now) {
        return None;
    }
    let slices: u32 = if state.interval == Some(Interval::Year) { 12 } else { 1 };
    // The slice holding `now`; before the period (provider clocks ahead of ours) the first,
    // after it (renewal not heard of yet) the last.
    let mut back = 1;
    while back < slices && period_end.checked_sub_months(Months::new(back)).is_some_and(|start| start > now) {
        back += 1;
    }
    let start = period_end.checked_sub_months(Months::new(back))?;
    let end = period_end.checked_sub_months(Months::new(back - 1))?;
    Some(Cycle { start, end, source: CycleSource::Subscription, key: format!("{subscription}:{}", start.timestamp()) })
}

fn calendar_cycle(now: DateTime<Utc>) -> Cycle {
    let start = Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().unwrap_or(now);
    let end = start.checked_add_months(Months::new(1)).unwrap_or(start);
    Cycle { start, end, source: CycleSource::Calendar, key: format!("month:{}", now.format("%Y-%m")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::normalized::SubscriptionStatus;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().unwrap()
    }

    fn subscribed(interval: Interval, end: DateTime<Utc>, status: SubscriptionStatus) -> BillingState {
        BillingState {
            plan_code: "starter".into(),
            status: Some(status),
            subscription_id: Some("sub_1".into()),
            interval: Some(interval),
            current_period_end: Some(end),
            ..BillingState::default()
        }
    }

    #[test]
    fn free_workspaces_run_on_calendar_months() {
        let cycle = credit_cycle(&BillingState::default(), at(2026, 11, 17));
        let midnight = |m| Utc.with_ymd_and_hms(2026, m, 1, 0, 0, 0).single().unwrap();
        assert_eq!((cycle.start, cycle.end), (midnight(11), midnight(12)));
        assert_eq!(cycle.source, CycleSource::Calendar);
        assert_eq!(cycle.grant_key(WorkspaceId(7)), "workspace:7:free-month:2026-11");
    }

    #[test]
    fn a_monthly_plan_runs_on_its_billing_period() {
        let state = subscribed(Interval::Month, at(2026, 12, 10), SubscriptionStatus::Active);
        let cycle = credit_cycle(&state, at(2026, 11, 20));
        assert_eq!((cycle.start, cycle.end), (at(2026, 11, 10), at(2026, 12, 10)));
        assert_eq!(cycle.key, format!("sub_1:{}", at(2026, 11, 10).timestamp()));
        assert_eq!(
            cycle.grant_key(WorkspaceId(7)),
            format!("workspace:7:cycle:sub_1:{}", at(2026, 11, 10).timestamp())
        );
    }

    #[test]
    fn an_annual_plan_is_cut_into_monthly_slices() {
        let state = subscribed(Interval::Year, at(2027, 3, 10), SubscriptionStatus::Active);
        let first = credit_cycle(&state, at(2026, 3, 20));
        assert_eq!((first.start, first.end), (at(2026, 3, 10), at(2026, 4, 10)));
        let fourth = credit_cycle(&state, at(2026, 6, 10));
        assert_eq!((fourth.start, fourth.end), (at(2026, 6, 10), at(2026, 7, 10)), "a slice starts on its day");
        let last = credit_cycle(&state, at(2027, 3, 1));
        assert_eq!((last.start, last.end), (at(2027, 2, 10), at(2027, 3, 10)));
        assert_ne!(first.key, fourth.key);
        // Clocks out of step: before the period the first slice, after it the last.
        assert_eq!(credit_cycle(&state, at(2025, 1, 1)).start, first.start);
        assert_eq!(credit_cycle(&state, at(2028, 1, 1)).start, last.start);
    }

    #[test]
    fn a_subscription_that_no_longer_grants_its_plan_falls_back_to_calendar_months() {
        let paused = subscribed(Interval::Month, at(2026, 12, 10), SubscriptionStatus::Paused);
        assert_eq!(credit_cycle(&paused, at(2026, 11, 20)).source, CycleSource::Calendar);
        let mut lapsed = subscribed(Interval::Month, at(2026, 12, 10), SubscriptionStatus::PastDue);
        lapsed.grace_until = Some(at(2026, 11, 15));
        assert_eq!(credit_cycle(&lapsed, at(2026, 11, 20)).source, CycleSource::Calendar);
        lapsed.grace_until = Some(at(2026, 11, 25));
        assert_eq!(credit_cycle(&lapsed, at(2026, 11, 20)).source, CycleSource::Subscription, "still in grace");
    }
}
