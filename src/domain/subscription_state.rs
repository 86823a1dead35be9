//! Subscription state machine: pure decisions over one workspace's billing state.
//!
//! Each `on_*` function takes the stored [`BillingState`] plus one fact (a provider event, or
//! time passing for the periodic jobs) and returns a [`Decision`]: the next state and the side
//! effects the caller performs. Nothing here reads a clock, a database or the network; `now`
//! and `event_time` are parameters so that webhook replays and tests are deterministic.
//!
//! Providers deliver webhooks late, twice and out of order, so:
//! - subscription snapshots carry the provider's timestamp, kept as `state_at`; an older one is
//!   [`Decision::Stale`], a same-second conflicting one is [`Decision::Ambiguous`];
//! - invoice events never move `state_at`, because the provider sends `invoice.paid` and the
//!   matching subscription update for the same change in either order;
//! - a subscription seen ending is remembered in `ended_subscription_ids` and never grants again.

use chrono::{DateTime, TimeDelta, Utc};

use crate::billing::normalized::{InvoiceData, SubscriptionData, SubscriptionStatus};
pub use crate::domain::money::Interval;

// Relative to the import above, so moving the module means editing one path only.
use SubscriptionStatus::{Active, Canceled, Future, Incomplete, NonRenewing, PastDue, Paused, Trialing};

/// Shown after "then" when a subscription is cancelled: `describe` has no default plan to name.
const PLAN_AFTER_CANCEL: &str = "Free";

/// What the app knows about a plan, as needed for decisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRef {
    pub code: String,
    pub is_free: bool,
    /// `None` = unlimited.
    pub monthly_credits: Option<i64>,
}

/// The billing state of one workspace (columns of the workspaces table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingState {
    /// The plan the workspace is entitled to now.
    pub plan_code: String,
    /// `None` = never subscribed.
    pub status: Option<SubscriptionStatus>,
    pub customer_id: Option<String>,
    /// Cleared when the subscription ends.
    pub subscription_id: Option<String>,
    pub interval: Option<Interval>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<DateTime<Utc>>,
    /// Once true stays true (no second trial).
    pub had_trial: bool,
    /// Set while past due.
    pub grace_until: Option<DateTime<Utc>>,
    /// A downgrade scheduled for period end (display only; set by the caller).
    pub scheduled_plan_code: Option<String>,
    /// When the plan last went up.
    pub upgraded_at: Option<DateTime<Utc>>,
    /// Provider timestamp of the last applied subscription state.
    pub state_at: Option<DateTime<Utc>>,
    /// Subscriptions seen ending: a cancelled subscription never comes back.
    pub ended_subscription_ids: Vec<String>,
}

impl BillingState {
    /// A workspace that never subscribed, entitled to `default_plan`.
    pub fn unsubscribed(default_plan: &PlanRef) -> Self {
        Self { plan_code: default_plan.code.clone(), ..Self::default() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    PlanChanged {
        from: String,
        to: String,
    },
    /// Set the workspace's monthly credit bucket to `amount` (skip when `None` = unlimited).
    /// `period_key` is stable for one billing period of one subscription: an idempotency key.
    ResetMonthlyCredits {
        amount: Option<i64>,
        period_key: String,
    },
    EnteredGrace {
        until: DateTime<Utc>,
    },
    Downgraded {
        to: String,
        reason: &'static str,
    },
    /// Where an email would be sent; the caller logs it.
    Notify(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub next: BillingState,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Apply(Transition),
    /// The event is older than state already applied: change nothing.
    Stale,
    /// The event alone cannot be trusted (same-second conflict): the caller fetches the
    /// subscription and calls [`on_subscription_snapshot`] with it and `event_time = now`.
    Ambiguous,
    /// Nothing to do, with a reason for the event log.
    Ignore(String),
}

/// Only for inputs no real event produces; ordinary no-ops are [`Decision::Ignore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("event has no subscription id")]
    MissingSubscriptionId,
    #[error("subscription snapshot {0} has no status")]
    MissingStatus(String),
    #[error("grace_days must be between 0 and a representable date, got {0}")]
    InvalidGraceDays(i64),
}

/// Maps ONE provider price id to a plan and interval; add-ons and credit packs give `None`.
pub type ResolvePlan<'a> = &'a dyn Fn(&str) -> Option<(PlanRef, Interval)>;

/// A subscription snapshot (`customer.subscription.created|updated`, Chargebee `subscription_*`).
pub fn on_subscription_snapshot(
    state: &BillingState,
    sub: &SubscriptionData,
    event_time: DateTime<Utc>,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    grace_days: i64,
    now: DateTime<Utc>,
) -> Result<Decision, TransitionError> {
    snapshot_decision(state, sub, event_time, resolve_plan, default_plan, grace_days, now, Ordering::Checked)
}

/// A subscription as the provider reports it when asked (after a checkout, a plan change, or
/// to settle an ambiguous event): the truth as of `now`, so no ordering check applies.
/// `state_at` moves to `now` in whole seconds, as providers stamp events: events created
/// later still apply, and a conflicting one from the same second is re-checked.
pub fn on_fetched_subscription(
    state: &BillingState,
    sub: &SubscriptionData,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    grace_days: i64,
    now: DateTime<Utc>,
) -> Result<Decision, TransitionError> {
    let whole_seconds = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    let as_of = state.state_at.map_or(whole_seconds, |applied| applied.max(whole_seconds));
    snapshot_decision(state, sub, as_of, resolve_plan, default_plan, grace_days, now, Ordering::Trusted)
}

#[derive(PartialEq, Eq)]
enum Ordering {
    /// An event: older than applied state is stale, a same-second conflict ambiguous.
    Checked,
    /// Fetched from the provider just now: newest by definition.
    Trusted,
}

#[expect(clippy::too_many_arguments, reason = "the two public entry points pass everything through")]
fn snapshot_decision(
    state: &BillingState,
    sub: &SubscriptionData,
    event_time: DateTime<Utc>,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    grace_days: i64,
    now: DateTime<Utc>,
    ordering: Ordering,
) -> Result<Decision, TransitionError> {
    require_subscription_id(&sub.id)?;
    let status = sub.status.ok_or_else(|| TransitionError::MissingStatus(sub.id.clone()))?;
    let grace_deadline = grace_deadline(now, grace_days)?;
    if status == Canceled {
        return on_subscription_deleted(state, sub, event_time, default_plan);
    }
    if ordering == Ordering::Checked && is_stale(state, event_time) {
        return Ok(Decision::Stale);
    }
    if has_ended(state, &sub.id) {
        return Ok(ignore("subscription already ended"));
    }
    if is_blocked_by_current(state, &sub.id, now) {
        return Ok(ignore("other subscription"));
    }
    let Some(plan) = snapshot_plan(sub, status, resolve_plan, default_plan) else {
        return Ok(ignore("unknown price"));
    };
    let snapshot = Snapshot { sub, status, plan, default_plan, event_time, grace_deadline, now };
    let next = snapshot.next_state(state);
    if ordering == Ordering::Checked && state.state_at == Some(event_time) && conflicts(state, &next) {
        return Ok(Decision::Ambiguous);
    }
    let effects = snapshot.effects(state, &next);
    Ok(decide(state, next, effects))
}

/// `customer.subscription.deleted` / Chargebee `subscription_cancelled` (and `Canceled` snapshots).
pub fn on_subscription_deleted(
    state: &BillingState,
    sub: &SubscriptionData,
    event_time: DateTime<Utc>,
    default_plan: &PlanRef,
) -> Result<Decision, TransitionError> {
    require_subscription_id(&sub.id)?;
    if has_ended(state, &sub.id) {
        return Ok(ignore("subscription already ended"));
    }
    let (is_current, stale) = (is_current(state, &sub.id), is_stale(state, event_time));
    if is_current && stale {
        return Ok(Decision::Stale);
    }
    // With no current subscription the deleted one is the newest we know of, so it becomes the
    // recorded state; that keeps "created then deleted" equal to "deleted then (stale) created".
    let adopts = state.subscription_id.is_none() && !stale;
    if !is_current && !adopts {
        // Ending is final whatever the order, so another subscription is remembered regardless.
        return Ok(decide(state, remember_ended(state, &sub.id), Vec::new()));
    }
    let mut next = close_subscription(state, &sub.id, event_time);
    // Only the current subscription's entitlement ends; a plan granted otherwise stays.
    if is_current {
        end_entitlement(&mut next, default_plan);
    }
    next.customer_id = sub.customer_id.clone().or(next.customer_id);
    next.had_trial |= sub.trial_end.is_some();
    let effects = plan_change_effects(state, &next, &default_plan.code, "subscription ended");
    Ok(decide(state, next, effects))
}

/// `invoice.paid` / Chargebee `payment_succeeded`.
pub fn on_invoice_paid(
    state: &BillingState,
    inv: &InvoiceData,
    event_time: DateTime<Utc>,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    now: DateTime<Utc>,
) -> Result<Decision, TransitionError> {
    let Some(sub_id) = invoice_subscription_id(inv)? else {
        return Ok(ignore("invoice has no subscription"));
    };
    if !is_current(state, sub_id) {
        return Ok(ignore("other subscription"));
    }
    let stale = is_stale(state, event_time);
    let next = if stale { state.clone() } else { settle_paid_invoice(state, inv, resolve_plan, default_plan, now) };
    let mut effects = plan_change_effects(state, &next, &default_plan.code, "payment recovered");
    // Credits are keyed by period, so a late invoice may still grant its period's reset.
    let reset = period_credit_reset(&next, sub_id, inv, resolve_plan, default_plan, now);
    effects.extend(reset);
    if stale && effects.is_empty() {
        return Ok(Decision::Stale);
    }
    Ok(decide(state, next, effects))
}

/// `invoice.payment_failed` / Chargebee `payment_failed`.
pub fn on_payment_failed(
    state: &BillingState,
    inv: &InvoiceData,
    event_time: DateTime<Utc>,
    now: DateTime<Utc>,
    grace_days: i64,
    default_plan: &PlanRef,
) -> Result<Decision, TransitionError> {
    let grace_deadline = grace_deadline(now, grace_days)?;
    let Some(sub_id) = invoice_subscription_id(inv)? else {
        return Ok(ignore("invoice has no subscription"));
    };
    if !is_current(state, sub_id) {
        return Ok(ignore("other subscription"));
    }
    // A failed first payment leaves the subscription incomplete; there is no plan to keep.
    if !state.status.is_some_and(holds_paid_status) {
        return Ok(ignore("subscription not active"));
    }
    if is_stale(state, event_time) {
        return Ok(Decision::Stale);
    }
    let existing_grace = state.grace_until.filter(|_| state.status == Some(PastDue));
    let mut next = state.clone();
    next.status = Some(PastDue);
    next.grace_until = Some(existing_grace.unwrap_or(grace_deadline));
    if !grants_plan(next.status, next.grace_until, now) {
        next.plan_code.clone_from(&default_plan.code);
    }
    let reason = existing_grace.map_or("payment failed", |_| "grace period ended");
    let mut effects = plan_change_effects(state, &next, &default_plan.code, reason);
    effects.extend(grace_effects(state, &next, now));
    effects.push(Effect::Notify(payment_failed_notice(&next, now)));
    Ok(decide(state, next, effects))
}

/// Periodic job: a past-due workspace whose grace ran out drops to the default plan. Status and
/// link stay, because the provider will still cancel or recover the subscription.
pub fn on_grace_expired(state: &BillingState, now: DateTime<Utc>, default_plan: &PlanRef) -> Decision {
    let expired = state.status == Some(PastDue) && state.grace_until.is_some_and(|g| g <= now);
    if !expired {
        return ignore("grace not expired");
    }
    if state.plan_code == default_plan.code {
        return ignore("already on default plan");
    }
    let mut next = state.clone();
    next.plan_code.clone_from(&default_plan.code);
    let effects = plan_change_effects(state, &next, &default_plan.code, "grace period ended");
    decide(state, next, effects)
}

/// Safety net job for a lost deletion webhook: a subscription set to cancel whose period is over
/// ends as if deleted. Without a provider timestamp, `now` orders it after what was applied.
pub fn on_period_end_passed(state: &BillingState, now: DateTime<Utc>, default_plan: &PlanRef) -> Decision {
    let period_over = state.current_period_end.is_some_and(|end| end <= now);
    let Some(sub_id) = state.subscription_id.as_deref() else {
        return ignore("no subscription");
    };
    if !state.cancel_at_period_end || !period_over {
        return ignore("period not ended");
    }
    let at = state.state_at.map_or(now, |at| at.max(now));
    let mut next = close_subscription(state, sub_id, at);
    end_entitlement(&mut next, default_plan);
    let effects = plan_change_effects(state, &next, &default_plan.code, "subscription ended");
    decide(state, next, effects)
}

/// Whether a subscription in `status` entitles the workspace to its plan at `now`.
pub fn grants_plan(status: Option<SubscriptionStatus>, grace_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match status {
        Some(Trialing | Active | NonRenewing) => true,
        // Past due without a deadline has no grace to be within.
        Some(PastDue) => grace_until.is_some_and(|until| until > now),
        _ => false,
    }
}

/// A short sentence for the billing page, e.g. "Pro, renews on 12 Jan 2027".
pub fn describe(state: &BillingState, now: DateTime<Utc>) -> String {
    let plan = display_name(&state.plan_code);
    match state.status {
        Some(Trialing) => describe_trial(state, &plan),
        Some(Active | NonRenewing) => describe_paid(state, &plan),
        Some(PastDue) => match grace_date(state.grace_until, now) {
            Some(date) => format!("Past due: pay by {date} to keep {plan}"),
            None => "Past due: pay now to restore your subscription".to_owned(),
        },
        Some(Incomplete) => format!("{plan}: first payment pending"),
        Some(Paused) => format!("{plan}: subscription paused"),
        Some(Future) => format!("{plan}: subscription not started yet"),
        Some(Canceled) | None => plan,
    }
}

/// One snapshot event, validated, with the plan its prices resolve to.
struct Snapshot<'a> {
    sub: &'a SubscriptionData,
    status: SubscriptionStatus,
    plan: (PlanRef, Option<Interval>),
    default_plan: &'a PlanRef,
    event_time: DateTime<Utc>,
    grace_deadline: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Snapshot<'_> {
    fn next_state(&self, state: &BillingState) -> BillingState {
        let (sub, status, now) = (self.sub, self.status, self.now);
        let same_sub = is_current(state, &sub.id);
        let grace_until = (status == PastDue).then(|| {
            // Repeated past-due snapshots must not push the deadline out.
            let existing = state.grace_until.filter(|_| same_sub && state.status == Some(PastDue));
            existing.unwrap_or(self.grace_deadline)
        });
        let plan = if grants_plan(Some(status), grace_until, now) { &self.plan.0 } else { self.default_plan };
        let upgraded = plan.code != state.plan_code && !plan.is_free;
        let customer_id = sub.customer_id.as_ref().or(state.customer_id.as_ref());
        let scheduled = state.scheduled_plan_code.as_ref().filter(|s| same_sub && **s != self.plan.0.code);
        BillingState {
            plan_code: plan.code.clone(),
            status: Some(status),
            customer_id: customer_id.cloned(),
            subscription_id: Some(sub.id.clone()),
            interval: self.plan.1,
            current_period_end: sub.current_period_end,
            cancel_at_period_end: status == NonRenewing || sub.cancel_at_period_end.unwrap_or(false),
            trial_end: sub.trial_end,
            had_trial: state.had_trial || status == Trialing || sub.trial_end.is_some(),
            grace_until,
            scheduled_plan_code: scheduled.cloned(),
            upgraded_at: upgraded.then_some(now).or(state.upgraded_at),
            state_at: Some(self.event_time),
            ended_subscription_ids: state.ended_subscription_ids.clone(),
        }
    }

    fn effects(&self, prev: &BillingState, next: &BillingState) -> Vec<Effect> {
        let default_code = &self.default_plan.code;
        let reason = self.downgrade_reason(prev, next);
        let mut effects = plan_change_effects(prev, next, default_code, reason);
        if next.plan_code != prev.plan_code && next.plan_code != *default_code {
            // 0 when the provider gave no period end, so the key stays stable across redeliveries.
            let period = next.current_period_end.map_or(0, |end| end.timestamp());
            let period_key = format!("{}:{}:{period}", self.sub.id, next.plan_code);
            let amount = self.plan.0.monthly_credits;
            effects.push(Effect::ResetMonthlyCredits { amount, period_key });
        }
        effects.extend(grace_effects(prev, next, self.now));
        effects.extend(status_notices(prev, next));
        effects
    }

    fn downgrade_reason(&self, prev: &BillingState, next: &BillingState) -> &'static str {
        match self.status {
            PastDue if prev.grace_until == next.grace_until => "grace period ended",
            PastDue => "payment failed",
            Paused => "subscription paused",
            Incomplete => "first payment pending",
            Future => "subscription not started",
            _ => "subscription plan changed",
        }
    }
}

fn require_subscription_id(id: &str) -> Result<(), TransitionError> {
    if id.trim().is_empty() {
        return Err(TransitionError::MissingSubscriptionId);
    }
    Ok(())
}

/// `None` for one-off invoices (credit packs); an empty id is a parser bug, not a one-off.
fn invoice_subscription_id(inv: &InvoiceData) -> Result<Option<&str>, TransitionError> {
    let Some(id) = inv.subscription_id.as_deref() else {
        return Ok(None);
    };
    require_subscription_id(id)?;
    Ok(Some(id))
}

fn grace_deadline(now: DateTime<Utc>, grace_days: i64) -> Result<DateTime<Utc>, TransitionError> {
    TimeDelta::try_days(grace_days)
        .filter(|_| grace_days >= 0)
        .and_then(|grace| now.checked_add_signed(grace))
        .ok_or(TransitionError::InvalidGraceDays(grace_days))
}

fn ignore(reason: &str) -> Decision {
    Decision::Ignore(reason.to_owned())
}

/// A transition that changes nothing is reported as such, so replays log as no-ops.
fn decide(state: &BillingState, next: BillingState, effects: Vec<Effect>) -> Decision {
    if next == *state && effects.is_empty() {
        return ignore("no change");
    }
    Decision::Apply(Transition { next, effects })
}

fn is_stale(state: &BillingState, event_time: DateTime<Utc>) -> bool {
    state.state_at.is_some_and(|applied| event_time < applied)
}

fn has_ended(state: &BillingState, sub_id: &str) -> bool {
    state.ended_subscription_ids.iter().any(|id| id == sub_id)
}

fn is_current(state: &BillingState, sub_id: &str) -> bool {
    state.subscription_id.as_deref() == Some(sub_id)
}

/// A second subscription must not take over while the linked one still grants access.
fn is_blocked_by_current(state: &BillingState, sub_id: &str, now: DateTime<Utc>) -> bool {
    state.subscription_id.is_some() && !is_current(state, sub_id) && grants_plan(state.status, state.grace_until, now)
}

/// Statuses in which the subscription is paid for (possibly late) and so carries its plan.
fn holds_paid_status(status: SubscriptionStatus) -> bool {
    matches!(status, Trialing | Active | NonRenewing | PastDue)
}

/// `None` when a paying status names no plan we know: granting the default would silently
/// downgrade a paying customer, so the caller logs it instead.
fn snapshot_plan(
    sub: &SubscriptionData,
    status: SubscriptionStatus,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
) -> Option<(PlanRef, Option<Interval>)> {
    match resolve_first(&sub.price_ids, resolve_plan) {
        Some((plan, interval)) => Some((plan, Some(interval))),
        None if holds_paid_status(status) => None,
        // Non-granting statuses keep the link even without a known price; they grant the default.
        None => Some((default_plan.clone(), None)),
    }
}

/// A subscription's plan is its first price that resolves; add-ons resolve to nothing.
fn resolve_first(price_ids: &[String], resolve: ResolvePlan<'_>) -> Option<(PlanRef, Interval)> {
    price_ids.iter().find_map(|id| resolve(id))
}

/// Same-second events are unordered, so only a snapshot that changes nothing can be trusted.
fn conflicts(prev: &BillingState, next: &BillingState) -> bool {
    prev.status != next.status
        || prev.plan_code != next.plan_code
        || prev.current_period_end != next.current_period_end
        || prev.cancel_at_period_end != next.cancel_at_period_end
        || prev.subscription_id != next.subscription_id
}

fn remember_ended(state: &BillingState, sub_id: &str) -> BillingState {
    let mut next = state.clone();
    next.ended_subscription_ids.push(sub_id.to_owned());
    next
}

/// The state after `sub_id` ended: everything describing that subscription is cleared.
fn close_subscription(state: &BillingState, sub_id: &str, at: DateTime<Utc>) -> BillingState {
    let mut next = remember_ended(state, sub_id);
    next.status = Some(Canceled);
    next.subscription_id = None;
    next.interval = None;
    next.current_period_end = None;
    next.cancel_at_period_end = false;
    next.trial_end = None;
    next.grace_until = None;
    next.scheduled_plan_code = None;
    next.state_at = Some(at);
    next
}

/// The upgrade time belongs to the entitlement that just ended.
fn end_entitlement(next: &mut BillingState, default_plan: &PlanRef) {
    next.plan_code.clone_from(&default_plan.code);
    next.upgraded_at = None;
}

/// Recovering from past due after the grace downgrade: the paid invoice says which plan to restore
/// (Chargebee sends no subscription update for it).
fn settle_paid_invoice(
    state: &BillingState,
    inv: &InvoiceData,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    now: DateTime<Utc>,
) -> BillingState {
    let mut next = state.clone();
    if state.status == Some(PastDue) {
        next.status = Some(Active);
        let downgraded = state.plan_code == default_plan.code;
        let restored = resolve_first(&inv.price_ids, resolve_plan);
        if let Some((plan, interval)) = restored.filter(|(p, _)| downgraded && p.code != default_plan.code) {
            next.plan_code = plan.code;
            next.interval = Some(interval);
            next.upgraded_at = (!plan.is_free).then_some(now).or(state.upgraded_at);
        }
    }
    next.grace_until = None;
    next.current_period_end = state.current_period_end.max(inv.line_period_end);
    next
}

/// The credit amount comes from the invoice line of the plan the workspace holds: a proration
/// invoice also lists the plan being left, first.
fn period_credit_reset(
    next: &BillingState,
    sub_id: &str,
    inv: &InvoiceData,
    resolve_plan: ResolvePlan<'_>,
    default_plan: &PlanRef,
    now: DateTime<Utc>,
) -> Option<Effect> {
    let start = inv.line_period_start?;
    if next.plan_code == default_plan.code || !grants_plan(next.status, next.grace_until, now) {
        return None;
    }
    let plan = inv
        .price_ids
        .iter()
        .filter_map(|id| resolve_plan(id))
        .map(|(plan, _)| plan)
        .find(|plan| plan.code == next.plan_code && !plan.is_free)?;
    Some(Effect::ResetMonthlyCredits {
        amount: plan.monthly_credits,
        period_key: format!("{sub_id}:{}", start.timestamp()),
    })
}

fn plan_change_effects(
    prev: &BillingState,
    next: &BillingState,
    default_code: &str,
    downgrade_reason: &'static str,
) -> Vec<Effect> {
    if prev.plan_code == next.plan_code {
        return Vec::new();
    }
    let mut effects = vec![Effect::PlanChanged { from: prev.plan_code.clone(), to: next.plan_code.clone() }];
    if next.plan_code == default_code {
        effects.push(Effect::Downgraded { to: next.plan_code.clone(), reason: downgrade_reason });
    }
    effects
}

fn grace_effects(prev: &BillingState, next: &BillingState, now: DateTime<Utc>) -> Option<Effect> {
    let until = next.grace_until?;
    let newly_in_grace = prev.grace_until.is_none() || prev.status != Some(PastDue);
    (newly_in_grace && until > now).then_some(Effect::EnteredGrace { until })
}

fn status_notices(prev: &BillingState, next: &BillingState) -> Vec<Effect> {
    let mut notices = Vec::new();
    let became = |status| next.status == Some(status) && prev.status != Some(status);
    if became(Trialing) {
        notices.push("trial started".to_owned());
    }
    if became(Active) && !matches!(prev.status, Some(NonRenewing | PastDue | Paused)) {
        notices.push("subscription active".to_owned());
    }
    let uncancelled = prev.cancel_at_period_end && !next.cancel_at_period_end;
    if (uncancelled && prev.subscription_id == next.subscription_id) || (prev.status == Some(Paused) && became(Active))
    {
        notices.push("reactivated".to_owned());
    }
    if next.cancel_at_period_end && !prev.cancel_at_period_end {
        let date = next.current_period_end.map_or_else(|| "period end".to_owned(), format_date);
        notices.push(format!("cancellation scheduled for {date}"));
    }
    notices.into_iter().map(Effect::Notify).collect()
}

fn payment_failed_notice(next: &BillingState, now: DateTime<Utc>) -> String {
    let plan = display_name(&next.plan_code);
    match grace_date(next.grace_until, now) {
        Some(date) => format!("payment failed: pay by {date} to keep {plan}"),
        None => format!("payment failed: moved to {plan}"),
    }
}

fn describe_trial(state: &BillingState, plan: &str) -> String {
    match (state.trial_end.map(format_date), state.cancel_at_period_end) {
        (Some(end), false) => format!("Trial ends {end}"),
        (Some(end), true) => format!("{plan} trial until {end}, then {PLAN_AFTER_CANCEL}"),
        (None, _) => format!("{plan} trial"),
    }
}

fn describe_paid(state: &BillingState, plan: &str) -> String {
    let Some(end) = state.current_period_end.map(format_date) else {
        return plan.to_owned();
    };
    if state.cancel_at_period_end {
        return format!("{plan} until {end}, then {PLAN_AFTER_CANCEL}");
    }
    match &state.scheduled_plan_code {
        Some(scheduled) => format!("{plan} until {end}, then {}", display_name(scheduled)),
        None => format!("{plan}, renews on {end}"),
    }
}

/// Plan codes are lower-case identifiers ("pro", "team_plus"); the page wants "Pro", "Team plus".
fn display_name(code: &str) -> String {
    let spaced = code.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The grace deadline as a date, while it is still ahead.
fn grace_date(grace_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<String> {
    grace_until.filter(|until| *until > now).map(format_date)
}

fn format_date(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y").to_string()
}

#[cfg(test)]
mod tests;
