//! Our own, provider-neutral view of billing facts: subscription, invoice, checkout and
//! refund data, and the events that carry them. The provider adapters in `billing/` fill
//! these in from the providers' JSON; the subscription state machine and the services only
//! ever see these types, so neither knows a provider's wire format.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

use super::sql::text_enum_sql;

/// The provider a workspace's customer and subscription live at (stored in
/// `workspaces.billing_provider`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Provider {
    /// Stripe, and our offline sandbox which speaks Stripe's API and event shapes.
    Stripe,
    Chargebee,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Stripe => "stripe",
            Provider::Chargebee => "chargebee",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        match s {
            "stripe" => Some(Provider::Stripe),
            "chargebee" => Some(Provider::Chargebee),
            _ => None,
        }
    }

    /// Whether a subscription's own status says a payment is overdue (Stripe `past_due`,
    /// `unpaid`). Chargebee's stays `active` while it retries a failed payment, so there
    /// only the invoices tell, and a later `active` snapshot proves nothing.
    pub fn status_shows_dues(self) -> bool {
        matches!(self, Provider::Stripe)
    }

    /// Whether an ended subscription can come back under the same id: Chargebee
    /// reactivates a cancelled subscription in place; a Stripe subscription, once
    /// canceled, never returns (a new one is a new id).
    pub fn reactivates_ended(self) -> bool {
        matches!(self, Provider::Chargebee)
    }
}

text_enum_sql!(Provider);

/// Our normalized subscription status (both providers map onto this).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum SubscriptionStatus {
    /// Stripe `trialing`, Chargebee `in_trial`.
    Trialing,
    /// Stripe `active`, Chargebee `active`.
    Active,
    /// Chargebee `non_renewing`: paid up, ends at term end (Stripe expresses this as
    /// `active` + `cancel_at_period_end: true`).
    NonRenewing,
    /// Stripe `past_due` / `unpaid`; Chargebee has no status, a `payment_failed` implies it.
    PastDue,
    /// Stripe `incomplete`: first payment not done yet. Grants nothing.
    Incomplete,
    /// Stripe `incomplete_expired`, `canceled`; Chargebee `cancelled`, and `transferred` (the
    /// record moved to another business entity under a new id: this id is over).
    Canceled,
    /// Stripe `paused`; Chargebee `paused`.
    Paused,
    /// Chargebee `future`: starts later, grants nothing yet.
    Future,
}

impl SubscriptionStatus {
    /// Statuses of a subscription that is being paid for (capacity figures, MRR).
    pub const PAYING: [SubscriptionStatus; 3] =
        [SubscriptionStatus::Active, SubscriptionStatus::PastDue, SubscriptionStatus::NonRenewing];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::NonRenewing => "non_renewing",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Paused => "paused",
            SubscriptionStatus::Future => "future",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "trialing" => Self::Trialing,
            "active" => Self::Active,
            "non_renewing" => Self::NonRenewing,
            "past_due" => Self::PastDue,
            "incomplete" => Self::Incomplete,
            "canceled" => Self::Canceled,
            "paused" => Self::Paused,
            "future" => Self::Future,
            _ => return None,
        })
    }
}

text_enum_sql!(SubscriptionStatus);

/// What kind of thing happened, independent of the provider's event name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Stripe `checkout.session.completed` (and `checkout.session.async_payment_succeeded`).
    CheckoutCompleted,
    /// A full snapshot of a subscription's state: Stripe `customer.subscription.created|updated`
    /// (and `.trial_will_end`, `.paused`, `.resumed`); Chargebee `subscription_created`,
    /// `subscription_activated`, `subscription_changed`, `subscription_renewed`,
    /// `subscription_cancellation_scheduled`, `subscription_reactivated`,
    /// `subscription_scheduled_cancellation_removed`, `subscription_trial_end_reminder`...
    SubscriptionUpdated,
    /// Stripe `customer.subscription.deleted`; Chargebee `subscription_cancelled`.
    SubscriptionDeleted,
    /// Stripe `invoice.paid` (also `invoice.payment_succeeded`); Chargebee `payment_succeeded`.
    InvoicePaid,
    /// Stripe `invoice.payment_failed`; Chargebee `payment_failed`.
    InvoicePaymentFailed,
    /// Chargebee `invoice_generated` (also Stripe `invoice.finalized`): record the invoice only.
    InvoiceGenerated,
    /// Stripe `charge.refunded`; Chargebee `payment_refunded`.
    Refunded,
    /// Anything else: recorded, answered 200, otherwise ignored.
    Ignored,
}

/// Subscription fields as the event states them. `None` = the event does not say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionData {
    pub id: String,
    pub customer_id: Option<String>,
    pub status: Option<SubscriptionStatus>,
    /// Stripe price ids of all items / Chargebee `plan_id` (PC 1.0) or every
    /// `subscription_items[].item_price_id` (PC 2.0), in the provider's order.
    pub price_ids: Vec<String>,
    pub current_period_start: Option<DateTime<Utc>>,
    /// Stripe: `current_period_end` on the subscription (old API versions) or the max over
    /// `items.data[].current_period_end` (new versions). Chargebee: `current_term_end`.
    pub current_period_end: Option<DateTime<Utc>>,
    /// Whether a cancellation is scheduled: Stripe `cancel_at_period_end` or any `cancel_at`;
    /// Chargebee: true when status is `non_renewing` or `cancelled_at`/`cancel_schedule_created_at` says a cancel is scheduled.
    pub cancel_at_period_end: Option<bool>,
    /// When a scheduled cancellation takes effect: Stripe `cancel_at` (set by
    /// `cancel_at_period_end`, a custom cancel date, a schedule's end, or a flexible-billing
    /// period-end cancel), Chargebee's future `cancelled_at`. `None` while a cancellation is
    /// scheduled means at the period end.
    pub cancel_at: Option<DateTime<Utc>>,
    /// Stripe `unpaid`: retries are exhausted and no further payment is attempted. `status` is
    /// then `PastDue`, since the plan treats both alike; add-ons keep the difference.
    pub retries_exhausted: bool,
    /// Chargebee `has_scheduled_changes`: `Some(false)` says no plan change is pending (after
    /// `remove_scheduled_changes`, or once it applied). Stripe does not say.
    pub has_scheduled_changes: Option<bool>,
    pub trial_end: Option<DateTime<Utc>>,
    pub canceled_at: Option<DateTime<Utc>>,
    /// Stripe `metadata`, Chargebee `meta_data` / `cf_*` fields are NOT needed; only metadata strings.
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvoiceData {
    pub id: String,
    pub number: Option<String>,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    /// Normalized: "draft" | "open" | "paid" | "void" | "uncollectible" | "payment_due" | "not_paid" | "pending" (provider word kept otherwise)
    pub status: String,
    pub amount_due_minor: i64,
    pub amount_paid_minor: i64,
    /// lower-case ISO code, e.g. "usd"
    pub currency: String,
    pub hosted_url: Option<String>,
    pub pdf_url: Option<String>,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    /// Stripe `billing_reason` ("subscription_create", "subscription_cycle", "subscription_update", ...);
    /// Chargebee: "subscription_cycle" when the invoice is a renewal (`recurring: true` and not the first), else "subscription_create"/"manual".
    pub billing_reason: Option<String>,
    /// The period the invoice's subscription line covers (Stripe: lines.data[].period for the
    /// subscription line; Chargebee: line_items[].date_from/date_to). Used to reset monthly credits once per period.
    pub line_period_start: Option<DateTime<Utc>>,
    pub line_period_end: Option<DateTime<Utc>>,
    pub price_ids: Vec<String>,
    pub issued_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutMode {
    Subscription,
    Payment,
    Setup,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckoutData {
    /// Stripe checkout session id `cs_...` (Chargebee: hosted page id).
    pub id: String,
    pub mode: Option<CheckoutMode>,
    pub client_reference_id: Option<String>,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub payment_intent_id: Option<String>,
    /// The invoice the checkout paid (Chargebee one-time checkouts; Stripe `invoice`, when
    /// the session created one).
    pub invoice_id: Option<String>,
    /// Stripe `payment_status`: "paid" | "unpaid" | "no_payment_required".
    pub payment_status: Option<String>,
    /// Stripe `status`: "open" | "complete" | "expired".
    pub status: Option<String>,
    pub amount_total_minor: Option<i64>,
    pub currency: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RefundData {
    /// Stripe charge id `ch_...` / Chargebee transaction id.
    pub id: String,
    pub customer_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub invoice_id: Option<String>,
    pub amount_minor: i64,
    pub amount_refunded_minor: i64,
    pub currency: String,
    /// true when the whole amount is refunded.
    pub fully_refunded: bool,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedEvent {
    pub provider: Provider,
    pub event_id: String,
    /// The provider's own event type string, e.g. "customer.subscription.updated".
    pub event_type: String,
    pub kind: EventKind,
    /// The provider's event creation time (Stripe `created`, Chargebee `occurred_at`).
    pub created_at: DateTime<Utc>,
    pub customer_id: Option<String>,
    pub subscription: Option<SubscriptionData>,
    pub invoice: Option<InvoiceData>,
    pub checkout: Option<CheckoutData>,
    pub refund: Option<RefundData>,
    /// Our workspace id when the event carries it: Stripe checkout `client_reference_id`, or
    /// `metadata.workspace_id` on the session / subscription / invoice / charge;
    /// Chargebee `subscription.meta_data.workspace_id` or customer `cf_workspace_id`. Only says
    /// where to record invoices, refunds and deletions; it never links a subscription.
    pub workspace_ref: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventParseError {
    #[error("body is not valid JSON: {0}")]
    Json(String),
    #[error("event has no id")]
    MissingId,
    #[error("event has no type")]
    MissingType,
    #[error("event is malformed: {0}")]
    Malformed(String),
}
