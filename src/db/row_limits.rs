//! Row limits in the SQL text. diesel's `.first()` and `.limit(n)` bind the limit as a
//! parameter. SQLite (since 3.49) plans a query with the bound `LIMIT` value and marks the
//! statement to be compiled again whenever that parameter is bound — which diesel does on every
//! run — so each such query re-parsed and re-planned its SQL on every use, even from the
//! statement cache. [`LimitRows`] writes the limit into the text, so the cached statement is
//! reused.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

use super::DbConnection;
use super::statements::Fixed;

/// A query with ` LIMIT <count>` appended (the query must have no limit of its own).
#[derive(Debug, Clone, Copy)]
pub struct Limited<Q> {
    query: Q,
    count: i64,
}

/// The count is part of the SQL text, not of the type: statements are cached by their text.
impl<Q> QueryId for Limited<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Limited<Q> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend, Q: QueryFragment<DB>> QueryFragment<DB> for Limited<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        // Formatted on the stack: this runs for every bind pass too, not only when the SQL is
        // written out.
        out.push_sql(itoa::Buffer::new().format(self.count));
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Limited<Q> {}

pub trait LimitRows: Sized {
    /// At most `count` rows: `.limit(count)` with the count written into the SQL.
    fn limit_rows(self, count: i64) -> Limited<Self> {
        Limited { query: self, count }
    }

    /// The first row, or `NotFound`, as diesel's `.first(conn)` answers; prepared once per
    /// connection and found again by the query's type (see [`Fixed`]): a `SELECT`'s text is
    /// decided by its type whenever that type has a static id.
    fn first_row<'query, U>(self, conn: &mut DbConnection) -> QueryResult<U>
    where
        Fixed<One<Self>>: LoadQuery<'query, SqliteConnection, U> + LoadQuery<'query, PgConnection, U>,
    {
        Fixed(Rows(self)).get_result_prepared(conn)
    }

    /// At most `N` rows, found again by the query's type like [`LimitRows::first_row`]: for
    /// a limit that is a constant of the caller's, where [`LimitRows::limit_rows`] would write
    /// the statement's text out again on every run to find it in the cache.
    fn load_rows<'query, U, const N: i64>(self, conn: &mut DbConnection) -> QueryResult<Vec<U>>
    where
        Fixed<Rows<Self, N>>: LoadQuery<'query, SqliteConnection, U> + LoadQuery<'query, PgConnection, U>,
    {
        Fixed(Rows::<Self, N>(self)).load_prepared(conn)
    }
}

/// A query with ` LIMIT N` appended (the query must have no limit of its own). `N` is part
/// of the type, so the statement's text is decided by its type.
#[derive(Debug, Clone, Copy)]
pub struct Rows<Q, const N: i64>(Q);

/// ` LIMIT 1`, for [`LimitRows::first_row`].
pub type One<Q> = Rows<Q, 1>;

/// The appended text is decided by `N`, so the query's id and `N` stand for it too.
impl<Q: QueryId, const N: i64> QueryId for Rows<Q, N> {
    type QueryId = Rows<Q::QueryId, N>;
    const HAS_STATIC_QUERY_ID: bool = Q::HAS_STATIC_QUERY_ID;
}

impl<Q: Query, const N: i64> Query for Rows<Q, N> {
    type SqlType = Q::SqlType;
}

impl<DB: Backend, Q: QueryFragment<DB>, const N: i64> QueryFragment<DB> for Rows<Q, N> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(" LIMIT ");
        out.push_sql(itoa::Buffer::new().format(N));
        Ok(())
    }
}

impl<Q, Conn, const N: i64> RunQueryDsl<Conn> for Rows<Q, N> {}

impl<Q: Query> LimitRows for Q {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::schema::users;

    #[test]
    fn the_limit_is_part_of_the_sql_not_a_bound_parameter() {
        let query = users::table.filter(users::id.eq(7)).select(users::id).limit_rows(1);
        let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(sql.contains("LIMIT 1 --"), "{sql}");
        assert!(sql.ends_with("binds: [7]"), "only the filter's value is bound: {sql}");
        let list = diesel::debug_query::<Sqlite, _>(&users::table.select(users::id).limit_rows(25)).to_string();
        assert!(list.contains("LIMIT 25 --") && list.ends_with("binds: []"), "{list}");
    }

    #[test]
    fn a_constant_limit_is_written_into_the_sql_and_is_part_of_the_type() {
        let query = Rows::<_, 24>(users::table.select(users::id));
        let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
        assert!(sql.contains("LIMIT 24 --") && sql.ends_with("binds: []"), "{sql}");
        assert_ne!(
            <Rows<users::table, 24> as QueryId>::query_id(),
            <Rows<users::table, 50> as QueryId>::query_id(),
            "another limit is another statement"
        );
        assert!(<Rows<users::table, 24> as QueryId>::query_id().is_some());
    }
}
