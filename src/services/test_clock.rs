//! The workspace's test clock (sandbox mode, like Stripe's test mode): what the clock page shows
//! — the customer's clock, its subscriptions at the provider, the workspace's own event log —
//! and moving the clock forward. Only owners and admins move it; it is that workspace's
//! customer's clock alone, driven through the provider's test-clock API with the app's key, as
//! it would be on Stripe. After a move the time-based jobs run for the workspace at once, so its
//! billing page shows what the new time means (a grace period ending, say) straight away.

use chrono::{DateTime, Months, TimeDelta, Utc};

use super::catalog::plan_book;
use super::clock::customer_of;
use super::{provider_error, require_manager};
use crate::billing::{BillingProvider, SubscriptionData, SubscriptionStatus, TestClock};
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::error::AppError;
use crate::models::{BillingEvent, Workspace};
use crate::state::AppState;

/// How many of the workspace's events the page lists.
const EVENTS_SHOWN: i64 = 30;
/// The most days one custom step may ask for (the provider refuses more than two billing
/// intervals anyway; this keeps the form's number small and meaningful).
pub const MAX_DAYS: i64 = 730;

pub struct ClockView {
    /// `None` until the workspace has a customer (its first checkout creates one on a clock).
    pub clock: Option<TestClock>,
    /// The customer's subscriptions at the provider, each with what it sells (plan or add-on
    /// name, or its price ids when the catalog does not know them).
    pub subscriptions: Vec<(SubscriptionData, String)>,
    pub next_renewal: Option<DateTime<Utc>>,
    pub events: Vec<BillingEvent>,
}

/// How far to move the clock, as the page's buttons and its number field say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Days(i64),
    OneMonth,
    /// Just far enough for the earliest live subscription period to end.
    NextRenewal,
}

impl Step {
    /// Reads the form: `step` is `1d`, `7d`, `1m`, `next_renewal`, or `days` with `days` set.
    pub fn parse(step: &str, days: Option<&str>) -> Result<Step, AppError> {
        match step {
            "1d" => Ok(Step::Days(1)),
            "7d" => Ok(Step::Days(7)),
            "1m" => Ok(Step::OneMonth),
            "next_renewal" => Ok(Step::NextRenewal),
            "days" => days
                .and_then(|d| d.trim().parse::<i64>().ok())
                .filter(|d| (1..=MAX_DAYS).contains(d))
                .map(Step::Days)
                .ok_or_else(|| AppError::validation(format!("Enter a whole number of days from 1 to {MAX_DAYS}."))),
            _ => Err(AppError::bad_request("That is not one of the clock's steps.")),
        }
    }

    /// Where the clock goes from `now`; `None` when that is not a date.
    fn target(self, now: DateTime<Utc>, subscriptions: &[SubscriptionData]) -> Result<DateTime<Utc>, AppError> {
        let too_far = || AppError::validation("That is further than the clock can go.");
        match self {
            Step::Days(days) => {
                now.checked_add_signed(TimeDelta::try_days(days).ok_or_else(too_far)?).ok_or_else(too_far)
            }
            Step::OneMonth => now.checked_add_months(Months::new(1)).ok_or_else(too_far),
            Step::NextRenewal => next_renewal(subscriptions, now)
                .ok_or_else(|| AppError::validation("Nothing renews: the workspace has no live subscription.")),
        }
    }
}

/// The earliest end of a live subscription's period after `now`.
pub fn next_renewal(subscriptions: &[SubscriptionData], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use SubscriptionStatus::{Active, NonRenewing, PastDue, Trialing};
    subscriptions
        .iter()
        .filter(|s| matches!(s.status, Some(Trialing | Active | PastDue | NonRenewing)))
        .filter_map(|s| s.current_period_end)
        .filter(|end| *end > now)
        .min()
}

fn require_test_clocks(state: &AppState) -> Result<(), AppError> {
    // With real providers there is nothing to move, and the page does not exist.
    if state.billing.uses_test_clocks() { Ok(()) } else { Err(AppError::NotFound) }
}

async fn clock_and_subscriptions(
    state: &AppState,
    ws: &Workspace,
) -> Result<(Option<TestClock>, Vec<SubscriptionData>), AppError> {
    let Some(customer) = customer_of(state, ws) else {
        return Ok((None, Vec::new()));
    };
    let clock = state.billing.customer_test_clock(&customer).await.map_err(provider_error)?;
    let subscriptions = state.billing.list_subscriptions(&customer).await.map_err(provider_error)?;
    Ok((clock, subscriptions))
}

pub async fn clock_view(state: &AppState, ws: &Workspace) -> Result<ClockView, AppError> {
    require_test_clocks(state)?;
    let (clock, subscriptions) = clock_and_subscriptions(state, ws).await?;
    let (id, provider) = (ws.id, state.billing.provider());
    let (book, events) = state
        .db
        .run(move |conn| Ok((plan_book(conn, provider)?, BillingEvent::recent_for_workspace(conn, id, EVENTS_SHOWN)?)))
        .await?;
    let next_renewal = clock.as_ref().and_then(|c| next_renewal(&subscriptions, c.now()));
    let named = subscriptions
        .into_iter()
        .map(|sub| {
            let name = sub.price_ids.iter().find_map(|p| {
                book.plan_for_price(p)
                    .map(|(plan, _)| plan.name.clone())
                    .or_else(|| book.addon_for_price(p).map(|a| a.name.clone()))
            });
            let name = name.unwrap_or_else(|| sub.price_ids.join(", "));
            (sub, name)
        })
        .collect();
    Ok(ClockView { clock, subscriptions: named, next_renewal, events })
}

/// Moves the workspace's customer's test clock by `step`, then runs the time-based jobs for the
/// workspace at the new time. Returns the clock as it now stands.
pub async fn advance_clock(
    state: &AppState,
    workspace_id: WorkspaceId,
    role: Role,
    step: Step,
) -> Result<TestClock, AppError> {
    require_test_clocks(state)?;
    require_manager(role)?;
    let ws = state.db.run(move |conn| Ok(Workspace::find(conn, workspace_id)?)).await?;
    let (clock, subscriptions) = clock_and_subscriptions(state, &ws).await?;
    let clock = clock.ok_or_else(|| {
        AppError::validation("This workspace has no test clock yet: it gets one with its first checkout.")
    })?;
    let target = step.target(clock.now(), &subscriptions)?;
    let moved = state.billing.advance_test_clock(&clock.id, target).await.map_err(provider_error)?;
    super::jobs::run_for_workspace(state, workspace_id, moved.now()).await?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_read_strictly() {
        assert_eq!(Step::parse("7d", None).ok(), Some(Step::Days(7)));
        assert_eq!(Step::parse("days", Some(" 8 ")).ok(), Some(Step::Days(8)));
        for bad in ["0", "-3", "731", "8000000000000", "4294967295", "1e3", "", "eight"] {
            assert!(Step::parse("days", Some(bad)).is_err(), "{bad}");
        }
        assert!(Step::parse("days", None).is_err());
        assert!(Step::parse("1y", None).is_err());
    }

    #[test]
    fn targets_never_overflow() {
        let end_of_time = DateTime::<Utc>::MAX_UTC;
        assert!(Step::Days(MAX_DAYS).target(end_of_time, &[]).is_err());
        assert!(Step::OneMonth.target(end_of_time, &[]).is_err());
        assert!(Step::NextRenewal.target(Utc::now(), &[]).is_err(), "nothing renews");
    }
}
