//! Row limits written into the SQL text, instead of diesel's `.first()` and `.limit(n)`, which
//! bind the limit as a parameter. SQLite (since 3.49) plans a query with the bound `LIMIT`
//! value and marks the statement to be compiled again whenever that parameter is bound — which
//! diesel does on every run — so each such query re-parsed and re-planned its SQL on every use,
//! even from the statement cache. With the limit in the text the cached statement is reused.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::{QueryResult, RunQueryDsl};

use crate::db::DbConnection;

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
        out.push_sql(&self.count.to_string());
        Ok(())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Limited<Q> {}

pub trait LimitRows: Sized {
    /// At most `count` rows: `.limit(count)` with the count written into the SQL.
    fn limit_rows(self, count: i64) -> Limited<Self> {
        Limited { query: self, count }
    }

    /// The first row, or `NotFound`, as diesel's `.first(conn)` answers.
    fn first_row<'query, U>(self, conn: &mut DbConnection) -> QueryResult<U>
    where
        Limited<Self>: LoadQuery<'query, DbConnection, U>,
    {
        self.limit_rows(1).get_result(conn)
    }
}

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
}
