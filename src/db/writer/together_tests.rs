//! PostgreSQL's shared transactions (`together`), run on SQLite: writes waiting together
//! commit once, and a failing write makes the others be done again around it.

use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use diesel::prelude::*;

use super::tests::{count, insert, scratch, with_deferred_children};
use super::*;

/// Keeps the writer's only thread busy until `release` says, so later writes queue up.
fn hold(
    writer: &Writer,
) -> (tokio::task::JoinHandle<Result<diesel::QueryResult<()>, WriteError>>, std::sync::mpsc::Sender<()>) {
    let (release, released): (_, Receiver<()>) = channel();
    let (started, running) = channel();
    let writer = writer.clone();
    let released = std::sync::Mutex::new(released);
    let busy = tokio::spawn(async move {
        writer
            .write(move |_conn| {
                let _ = started.send(());
                let _ = released.lock().unwrap().recv_timeout(Duration::from_secs(5));
                diesel::QueryResult::Ok(())
            })
            .await
    });
    running.recv_timeout(Duration::from_secs(5)).unwrap();
    (busy, release)
}

/// Queues `writes` one after the other (each in the queue before the next is sent).
async fn queue_in_order<T: Send + 'static>(
    writes: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>>,
) -> Vec<tokio::task::JoinHandle<T>> {
    let mut handles = Vec::new();
    for write in writes {
        handles.push(tokio::spawn(write));
        // The spawned write sends at its first poll; give it that poll before the next.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handles
}

async fn answers<T>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut answers = Vec::new();
    for handle in handles {
        answers.push(handle.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_writes_commit_once_and_a_failing_one_is_done_again_alone_and_recorded() {
    let (_dir, pool) = scratch();
    diesel::sql_query("INSERT INTO items (name) VALUES ('dup')").execute(&mut pool.get().unwrap()).unwrap();
    let writer = Writer::together(pool.clone(), 1, 256, 64).unwrap();
    let (busy, release) = hold(&writer);
    let mut writes: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>>> = Vec::new();
    for i in 0..12 {
        let writer = writer.clone();
        let name = if i == 5 { "dup".to_owned() } else { format!("item{i}") };
        writes.push(Box::pin(async move {
            writer
                .write_or_record(insert(name), |conn, _e| {
                    diesel::sql_query("INSERT INTO failures (name) VALUES ('five')").execute(conn).map(drop)
                })
                .await
        }));
    }
    let handles = queue_in_order(writes).await;
    release.send(()).unwrap();
    assert!(busy.await.unwrap().unwrap().is_ok());
    let answers: Vec<_> = answers(handles).await.into_iter().map(Result::unwrap).collect();
    for (i, answer) in answers.iter().enumerate() {
        match (i, answer) {
            (5, Err(_)) => {}
            (5, Ok(n)) => panic!("the duplicate inserted {n} rows"),
            (_, Ok(1)) => {}
            (i, other) => panic!("write {i} answered {other:?}"),
        }
    }
    assert_eq!(count(&pool, "items"), 12, "11 writes plus the first 'dup'; each once, though done twice");
    assert_eq!(count(&pool, "failures"), 1, "the failure was recorded");
    let stats = writer.stats();
    assert_eq!(stats.writes, 13, "{stats:?}");
    // The hold alone; the five before the duplicate together; the duplicate alone; the six after
    // it together.
    assert_eq!(stats.batches, 4, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_panicking_in_a_shared_transaction_is_refused_and_the_others_commit() {
    let (_dir, pool) = scratch();
    let writer = Writer::together(pool.clone(), 1, 256, 64).unwrap();
    let (busy, release) = hold(&writer);
    let (w, w2, w3) = (writer.clone(), writer.clone(), writer.clone());
    let handles = queue_in_order::<Result<diesel::QueryResult<usize>, WriteError>>(vec![
        Box::pin(async move { w.write(insert("before".to_owned())).await }),
        Box::pin(async move {
            // Inside a nested transaction: the panic leaves a savepoint open as well.
            w2.write(|conn| -> diesel::QueryResult<usize> {
                conn.transaction(|conn| -> diesel::QueryResult<usize> {
                    insert("doomed".to_owned())(conn)?;
                    panic!("a bug in the work")
                })
            })
            .await
        }),
        Box::pin(async move { w3.write(insert("after".to_owned())).await }),
    ])
    .await;
    release.send(()).unwrap();
    assert!(busy.await.unwrap().unwrap().is_ok());
    let answers: Vec<_> = answers(handles).await;
    assert!(matches!(answers[0], Ok(Ok(1))), "{:?}", answers[0]);
    assert!(matches!(answers[1], Err(WriteError::NotCommitted(_))), "{:?}", answers[1]);
    assert!(matches!(answers[2], Ok(Ok(1))), "{:?}", answers[2]);
    assert_eq!(count(&pool, "items"), 2, "'doomed' was rolled back, not done again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_commit_refused_is_done_again_write_by_write_so_only_the_culprit_fails() {
    let (_dir, pool) = scratch();
    with_deferred_children(&pool);
    let writer = Writer::together(pool.clone(), 1, 256, 64).unwrap();
    let (busy, release) = hold(&writer);
    let (w, w2, w3) = (writer.clone(), writer.clone(), writer.clone());
    let orphan =
        |conn: &mut DbConnection| diesel::sql_query("INSERT INTO children (parent_id) VALUES (99)").execute(conn);
    let handles = queue_in_order::<Result<diesel::QueryResult<usize>, WriteError>>(vec![
        Box::pin(async move { w.write(insert("first".to_owned())).await }),
        Box::pin(async move { w2.write(orphan).await }),
        Box::pin(async move { w3.write(insert("third".to_owned())).await }),
    ])
    .await;
    release.send(()).unwrap();
    assert!(busy.await.unwrap().unwrap().is_ok());
    let answers: Vec<_> = answers(handles).await;
    assert!(matches!(answers[0], Ok(Ok(1))), "{:?}", answers[0]);
    match &answers[1] {
        Err(WriteError::NotCommitted(reason)) => assert!(reason.contains("FOREIGN KEY"), "{reason}"),
        other => panic!("expected a refused commit, got {other:?}"),
    }
    assert!(matches!(answers[2], Ok(Ok(1))), "{:?}", answers[2]);
    assert_eq!(count(&pool, "items"), 2);
    assert_eq!(count(&pool, "children"), 0);
}
