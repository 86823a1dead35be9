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
//! transaction on a pooled connection, many at once: PostgreSQL's WAL flush already makes one
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
    /// Each write in its own transaction on a pooled connection, many at once (PostgreSQL:
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

    /// A writer that commits each write on its own, concurrently, on the blocking pool.
    pub fn direct(pool: DbPool) -> Writer {
        // Writers wait for a connection in arrival order: the pool's own wait wakes an
        // arbitrary waiter, which under load left a few writes waiting far longer than the rest.
        let admission = Arc::new(Semaphore::new(pool.max_size() as usize));
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
mod tests {
    use std::time::Duration;

    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::*;
    use crate::db::build_pool;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn scratch() -> (tempfile::TempDir, DbPool) {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("w.db").to_string_lossy().into_owned();
        let pool = build_pool(&url, 4).unwrap();
        pool.get()
            .unwrap()
            .batch_execute(
                "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE); \
                 CREATE TABLE failures (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
            )
            .unwrap();
        (dir, pool)
    }

    /// A table whose foreign key is checked at commit: an orphan makes the commit fail.
    fn with_deferred_children(pool: &DbPool) {
        pool.get()
            .unwrap()
            .batch_execute(
                "CREATE TABLE parents (id INTEGER PRIMARY KEY); \
                 CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER \
                 REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);",
            )
            .unwrap();
    }

    fn count(pool: &DbPool, table: &str) -> i64 {
        let mut conn = pool.get().unwrap();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<Count>(&mut conn).unwrap().n
    }

    fn insert(name: String) -> impl FnOnce(&mut DbConnection) -> diesel::QueryResult<usize> + Send + 'static {
        move |conn| diesel::sql_query(format!("INSERT INTO items (name) VALUES ('{name}')")).execute(conn)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_share_commits_and_a_failure_rolls_back_alone() {
        let (_dir, pool) = scratch();
        // A row the 8th write will collide with.
        diesel::sql_query("INSERT INTO items (name) VALUES ('dup')").execute(&mut pool.get().unwrap()).unwrap();
        let writer = Writer::start(pool.clone(), 256, 64).unwrap();
        // Hold the writer busy so the next writes queue up behind it, as under load.
        let (started, running) = std::sync::mpsc::channel();
        let busy = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .write(move |_conn| {
                        let _ = started.send(());
                        std::thread::sleep(Duration::from_millis(100));
                        diesel::QueryResult::Ok(())
                    })
                    .await
            }
        });
        running.recv_timeout(Duration::from_secs(5)).unwrap();
        let mut waiting = Vec::new();
        for i in 0..40 {
            let writer = writer.clone();
            waiting.push(tokio::spawn(async move {
                let name = if i == 7 { "dup".to_owned() } else { format!("item{i}") };
                writer
                    .write_or_record(insert(name), |conn, _e| {
                        diesel::sql_query("INSERT INTO failures (name) VALUES ('seven')").execute(conn).map(drop)
                    })
                    .await
            }));
        }
        assert!(busy.await.unwrap().unwrap().is_ok());
        let mut failed = 0;
        for handle in waiting {
            match handle.await.unwrap().unwrap() {
                Ok(1) => {}
                Ok(n) => panic!("inserted {n} rows"),
                Err(_) => failed += 1,
            }
        }
        assert_eq!(failed, 1, "only the duplicate fails");
        assert_eq!(count(&pool, "items"), 40, "39 writes plus the first 'dup'");
        assert_eq!(count(&pool, "failures"), 1, "the failure was recorded in the same commit");
        let stats = writer.stats();
        assert_eq!(stats.writes, 41);
        assert!(stats.batches <= 4, "writes queued together commit together: {stats:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_that_cannot_commit_answers_every_waiter_with_the_reason() {
        let (_dir, pool) = scratch();
        let writer = Writer::start(pool.clone(), 8, 8).unwrap();
        // Deferred foreign keys are checked at commit: the whole batch is refused there.
        with_deferred_children(&pool);
        let orphan = writer
            .write(|conn| diesel::sql_query("INSERT INTO children (parent_id) VALUES (99)").execute(conn).map(drop));
        match orphan.await {
            Err(WriteError::NotCommitted(reason)) => assert!(reason.contains("FOREIGN KEY"), "{reason}"),
            other => panic!("expected a refused commit, got {other:?}"),
        }
        assert_eq!(count(&pool, "children"), 0);
        // The writer goes on with the next batch.
        assert!(writer.write(insert("after".to_owned())).await.unwrap().is_ok());
        assert_eq!(count(&pool, "items"), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_direct_write_commits_alone_and_a_failure_is_rolled_back_and_recorded() {
        let (_dir, pool) = scratch();
        diesel::sql_query("INSERT INTO items (name) VALUES ('dup')").execute(&mut pool.get().unwrap()).unwrap();
        let writer = Writer::direct(pool.clone());
        assert_eq!(writer.write(insert("first".to_owned())).await.unwrap().unwrap(), 1);
        // The work writes a row, then fails: the row goes with it, and the failure is stored.
        let failing = writer
            .write_or_record(
                |conn| {
                    insert("half".to_owned())(conn)?;
                    insert("dup".to_owned())(conn)
                },
                |conn, _e| diesel::sql_query("INSERT INTO failures (name) VALUES ('dup')").execute(conn).map(drop),
            )
            .await
            .unwrap();
        assert!(failing.is_err(), "the duplicate fails");
        assert_eq!(count(&pool, "items"), 2, "'dup' and 'first'; 'half' was rolled back");
        assert_eq!(count(&pool, "failures"), 1, "the failure was recorded");
        // A panic is answered, rolls back, and leaves the connection usable.
        let panicked = writer
            .write(|conn| -> diesel::QueryResult<()> {
                insert("doomed".to_owned())(conn)?;
                panic!("a bug in the work")
            })
            .await;
        assert!(matches!(panicked, Err(WriteError::NotCommitted(_))), "{panicked:?}");
        assert_eq!(writer.write(insert("after".to_owned())).await.unwrap().unwrap(), 1);
        assert_eq!(count(&pool, "items"), 3, "'doomed' was rolled back");
        assert_eq!(writer.stats().writes, 4);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_direct_write_that_cannot_commit_is_answered_with_the_reason_and_not_recorded_as_failed() {
        let (_dir, pool) = scratch();
        with_deferred_children(&pool);
        let writer = Writer::direct(pool.clone());
        let orphan = writer
            .write_or_record(
                |conn| diesel::sql_query("INSERT INTO children (parent_id) VALUES (99)").execute(conn).map(drop),
                |conn, _e| diesel::sql_query("INSERT INTO failures (name) VALUES ('orphan')").execute(conn).map(drop),
            )
            .await;
        match orphan {
            Err(WriteError::NotCommitted(reason)) => assert!(reason.contains("FOREIGN KEY"), "{reason}"),
            other => panic!("expected a refused commit, got {other:?}"),
        }
        assert_eq!(count(&pool, "children"), 0);
        assert_eq!(count(&pool, "failures"), 0, "a refused commit is the caller's to record");
    }
}
