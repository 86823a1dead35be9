//! The record of every background job run: started, finished, outcome, what it changed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::schema::job_runs;

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = job_runs)]
pub struct JobRun {
    pub id: i64,
    pub job: String,
    /// `schedule`, `admin` or `cli`.
    pub run_by: String,
    pub instance: String,
    pub started_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// `running`, `ok` or `failed`.
    pub outcome: String,
    pub changes: i64,
    pub message: String,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = job_runs)]
pub struct NewJobRun<'a> {
    pub job: &'a str,
    pub run_by: &'a str,
    pub instance: &'a str,
    pub started_at: NaiveDateTime,
    pub outcome: &'a str,
}

impl NewJobRun<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<i64> {
        diesel::insert_into(job_runs::table).values(self).returning(job_runs::id).get_result_prepared(conn)
    }
}

impl JobRun {
    pub fn finish(
        conn: &mut DbConnection,
        id: i64,
        finished_at: NaiveDateTime,
        outcome: &str,
        changes: i64,
        message: &str,
    ) -> QueryResult<usize> {
        diesel::update(job_runs::table.find(id))
            .set((
                job_runs::finished_at.eq(finished_at),
                job_runs::outcome.eq(outcome),
                job_runs::changes.eq(changes),
                job_runs::message.eq(message),
            ))
            .execute_prepared(conn)
    }

    /// A job's newest run.
    pub fn latest(conn: &mut DbConnection, job: &str) -> QueryResult<Option<JobRun>> {
        job_runs::table.filter(job_runs::job.eq(job)).order(job_runs::id.desc()).first_row(conn).optional()
    }

    /// A job's runs, newest first.
    pub fn for_job(conn: &mut DbConnection, job: &str, limit: i64) -> QueryResult<Vec<JobRun>> {
        job_runs::table.filter(job_runs::job.eq(job)).order(job_runs::id.desc()).limit_rows(limit).load_prepared(conn)
    }
}

/// Deletes runs started before `before`; how many.
pub fn prune(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(job_runs::table.filter(job_runs::started_at.lt(before))).execute_prepared(conn)
}
