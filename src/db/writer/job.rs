//! One piece of queued work: run in a savepoint of a batch (SQLite's group commit), bare in a
//! shared transaction (PostgreSQL's batches, see `together`), or as a transaction of its own,
//! and answered once its commit is known.

use std::panic::{AssertUnwindSafe, catch_unwind};

use diesel::{Connection, RunQueryDsl};
use tokio::sync::oneshot;

use super::WriteError;
use crate::db::statements::StaticSql;
use crate::db::{DbConnection, begin_write, commit, roll_back_all, write_transaction};

/// Called after the batch's commit with its outcome, to answer the waiter.
pub(super) type Answer = Box<dyn FnOnce(Result<(), WriteError>) + Send>;

/// One piece of queued work, type-erased so one queue carries every kind.
pub(super) trait Job: Send {
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Answer;
    /// Runs as a transaction of its own and answers once it is committed.
    fn run_alone(self: Box<Self>, conn: &mut DbConnection);
    /// Answers without running (the batch could not begin).
    fn refuse(self: Box<Self>, why: WriteError);
    /// Runs the work bare in the caller's transaction, keeping its value for [`Job::answer`].
    /// On anything but [`Attempt::Done`] the caller must roll the whole transaction back;
    /// the work may then be run again (`run_alone`), as it is `FnMut`.
    fn attempt(&mut self, conn: &mut DbConnection) -> Attempt;
    /// Answers with the value [`Job::attempt`] kept, once its transaction's commit is known.
    fn answer(self: Box<Self>, committed: Result<(), WriteError>);
}

/// How a bare run in a shared transaction went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attempt {
    Done,
    /// The work returned an error: its writes are in the shared transaction.
    Failed,
    /// The work panicked: it is not run again.
    Panicked,
}

pub(super) struct Work<T, E, F, R> {
    pub(super) work: F,
    /// Runs after `work` failed and was rolled back, to record the failure (a webhook stored
    /// as failed): in a savepoint of its own inside the batch (SQLite), or, when it ran alone, in a
    /// transaction of its own before the answer.
    pub(super) recover: Option<R>,
    pub(super) reply: oneshot::Sender<Result<Result<T, E>, WriteError>>,
    /// What a bare run in a shared transaction returned, until that transaction's commit.
    pub(super) done: Option<T>,
}

impl<T, E, F, R> Work<T, E, F, R> {
    pub(super) fn new(work: F, recover: Option<R>, reply: oneshot::Sender<Result<Result<T, E>, WriteError>>) -> Self {
        Work { work, recover, reply, done: None }
    }
}

impl<T, E, F, R> Job for Work<T, E, F, R>
where
    T: Send + 'static,
    E: From<diesel::result::Error> + Send + 'static,
    F: FnMut(&mut DbConnection) -> Result<T, E> + Send,
    R: FnOnce(&mut DbConnection, &E) -> diesel::QueryResult<()> + Send,
{
    fn run(self: Box<Self>, conn: &mut DbConnection) -> Answer {
        let Work { mut work, recover, reply, .. } = *self;
        // In a savepoint of its own: a failed piece of work leaves no trace.
        let result = in_savepoint(conn, &mut work);
        if let (Err(e), Some(recover)) = (&result, recover)
            && let Err(failed) = conn.transaction(|conn| recover(conn, e))
        {
            log::error!("recording a failed write did not work either: {failed}");
        }
        Box::new(move |committed| {
            // The waiter may have gone away (a client disconnected); the work stands anyway.
            let _ = reply.send(committed.map(|()| result));
        })
    }

    fn run_alone(self: Box<Self>, conn: &mut DbConnection) {
        let Work { mut work, recover, reply, .. } = *self;
        if let Err(e) = begin_write(conn) {
            let _ = reply.send(Err(WriteError::NotCommitted(e.to_string())));
            return;
        }
        // No savepoint: the transaction holds this work alone, so a failure rolls all of it
        // back, and the failure is then recorded in a transaction of its own. On PostgreSQL
        // that is two round trips fewer per write.
        let answer = match catch_unwind(AssertUnwindSafe(|| work(conn))) {
            Ok(Ok(value)) => match commit(conn) {
                Ok(()) => Ok(Ok(value)),
                Err(e) => {
                    roll_back_all(conn);
                    Err(WriteError::NotCommitted(e.to_string()))
                }
            },
            Ok(Err(e)) => {
                roll_back_all(conn);
                if let Some(recover) = recover
                    && let Err(failed) = write_transaction(conn, |conn| recover(conn, &e))
                {
                    log::error!("recording a failed write did not work either: {failed}");
                }
                Ok(Err(e))
            }
            Err(_) => {
                roll_back_all(conn);
                log::error!("a write panicked; it was rolled back");
                Err(WriteError::NotCommitted("the write failed unexpectedly".to_owned()))
            }
        };
        let _ = reply.send(answer);
    }

    fn refuse(self: Box<Self>, why: WriteError) {
        let _ = self.reply.send(Err(why));
    }

    fn attempt(&mut self, conn: &mut DbConnection) -> Attempt {
        match catch_unwind(AssertUnwindSafe(|| (self.work)(conn))) {
            Ok(Ok(value)) => {
                self.done = Some(value);
                Attempt::Done
            }
            Ok(Err(_)) => Attempt::Failed,
            Err(_) => Attempt::Panicked,
        }
    }

    fn answer(self: Box<Self>, committed: Result<(), WriteError>) {
        let Work { reply, done, .. } = *self;
        let answer = committed
            .and_then(|()| done.map(Ok).ok_or_else(|| WriteError::NotCommitted("the write never ran".to_owned())));
        let _ = reply.send(answer);
    }
}

/// Runs `work` in a savepoint of the batch's transaction, so its failure rolls back alone.
/// On SQLite the savepoint statements are prepared once per connection and reused: diesel's
/// nested `transaction` sends them as text that SQLite parses anew every time, which was an
/// eighth of the writer's time under load. PostgreSQL keeps diesel's own savepoints.
fn in_savepoint<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(work);
    }
    StaticSql("SAVEPOINT queued_write").execute(conn)?;
    let result = work(conn).and_then(|value| match StaticSql("RELEASE queued_write").execute(conn) {
        Ok(_) => Ok(value),
        Err(e) => Err(e.into()),
    });
    if result.is_err() {
        StaticSql("ROLLBACK TO queued_write").execute(conn)?;
        StaticSql("RELEASE queued_write").execute(conn)?;
    }
    result
}
