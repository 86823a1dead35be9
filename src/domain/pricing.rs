//! What the pricing page offers each visitor for each plan: the call to action branches
//! on who is looking and which plan their workspace is on.

use crate::domain::catalog::Plan;
use crate::domain::ids::WorkspaceId;

/// The viewer's workspace, when signed in.
pub struct ViewerPlan<'a> {
    pub workspace_id: WorkspaceId,
    pub current: &'a Plan,
    pub can_manage: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cta {
    /// Anonymous visitor: sign up, then come back to pricing.
    SignUp,
    /// A plan above the workspace's: POST to checkout.
    Upgrade { workspace_id: WorkspaceId },
    /// A cheaper paid plan: changed from the billing page (scheduled for period end).
    Downgrade { workspace_id: WorkspaceId },
    /// The free plan while on a paid one: reached by cancelling the subscription.
    CancelToFree { workspace_id: WorkspaceId },
    /// The plan the workspace is on.
    CurrentPlan { workspace_id: WorkspaceId },
    /// Plans without a price.
    ContactSales,
    /// A member (not owner/admin) looking at another plan.
    AskAdmin,
}

pub fn cta_for(plan: &Plan, viewer: Option<&ViewerPlan<'_>>) -> Cta {
    let Some(viewer) = viewer else {
        return if plan.contact_sales { Cta::ContactSales } else { Cta::SignUp };
    };
    let workspace_id = viewer.workspace_id;
    if plan.id == viewer.current.id {
        return Cta::CurrentPlan { workspace_id };
    }
    if plan.contact_sales {
        return Cta::ContactSales;
    }
    if !viewer.can_manage {
        return Cta::AskAdmin;
    }
    if plan.is_free() {
        Cta::CancelToFree { workspace_id }
    } else if plan.rank() > viewer.current.rank() {
        Cta::Upgrade { workspace_id }
    } else {
        Cta::Downgrade { workspace_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plans() -> Vec<Plan> {
        crate::domain::catalog::default_plans()
    }

    #[test]
    fn anonymous_visitors_sign_up() {
        let plans = plans();
        let ctas: Vec<_> = plans.iter().map(|p| cta_for(p, None)).collect();
        assert_eq!(ctas, [Cta::SignUp, Cta::SignUp, Cta::SignUp, Cta::ContactSales]);
    }

    #[test]
    fn free_admin_sees_upgrades() {
        let plans = plans();
        let viewer = ViewerPlan { workspace_id: WorkspaceId(7), current: &plans[0], can_manage: true };
        let ctas: Vec<_> = plans.iter().map(|p| cta_for(p, Some(&viewer))).collect();
        assert_eq!(
            ctas,
            [
                Cta::CurrentPlan { workspace_id: WorkspaceId(7) },
                Cta::Upgrade { workspace_id: WorkspaceId(7) },
                Cta::Upgrade { workspace_id: WorkspaceId(7) },
                Cta::ContactSales
            ]
        );
    }

    #[test]
    fn pro_admin_sees_downgrades_and_members_ask() {
        let plans = plans();
        let viewer = ViewerPlan { workspace_id: WorkspaceId(7), current: &plans[2], can_manage: true };
        assert_eq!(cta_for(&plans[0], Some(&viewer)), Cta::CancelToFree { workspace_id: WorkspaceId(7) });
        assert_eq!(cta_for(&plans[1], Some(&viewer)), Cta::Downgrade { workspace_id: WorkspaceId(7) });
        assert_eq!(cta_for(&plans[2], Some(&viewer)), Cta::CurrentPlan { workspace_id: WorkspaceId(7) });
        let member = ViewerPlan { workspace_id: WorkspaceId(7), current: &plans[0], can_manage: false };
        assert_eq!(cta_for(&plans[2], Some(&member)), Cta::AskAdmin);
        assert_eq!(cta_for(&plans[0], Some(&member)), Cta::CurrentPlan { workspace_id: WorkspaceId(7) });
    }
}
