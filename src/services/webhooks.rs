//! Provider webhooks, end to end after the signature check: parse, record the event and
//! apply it in one transaction (the unique provider+event id makes redelivery harmless),
//! and record a failure separately so the state change rolls back but the event and its
//! error stay for the retry job (`retry_events`).

use chrono::{DateTime, TimeDelta, Utc};
use diesel::Connection;

use super::apply_event::{EventResult, Fetched, apply_event};
use crate::billing::BillingProvider;
use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::{EventKind, NormalizedEvent, Provider, SubscriptionData};
use crate::error::AppError;
use crate::models::billing_event::{BillingEvent, EventFailure, EventOutcome, EventStatus, InsertEvent};
use crate::models::checkout_session::CheckoutSession;
use crate::models::now;
use crate::state::AppState;

/// How a delivery ended, as answered to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    Processed,
    Duplicate,
    Ignored(String),
    /// Stored; our retry job will apply it once its workspace is known.
    Pending(String),
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    BadEvent(String),
    #[error("{0}")]
    Failed(String),
}

/// Exponential backoff for pending and failed events: 1, 2, 4 … minutes, at most 6 hours.
fn backoff(attempts: i32) -> TimeDelta {
    TimeDelta::minutes(1i64 << attempts.clamp(0, 9)).min(TimeDelta::hours(6))
}

/// After this many attempts (about two days of backoff) the retry job stops; a provider
/// redelivery still processes the event.
pub const MAX_ATTEMPTS: i32 = 16;

/// How many times one delivery asks the provider for the subscription an ambiguous event
/// concerns, when billing writes keep landing while it asks.
const SETTLING_FETCHES: u32 = 3;

/// When the retry job should try again after `attempts` tries, or never.
fn next_attempt(attempts: i32, at: DateTime<Utc>) -> Option<chrono::NaiveDateTime> {
    (attempts + 1 < MAX_ATTEMPTS).then(|| (at + backoff(attempts)).naive_utc())
}

pub fn parse(provider: Provider, payload: &[u8]) -> Result<NormalizedEvent, WebhookError> {
    let parsed = match provider {
        Provider::Stripe => crate::billing::stripe_events::parse_stripe_event(payload),
        Provider::Chargebee => crate::billing::chargebee_events::parse_chargebee_event(payload),
    };
    parsed.map_err(|e| WebhookError::BadEvent(e.to_string()))
}

/// Handles one verified delivery. Provider calls (fetching a subscription) happen before
/// any transaction opens.
pub async fn process_webhook(
    state: &AppState,
    provider: Provider,
    payload: Vec<u8>,
) -> Result<WebhookOutcome, WebhookError> {
    let event = parse(provider, &payload)?;
    let payload = String::from_utf8_lossy(&payload).into_owned();
    process_event(state, event, payload, Stored::Unknown).await
}

/// Whether the event may already be stored, which decides whether it is looked up first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stored {
    /// A provider's delivery: almost always new. It is inserted without looking first; when
    /// the insert meets a stored row, the attempt rolls back and is made again, looking first.
    /// That is a round trip fewer for each new event, and one more attempt for a redelivery.
    Unknown,
    /// An event read back from the database (the retry job, an operator's replay).
    Yes,
}

pub(super) async fn process_event(
    state: &AppState,
    event: NormalizedEvent,
    payload: String,
    stored: Stored,
) -> Result<WebhookOutcome, WebhookError> {
    match settle(state, &event, &payload, stored).await {
        Ok(outcome) => Ok(outcome),
        Err(Failure { error, recorded }) => {
            log::warn!("{} event {} ({}) failed: {error}", event.provider.as_str(), event.event_id, event.event_type);
            if !recorded {
                record_failure(state, &event, &payload, &error).await;
            }
            Err(WebhookError::Failed(error))
        }
    }
}

/// Why an event could not be applied, and whether that was already stored with it.
struct Failure {
    error: String,
    /// Stored as failed in the same commit that would have applied it.
    recorded: bool,
}

impl From<String> for Failure {
    fn from(error: String) -> Failure {
        Failure { error, recorded: false }
    }
}

/// Fetches what the event needs from the provider (outside any transaction) — the subscription
/// a checkout created, and the customer's "now" (its test clock's in sandbox mode, so grace
/// periods start in the customer's time) — then records and applies it through the
/// group-commit writer, so the answer is sent only once it is on disk; an ambiguous event is
/// applied once more with the fetched state, unless the billing state was written meanwhile
/// (then the provider is asked again).
async fn settle(
    state: &AppState,
    event: &NormalizedEvent,
    payload: &str,
    stored: Stored,
) -> Result<WebhookOutcome, Failure> {
    let mut fetched = match checkout_subscription(event).filter(|_| needs_subscription(event)) {
        // A checkout Tollgate never created is ignored, so the provider is not asked about it.
        Some(id) if recorded_checkout(state, event).await? => Some(fetch_subscription(state, &id, None).await?),
        _ => None,
    };
    let mut fetches = 0;
    let now = super::clock::test_clock_now(state, event.customer_id.as_deref())
        .await
        .map_err(|e| format!("reading the customer's test clock from the provider: {e}"))?;
    let mut look_first = stored == Stored::Yes;
    let mut raced = false;
    loop {
        let grace = state.config.grace_period_days;
        let (ev, body, asked) = (event.clone(), payload.to_owned(), fetched.clone());
        let (failed_ev, failed_body) = (event.clone(), payload.to_owned());
        let written = state
            .db
            .writer()
            .write_or_record(
                move |conn| apply_once(conn, &ev, &body, asked.as_ref(), grace, now, look_first),
                // A failure rolls back alone and is stored with its error. Not before the event
                // was looked up: a redelivery of an event already done is answered as such,
                // whatever applying it again would have said.
                move |conn, error| match error {
                    TxError::App(e) if look_first => record_failed(conn, &failed_ev, &failed_body, &e.detail()),
                    TxError::App(_) | TxError::NeedsFetch(..) | TxError::Race => Ok(()),
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        match written {
            Ok(outcome) => return Ok(outcome),
            // Stored already, or failing: look it up, and settle it from what is stored.
            Err(TxError::App(_) | TxError::Race) if !look_first => look_first = true,
            Err(TxError::App(e)) => return Err(Failure { error: e.detail(), recorded: true }),
            // Another instance recorded the same event a moment ago: try again to find it.
            Err(TxError::Race) if !raced => raced = true,
            Err(TxError::Race) => return Err("billing event insert kept racing".to_owned().into()),
            Err(TxError::NeedsFetch(..)) if fetches == SETTLING_FETCHES => {
                return Err("the provider's current subscription state did not settle the event".to_owned().into());
            }
            Err(TxError::NeedsFetch(id, version)) => {
                fetches += 1;
                fetched = Some(fetch_subscription(state, &id, Some(version)).await?);
            }
        }
    }
}

async fn recorded_checkout(state: &AppState, event: &NormalizedEvent) -> Result<bool, String> {
    let Some(checkout) = event.checkout.as_ref() else { return Ok(false) };
    let (provider, id) = (event.provider, checkout.id.clone());
    state
        .db
        .run(move |conn| Ok(CheckoutSession::find(conn, provider, &id)?.is_some()))
        .await
        .map_err(|e| format!("looking up the checkout: {}", e.detail()))
}

/// A subscription as the provider reports it, from when it was asked (see [`Fetched`]).
#[derive(Clone)]
struct Asked {
    subscription: SubscriptionData,
    /// Real time just before asking: it orders the answer among events.
    at: DateTime<Utc>,
    /// For an ambiguous event, the billing version it was judged against ([`Fetched::settles`]).
    settles: Option<i64>,
}

async fn fetch_subscription(state: &AppState, id: &str, settles: Option<i64>) -> Result<Asked, String> {
    // Taken before asking: the answer is the provider's state as of at least this instant.
    let at = Utc::now();
    let subscription = state.billing.fetch_subscription(id).await;
    let subscription = subscription.map_err(|e| format!("fetching subscription {id} from the provider: {e}"))?;
    Ok(Asked { subscription, at, settles })
}

/// Subscription checkouts say which subscription they created, not its state: ask.
fn needs_subscription(event: &NormalizedEvent) -> bool {
    event.kind == EventKind::CheckoutCompleted && checkout_subscription(event).is_some()
}

fn checkout_subscription(event: &NormalizedEvent) -> Option<String> {
    event.checkout.as_ref().and_then(|c| c.subscription_id.clone())
}

/// Why a recording transaction rolled back.
#[derive(Debug, thiserror::Error)]
enum TxError {
    /// The event alone was ambiguous (or the billing state was written since the provider
    /// answered, at this version); nothing was written.
    #[error("needs the provider's state of subscription {0}")]
    NeedsFetch(String, i64),
    /// A concurrent delivery of the same event inserted it first.
    #[error("billing event inserted concurrently")]
    Race,
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> TxError {
        TxError::App(e.into())
    }
}

/// Records and applies one event on a connection the caller holds, in a transaction of its
/// own, when the event needs nothing from the provider (`None` when it does: the caller must
/// go through [`process_webhook`]). What one event costs in statements is measured through
/// this.
pub fn record_and_apply_on(
    conn: &mut DbConnection,
    event: &NormalizedEvent,
    payload: &str,
    grace_days: i64,
) -> Result<Option<WebhookOutcome>, AppError> {
    let attempt = |conn: &mut DbConnection, look_first| {
        write_transaction(conn, |conn| apply_once(conn, event, payload, None, grace_days, None, look_first))
    };
    match attempt(conn, false).or_else(|e| match e {
        // Stored already: look it up (see `Stored::Unknown`).
        TxError::Race => attempt(conn, true),
        other => Err(other),
    }) {
        Ok(outcome) => Ok(Some(outcome)),
        Err(TxError::NeedsFetch(..)) => Ok(None),
        Err(TxError::Race) => Err(AppError::internal("billing event inserted concurrently")),
        Err(TxError::App(e)) => Err(e),
    }
}

/// Records the event and applies it, inside the caller's transaction (a savepoint of the
/// writer's batch). A duplicate of an event already done changes nothing. `clock` is the
/// customer's test-clock time for the rules (see `apply_event`); `None` means real time.
/// A new event's row is written once, with its outcome, after it was applied. Unless
/// `look_first`, the event is taken to be new: if it was stored after all, its insert answers
/// [`TxError::Race`] and the caller rolls back and tries again, looking first.
fn apply_once(
    conn: &mut DbConnection,
    event: &NormalizedEvent,
    payload: &str,
    fetched: Option<&Asked>,
    grace_days: i64,
    clock: Option<DateTime<Utc>>,
    look_first: bool,
) -> Result<WebhookOutcome, TxError> {
    let found = if look_first { BillingEvent::find(conn, event.provider, &event.event_id)? } else { None };
    let stored = match found {
        Some(row) if row.status.is_final() => return Ok(WebhookOutcome::Duplicate),
        Some(row) => Some((row.id, row.attempts)),
        None => None,
    };
    let at = Utc::now();
    let now = clock.unwrap_or(at);
    let asked = fetched.map(|f| Fetched { subscription: &f.subscription, settles: f.settles });
    let asked_at = fetched.map_or(at, |f| f.at);
    let (status, workspace, note, outcome) = match apply_event(conn, event, asked, grace_days, asked_at, now)? {
        EventResult::NeedsFetch(sub, version) => return Err(TxError::NeedsFetch(sub, version)),
        EventResult::Processed(ws) => (EventStatus::Processed, Some(ws), None, WebhookOutcome::Processed),
        EventResult::Ignored(ws, why) => (EventStatus::Ignored, ws, Some(why.clone()), WebhookOutcome::Ignored(why)),
        EventResult::Pending(ws, why) => (EventStatus::Pending, ws, Some(why.clone()), WebhookOutcome::Pending(why)),
    };
    let attempts = stored.map_or(0, |(_, attempts)| attempts);
    let result = attempt_outcome(status, workspace, note, attempts, at);
    let others_waiting = match stored {
        Some((row_id, _)) => {
            BillingEvent::record_outcome(conn, row_id, &result)?;
            true
        }
        None => match BillingEvent::insert_with_outcome(conn, event, payload, &result)? {
            InsertEvent::Inserted { others_waiting } => others_waiting,
            // Stored before (or by another instance meanwhile): this attempt rolls back and the
            // caller looks it up.
            InsertEvent::AlreadyThere => return Err(TxError::Race),
        },
    };
    if let (EventStatus::Processed, Some(ws), true) = (status, workspace, others_waiting) {
        apply_waiting_events(conn, ws, grace_days, at, now)?;
    }
    Ok(outcome)
}

/// What one processing attempt leaves on the event's row: pending events get their next
/// attempt time, the others are done.
fn attempt_outcome(
    status: EventStatus,
    workspace: Option<WorkspaceId>,
    note: Option<String>,
    attempts: i32,
    at: DateTime<Utc>,
) -> EventOutcome {
    let done = status != EventStatus::Pending;
    EventOutcome {
        status,
        workspace_id: workspace,
        error: note,
        attempts: attempts + 1,
        processed_at: done.then(now),
        next_attempt_at: if done { None } else { next_attempt(attempts, at) },
    }
}

/// Events that arrived before the subscription they concern was linked wait as pending on
/// their workspace. Once an event changes that workspace, they are applied again, oldest
/// first by the provider's clock, so the final state does not depend on delivery order.
fn apply_waiting_events(
    conn: &mut DbConnection,
    ws: WorkspaceId,
    grace_days: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    for row in BillingEvent::waiting_for(conn, ws)? {
        let Ok(event) = parse(row.provider, row.payload.as_bytes()) else { continue };
        let (status, workspace, note) = match apply_event(conn, &event, None, grace_days, at, now)? {
            EventResult::Processed(w) => (EventStatus::Processed, Some(w), None),
            EventResult::Ignored(w, why) => (EventStatus::Ignored, w, Some(why)),
            // Still waiting (or needs the provider): the retry job takes it from here.
            EventResult::Pending(..) | EventResult::NeedsFetch(..) => continue,
        };
        BillingEvent::record_outcome(conn, row.id, &attempt_outcome(status, workspace, note, row.attempts, at))?;
    }
    Ok(())
}

/// Stores a failure that happened outside the writer's batch (the provider could not be
/// asked, or the batch did not commit): the event and its payload stay, marked failed, with
/// the error and one more attempt counted, for a redelivery or the retry job to process.
async fn record_failure(state: &AppState, event: &NormalizedEvent, payload: &str, error: &str) {
    let (event, payload, error) = (event.clone(), payload.to_owned(), error.to_owned());
    // Database errors are passed on, not only logged as `record_failed` does: in a transaction
    // shared with other writes a lock wait is cut short, and the writer then records it alone.
    let saved = state
        .db
        .writer()
        .write(move |conn| match conn.transaction(|conn| mark_failed(conn, &event, &payload, &error)) {
            Ok(()) | Err(TxError::Race | TxError::NeedsFetch(..)) => Ok(()),
            Err(TxError::App(e)) => Err(e),
        })
        .await;
    match saved {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log::error!("could not record the failed event: {}", e.detail()),
        Err(e) => log::error!("could not record the failed event: {e}"),
    }
}

/// Marks the event failed (inserting it when it is not stored yet), in a savepoint so a
/// concurrent insert by another instance leaves the caller's transaction usable.
fn record_failed(
    conn: &mut DbConnection,
    event: &NormalizedEvent,
    payload: &str,
    error: &str,
) -> diesel::QueryResult<()> {
    match conn.transaction(|conn| mark_failed(conn, event, payload, error)) {
        Ok(()) => Ok(()),
        // Another instance stored the event meanwhile; its outcome stands.
        Err(TxError::Race) => Ok(()),
        Err(TxError::NeedsFetch(..)) => Ok(()),
        Err(TxError::App(e)) => {
            log::error!("could not record the failed event: {}", e.detail());
            Ok(())
        }
    }
}

fn mark_failed(conn: &mut DbConnection, event: &NormalizedEvent, payload: &str, error: &str) -> Result<(), TxError> {
    let Some(row) = BillingEvent::find(conn, event.provider, &event.event_id)? else {
        let failed = EventOutcome {
            status: EventStatus::Failed,
            workspace_id: None,
            error: Some(error.to_owned()),
            attempts: 1,
            processed_at: None,
            next_attempt_at: next_attempt(0, Utc::now()),
        };
        return match BillingEvent::insert_with_outcome(conn, event, payload, &failed)? {
            InsertEvent::Inserted { .. } => Ok(()),
            InsertEvent::AlreadyThere => Err(TxError::Race),
        };
    };
    let failure = EventFailure {
        status: EventStatus::Failed,
        error,
        attempts: row.attempts + 1,
        next_attempt_at: next_attempt(row.attempts, Utc::now()),
    };
    BillingEvent::record_failure(conn, row.id, &failure)?;
    Ok(())
}
