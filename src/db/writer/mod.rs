//! Group commit: one writer per database, fed by a bounded queue. Writes that arrive
//! together are committed together — the writer takes whatever is queued (up to a batch
//! size), runs each piece of work in its own savepoint (so one failure rolls back alone),
//! commits once, and only then answers every waiter. With `synchronous = FULL` a commit is
//! an fsync, so an answer always means "on disk", and one fsync serves a whole batch.
//!
//! The writer runs on its own OS thread with a pooled connection per batch; the async side
//! only waits on a channel, so nothing blocks the executor. Work runs in arrival order, which
//! keeps the order of events within a workspace.
//!
//! That is the SQLite writer. On PostgreSQL ([`Writer::direct`]) each write is its own
//! transaction on a pooled connection, a few at once: PostgreSQL's WAL flush already makes one
//! fsync serve every commit waiting at that moment, and the workspace's row lock orders writes
//! to one workspace — also across instances, where batches holding many workspaces' locks
//! would wait on each other's.

mod job;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Semaphore, mpsc, oneshot};

use self::job::{Answer, Job, Work};
use super::{DbConnection, DbPool, begin_write, commit, rollback};

/// Why queued work got no answer of its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The batch's commit failed (or it never began): nothing of it is on disk.
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    /// The writer has stopped (the app is shutting down).
    #[error("the database writer has stopped")]
    Stopped,
}

/// The handle the app submits writes through. Cloning shares one writer.
#[derive(Clone)]
pub struct Writer {
    route: Route,
    counters: Arc<Counters>,
}

#[derive(Clone)]
enum Route {
    /// Queued for the writer thread, which commits whatever is waiting together (SQLite).
    Batched(mpsc::Sender<Box<dyn Job>>),
    /// Each write in its own transaction on a pooled connection, a few at once (PostgreSQL:
    /// its WAL flush already serves every commit waiting at that moment, and one transaction
    /// per write never holds one workspace's lock while waiting for another's, so instances
    /// sharing the database cannot deadlock each other).
    Direct(DbPool, Arc<Semaphore>),
}

#[derive(Default)]
struct Counters {
    writes: AtomicU64,
    batches: AtomicU64,
}

/// How much work the writer has done: `writes / batches` is the group-commit gain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterStats {
    pub writes: u64,
    /// Commits attempted (each one fsync).
    pub batches: u64,
}

impl Writer {
    /// Starts the writer thread. `queue` bounds how much work may wait (callers beyond it
    /// wait for room: back-pressure instead of unbounded memory); `batch` bounds one commit.
    pub fn start(pool: DbPool, queue: usize, batch: usize) -> std::io::Result<Writer> {
        let (jobs, queued) = mpsc::channel(queue.max(1));
        let counters = Arc::new(Counters::default());
        let seen = counters.clone();
        std::thread::Builder::new().name("db-writer".into()).spawn(move || run(pool, queued, batch.max(1), &seen))?;
        Ok(Writer { route: Route::Batched(jobs), counters })
    }

    /// A writer that commits each write on its own on the blocking pool, `concurrency` at once
    /// (at most the pool's size).
    pub fn direct(pool: DbPool, concurrency: usize) -> Writer {
        // Writers wait for their turn in arrival order: the pool's own wait wakes an arbitrary
        // waiter, which under load left a few writes waiting far longer than the rest. And a
        // few writes at a time finish as many per second as many at a time do once the database
        // is busy, without all of them waiting longer: on two cores with PostgreSQL beside
        // the app, 10 at once per instance had a p99 a third above 2 to 4 at once.
        let admission = Arc::new(Semaphore::new(concurrency.clamp(1, pool.max_size() as usize)));
        Writer { route: Route::Direct(pool, admission), counters: Arc::default() }
    }

    pub fn stats(&self) -> WriterStats {
        WriterStats {
            writes: self.counters.writes.load(Ordering::Relaxed),
            batches: self.counters.batches.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` in the next batch and answers once that batch is committed.
    pub async fn write<T, E, F>(&self, work: F) -> Result<Result<T, E>, WriteError>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.submit(work, None::<fn(&mut DbConnection, &E) -> diesel::QueryResult<()>>).await
    }

    /// Like [`Writer::write`]; when `work` fails, `recover` records the failure before the
    /// answer: in the batch's commit, or (direct route) in a transaction of its own.
    pub async fn write_or_record<T, E, F, R>(&self, work: F, recover: R) -> Result<Result<T, E>, WriteError>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        R: FnOnce(&mut DbConnection, &E) -> diesel::QueryResult<()> + Send + 'static,
    {
        self.submit(work, Some(recover)).await
    }

    async fn submit<T, E, F, R>(&self, work: F, recover: Option<R>) -> Result<Result<T, E>, WriteError>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        R: FnOnce(&mut DbConnection, &E) -> diesel::QueryResult<()> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Work { work, recover, reply });
        match &self.route {
            Route::Batched(jobs) => jobs.send(job).await.map_err(|_| WriteError::Stopped)?,
            Route::Direct(pool, admission) => {
                let turn = admission.clone().acquire_owned().await.map_err(|_| WriteError::Stopped)?;
                let (pool, counters) = (pool.clone(), self.counters.clone());
                tokio::task::spawn_blocking(move || {
                    let _turn = turn;
                    commit_alone(&pool, job, &counters);
                })
                .await
                .map_err(|_| WriteError::Stopped)?;
            }
        }
        answer.await.map_err(|_| WriteError::Stopped)?
    }
}

/// The writer thread: batch, run, commit, answer; until every handle is dropped.
fn run(pool: DbPool, mut queued: mpsc::Receiver<Box<dyn Job>>, batch: usize, counters: &Counters) {
    while let Some(first) = queued.blocking_recv() {
        let mut jobs = vec![first];
        while jobs.len() < batch {
            match queued.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        commit_and_answer(&pool, jobs, counters);
    }
}

fn commit_alone(pool: &DbPool, job: Box<dyn Job>, counters: &Counters) {
    counters.writes.fetch_add(1, Ordering::Relaxed);
    counters.batches.fetch_add(1, Ordering::Relaxed);
    match pool.get() {
        Ok(mut conn) => job.run_alone(&mut conn),
        Err(e) => job.refuse(WriteError::NotCommitted(format!("no database connection: {e}"))),
    }
}

fn commit_and_answer(pool: &DbPool, jobs: Vec<Box<dyn Job>>, counters: &Counters) {
    counters.writes.fetch_add(jobs.len() as u64, Ordering::Relaxed);
    counters.batches.fetch_add(1, Ordering::Relaxed);
    let (answers, outcome) = commit_batch(pool, jobs);
    for answer in answers {
        answer(outcome.clone());
    }
}

fn commit_batch(pool: &DbPool, jobs: Vec<Box<dyn Job>>) -> (Vec<Answer>, Result<(), WriteError>) {
    let mut conn = match pool.get() {
        Ok(conn) => conn,
        Err(e) => return refuse_all(jobs, format!("no database connection: {e}")),
    };
    if let Err(e) = begin_write(&mut conn) {
        return refuse_all(jobs, e.to_string());
    }
    let mut answers = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    for job in jobs.by_ref() {
        match catch_unwind(AssertUnwindSafe(|| job.run(&mut conn))) {
            Ok(answer) => answers.push(answer),
            Err(_) => {
                // The batch is half-done in an unknown state: roll all of it back.
                let _ = rollback(&mut conn);
                log::error!("a queued write panicked; its whole batch was rolled back");
                let why = "another write in the same batch failed".to_owned();
                let (_, refused) = refuse_all(jobs.collect(), why.clone());
                return (answers, refused);
            }
        }
    }
    match commit(&mut conn) {
        Ok(()) => (answers, Ok(())),
        Err(e) => {
            let _ = rollback(&mut conn);
            log::error!("committing a batch of {} writes failed: {e}", answers.len());
            (answers, Err(WriteError::NotCommitted(e.to_string())))
        }
    }
}

/// Answers work that never ran: nothing of the batch is written.
fn refuse_all(jobs: Vec<Box<dyn Job>>, why: String) -> (Vec<Answer>, Result<(), WriteError>) {
    let error = WriteError::NotCommitted(why);
    for job in jobs {
        job.refuse(error.clone());
    }
    (Vec::new(), Err(error))
}

#[cfg(test)]
mod tests;
