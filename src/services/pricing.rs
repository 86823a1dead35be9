//! What the pricing page needs: the plans on offer and, for a signed-in visitor, their
//! current workspace's plan and billing state.

use super::billing_state::state_of;
use crate::db::DbConnection;
use crate::domain::billing_state::BillingState;
use crate::domain::catalog::{Plan, PlanBook};
use crate::domain::ids::WorkspaceId;
use crate::error::AppResult;
use crate::models::Workspace;

/// The visitor's current workspace as pricing sees it.
pub struct ViewerWorkspace {
    pub workspace: Workspace,
    pub plan: Plan,
    pub billing: BillingState,
}

/// The plans on offer and, for a signed-in visitor, their current workspace.
pub struct PricingView {
    /// Active plans, in display order.
    pub plans: Vec<Plan>,
    pub workspace: Option<ViewerWorkspace>,
}

/// Reads the pricing page's data on a connection the caller holds, with the catalog it loaded.
pub fn read_pricing(
    conn: &mut DbConnection,
    workspace: Option<WorkspaceId>,
    book: &PlanBook,
) -> AppResult<PricingView> {
    let workspace = match workspace {
        Some(id) => {
            let workspace = Workspace::find(conn, id)?;
            let plan =
                book.by_id(workspace.plan_id).cloned().map_or_else(|| Plan::find(conn, workspace.plan_id), Ok)?;
            let billing = state_of(&workspace, book);
            Some(ViewerWorkspace { workspace, plan, billing })
        }
        None => None,
    };
    Ok(PricingView { plans: book.plans.iter().filter(|p| p.is_active).cloned().collect(), workspace })
}
