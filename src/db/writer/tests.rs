//! The writer on SQLite: batches with savepoints, and the bare shared transactions
//! PostgreSQL uses (`together`): their failures, redos and turns.

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

pub(super) fn scratch() -> (tempfile::TempDir, DbPool) {
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
pub(super) fn with_deferred_children(pool: &DbPool) {
    pool.get()
        .unwrap()
        .batch_execute(
            "CREATE TABLE parents (id INTEGER PRIMARY KEY); \
             CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER \
             REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
}

pub(super) fn count(pool: &DbPool, table: &str) -> i64 {
    let mut conn = pool.get().unwrap();
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<Count>(&mut conn).unwrap().n
}

pub(super) fn insert(name: String) -> impl FnMut(&mut DbConnection) -> diesel::QueryResult<usize> + Send + 'static {
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
    let orphan =
        writer.write(|conn| diesel::sql_query("INSERT INTO children (parent_id) VALUES (99)").execute(conn).map(drop));
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
async fn a_write_alone_commits_and_a_failure_is_rolled_back_and_recorded() {
    let (_dir, pool) = scratch();
    diesel::sql_query("INSERT INTO items (name) VALUES ('dup')").execute(&mut pool.get().unwrap()).unwrap();
    let writer = Writer::together(pool.clone(), 4, 64, 32).unwrap();
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
async fn shared_transactions_run_at_most_their_threads_at_once_and_the_rest_wait() {
    let (_dir, pool) = scratch();
    let writer = Writer::together(pool.clone(), 2, 64, 1).unwrap();
    // Each writer thread holds a pooled connection while it runs a transaction (SQLite then
    // runs them one by one, but a transaction waiting for its lock holds its connection too):
    // connections in use are transactions running.
    let most = Arc::new(AtomicU64::new(0));
    let mut writes = Vec::new();
    for i in 0..6 {
        let (writer, pool, most) = (writer.clone(), pool.clone(), most.clone());
        writes.push(tokio::spawn(async move {
            writer
                .write(move |conn| {
                    std::thread::sleep(Duration::from_millis(30));
                    let state = pool.state();
                    most.fetch_max(u64::from(state.connections - state.idle_connections), Ordering::SeqCst);
                    insert(format!("w{i}"))(conn)
                })
                .await
        }));
    }
    for write in writes {
        assert_eq!(write.await.unwrap().unwrap().unwrap(), 1);
    }
    assert_eq!(most.load(Ordering::SeqCst), 2, "two transactions at once, never more");
    assert_eq!(count(&pool, "items"), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_alone_that_cannot_commit_is_answered_with_the_reason_and_not_recorded_as_failed() {
    let (_dir, pool) = scratch();
    with_deferred_children(&pool);
    let writer = Writer::together(pool.clone(), 4, 64, 32).unwrap();
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
