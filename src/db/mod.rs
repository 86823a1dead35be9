//! Database access for both backends: one `DbConnection` enum (diesel `MultiConnection`)
//! chosen at run time by the `DATABASE_URL` scheme, an r2d2 pool, embedded migrations, and
//! `write_transaction`, the one way domain code opens a transaction that writes.

mod checkpoint;
mod pg_url;
mod pool;
mod row_limits;
mod sqlite_file;
mod statements;
pub mod writer;

pub use pool::{Db, DbPool, DbUnavailable, build_pool};
pub use row_limits::LimitRows;
pub use statements::Prepared;
pub use writer::{WriteError, Writer};

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

/// Which backend a `DATABASE_URL` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Turns `sqlite://path`, `sqlite:path` or a plain path into what `SqliteConnection` opens.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    };
    applied.map(|versions| versions.len()).map_err(|e| format!("running database migrations failed: {e}"))
}

/// Runs `f` inside a transaction that holds the write lock from its first statement.
///
/// On SQLite a plain `BEGIN` is deferred: a transaction that reads and then writes fails
/// with SQLITE_BUSY (no waiting) when another connection wrote in between. `BEGIN IMMEDIATE`
/// takes the write lock up front and waits on the busy timeout instead, which is what makes
/// concurrent webhook deliveries serialize cleanly. PostgreSQL uses an ordinary transaction;
/// there, callers lock the rows they change (see `Workspace::lock`).
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    begin_write(conn)?;
    match f(conn) {
        Ok(value) => {
            commit(conn)?;
            Ok(value)
        }
        Err(err) => {
            // The original error matters more than a failed rollback, which diesel
            // already marks as a broken connection that the pool will discard.
            let _ = rollback(conn);
            Err(err)
        }
    }
}

/// Opens a transaction that holds the write lock from its first statement (see
/// [`write_transaction`]).
pub(crate) fn begin_write(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        // A plain `BEGIN`, never a savepoint: a connection still inside a transaction (a
        // panic left it there) must refuse new work rather than nest it in that transaction.
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN"),
    }
}

/// Commits a write transaction. On PostgreSQL a statement is run first: in a transaction a
/// failed statement aborted (an error some work caught and went on from), `COMMIT` answers
/// `ROLLBACK` without an error, and the writes would be acknowledged although none is stored.
pub(crate) fn commit(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    if let DbConnection::Postgres(_) = conn {
        statements::StaticSql("SELECT 1").execute(conn)?;
    }
    <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
}

/// Rolls back every open level of the connection's transaction: after a panic inside a nested
/// `transaction`, one rollback only leaves its savepoint. Stops at the first error (no
/// transaction left, or a broken connection, which the pool then discards).
pub(crate) fn roll_back_all(conn: &mut DbConnection) {
    while rollback(conn).is_ok() {}
}

pub(crate) fn rollback(conn: &mut DbConnection) -> diesel::QueryResult<()> {
    <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
}

/// Runs reads that belong together: on SQLite in one deferred transaction (one snapshot, and
/// the shared locks taken once rather than per statement), on PostgreSQL as they are (a
/// transaction would cost two more round trips); inside reads already together (or any
/// transaction), as part of them. `f` must only read.
pub fn reading_together<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    if sqlite && !in_transaction(conn) { conn.transaction(f) } else { f(conn) }
}

/// Runs `f` atomically: in the caller's transaction when one is open, else in one of its own.
pub fn atomically<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
{
    if in_transaction(conn) { f(conn) } else { conn.transaction(f) }
}

fn in_transaction(conn: &mut DbConnection) -> bool {
    let status = <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn);
    matches!(status.transaction_depth(), Ok(Some(_)))
}

/// True when a diesel error is a unique-constraint violation (a duplicate insert).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(err, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

diesel::define_sql_function! {
    /// SQL `LOWER`, portable across both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}
