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
//! That is the SQLite writer. On PostgreSQL ([`Writer::together`]) a few writer threads each
//! commit whatever is queued together, without savepoints (see `together`): there the round
//! trips, not the fsync, are what a write costs, and a savepoint would add two. The workspace's
//! row lock orders writes to one workspace, also across instances.

mod job;
mod together;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use self::job::{Answer, Job, Work};
use super::{DbConnection, DbPool, begin_write, commit, roll_back_all};

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
    /// The writer threads' queue: one thread with savepoints ([`Writer::start`], SQLite), or a
    /// few without ([`Writer::together`], PostgreSQL).
    queue: mpsc::Sender<Box<dyn Job>>,
    counters: Arc<Counters>,
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
        Ok(Writer { queue: jobs, counters })
    }

    /// Starts `threads` writer threads (at most the pool's size) sharing one queue, each
    /// committing whatever waits, up to `batch`, in one transaction without savepoints.
    pub fn together(pool: DbPool, threads: usize, queue: usize, batch: usize) -> std::io::Result<Writer> {
        let (jobs, queued) = mpsc::channel(queue.max(1));
        let queued: together::Shared = Arc::new(std::sync::Mutex::new(queued));
        let counters = Arc::new(Counters::default());
        for n in 0..threads.clamp(1, pool.max_size() as usize) {
            let (pool, queued, seen) = (pool.clone(), queued.clone(), counters.clone());
            std::thread::Builder::new()
                .name(format!("db-writer-{n}"))
                .spawn(move || together::run(pool, queued, batch.max(1), &seen))?;
        }
        Ok(Writer { queue: jobs, counters })
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
        F: FnMut(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        self.submit(work, None::<fn(&mut DbConnection, &E) -> diesel::QueryResult<()>>).await
    }

    /// Like [`Writer::write`]; when `work` fails, `recover` records the failure before the
    /// answer: in the batch's commit (SQLite), or in a transaction of its own (PostgreSQL).
    pub async fn write_or_record<T, E, F, R>(&self, work: F, recover: R) -> Result<Result<T, E>, WriteError>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, E> + Send + 'static,
        R: FnOnce(&mut DbConnection, &E) -> diesel::QueryResult<()> + Send + 'static,
    {
        self.submit(work, Some(recover)).await
    }

    async fn submit<T, E, F, R>(&self, work: F, recover: Option<R>) -> Result<Result<T, E>, WriteError>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, E> + Send + 'static,
        R: FnOnce(&mut DbConnection, &E) -> diesel::QueryResult<()> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Work::new(work, recover, reply));
        self.queue.send(job).await.map_err(|_| WriteError::Stopped)?;
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
                roll_back_all(&mut conn);
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
            roll_back_all(&mut conn);
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
#[cfg(test)]
mod together_tests;
