//! People who sign in. Emails are stored lower-cased so lookups and the unique index agree.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::UserId;
use crate::schema::users;

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewUser<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<User> {
        diesel::insert_into(users::table).values(self).returning(users::all_columns).get_result_prepared(conn)
    }
}

impl User {
    pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<User> {
        users::table.find(id).first_row(conn)
    }

    pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
        users::table.filter(users::email.eq(email.trim().to_lowercase())).first_row(conn).optional()
    }

    pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
        users::table.count().get_result_prepared(conn)
    }
}
