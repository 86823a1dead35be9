//! Reading a workspace's entitlements (`domain::entitlements`) with everything they depend
//! on, and the errors a gate answers with when something is not included. Gates, the JSON
//! API, the analytics page and the quota and seat checks all come through here.

use chrono::{DateTime, Utc};

use super::credits::{billing_facts, settle_now};
use crate::db::DbConnection;
use crate::domain::catalog::Plan;
use crate::domain::credits::{Cycle, credit_cycle};
use crate::domain::entitlements::{
    Entitlements, EntitlementsInput, Unlock, display_feature, entitlements, upgrade_notice,
};
use crate::domain::ids::WorkspaceId;
use crate::error::AppError;
use crate::models::usage_record::UsageRecord;
use crate::models::{CreditEntry, Membership, Workspace};
use crate::state::AppState;

/// A workspace's entitlements with what they were computed from.
pub struct WorkspaceEntitlements {
    pub workspace: Workspace,
    /// The plan on the workspace's row (the applying one is `entitlements.plan`).
    pub plan: Plan,
    pub catalog: Vec<Plan>,
    pub cycle: Cycle,
    pub entitlements: Entitlements,
}

/// Reads the entitlements of `ws` on `conn` (inside or outside a transaction; no writes).
pub fn entitlements_in(
    conn: &mut DbConnection,
    ws: Workspace,
    now: DateTime<Utc>,
) -> Result<WorkspaceEntitlements, AppError> {
    let catalog = Plan::all(conn)?;
    let plan = catalog
        .iter()
        .find(|p| p.id == ws.plan_id)
        .cloned()
        .ok_or_else(|| AppError::internal(format!("workspace {} is on a plan that does not exist", ws.id)))?;
    let default = catalog
        .iter()
        .find(|p| p.is_default)
        .cloned()
        .ok_or_else(|| AppError::internal("the catalog has no default plan"))?;
    let facts = billing_facts(&ws);
    let cycle = credit_cycle(&facts, now);
    let usage = UsageRecord::used_in(conn, ws.id, &cycle.key)?.into_iter().collect();
    let answer = entitlements(&EntitlementsInput {
        state: &facts,
        plan: &plan,
        default_plan: &default,
        catalog: &catalog,
        seats_used: Membership::count_for_workspace(conn, ws.id)?,
        usage: &usage,
        balance: CreditEntry::balance(conn, ws.id)?,
        cycle: &cycle,
        now,
    });
    Ok(WorkspaceEntitlements { workspace: ws, plan, catalog, cycle, entitlements: answer })
}

/// The entitlements now, after recording a credit cycle that opened or lapsed since anyone
/// looked (so balances never show last month's credits).
pub async fn entitlements_now(state: &AppState, workspace_id: WorkspaceId) -> Result<WorkspaceEntitlements, AppError> {
    state
        .db
        .run(move |conn| {
            let now = Utc::now();
            settle_now(conn, workspace_id, now)?;
            let ws = Workspace::find(conn, workspace_id)?;
            entitlements_in(conn, ws, now)
        })
        .await
}

/// Where a gate sends a page request: the billing page, naming what to unlock.
pub fn upgrade_path(workspace_id: WorkspaceId, what: &str) -> String {
    format!("/w/{workspace_id}/billing?upgrade={}", crate::urls::encode_component(what))
}

fn locked(
    snap: &WorkspaceEntitlements,
    code: &'static str,
    what: &str,
    unlock: Unlock<'_>,
    base_url: &str,
) -> AppError {
    let applying = snap.catalog.iter().find(|p| p.code == snap.entitlements.plan.code).unwrap_or(&snap.plan);
    let message = upgrade_notice(&snap.catalog, applying, unlock);
    AppError::upgrade_required(code, what, message, &upgrade_path(snap.workspace.id, what), base_url)
}

/// 402 (pages: to the billing page) unless the plan that applies includes `feature`.
pub fn require_feature(snap: &WorkspaceEntitlements, feature: &str, base_url: &str) -> Result<(), AppError> {
    if snap.entitlements.has_feature(feature) {
        return Ok(());
    }
    Err(locked(snap, "upgrade_required", feature, Unlock::Feature(feature), base_url))
}

/// 402 unless a paid plan applies (trials and grace periods count).
pub fn require_paid_plan(snap: &WorkspaceEntitlements, base_url: &str) -> Result<(), AppError> {
    if snap.entitlements.paid {
        return Ok(());
    }
    Err(locked(snap, "upgrade_required", "paid", Unlock::PaidPlan, base_url))
}

/// The seat gate's error: the same 402/redirect shape as the feature gates.
pub fn seat_limit_reached(snap: &WorkspaceEntitlements, base_url: &str) -> AppError {
    locked(snap, "seat_limit", "seats", Unlock::Seats { above: None }, base_url)
}

/// The quota gate's error, with the limit and usage that refused it.
pub fn quota_exceeded(snap: &WorkspaceEntitlements, metric: &str, base_url: &str) -> AppError {
    let unlock = Unlock::Quota { metric, above: None };
    let error = locked(snap, "quota_exceeded", metric, unlock, base_url);
    match snap.entitlements.limits.get(metric) {
        Some(allowance) => error.with_field("limit", allowance.limit).with_field("used", allowance.used),
        None => error,
    }
}

/// "Analytics", "API access": how a gate names a feature to people.
pub fn feature_name(feature: &str) -> String {
    display_feature(feature)
}
