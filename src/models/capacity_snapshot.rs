//! Periodic counts of what the installation holds, so admins can watch trends.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::capacity_snapshots;

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = capacity_snapshots)]
pub struct CapacitySnapshot {
    pub id: i64,
    pub taken_at: NaiveDateTime,
    pub users_total: i64,
    pub workspaces_total: i64,
    pub paying_workspaces: i64,
    pub mrr_minor: i64,
    pub credits_outstanding: i64,
    pub events_last_day: i64,
    pub events_failed: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = capacity_snapshots)]
pub struct NewCapacitySnapshot {
    pub taken_at: NaiveDateTime,
    pub users_total: i64,
    pub workspaces_total: i64,
    pub paying_workspaces: i64,
    pub mrr_minor: i64,
    pub credits_outstanding: i64,
    pub events_last_day: i64,
    pub events_failed: i64,
}

impl NewCapacitySnapshot {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(capacity_snapshots::table).values(self).execute(conn)
    }
}

impl CapacitySnapshot {
    pub fn recent(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<CapacitySnapshot>> {
        capacity_snapshots::table.order(capacity_snapshots::taken_at.desc()).limit(limit).load(conn)
    }
}
