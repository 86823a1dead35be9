//! WAL checkpoints off the writer's path. SQLite's automatic checkpoint runs inside the commit
//! that crosses its threshold, so the group-commit writer stopped every few batches to copy
//! pages into the database file and wait for that file's fsync, with every queued webhook
//! waiting behind it (a twelfth of the writer's time under load). Here a thread of its own runs
//! a `PASSIVE` checkpoint every [`INTERVAL`]: it copies what is committed, never blocks the
//! writer or readers, and the writer starts the WAL from its beginning again once it is all
//! copied. The connections' own automatic checkpoint stays as a backstop at a much larger
//! size (`SQLITE_PRAGMAS`), should this thread fall behind.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use super::DbPool;

/// How often committed WAL pages are copied into the database file.
const INTERVAL: Duration = Duration::from_millis(100);

/// Keeps the checkpoint thread running; it stops when the last clone of its owner is dropped.
pub(super) struct Checkpointer {
    _running: mpsc::Sender<()>,
}

pub(super) fn start(pool: DbPool) -> std::io::Result<Checkpointer> {
    let (running, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new().name("db-checkpoint".into()).spawn(move || {
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
            checkpoint(&pool);
        }
    })?;
    Ok(Checkpointer { _running: running })
}

fn checkpoint(pool: &DbPool) {
    let Ok(mut conn) = pool.get_timeout(INTERVAL) else { return };
    if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
        log::warn!("WAL checkpoint failed (the next one tries again): {e}");
    }
}
