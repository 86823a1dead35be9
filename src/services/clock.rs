//! One clock for the app's time-based rules. With a real provider a workspace's "now" is real
//! time. In test-clock mode (the sandbox, like Stripe's test mode) each customer lives on a test
//! clock that moves only when advanced, and the provider's renewals, failures and trial ends
//! happen in that time; the app's own rules for the workspace — grace expiry, the lapsed-
//! cancellation safety net, monthly credits, what the billing page says — must then follow the
//! same clock, or a person clicking through would never see a grace period end.
//!
//! The state machine already takes `now` as a parameter; this module answers "now for this
//! workspace", reading the customer's clock through the provider's API (never a cache that an
//! advance made elsewhere would leave stale). Event ordering is a different matter: providers
//! stamp events with real time even for test clocks, so ordering keeps using real time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::billing::{BillingError, BillingProvider};
use crate::domain::ids::WorkspaceId;
use crate::models::Workspace;
use crate::state::AppState;

/// The customer's "now": its test clock's time, or real time without one (or with a provider
/// that has no test clocks, where this costs nothing).
pub async fn now_for_customer(state: &AppState, customer_id: Option<&str>) -> Result<DateTime<Utc>, BillingError> {
    Ok(test_clock_now(state, customer_id).await?.unwrap_or_else(Utc::now))
}

/// The time of the customer's test clock; `None` when it lives in real time.
pub async fn test_clock_now(
    state: &AppState,
    customer_id: Option<&str>,
) -> Result<Option<DateTime<Utc>>, BillingError> {
    let Some(customer) = customer_id.filter(|_| state.billing.uses_test_clocks()) else {
        return Ok(None);
    };
    match state.billing.customer_test_clock(customer).await {
        Ok(clock) => Ok(clock.map(|clock| clock.now())),
        // A customer the provider does not know has no clock either: real time.
        Err(BillingError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The customer a workspace has with the configured provider, if any.
pub fn customer_of(state: &AppState, ws: &Workspace) -> Option<String> {
    ws.provider_customer_id.clone().filter(|_| ws.billing_provider == Some(state.billing.provider()))
}

/// "Now" for a workspace's pages. If the provider cannot be asked, real time is used and the
/// cause logged: the page still shows, at worst with dates as of real time.
pub async fn now_for_workspace(state: &AppState, ws: &Workspace) -> DateTime<Utc> {
    match now_for_customer(state, customer_of(state, ws).as_deref()).await {
        Ok(now) => now,
        Err(e) => {
            log::warn!("workspace {}: could not read its test clock, using real time: {e}", ws.id);
            Utc::now()
        }
    }
}

/// "Now" for many workspaces at once, as the jobs need it: real time, except for workspaces
/// whose customer lives on a test clock.
#[derive(Debug, Clone)]
pub struct Clocks {
    real: DateTime<Utc>,
    on_clock: HashMap<WorkspaceId, DateTime<Utc>>,
}

impl Clocks {
    /// Every workspace at real time `now` (real providers).
    pub fn real(now: DateTime<Utc>) -> Clocks {
        Clocks { real: now, on_clock: HashMap::new() }
    }

    pub fn now(&self, workspace: WorkspaceId) -> DateTime<Utc> {
        self.on_clock.get(&workspace).copied().unwrap_or(self.real)
    }

    /// The latest "now" of any workspace: what a query for due work must look up to, before each
    /// workspace is decided at its own time.
    pub fn latest(&self) -> DateTime<Utc> {
        self.on_clock.values().copied().fold(self.real, DateTime::max)
    }
}

/// The clocks of the workspaces that have a customer with the configured provider. A clock that
/// cannot be read leaves its workspace out (at real time, which is behind its clock) for this
/// round, with the cause logged.
pub async fn clocks_for(state: &AppState, customers: Vec<(WorkspaceId, String)>) -> Clocks {
    let mut clocks = Clocks::real(Utc::now());
    if !state.billing.uses_test_clocks() {
        return clocks;
    }
    for (workspace, customer) in customers {
        match test_clock_now(state, Some(&customer)).await {
            Ok(Some(now)) => {
                clocks.on_clock.insert(workspace, now);
            }
            Ok(None) => {}
            Err(e) => log::warn!("workspace {workspace}: could not read its test clock this round: {e}"),
        }
    }
    clocks
}
