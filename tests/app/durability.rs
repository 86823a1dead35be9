//! "Acknowledged means durable": the settings that make a commit wait for the disk, read back
//! from a live pooled connection of the running app.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use tollgate::db::DbConnection;

use crate::common::*;

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    value: String,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[actix_web::test]
async fn every_commit_waits_for_the_disk() {
    let app = spawn_app().await;
    app.with_db(|conn| match conn {
        DbConnection::Sqlite(_) => {
            let mode: Setting =
                diesel::sql_query("SELECT journal_mode AS value FROM pragma_journal_mode").get_result(conn).unwrap();
            assert_eq!(mode.value, "wal");
            // 2 = FULL: in WAL mode, NORMAL would let the newest commits vanish on power loss.
            let sync: Number =
                diesel::sql_query("SELECT synchronous AS value FROM pragma_synchronous").get_result(conn).unwrap();
            assert_eq!(sync.value, 2, "PRAGMA synchronous must be FULL");
            // 2 = MEMORY: savepoint journals stay off the disk (only commits need it).
            let temp: Number =
                diesel::sql_query("SELECT temp_store AS value FROM pragma_temp_store").get_result(conn).unwrap();
            assert_eq!(temp.value, 2, "PRAGMA temp_store must be MEMORY");
        }
        DbConnection::Postgres(_) => {
            let sync: Setting =
                diesel::sql_query("SELECT setting AS value FROM pg_settings WHERE name = 'synchronous_commit'")
                    .get_result(conn)
                    .unwrap();
            assert_eq!(sync.value, "on");
            let fsync: Setting = diesel::sql_query("SELECT setting AS value FROM pg_settings WHERE name = 'fsync'")
                .get_result(conn)
                .unwrap();
            assert_eq!(fsync.value, "on", "the server must not run with fsync off");
        }
    });
}

#[derive(QueryableByName)]
struct Backstop {
    #[diesel(sql_type = BigInt)]
    wal_autocheckpoint: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Committed pages reach the database file without the writer stopping to copy them: a thread
/// of its own checkpoints the WAL. Checked by reading the file alone (`immutable=1` makes
/// SQLite ignore the WAL), with the connections' own automatic checkpoint far away.
#[actix_web::test]
async fn committed_writes_reach_the_database_file_in_the_background() {
    let app = spawn_app().await;
    let backstop = app.with_db(|conn| match conn {
        DbConnection::Sqlite(c) => {
            Some(diesel::sql_query("PRAGMA wal_autocheckpoint").get_result::<Backstop>(c).unwrap().wal_autocheckpoint)
        }
        DbConnection::Postgres(_) => None,
    });
    let Some(backstop) = backstop else { return };
    assert_eq!(backstop, 10_000, "connections checkpoint by themselves only as a backstop");
    app.signup("checkpointed@example.com").await;
    let file = format!("file:{}?immutable=1", app.state.config.database_url);
    let in_file = || {
        let mut conn = diesel::SqliteConnection::establish(&file).ok()?;
        diesel::sql_query("SELECT COUNT(*) AS n FROM users WHERE email = 'checkpointed@example.com'")
            .get_result::<Count>(&mut conn)
            .ok()
            .map(|c| c.n)
    };
    for _ in 0..100 {
        if in_file() == Some(1) {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the new account never reached the database file");
}

#[derive(QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    ssl: bool,
}

/// A loopback `DATABASE_URL` that chooses no `sslmode` connects without TLS (it protects
/// nothing on loopback and costs a quarter of PostgreSQL's throughput), read from a live
/// pooled connection; a URL that chooses a mode keeps it (see `db::pg_url`).
#[actix_web::test]
async fn a_loopback_postgres_url_without_a_mode_connects_without_tls() {
    let (url, _db) = test_database();
    let loopback = ["@127.0.0.1", "@localhost", "@[::1]"].iter().any(|host| url.contains(host));
    if !url.starts_with("postgres") || !loopback {
        return;
    }
    let bare = url.replace("sslmode=disable", "");
    let app = spawn_app_with(|vars| {
        vars.insert("DATABASE_URL".into(), bare.clone());
    })
    .await;
    let encrypted: Encrypted = app.with_db(|conn| {
        diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").get_result(conn).unwrap()
    });
    assert!(!encrypted.ssl, "{bare} is loopback and chooses no mode: no TLS");
}
