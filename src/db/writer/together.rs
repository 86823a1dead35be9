//! PostgreSQL's group commit: a few writer threads per instance, each taking whatever work is
//! queued and running it bare (no savepoints) in one transaction, committed once. Savepoints
//! would cost two round trips per write, as much as the transaction they replace; work that
//! fails is rare (a redelivered event, an event whose handler fails), so instead the whole
//! transaction is rolled back and done again: the work before the failure together, the failing
//! work alone (where its failure is recorded), the work after it together.
//!
//! A transaction holding several workspaces' locks can wait on another holding them in the
//! opposite order (another thread, or another instance). Such a transaction gives up on a lock
//! after `lock_wait!()` (20 ms) instead of PostgreSQL's one-second deadlock check, and its work
//! is then done again as above, the work that waited running alone without that limit.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use diesel::connection::AnsiTransactionManager;
use tokio::sync::mpsc;

use super::job::{Attempt, Job};
use super::{Counters, WriteError};
use crate::db::{DbConnection, DbPool, begin_write, commit, roll_back_all};

/// How long work in a shared transaction waits for a row lock before the transaction is done
/// again: about as long as another batch holding that lock takes to commit. (A macro, so the
/// `BEGIN` that sets it is one constant string.)
macro_rules! lock_wait {
    () => {
        "20ms"
    };
}

/// The queue the writer threads share: each takes the first job and whatever else is waiting.
pub(super) type Shared = Arc<Mutex<mpsc::Receiver<Box<dyn Job>>>>;

/// A writer thread's loop: take, run together, answer; until every handle is dropped.
pub(super) fn run(pool: DbPool, queued: Shared, batch: usize, counters: &Counters) {
    loop {
        let jobs = {
            let Ok(mut queue) = queued.lock() else { return };
            let Some(first) = queue.blocking_recv() else { return };
            let mut jobs = vec![first];
            while jobs.len() < batch {
                match queue.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            jobs
        };
        match pool.get() {
            // Work's own panics are caught where it runs; this keeps the thread serving should
            // anything else panic (the writes then in hand are answered with an error).
            Ok(mut conn) => {
                if catch_unwind(AssertUnwindSafe(|| commit_together(&mut conn, jobs, counters))).is_err() {
                    log::error!("a writer thread panicked outside the work it ran; it goes on");
                }
            }
            Err(e) => {
                let why = WriteError::NotCommitted(format!("no database connection: {e}"));
                jobs.into_iter().for_each(|job| job.refuse(why.clone()));
            }
        }
    }
}

/// Runs `jobs` in one transaction and answers them once it is committed; when one fails,
/// rolls back and does them again around it (see the module's comment). A single job runs
/// alone, as a transaction of its own without the lock-wait bound.
pub(super) fn commit_together(conn: &mut DbConnection, mut jobs: Vec<Box<dyn Job>>, counters: &Counters) {
    use std::sync::atomic::Ordering::Relaxed;
    if jobs.len() <= 1 {
        if let Some(job) = jobs.pop() {
            counters.writes.fetch_add(1, Relaxed);
            counters.batches.fetch_add(1, Relaxed);
            job.run_alone(conn);
        }
        return;
    }
    if let Err(e) = begin_shared(conn) {
        let why = WriteError::NotCommitted(e.to_string());
        jobs.into_iter().for_each(|job| job.refuse(why.clone()));
        return;
    }
    let failure = jobs.iter_mut().enumerate().find_map(|(i, job)| match job.attempt(conn) {
        Attempt::Done => None,
        failed => Some((i, failed)),
    });
    if let Some((i, attempt)) = failure {
        roll_back_all(conn);
        let mut after = jobs.split_off(i);
        let failed = after.remove(0);
        commit_together(conn, jobs, counters);
        if attempt == Attempt::Panicked {
            log::error!("a queued write panicked; it was rolled back and the others were done again");
            failed.refuse(WriteError::NotCommitted("the write failed unexpectedly".to_owned()));
        } else {
            commit_together(conn, vec![failed], counters);
        }
        commit_together(conn, after, counters);
        return;
    }
    counters.batches.fetch_add(1, Relaxed);
    match commit(conn) {
        Ok(()) => {
            counters.writes.fetch_add(jobs.len() as u64, Relaxed);
            jobs.into_iter().for_each(|job| job.answer(Ok(())));
        }
        // A deferred check of one write refused the commit, or the connection broke: each
        // write is done again alone, so only the one refused is answered so.
        Err(e) => {
            roll_back_all(conn);
            log::warn!("committing {} writes together failed ({e}); each is done again alone", jobs.len());
            jobs.into_iter().for_each(|job| commit_together(conn, vec![job], counters));
        }
    }
}

/// Begins the shared transaction; on PostgreSQL with its lock wait bounded, sent with the
/// `BEGIN` in one round trip.
fn begin_shared(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            concat!("BEGIN; SET LOCAL lock_timeout = '", lock_wait!(), "'"),
        ),
        DbConnection::Sqlite(_) => begin_write(conn),
    }
}
