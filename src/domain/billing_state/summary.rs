//! How a workspace's billing state reads on its billing page: a status word, the next
//! billing date, a one-line notice (ending, scheduled change, trial end) and the past-due
//! warning. Also the small wording helpers the state machine's notices share.

use super::*;
use SubscriptionStatus::{Future, Incomplete, Paused};

/// The plan names the summary mentions (the state machine knows plans by code only).
#[derive(Debug, Clone, Copy)]
pub struct PlanNames<'a> {
    pub current: &'a str,
    pub current_is_free: bool,
    /// The plan a scheduled downgrade moves to.
    pub scheduled: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// "Active", "Free trial", "Past due", "Cancelling", "Free plan"…
    pub status: String,
    /// When the next charge is due; `None` when nothing renews.
    pub next_billing: Option<String>,
    /// Ending, a scheduled change, or the trial's end.
    pub notice: Option<String>,
    /// Set while past due: what failed and what to do by when.
    pub past_due: Option<String>,
}

pub fn summary(state: &BillingState, names: PlanNames<'_>, now: DateTime<Utc>) -> Summary {
    let plan = names.current;
    let end = state.current_period_end.map(format_date);
    // The real end of a scheduled cancellation: `cancel_at` may lie beyond this period, with
    // renewals (and so a next billing date) before it.
    let ends = state.cancel_at.or(state.current_period_end).map(format_date);
    let renews_first = state.cancel_at.is_some_and(|at| state.current_period_end.is_some_and(|end| end < at));
    let notice = match (&end, state.cancel_at_period_end, names.scheduled) {
        (Some(_), true, _) => {
            ends.map(|ends| format!("Your subscription ends on {ends}. {plan} stays available until then."))
        }
        (Some(end), false, Some(next)) => Some(format!("Changes to {next} on {end}.")),
        _ => state
            .trial_end
            .filter(|_| state.status == Some(Trialing))
            .map(|trial_end| format!("Your free trial ends on {}.", format_date(trial_end))),
    };
    let past_due = (state.status == Some(PastDue)).then(|| match grace_date(state.grace_until, now) {
        Some(date) => format!("Your last payment failed. Update your payment method by {date} to keep {plan}."),
        None => "Your last payment failed. Update your payment method to restore your plan.".to_owned(),
    });
    Summary {
        status: status_word(state.status, names.current_is_free),
        next_billing: end.filter(|_| !state.cancel_at_period_end || renews_first),
        notice,
        past_due,
    }
}

fn status_word(status: Option<SubscriptionStatus>, plan_is_free: bool) -> String {
    match status {
        Some(Active) => "Active".into(),
        Some(Trialing) => "Free trial".into(),
        Some(PastDue) => "Past due".into(),
        Some(NonRenewing) => "Cancelling".into(),
        Some(Incomplete) => "Awaiting payment".into(),
        Some(Paused) => "Paused".into(),
        Some(Future) => "Starts later".into(),
        Some(Canceled) | None if plan_is_free => "Free plan".into(),
        Some(Canceled) => "Cancelled".into(),
        None => "No subscription".into(),
    }
}

/// Plan codes are lower-case identifiers ("pro", "team_plus"); notices want "Pro", "Team plus".
pub(super) fn display_name(code: &str) -> String {
    let spaced = code.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The grace deadline as a date, while it is still ahead.
pub(super) fn grace_date(grace_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    grace_until.filter(|until| *until > now).map(format_date)
}

pub(super) fn format_date(at: DateTime<Utc>) -> String {
    crate::domain::dates::format_date(&at.naive_utc())
}
