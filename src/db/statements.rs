//! How statements reach the database fast.
//!
//! **Prepared once, on the backend's own connection.** Through the `MultiConnection` enum every
//! statement's SQL text is built again on each run, twice (once to ask whether it may be cached,
//! once while binding), and diesel never caches an `UPDATE`, an upsert or an insert of optional
//! values, whose text can vary with the values: each run parsed and planned it anew. Under load
//! that was a third of the SQLite writer's time. [`Prepared`] runs a statement on the concrete
//! connection inside the enum and keys the statement cache by the statement's SQL text, which
//! is always safe: a text identifies exactly one prepared statement.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

use super::DbConnection;

/// A statement whose prepared form is cached by its SQL text (see the module's comment).
#[derive(Debug, Clone, Copy)]
pub struct Reused<Q>(Q);

/// Never a static id: a statement type whose text varies with its values (an optional value
/// written as `DEFAULT`, say) must not share one cache entry.
impl<Q> QueryId for Reused<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Reused<Q> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Reused<Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    /// Cached by its text, which names exactly one statement.
    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Reused<Q> {}

/// Running a statement prepared once per connection, on the backend's own connection.
pub trait Prepared: Sized + QueryId {
    /// Runs a write (`INSERT`, `UPDATE`, `DELETE`) and answers how many rows it changed. It is
    /// sent with ` RETURNING 1` appended and the returned rows are counted: diesel hands the
    /// statement cache a reference to a statement it executes, and through a reference it asks
    /// the statement's parts (which refuse any `UPDATE`) whether it may be cached, never
    /// [`Reused`]; a statement whose rows are read is handed over by value.
    fn execute_prepared<'query>(self, conn: &mut DbConnection) -> QueryResult<usize>
    where
        Reused<Counted<Self>>: LoadQuery<'query, SqliteConnection, i32> + LoadQuery<'query, PgConnection, i32>,
    {
        let rows: Vec<i32> = Counted(self).load_prepared(conn)?;
        Ok(rows.len())
    }

    fn get_result_prepared<'query, U>(self, conn: &mut DbConnection) -> QueryResult<U>
    where
        Reused<Self>: LoadQuery<'query, SqliteConnection, U> + LoadQuery<'query, PgConnection, U>,
    {
        match conn {
            DbConnection::Sqlite(c) => Reused(self).get_result(c),
            DbConnection::Postgres(c) => Reused(self).get_result(c),
        }
    }

    fn load_prepared<'query, U>(self, conn: &mut DbConnection) -> QueryResult<Vec<U>>
    where
        Reused<Self>: LoadQuery<'query, SqliteConnection, U> + LoadQuery<'query, PgConnection, U>,
    {
        match conn {
            DbConnection::Sqlite(c) => Reused(self).load(c),
            DbConnection::Postgres(c) => Reused(self).load(c),
        }
    }

    /// This statement, vouched for as one whose text its type decides (see [`Fixed`]).
    fn fixed(self) -> Fixed<Self>;

    /// Like [`Prepared::fixed`], for the statements diesel gives no static id (every
    /// `UPDATE`, every upsert): keyed instead by `site`, a closure written at the call site
    /// (`|| ()`), whose type is unique to that place in the code.
    fn fixed_here<K: Fn() + 'static>(self, site: K) -> Fixed<Sited<Self, K>> {
        Fixed(Sited(self, site))
    }
}

impl<Q: QueryId> Prepared for Q {
    fn fixed(self) -> Fixed<Self> {
        Fixed(self)
    }
}

/// A statement whose SQL text its type alone decides, as the caller vouches: no `None` left
/// out of a changeset or written as `DEFAULT`, no list whose length varies. Its prepared form
/// is found again by the type's id, a hash lookup, instead of by its text, which would be
/// written out again on every run to look it up. Where the type has no static id it is found
/// by its text after all.
#[derive(Debug, Clone, Copy)]
pub struct Fixed<Q>(pub(super) Q);

impl<Q: QueryId> QueryId for Fixed<Q> {
    type QueryId = Fixed<Q::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q: Query> Query for Fixed<Q> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Fixed<Q> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Fixed<Q> {}

/// A statement keyed in the statement cache by the type of `K`, a closure unique to the
/// statement's place in the code (see [`Prepared::fixed_here`]).
#[derive(Debug, Clone, Copy)]
pub struct Sited<Q, K>(Q, K);

impl<Q, K: 'static> QueryId for Sited<Q, K> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Q: Query, K> Query for Sited<Q, K> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend, Q: QueryFragment<DB>, K> QueryFragment<DB> for Sited<Q, K> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }
}

/// The [`Prepared`] runs, for a statement found again by its type.
impl<Q> Fixed<Q> {
    /// See [`Prepared::execute_prepared`].
    pub fn execute_prepared<'query>(self, conn: &mut DbConnection) -> QueryResult<usize>
    where
        Fixed<Counted<Q>>: LoadQuery<'query, SqliteConnection, i32> + LoadQuery<'query, PgConnection, i32>,
    {
        let rows: Vec<i32> = Fixed(Counted(self.0)).load_prepared(conn)?;
        Ok(rows.len())
    }

    pub fn get_result_prepared<'query, U>(self, conn: &mut DbConnection) -> QueryResult<U>
    where
        Self: LoadQuery<'query, SqliteConnection, U> + LoadQuery<'query, PgConnection, U>,
    {
        match conn {
            DbConnection::Sqlite(c) => self.get_result(c),
            DbConnection::Postgres(c) => self.get_result(c),
        }
    }

    pub fn load_prepared<'query, U>(self, conn: &mut DbConnection) -> QueryResult<Vec<U>>
    where
        Self: LoadQuery<'query, SqliteConnection, U> + LoadQuery<'query, PgConnection, U>,
    {
        match conn {
            DbConnection::Sqlite(c) => self.load(c),
            DbConnection::Postgres(c) => self.load(c),
        }
    }
}

/// A write with ` RETURNING 1`: one row per row it changed (see [`Prepared::execute_prepared`]).
#[derive(Debug, Clone, Copy)]
pub struct Counted<Q>(Q);

/// The appended text is constant, so the statement's id stands for it too.
impl<Q: QueryId> QueryId for Counted<Q> {
    type QueryId = Counted<Q::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q> Query for Counted<Q> {
    type SqlType = diesel::sql_types::Integer;
}

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Counted<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" RETURNING 1");
        Ok(())
    }
}

/// A fixed statement that diesel's statement cache keeps prepared (keyed by its text), unlike
/// `sql_query` and `batch_execute`, which prepare theirs on every run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StaticSql(pub(crate) &'static str);

impl QueryId for StaticSql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> QueryFragment<DB> for StaticSql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> diesel::QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for StaticSql {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::db::LimitRows;

    /// Counts statements started and statements prepared for the cache.
    #[derive(Default)]
    struct Seen {
        started: usize,
        cached: usize,
    }

    struct Watch(std::sync::Arc<std::sync::Mutex<Seen>>);

    impl diesel::connection::Instrumentation for Watch {
        fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
            let mut seen = self.0.lock().unwrap();
            match event {
                diesel::connection::InstrumentationEvent::StartQuery { .. } => seen.started += 1,
                diesel::connection::InstrumentationEvent::CacheQuery { .. } => seen.cached += 1,
                _ => {}
            }
        }
    }

    fn scratch() -> (DbConnection, std::sync::Arc<std::sync::Mutex<Seen>>) {
        let mut conn = DbConnection::Sqlite(SqliteConnection::establish(":memory:").unwrap());
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, note TEXT); \
             INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b');",
        )
        .unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Seen::default()));
        conn.set_instrumentation(Watch(seen.clone()));
        (conn, seen)
    }

    diesel::table! {
        items (id) {
            id -> BigInt,
            name -> Nullable<Text>,
            note -> Nullable<Text>,
        }
    }

    #[test]
    fn an_update_is_prepared_once_and_reused() {
        let (mut conn, seen) = scratch();
        for (id, name) in [(1, "x"), (2, "y"), (1, "z")] {
            let changed = diesel::update(items::table.find(id)).set(items::name.eq(name)).execute_prepared(&mut conn);
            assert_eq!(changed, Ok(1));
        }
        let names: Vec<Option<String>> =
            items::table.order(items::id).select(items::name).load_prepared(&mut conn).unwrap();
        assert_eq!(names, [Some("z".to_owned()), Some("y".to_owned())]);
        let seen = seen.lock().unwrap();
        assert_eq!((seen.started, seen.cached), (4, 2), "one preparation for the three updates, one for the read");
    }

    #[test]
    fn statements_whose_text_differs_get_entries_of_their_own() {
        #[derive(AsChangeset)]
        #[diesel(table_name = items)]
        struct Change<'a> {
            name: Option<&'a str>,
            note: Option<&'a str>,
        }
        let (mut conn, seen) = scratch();
        // Without `treat_none_as_null` a `None` leaves its column out of the SQL.
        let both = Change { name: Some("n"), note: Some("m") };
        let name_only = Change { name: Some("p"), note: None };
        diesel::update(items::table.find(1)).set(&both).execute_prepared(&mut conn).unwrap();
        diesel::update(items::table.find(1)).set(&name_only).execute_prepared(&mut conn).unwrap();
        let row: (Option<String>, Option<String>) =
            items::table.find(1).select((items::name, items::note)).first_row(&mut conn).unwrap();
        assert_eq!(row, (Some("p".to_owned()), Some("m".to_owned())), "each text ran as written");
        assert_eq!(seen.lock().unwrap().cached, 3);
    }

    #[test]
    fn a_fixed_statement_is_prepared_once_and_found_again_by_its_type() {
        let (mut conn, seen) = scratch();
        for (id, name, note) in [(1, "x", None), (2, "y", Some("n")), (1, "z", Some("m"))] {
            // `eq` with an `Option` binds NULL: the text is the same whatever the value.
            let changed = diesel::update(items::table.find(id))
                .set((items::name.eq(name), items::note.eq(note)))
                .fixed_here(|| ())
                .execute_prepared(&mut conn);
            assert_eq!(changed, Ok(1));
            let read: (Option<String>, Option<String>) =
                items::table.find(id).select((items::name, items::note)).first_row(&mut conn).unwrap();
            assert_eq!(read, (Some(name.to_owned()), note.map(str::to_owned)));
        }
        let other: Option<String> = items::table.find(2).select(items::note).first_row(&mut conn).unwrap();
        assert_eq!(other, Some("n".to_owned()), "a query of another shape has its own entry");
        let seen = seen.lock().unwrap();
        assert_eq!((seen.started, seen.cached), (7, 3), "one preparation per statement shape");
    }
}
