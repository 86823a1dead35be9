//! The connection pool. A hand-written r2d2 manager instead of diesel's generic one, because
//! the `MultiConnection` connect step hides PostgreSQL's real error ("Invalid connection url
//! for multiconnection") and we want the operator to see why the database refused us.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection};

use super::{Backend, DbConnection, Writer, sqlite_path};
use crate::error::AppError;

pub type DbPool = Pool<ConnectionManager>;

pub struct ConnectionManager {
    url: String,
    backend: Backend,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("{0}")]
    Query(#[from] diesel::result::Error),
}

/// SQLite settings every connection needs: a busy timeout so writers queue instead of
/// failing at once (first: switching to WAL itself needs the lock while the pool opens its
/// connections side by side), WAL so readers never block the writer, enforced foreign keys
/// (off by default in SQLite), and `synchronous = FULL`: in WAL mode `NORMAL` may lose the
/// last commits on power loss, and a webhook we answered 200 is never sent again — so every
/// commit waits for its fsync (the group-commit writer makes one fsync serve many writes).
/// `temp_store = MEMORY` keeps the statement journal of each queued write's savepoint in
/// memory (it is emptied when the savepoint is released); on disk it was a temporary file
/// written page by page, an eighth of the writer's time. WAL checkpoints run on a thread of
/// their own (`checkpoint.rs`); a connection checkpoints by itself only once the WAL holds
/// 10,000 pages (about 40 MB), should that thread fall behind.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; \
     PRAGMA wal_autocheckpoint = 10000;";

/// PostgreSQL's default, enforced per session so a server configured with
/// `synchronous_commit = off` cannot make an acknowledged write vanish on a crash.
const POSTGRES_SETTINGS: &str = "SET synchronous_commit TO on";

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConnection, ConnectError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = diesel::PgConnection::establish(&self.url)?;
                conn.batch_execute(POSTGRES_SETTINGS)?;
                Ok(DbConnection::Postgres(conn))
            }
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(sqlite_path(&self.url))?;
                conn.batch_execute(SQLITE_PRAGMAS)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectError> {
        conn.batch_execute("SELECT 1").map_err(ConnectError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::connection::{TransactionManager, TransactionManagerStatus};
        let status = <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn);
        matches!(status, TransactionManagerStatus::InError)
            || status.transaction_depth().map(|d| d.is_some()).unwrap_or(true)
    }
}

/// Builds the pool and checks one connection at once, so a bad URL fails start-up with
/// the database's own words rather than a timeout later.
pub fn build_pool(url: &str, max_size: u32) -> Result<DbPool, String> {
    let backend = Backend::of_url(url);
    let in_memory = backend == Backend::Sqlite && sqlite_path(url).contains(":memory:");
    let url = match backend {
        Backend::Postgres => {
            let env_chooses_mode = ["PGSSLMODE", "PGSERVICE"].iter().any(|var| std::env::var_os(var).is_some());
            super::pg_url::connect_url(url, env_chooses_mode).into_owned()
        }
        Backend::Sqlite => url.to_owned(),
    };
    let manager = ConnectionManager { url, backend };
    if backend == Backend::Sqlite {
        super::sqlite_file::create_private(sqlite_path(&manager.url))?;
    }
    if let Err(e) = manager.connect() {
        return Err(format!("cannot open the database: {e}"));
    }
    Pool::builder()
        // Every `:memory:` connection is its own empty database; one connection keeps one.
        .max_size(if in_memory { 1 } else { max_size })
        .connection_timeout(Duration::from_secs(15))
        // No `SELECT 1` before every use: a connection that broke is found by the query that
        // fails on it, and diesel marks it broken so the pool drops it.
        .test_on_check_out(false)
        .build(manager)
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// No connection could be had, or the blocking pool failed: the database is out of reach.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DbUnavailable(pub String);

/// The pool as handlers and jobs use it: diesel is synchronous, so every use runs on
/// actix's blocking thread pool instead of stalling the async workers.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    backend: Backend,
    writer: Writer,
    /// SQLite's WAL checkpoints, while any clone of this lives.
    _checkpointer: Option<std::sync::Arc<super::checkpoint::Checkpointer>>,
}

/// How many writes may wait for the writer before callers wait for room.
const WRITE_QUEUE: usize = 4096;
/// The most writes one commit carries.
const WRITE_BATCH: usize = 256;
/// The most writes one PostgreSQL transaction carries: each holds its workspace's lock until
/// the commit, so a long batch keeps other writes to those workspaces waiting, and one thread
/// taking everything queued leaves the others idle. On the two-instance mix, batches of 6–8
/// had the shortest tail (p99 22–26 ms against 30–33 ms for 32) at the same throughput.
const PG_WRITE_BATCH: usize = 8;

impl Db {
    /// Wraps the pool and starts its writer: group commit on SQLite, on PostgreSQL with
    /// `write_concurrency` writer threads (see [`Writer::together`]).
    pub fn new(pool: DbPool, url: &str, write_concurrency: usize) -> Result<Db, String> {
        let backend = Backend::of_url(url);
        let writer = match backend {
            Backend::Sqlite => Writer::start(pool.clone(), WRITE_QUEUE, WRITE_BATCH),
            Backend::Postgres => Writer::together(pool.clone(), write_concurrency, WRITE_QUEUE, PG_WRITE_BATCH),
        }
        .map_err(|e| format!("cannot start the database writer: {e}"))?;
        let checkpointer = match backend {
            Backend::Sqlite if !sqlite_path(url).contains(":memory:") => Some(std::sync::Arc::new(
                super::checkpoint::start(pool.clone()).map_err(|e| format!("cannot start the WAL checkpoints: {e}"))?,
            )),
            _ => None,
        };
        Ok(Db { pool, backend, writer, _checkpointer: checkpointer })
    }

    /// The group-commit writer: writes that must be durable before they are acknowledged.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn get(&self) -> Result<PooledConnection<ConnectionManager>, AppError> {
        self.pool.get().map_err(|e| AppError::internal(format!("no database connection: {e}")))
    }

    /// Whether the database answers within `timeout` (for `/healthz`).
    pub async fn ping(&self, timeout: Duration) -> Result<(), AppError> {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn =
                pool.get_timeout(timeout).map_err(|e| AppError::internal(format!("no database connection: {e}")))?;
            conn.batch_execute("SELECT 1").map_err(AppError::from)
        })
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
    }

    /// Like [`Db::run`], for a component with an error type of its own (the sandbox, which
    /// knows nothing of `AppError`): failing to reach the database at all becomes a
    /// [`DbUnavailable`] that `E` converts from.
    pub async fn run_with<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbUnavailable> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(|e| DbUnavailable(format!("no database connection: {e}")))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DbUnavailable(format!("blocking task failed: {e}")))?
    }

    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(|e| AppError::internal(format!("no database connection: {e}")))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn count(conn: &mut DbConnection) -> Result<i64, AppError> {
        Ok(diesel::sql_query("SELECT COUNT(*) AS n FROM items").get_result::<Count>(conn)?.n)
    }

    /// Reads run together see one snapshot on SQLite: a write committed between them by
    /// another connection shows in the next read, not in this one.
    #[actix_web::test]
    async fn reads_that_belong_together_see_one_snapshot_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("r.db").to_string_lossy().into_owned();
        let pool = build_pool(&url, 4).unwrap();
        pool.get()
            .unwrap()
            .batch_execute("CREATE TABLE items (id INTEGER PRIMARY KEY); INSERT INTO items DEFAULT VALUES;")
            .unwrap();
        let db = Db::new(pool.clone(), &url, 4).unwrap();
        let (before, after) = db
            .run(move |conn| {
                super::super::reading_together(conn, |conn| {
                    let before = count(conn)?;
                    pool.get().unwrap().batch_execute("INSERT INTO items DEFAULT VALUES;").unwrap();
                    Ok((before, count(conn)?))
                })
            })
            .await
            .unwrap();
        assert_eq!((before, after), (1, 1), "the second read saw the first one's snapshot");
        assert_eq!(db.run(count).await.unwrap(), 2, "the next read sees the write");
    }
}
