//! Fair monthly grants: what the ledger must record for the monthly bucket when a cycle opens
//! or lapses, or the plan changes within one.
//!
//! - A new cycle sets the bucket to the plan's grant; what was left of the last cycle expires
//!   with it. An annual plan gets this every monthly slice, not twelve grants on day one.
//! - A new cycle is granted only once it is paid for: while past due the old cycle's credits
//!   lapse and the new ones wait for the payment.
//! - An upgrade inside a cycle adds the prorated difference between the two grants for the
//!   part of the cycle that is left, not a whole new allowance.
//! - A downgrade (or a refund that ends the plan) cuts the bucket to the new plan's grant;
//!   dropping off a subscription onto calendar months keeps what is left up to that grant,
//!   and the next month brings a full one.
//! - Unlimited plans (`None`) never touch the monthly bucket: spends do not need it.

use chrono::{DateTime, Utc};

use super::cycle::{Cycle, CycleSource};

/// The facts a decision about the monthly bucket needs.
#[derive(Debug, Clone)]
pub struct MonthlyContext<'a> {
    pub cycle: &'a Cycle,
    /// This cycle's grant (or the cap that stands for it) is already in the ledger.
    pub cycle_granted: bool,
    /// This cycle's expiry is already in the ledger.
    pub cycle_expired: bool,
    /// The plan's monthly credits now; `None` = unlimited.
    pub grant: Option<i64>,
    /// What the plan granted before the change being applied; equal to `grant` when the
    /// plan did not change.
    pub previous_grant: Option<i64>,
    /// False while past due: a cycle is granted once it is paid for.
    pub may_open: bool,
    /// The monthly bucket's balance.
    pub monthly: i64,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonthlyMove {
    /// A new cycle: the bucket becomes the plan's grant.
    Open { delta: i64 },
    /// The cycle's credits lapsed with no paid successor yet: the bucket empties.
    Expire { delta: i64 },
    /// An upgrade within the cycle: the prorated difference.
    Prorate { delta: i64 },
    /// A downgrade: the bucket is cut to the new grant. `marks_cycle` when it stands for the
    /// cycle's grant (a calendar month entered by losing a subscription).
    Cap { delta: i64, marks_cycle: bool },
}

pub fn monthly_moves(ctx: &MonthlyContext<'_>) -> Vec<MonthlyMove> {
    let Some(grant) = ctx.grant else {
        return Vec::new();
    };
    let changed = ctx.previous_grant != ctx.grant;
    let decreased = changed && ctx.previous_grant.is_none_or(|before| grant < before);
    let increased = changed && ctx.previous_grant.is_some_and(|before| grant > before);
    let monthly = ctx.monthly;

    if !ctx.cycle_granted {
        if ctx.cycle.source == CycleSource::Calendar && decreased {
            return vec![MonthlyMove::Cap { delta: monthly.min(grant) - monthly, marks_cycle: true }];
        }
        if ctx.may_open {
            return vec![MonthlyMove::Open { delta: grant - monthly }];
        }
        if !ctx.cycle_expired && monthly > 0 {
            return vec![MonthlyMove::Expire { delta: -monthly }];
        }
        return Vec::new();
    }

    let mut moves = Vec::new();
    let mut monthly = monthly;
    if ctx.now >= ctx.cycle.end && !ctx.cycle_expired && monthly > 0 {
        moves.push(MonthlyMove::Expire { delta: -monthly });
        monthly = 0;
    }
    if let (true, Some(before)) = (increased, ctx.previous_grant) {
        let delta = prorated(grant - before, ctx.cycle, ctx.now);
        if delta > 0 {
            moves.push(MonthlyMove::Prorate { delta });
        }
    }
    if decreased && monthly > grant {
        moves.push(MonthlyMove::Cap { delta: grant - monthly, marks_cycle: false });
    }
    moves
}

/// `amount` scaled by the share of `cycle` left at `now`, rounded down (whole credits; the
/// customer never gets more than the time paid for).
pub fn prorated(amount: i64, cycle: &Cycle, now: DateTime<Utc>) -> i64 {
    let length = (cycle.end - cycle.start).num_seconds().max(1);
    let left = (cycle.end - now).num_seconds().clamp(0, length);
    let scaled = i128::from(amount) * i128::from(left) / i128::from(length);
    i64::try_from(scaled).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).single().unwrap()
    }

    fn cycle(source: CycleSource) -> Cycle {
        Cycle { start: day(1), end: day(1) + TimeDelta::days(30), source, key: "k".into() }
    }

    fn ctx(cycle: &Cycle) -> MonthlyContext<'_> {
        MonthlyContext {
            cycle,
            cycle_granted: true,
            cycle_expired: false,
            grant: Some(2000),
            previous_grant: Some(2000),
            may_open: true,
            monthly: 700,
            now: day(16),
        }
    }

    #[test]
    fn a_new_cycle_sets_the_bucket_to_the_grant() {
        let c = cycle(CycleSource::Subscription);
        let open = MonthlyContext { cycle_granted: false, ..ctx(&c) };
        assert_eq!(monthly_moves(&open), [MonthlyMove::Open { delta: 1300 }]);
        let in_debt = MonthlyContext { monthly: -50, ..open.clone() };
        assert_eq!(monthly_moves(&in_debt), [MonthlyMove::Open { delta: 2050 }]);
        // A period-end downgrade opens the new cycle at the new, lower grant.
        let downgraded = MonthlyContext { previous_grant: Some(5000), monthly: 4000, ..open };
        assert_eq!(monthly_moves(&downgraded), [MonthlyMove::Open { delta: -2000 }]);
    }

    #[test]
    fn nothing_happens_within_a_granted_cycle() {
        let c = cycle(CycleSource::Subscription);
        assert_eq!(monthly_moves(&ctx(&c)), []);
    }

    #[test]
    fn past_due_lapses_the_old_credits_and_waits_for_payment() {
        let c = cycle(CycleSource::Subscription);
        let unpaid = MonthlyContext { cycle_granted: false, may_open: false, ..ctx(&c) };
        assert_eq!(monthly_moves(&unpaid), [MonthlyMove::Expire { delta: -700 }]);
        assert_eq!(monthly_moves(&MonthlyContext { cycle_expired: true, ..unpaid.clone() }), []);
        assert_eq!(monthly_moves(&MonthlyContext { monthly: 0, ..unpaid }), []);
    }

    #[test]
    fn credits_expire_at_the_period_end_when_no_renewal_is_known() {
        let c = cycle(CycleSource::Subscription);
        let over = MonthlyContext { now: c.end + TimeDelta::minutes(1), ..ctx(&c) };
        assert_eq!(monthly_moves(&over), [MonthlyMove::Expire { delta: -700 }]);
        assert_eq!(monthly_moves(&MonthlyContext { cycle_expired: true, ..over }), []);
    }

    #[test]
    fn an_upgrade_mid_cycle_grants_the_prorated_difference() {
        let c = cycle(CycleSource::Subscription);
        // Starter (2,000) → Pro (5,000) with half the cycle left: 1,500 more, not 5,000.
        let upgrade = MonthlyContext { grant: Some(5000), previous_grant: Some(2000), ..ctx(&c) };
        assert_eq!(monthly_moves(&upgrade), [MonthlyMove::Prorate { delta: 1500 }]);
        let at_the_end = MonthlyContext { now: c.end - TimeDelta::seconds(1), ..upgrade.clone() };
        assert_eq!(monthly_moves(&at_the_end), [], "rounded down to nothing");
        let at_the_start = MonthlyContext { now: c.start, ..upgrade };
        assert_eq!(monthly_moves(&at_the_start), [MonthlyMove::Prorate { delta: 3000 }]);
    }

    #[test]
    fn a_downgrade_never_leaves_more_than_the_new_grant() {
        let c = cycle(CycleSource::Subscription);
        let down = MonthlyContext { grant: Some(100), previous_grant: Some(5000), monthly: 4200, ..ctx(&c) };
        assert_eq!(monthly_moves(&down), [MonthlyMove::Cap { delta: -4100, marks_cycle: false }]);
        assert_eq!(monthly_moves(&MonthlyContext { monthly: 60, ..down }), [], "already below the new grant");
    }

    #[test]
    fn dropping_to_calendar_months_keeps_what_is_left_up_to_the_new_grant() {
        let c = cycle(CycleSource::Calendar);
        let paused = MonthlyContext {
            cycle_granted: false,
            grant: Some(100),
            previous_grant: Some(5000),
            monthly: 4200,
            ..ctx(&c)
        };
        assert_eq!(monthly_moves(&paused), [MonthlyMove::Cap { delta: -4100, marks_cycle: true }]);
        let spent = MonthlyContext { monthly: 30, ..paused };
        assert_eq!(monthly_moves(&spent), [MonthlyMove::Cap { delta: 0, marks_cycle: true }], "no refill");
    }

    #[test]
    fn unlimited_plans_leave_the_bucket_alone_and_leaving_one_caps_it() {
        let c = cycle(CycleSource::Subscription);
        assert_eq!(monthly_moves(&MonthlyContext { grant: None, cycle_granted: false, ..ctx(&c) }), []);
        let left = MonthlyContext { grant: Some(100), previous_grant: None, monthly: 300, ..ctx(&c) };
        assert_eq!(monthly_moves(&left), [MonthlyMove::Cap { delta: -200, marks_cycle: false }]);
    }
}
