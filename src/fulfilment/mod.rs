//! The one fulfilment path. Both the success-page redirect and provider webhooks end up
//! here, so a purchase is granted exactly once whichever arrives first, and every change
//! to plan, credits and add-ons happens in one transaction with the workspace row locked.

mod checkout;
mod events;
mod plans;
mod state;
mod webhooks;

pub use checkout::{Fulfilled, Fulfilment, fulfil_checkout};
pub use events::{EventResult, apply_event};
pub use plans::PlanBook;
pub use state::{Applied, apply_decision, billing_state, utc};
pub use webhooks::{WebhookError, WebhookOutcome, process_webhook, retry_due_events};

use chrono::{DateTime, TimeDelta, Utc};

use crate::domain::subscription_state::BillingState;

/// The time to file a state fetched from the provider under. A fetched state is the
/// provider's truth as of now, newer than any event applied so far, so it must sort after
/// them even when the provider's clock runs ahead of ours.
pub fn authoritative_time(state: &BillingState, now: DateTime<Utc>) -> DateTime<Utc> {
    match state.state_at {
        Some(at) if at >= now => at + TimeDelta::seconds(1),
        _ => now,
    }
}
