//! The workspace directory: search with pagination, and one workspace with everything an
//! operator needs to answer a customer — members, subscription, credits and their ledger,
//! invoices, webhook events and the audit entries about it.

use crate::domain::admin_query::{Page, WorkspaceSearch};
use crate::domain::catalog::Plan;
use crate::domain::credits::CreditBalance;
use crate::domain::ids::WorkspaceId;
use crate::domain::plan_history::mrr_contribution;
use crate::error::AppError;
use crate::models::workspace_directory::{self, DirectoryRow};
use crate::models::{AuditEntry, BillingEvent, CreditEntry, Invoice, Membership, Workspace};
use crate::state::AppState;

/// A workspace in the list: its row, its owners and what it adds to MRR.
pub struct Listed {
    pub row: DirectoryRow,
    pub owners: Vec<String>,
    pub mrr_minor: i64,
}

pub struct Directory {
    pub workspaces: Vec<Listed>,
    pub total: i64,
}

pub async fn list(state: &AppState, search: WorkspaceSearch, page: Page) -> Result<Directory, AppError> {
    state
        .db
        .run(move |conn| {
            let (rows, total) = workspace_directory::search(conn, &search, page)?;
            let ids: Vec<WorkspaceId> = rows.iter().map(|r| r.id).collect();
            let owners = workspace_directory::owner_emails(conn, &ids)?;
            let workspaces = rows
                .into_iter()
                .map(|row| Listed {
                    owners: owners.iter().filter(|(id, _)| *id == row.id).map(|(_, e)| e.clone()).collect(),
                    mrr_minor: mrr_contribution(row.status, row.interval, row.price_month_minor, row.price_year_minor),
                    row,
                })
                .collect();
            Ok(Directory { workspaces, total })
        })
        .await
}

/// How many of each kind of history row the workspace page shows.
const HISTORY: i64 = 50;

pub struct WorkspaceDetail {
    pub workspace: Workspace,
    pub plan: Plan,
    pub scheduled_plan: Option<Plan>,
    pub mrr_minor: i64,
    pub members: Vec<(Membership, String)>,
    pub balance: CreditBalance,
    pub ledger: Vec<CreditEntry>,
    pub invoices: Vec<Invoice>,
    pub events: Vec<BillingEvent>,
    pub audit: Vec<AuditEntry>,
}

/// The workspace `id` (404 when there is none).
pub async fn detail(state: &AppState, id: WorkspaceId) -> Result<WorkspaceDetail, AppError> {
    state
        .db
        .run(move |conn| {
            let workspace = Workspace::find(conn, id)?;
            let plan = Plan::find(conn, workspace.plan_id)?;
            let scheduled_plan = workspace.scheduled_plan_id.map(|p| Plan::find(conn, p)).transpose()?;
            let mrr_minor = mrr_contribution(
                workspace.subscription_status,
                workspace.billing_interval,
                plan.price_month_minor,
                plan.price_year_minor,
            );
            Ok(WorkspaceDetail {
                members: Membership::list_with_emails(conn, id)?,
                balance: CreditEntry::balance(conn, id)?,
                ledger: CreditEntry::recent(conn, id, HISTORY)?,
                invoices: Invoice::for_workspace::<HISTORY>(conn, id)?,
                events: BillingEvent::recent_for_workspace(conn, id, HISTORY)?,
                audit: AuditEntry::for_workspace(conn, id, HISTORY)?,
                workspace,
                plan,
                scheduled_plan,
                mrr_minor,
            })
        })
        .await
}
