//! The operators' background jobs by name: what each does and how often it is due. Names are
//! parsed once where they enter (the command line, an admin's form, a stored row).

use chrono::{DateTime, TimeDelta, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// Heal every paid workspace from its provider's subscription.
    Reconcile,
    /// Monthly credits and usage periods: free workspaces' calendar months, subscribed ones' cycles.
    ResetPeriodCounters,
    /// Trials past their end with no word from the provider: ask the provider.
    CheckTrialExpirations,
    /// Past-due workspaces whose grace period is over drop to the default plan.
    ExpireGracePeriods,
    /// Webhook events stored as pending or failed, once their backoff has passed.
    RetryFailedEvents,
    /// Subscriptions set to cancel whose period ended without the provider's cancellation.
    CleanupStaleSubscriptions,
    /// The daily capacity snapshot.
    CaptureCapacitySnapshot,
    /// Expired throttle counters and sessions.
    Prune,
}

/// Every job, in the order a scheduler round runs them (events first: a retried webhook may
/// settle what a later job would otherwise act on).
pub const ALL: [Job; 8] = [
    Job::RetryFailedEvents,
    Job::Reconcile,
    Job::CheckTrialExpirations,
    Job::ExpireGracePeriods,
    Job::CleanupStaleSubscriptions,
    Job::ResetPeriodCounters,
    Job::CaptureCapacitySnapshot,
    Job::Prune,
];

impl Job {
    pub fn as_str(self) -> &'static str {
        match self {
            Job::Reconcile => "reconcile",
            Job::ResetPeriodCounters => "reset_period_counters",
            Job::CheckTrialExpirations => "check_trial_expirations",
            Job::ExpireGracePeriods => "expire_grace_periods",
            Job::RetryFailedEvents => "retry_failed_events",
            Job::CleanupStaleSubscriptions => "cleanup_stale_subscriptions",
            Job::CaptureCapacitySnapshot => "capture_capacity_snapshot",
            Job::Prune => "prune",
        }
    }

    pub fn parse(name: &str) -> Option<Job> {
        ALL.into_iter().find(|job| job.as_str() == name)
    }

    /// How long after one scheduled run the next is due. Reconcile is hourly so that a missed
    /// webhook leaves a workspace wrong for at most an hour; the time-based rules run often
    /// because a grace period or a cycle may end at any minute.
    pub fn interval(self) -> TimeDelta {
        match self {
            Job::RetryFailedEvents => TimeDelta::minutes(1),
            Job::ExpireGracePeriods | Job::CleanupStaleSubscriptions | Job::CheckTrialExpirations => {
                TimeDelta::minutes(5)
            }
            Job::ResetPeriodCounters => TimeDelta::minutes(15),
            Job::Reconcile | Job::Prune => TimeDelta::hours(1),
            Job::CaptureCapacitySnapshot => TimeDelta::days(1),
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Job::Reconcile => "Compares every paid workspace with its provider's subscription and heals differences.",
            Job::ResetPeriodCounters => "Grants monthly credits and opens usage periods as cycles turn.",
            Job::CheckTrialExpirations => "Asks the provider about trials that ended without a webhook.",
            Job::ExpireGracePeriods => "Moves past-due workspaces whose grace period ended to the default plan.",
            Job::RetryFailedEvents => "Processes pending and failed webhook events again after their backoff.",
            Job::CleanupStaleSubscriptions => "Ends cancellations whose period ended without the provider's word.",
            Job::CaptureCapacitySnapshot => "Records the day's capacity snapshot.",
            Job::Prune => "Deletes expired throttle counters and sessions.",
        }
    }

    /// When the run claimed at `now` makes the job due again.
    pub fn next_after(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_add_signed(self.interval()).unwrap_or(now)
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Ok,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Running => "running",
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "running" => Some(Outcome::Running),
            "ok" => Some(Outcome::Ok),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunBy {
    Schedule,
    Admin,
    CommandLine,
}

impl RunBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RunBy::Schedule => "schedule",
            RunBy::Admin => "admin",
            RunBy::CommandLine => "cli",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_unknown_names_do_not() {
        for job in ALL {
            assert_eq!(Job::parse(job.as_str()), Some(job));
        }
        assert_eq!(Job::parse("Reconcile"), None);
        assert_eq!(Job::parse(""), None);
    }

    #[test]
    fn reconcile_is_hourly_and_the_snapshot_daily() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        assert_eq!(Job::Reconcile.next_after(t) - t, TimeDelta::hours(1));
        assert_eq!(Job::CaptureCapacitySnapshot.next_after(t) - t, TimeDelta::days(1));
    }
}
