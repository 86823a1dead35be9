//! `plan_changes`: every change of a workspace's plan or subscription status, with what
//! kind of change it was (`domain::plan_history`), for the admin overview's 30-day counts.
//! Append-only.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Prepared};
use crate::domain::ids::{PlanId, WorkspaceId};
use crate::domain::normalized::SubscriptionStatus;
use crate::domain::plan_history::ChangeKind;
use crate::schema::plan_changes;

pub struct NewPlanChange {
    pub workspace_id: WorkspaceId,
    pub from_plan_id: PlanId,
    pub to_plan_id: PlanId,
    pub from_status: Option<SubscriptionStatus>,
    pub to_status: Option<SubscriptionStatus>,
    pub kind: ChangeKind,
}

impl NewPlanChange {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(plan_changes::table)
            .values((
                plan_changes::workspace_id.eq(self.workspace_id),
                plan_changes::from_plan_id.eq(self.from_plan_id),
                plan_changes::to_plan_id.eq(self.to_plan_id),
                plan_changes::from_status.eq(self.from_status),
                plan_changes::to_status.eq(self.to_status),
                plan_changes::kind.eq(self.kind.as_str()),
                plan_changes::changed_at.eq(super::now()),
            ))
            .fixed()
            .execute_prepared(conn)
    }
}

/// How many changes of one kind, from one status, happened in a period.
#[derive(Debug, Clone, Queryable)]
pub struct ChangeCount {
    pub kind: String,
    pub from_status: Option<SubscriptionStatus>,
    pub count: i64,
}

/// Changes since `since`, counted by kind and the status they left.
pub fn counts_since(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<Vec<ChangeCount>> {
    plan_changes::table
        .filter(plan_changes::changed_at.ge(since))
        .group_by((plan_changes::kind, plan_changes::from_status))
        .select((plan_changes::kind, plan_changes::from_status, diesel::dsl::count_star()))
        .load_prepared(conn)
}
