//! What the pricing page needs: the plans on offer and, for a signed-in visitor, their
//! current workspace's plan and billing state.

use super::billing_state::state_of;
use super::catalog::plan_book;
use crate::billing::BillingProvider;
use crate::domain::billing_state::BillingState;
use crate::domain::catalog::Plan;
use crate::domain::ids::WorkspaceId;
use crate::error::AppResult;
use crate::models::Workspace;
use crate::state::AppState;

/// The visitor's current workspace as pricing sees it.
pub struct ViewerWorkspace {
    pub workspace: Workspace,
    pub plan: Plan,
    pub billing: BillingState,
}

pub async fn pricing(
    state: &AppState,
    workspace: Option<WorkspaceId>,
) -> AppResult<(Vec<Plan>, Option<ViewerWorkspace>)> {
    let provider = state.billing.provider();
    state
        .db
        .run(move |conn| {
            let book = plan_book(conn, provider)?;
            let viewer = match workspace {
                Some(id) => {
                    let workspace = Workspace::find(conn, id)?;
                    let plan = book
                        .by_id(workspace.plan_id)
                        .cloned()
                        .map_or_else(|| Plan::find(conn, workspace.plan_id), Ok)?;
                    let billing = state_of(&workspace, &book);
                    Some(ViewerWorkspace { workspace, plan, billing })
                }
                None => None,
            };
            let active = book.plans.iter().filter(|p| p.is_active).cloned().collect();
            Ok((active, viewer))
        })
        .await
}
