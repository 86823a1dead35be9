//! What the billing page shows, read on one pooled connection in one read transaction: the
//! billing state, balances, seats, the plans on offer, the workspace's add-ons and invoices;
//! and apart from it the workspace's "now" (`clock`), which the page's wording (grace deadline,
//! whether it is still subscribed) uses.

use chrono::{DateTime, Utc};

use super::billing_state::state_of;
use super::catalog::plan_book;
use super::clock::{customer_of, now_for_workspace};
use crate::billing::BillingProvider;
use crate::db::{DbConnection, reading_together};
use crate::domain::billing_state::BillingState;
use crate::domain::catalog::{Addon, CreditPack, Plan, PlanBook};
use crate::domain::credits::CreditBalance;
use crate::error::AppResult;
use crate::models::{CreditEntry, Invoice, Membership, Workspace, WorkspaceAddon};
use crate::state::AppState;

/// How many invoices the billing page lists.
const INVOICES_SHOWN: i64 = 24;

pub struct BillingOverview {
    pub billing: BillingState,
    /// The plan on the workspace's row (archived plans included).
    pub current: Option<Plan>,
    pub balance: CreditBalance,
    pub seats_used: i64,
    /// Active plans, in display order.
    pub plans: Vec<Plan>,
    /// The plan a scheduled downgrade moves to.
    pub scheduled: Option<Plan>,
    pub addons: Vec<Addon>,
    /// Add-ons the workspace has now (active, ending at period end, or overdue within grace).
    pub owned_addons: Vec<WorkspaceAddon>,
    pub packs: Vec<CreditPack>,
    pub invoices: Vec<Invoice>,
}

/// The workspace's billing overview, on a pooled connection.
pub async fn billing_overview(state: &AppState, ws: &Workspace) -> AppResult<BillingOverview> {
    let provider = state.billing.provider();
    let ws = ws.clone();
    state
        .db
        .run(move |conn| {
            let book = plan_book(conn, provider)?;
            read_overview(conn, &ws, &book)
        })
        .await
}

/// The overview on a connection the caller holds (with `book`, the catalog it loaded), in one
/// read transaction of its own on SQLite (see [`reading_together`]).
pub fn read_overview(conn: &mut DbConnection, ws: &Workspace, book: &PlanBook) -> AppResult<BillingOverview> {
    reading_together(conn, |conn| {
        Ok(BillingOverview {
            billing: state_of(ws, book),
            current: book.by_id(ws.plan_id).cloned(),
            balance: CreditEntry::balance(conn, ws.id)?,
            seats_used: Membership::count_for_workspace(conn, ws.id)?,
            scheduled: ws.scheduled_plan_id.and_then(|id| book.by_id(id)).cloned(),
            owned_addons: WorkspaceAddon::current_for(conn, ws.id, Utc::now())?.into_iter().map(|(w, _)| w).collect(),
            invoices: Invoice::for_workspace::<INVOICES_SHOWN>(conn, ws.id)?,
            plans: book.plans.iter().filter(|p| p.is_active).cloned().collect(),
            addons: book.addons.iter().filter(|a| a.is_active).cloned().collect(),
            packs: book.packs.iter().filter(|p| p.is_active).cloned().collect(),
        })
    })
}

/// The workspace's "now" and whether it runs on a test clock, for the billing page's wording.
pub struct WorkspaceClock {
    /// Real time, or its customer's test clock in sandbox mode.
    pub now: DateTime<Utc>,
    /// Its customer lives on a test clock the workspace's managers can move (`/billing/clock`).
    pub has_test_clock: bool,
}

pub async fn workspace_clock(state: &AppState, ws: &Workspace) -> WorkspaceClock {
    WorkspaceClock {
        now: now_for_workspace(state, ws).await,
        has_test_clock: state.billing.uses_test_clocks() && customer_of(state, ws).is_some(),
    }
}
