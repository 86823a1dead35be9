//! Provider events about add-ons. On Stripe an add-on is a subscription of its own, so its
//! subscription events move its row (ordered per row, with its real status); on Chargebee it
//! is an item of the plan subscription, so a plan snapshot without it, or the plan
//! subscription ending, ends it. The rules are `domain::addons`; this reads and writes rows.

use chrono::{DateTime, Utc};

use super::apply_event::{Ctx, EventResult};
use crate::db::DbConnection;
use crate::domain::addons::{AddonDecision, on_addon_subscription, on_plan_items};
use crate::domain::billing_state::grace_deadline;
use crate::domain::normalized::{EventKind, Provider, SubscriptionData, SubscriptionStatus};
use crate::error::AppError;
use crate::models::WorkspaceAddon;

impl Ctx<'_> {
    /// Whether `sub` is an add-on's own subscription: all its prices are add-ons, and it is
    /// not the workspace's plan subscription.
    pub(super) fn is_addon_subscription(&self, sub: &SubscriptionData) -> bool {
        !sub.price_ids.is_empty()
            && sub.price_ids.iter().all(|p| self.book.addon_for_price(p).is_some())
            && self.ws.provider_subscription_id.as_deref() != Some(sub.id.as_str())
    }

    /// An event about an add-on's own subscription, applied to the rows it bills.
    pub(super) fn addon_subscription(
        &self,
        conn: &mut DbConnection,
        sub: &SubscriptionData,
        kind: EventKind,
        event_time: DateTime<Utc>,
    ) -> Result<EventResult, AppError> {
        let rows = WorkspaceAddon::billed_by(conn, self.ws.id, &sub.id)?;
        if rows.is_empty() {
            return Ok(EventResult::Ignored(
                Some(self.ws.id),
                "add-on subscription not bought through Tollgate".into(),
            ));
        }
        let deadline = grace_deadline(self.at, self.grace_days).map_err(|e| AppError::internal(e.to_string()))?;
        let deleted = kind == EventKind::SubscriptionDeleted;
        let mut outcome = None;
        for row in rows {
            match on_addon_subscription(&row.state(), sub, deleted, event_time, deadline) {
                AddonDecision::Apply(next) => {
                    WorkspaceAddon::apply_state(conn, row.id, &next)?;
                    outcome = Some(EventResult::Processed(self.ws.id));
                }
                AddonDecision::Stale => {
                    outcome = outcome.or_else(|| Some(self.ignored("older than the add-on state already applied")));
                }
                AddonDecision::Ignore(reason) => outcome = outcome.or_else(|| Some(self.ignored(reason))),
            }
        }
        Ok(outcome.unwrap_or_else(|| self.ignored("no change")))
    }

    /// Chargebee: ends the add-ons a plan subscription snapshot no longer lists (or all of
    /// them when the subscription ended). Returns whether a row changed.
    pub(super) fn plan_items(
        &self,
        conn: &mut DbConnection,
        sub: &SubscriptionData,
        kind: EventKind,
        event_time: DateTime<Utc>,
    ) -> Result<bool, AppError> {
        if self.book.provider != Provider::Chargebee {
            return Ok(false);
        }
        let ended = kind == EventKind::SubscriptionDeleted || sub.status == Some(SubscriptionStatus::Canceled);
        let mut changed = false;
        for row in WorkspaceAddon::billed_by(conn, self.ws.id, &sub.id)? {
            let Some(price) = row.addon_price_id.as_deref() else { continue };
            if let AddonDecision::Apply(next) = on_plan_items(&row.state(), price, sub, ended, event_time) {
                WorkspaceAddon::apply_state(conn, row.id, &next)?;
                changed = true;
            }
        }
        Ok(changed)
    }

    fn ignored(&self, reason: &str) -> EventResult {
        EventResult::Ignored(Some(self.ws.id), reason.to_owned())
    }
}
