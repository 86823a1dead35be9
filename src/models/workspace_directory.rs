//! The admin console's views over `workspaces`: the searchable, paginated list (with each
//! workspace's plan and owners), and the counts the overview shows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, lower};
use crate::domain::admin_query::{PAGE_SIZE, Page, WorkspaceSearch};
use crate::domain::ids::{PlanId, WorkspaceId};
use crate::domain::members::Role;
use crate::domain::money::Interval;
use crate::domain::normalized::SubscriptionStatus;
use crate::schema::{memberships, plans, users, workspaces};

/// One row of the workspace list.
#[derive(Debug, Clone, Queryable)]
pub struct DirectoryRow {
    pub id: WorkspaceId,
    pub name: String,
    pub plan_name: String,
    pub currency: String,
    pub price_month_minor: Option<i64>,
    pub price_year_minor: Option<i64>,
    pub status: Option<SubscriptionStatus>,
    pub interval: Option<Interval>,
    pub current_period_end: Option<NaiveDateTime>,
    pub past_due_since: Option<NaiveDateTime>,
    pub grace_until: Option<NaiveDateTime>,
}

type Boxed<'a> = workspaces::BoxedQuery<'a, crate::db::MultiBackend>;

fn matching(search: &WorkspaceSearch) -> Boxed<'_> {
    let mut query = workspaces::table.into_boxed();
    if let Some(pattern) = &search.pattern {
        let owners = memberships::table
            .inner_join(users::table)
            .filter(memberships::role.eq(Role::Owner))
            .filter(lower(users::email).like(pattern.clone()).escape('\\'))
            .select(memberships::workspace_id);
        let by_text = lower(workspaces::name).like(pattern.clone()).escape('\\').or(workspaces::id.eq_any(owners));
        query = match search.id {
            Some(id) => query.filter(by_text.or(workspaces::id.eq(id))),
            None => query.filter(by_text),
        };
    }
    query
}

/// A page of workspaces matching `search`, newest first, and how many match in all.
pub fn search(conn: &mut DbConnection, search: &WorkspaceSearch, page: Page) -> QueryResult<(Vec<DirectoryRow>, i64)> {
    let total: i64 = matching(search).count().get_result(conn)?;
    let ids: Vec<WorkspaceId> = matching(search)
        .select(workspaces::id)
        .order(workspaces::id.desc())
        .limit(PAGE_SIZE)
        .offset(page.offset())
        .load(conn)?;
    let rows = workspaces::table
        .inner_join(plans::table)
        .filter(workspaces::id.eq_any(&ids))
        .select((
            workspaces::id,
            workspaces::name,
            plans::name,
            plans::currency,
            plans::price_month_minor,
            plans::price_year_minor,
            workspaces::subscription_status,
            workspaces::billing_interval,
            workspaces::current_period_end,
            workspaces::past_due_since,
            workspaces::grace_until,
        ))
        .order(workspaces::id.desc())
        .load(conn)?;
    Ok((rows, total))
}

/// The owners' emails of each of `ids`.
pub fn owner_emails(conn: &mut DbConnection, ids: &[WorkspaceId]) -> QueryResult<Vec<(WorkspaceId, String)>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::workspace_id.eq_any(ids))
        .filter(memberships::role.eq(Role::Owner))
        .select((memberships::workspace_id, users::email))
        .order(memberships::id.asc())
        .load(conn)
}

/// Workspaces by subscription status (`None`: never subscribed).
pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(Option<SubscriptionStatus>, i64)>> {
    workspaces::table
        .group_by(workspaces::subscription_status)
        .select((workspaces::subscription_status, diesel::dsl::count_star()))
        .load(conn)
}

/// Workspaces by plan.
pub fn count_by_plan(conn: &mut DbConnection) -> QueryResult<Vec<(PlanId, i64)>> {
    workspaces::table.group_by(workspaces::plan_id).select((workspaces::plan_id, diesel::dsl::count_star())).load(conn)
}

/// A subscribed workspace's status and interval, and its plan's currency and prices.
pub type RevenueRow = (Option<SubscriptionStatus>, Option<Interval>, String, Option<i64>, Option<i64>);

/// Every workspace with a status, with what its MRR contribution is computed from.
pub fn revenue_rows(conn: &mut DbConnection) -> QueryResult<Vec<RevenueRow>> {
    workspaces::table
        .inner_join(plans::table)
        .filter(workspaces::subscription_status.is_not_null())
        .select((
            workspaces::subscription_status,
            workspaces::billing_interval,
            plans::currency,
            plans::price_month_minor,
            plans::price_year_minor,
        ))
        .load(conn)
}
