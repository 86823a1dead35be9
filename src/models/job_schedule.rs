//! When each background job is next due: one row per job. Claiming a due run is one
//! conditional UPDATE, so however many instances try at once, one of them gets each slot.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, Prepared};
use crate::schema::jobs;

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = jobs)]
pub struct JobSchedule {
    pub name: String,
    pub next_run_at: NaiveDateTime,
    /// The instance that claimed the latest scheduled run.
    pub claimed_by: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
}

impl JobSchedule {
    /// Creates the job's row, due at `due`, unless it exists. `ON CONFLICT DO NOTHING`: an
    /// instance starting beside another that created it first gets no error (which PostgreSQL
    /// would log as one, for every job, at every start) and needs no savepoint.
    pub fn ensure(conn: &mut DbConnection, name: &str, due: NaiveDateTime) -> QueryResult<()> {
        diesel::insert_into(jobs::table)
            .values((jobs::name.eq(name), jobs::next_run_at.eq(due)))
            .on_conflict_do_nothing()
            .execute_prepared(conn)
            .map(drop)
    }

    /// Takes the run due at or before `now` for `holder`, moving the job's next run to `next`.
    /// True when this caller got it; a concurrent claimer re-checks the condition after the
    /// winner's row change (PostgreSQL's row lock, SQLite's single writer) and gets nothing.
    pub fn claim(
        conn: &mut DbConnection,
        name: &str,
        holder: &str,
        now: NaiveDateTime,
        next: NaiveDateTime,
    ) -> QueryResult<bool> {
        let taken = diesel::update(jobs::table.filter(jobs::name.eq(name)).filter(jobs::next_run_at.le(now)))
            .set((jobs::next_run_at.eq(next), jobs::claimed_by.eq(holder), jobs::claimed_at.eq(now)))
            .execute_prepared(conn)?;
        Ok(taken == 1)
    }

    pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<JobSchedule>> {
        jobs::table.order(jobs::name).load_prepared(conn)
    }
}
