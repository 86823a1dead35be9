//! On PostgreSQL writes share a transaction (`db::writer::together`). One that waits on a row
//! lock held elsewhere (another instance's transaction) gives up after a moment: the writes
//! before it commit without waiting, and it is done again alone, as long as the lock takes. And
//! a transaction some work left aborted is never acknowledged as committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tollgate::db::{DbConnection, WriteError, Writer, build_pool};

use crate::common::*;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn insert(name: &'static str) -> impl FnMut(&mut DbConnection) -> QueryResult<usize> + Send + 'static {
    move |conn| diesel::sql_query(format!("INSERT INTO items (name) VALUES ('{name}')")).execute(conn)
}

/// Keeps the writer's one thread busy until `release` says, so the next writes wait and share
/// a transaction.
fn hold(writer: &Writer) -> (tokio::task::JoinHandle<Result<QueryResult<()>, WriteError>>, Sender<()>) {
    let (started, running) = channel();
    let (release, released) = channel::<()>();
    let released = std::sync::Mutex::new(released);
    let busy = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .write(move |_conn| {
                    let _ = started.send(());
                    let _ = released.lock().unwrap().recv_timeout(Duration::from_secs(5));
                    QueryResult::Ok(())
                })
                .await
        }
    });
    running.recv_timeout(Duration::from_secs(5)).unwrap();
    (busy, release)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waiting_on_a_lock_does_not_hold_back_the_writes_before_it() {
    let (url, _db) = test_database();
    if !url.starts_with("postgres") {
        // SQLite has no row locks: its one writer takes the database's write lock.
        return;
    }
    let pool = build_pool(&url, 4).unwrap();
    pool.get()
        .unwrap()
        .batch_execute(
            "CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL); \
             CREATE TABLE locked (id INTEGER PRIMARY KEY); INSERT INTO locked VALUES (1);",
        )
        .unwrap();
    // Another instance's transaction holds the row until told to commit.
    let held = Arc::new(AtomicBool::new(true));
    let (has_lock, locked) = channel();
    let (commit, committed) = channel::<()>();
    let holder = std::thread::spawn({
        let (url, held) = (url.clone(), held.clone());
        move || {
            let mut conn = PgConnection::establish(&format!("{url}&application_name=holder")).unwrap();
            conn.batch_execute("BEGIN; SELECT id FROM locked WHERE id = 1 FOR UPDATE;").unwrap();
            has_lock.send(()).unwrap();
            let _ = committed.recv_timeout(Duration::from_secs(10));
            held.store(false, Ordering::SeqCst);
            conn.batch_execute("COMMIT").unwrap();
        }
    });
    locked.recv_timeout(Duration::from_secs(5)).unwrap();

    let writer = Writer::together(pool.clone(), 1, 64, 32).unwrap();
    let (busy, release) = hold(&writer);
    let before = tokio::spawn({
        let writer = writer.clone();
        async move { writer.write(insert("before")).await }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let waiting = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .write(|conn| {
                    diesel::sql_query("SELECT id FROM locked WHERE id = 1 FOR UPDATE").execute(conn)?;
                    insert("waited")(conn)
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let after = tokio::spawn({
        let writer = writer.clone();
        async move { writer.write(insert("after")).await }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    release.send(()).unwrap();
    assert!(busy.await.unwrap().unwrap().is_ok());

    assert_eq!(before.await.unwrap().unwrap().unwrap(), 1);
    assert!(held.load(Ordering::SeqCst), "the write before the waiting one was answered while the lock was held");
    commit.send(()).unwrap();
    holder.join().unwrap();
    assert_eq!(waiting.await.unwrap().unwrap().unwrap(), 1, "the waiting write is done once the lock is free");
    assert_eq!(after.await.unwrap().unwrap().unwrap(), 1);
    let items: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM items").get_result(&mut pool.get().unwrap()).unwrap();
    assert_eq!(items.n, 3, "each write once, though the shared transaction was done again");
}

/// Work that catches a failed statement and goes on leaves PostgreSQL's transaction aborted,
/// where `COMMIT` answers `ROLLBACK` without an error: the writes sharing it must not be
/// acknowledged. The commit finds out, each write is done again alone, and only that work is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_sharing_an_aborted_transaction_are_not_acknowledged_as_stored() {
    let (url, _db) = test_database();
    if !url.starts_with("postgres") {
        // SQLite goes on after a failed statement; there is no aborted state to detect.
        return;
    }
    let pool = build_pool(&url, 4).unwrap();
    pool.get().unwrap().batch_execute("CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL);").unwrap();
    let writer = Writer::together(pool.clone(), 1, 64, 32).unwrap();
    let (busy, release) = hold(&writer);
    let careless = tokio::spawn({
        let writer = writer.clone();
        async move {
            writer
                .write(|conn| {
                    let _ = diesel::sql_query("SELECT * FROM no_such_table").execute(conn);
                    insert("careless")(conn).or(QueryResult::Ok(0))
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    let sound = tokio::spawn({
        let writer = writer.clone();
        async move { writer.write(insert("sound")).await }
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    release.send(()).unwrap();
    assert!(busy.await.unwrap().unwrap().is_ok());

    let careless = careless.await.unwrap();
    assert!(careless.is_err(), "the aborted work is not acknowledged: {careless:?}");
    assert_eq!(sound.await.unwrap().unwrap().unwrap(), 1, "the sound write is done again alone and stored");
    let items: Count =
        diesel::sql_query("SELECT COUNT(*) AS n FROM items").get_result(&mut pool.get().unwrap()).unwrap();
    assert_eq!(items.n, 1);
}
