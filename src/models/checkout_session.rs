//! One row per provider checkout Tollgate created, written when it is created. Fulfilment
//! trusts only these rows: a checkout id, subscription or workspace named by a provider event
//! or a success URL means nothing unless a row here says Tollgate made that checkout for that
//! workspace. `fulfilled_at` is set once (see [`CheckoutSession::mark_fulfilled`]), so the
//! success page and the webhook, whichever comes second, grant nothing more.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::WorkspaceId;
use crate::domain::money::Interval;
use crate::domain::normalized::Provider;
use crate::schema::checkout_sessions;

#[derive(Debug, Clone, Queryable)]
#[diesel(table_name = checkout_sessions)]
pub struct CheckoutSession {
    pub id: i64,
    pub provider: Provider,
    pub checkout_id: String,
    pub workspace_id: WorkspaceId,
    /// What was bought: `plan`, `credit_pack` or `addon`.
    pub purchase: String,
    /// The catalog code of the plan, pack or add-on.
    pub code: String,
    pub billing_interval: Option<Interval>,
    /// The catalog price when the checkout was created (`None` for rows older than this table).
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    /// The customer the checkout was created for.
    pub customer_id: Option<String>,
    /// The subscription the checkout creates: pre-assigned (Chargebee) or learned at fulfilment.
    pub subscription_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub fulfilled_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = checkout_sessions)]
pub struct NewCheckoutSession<'a> {
    pub provider: Provider,
    pub checkout_id: &'a str,
    pub workspace_id: WorkspaceId,
    pub purchase: &'a str,
    pub code: &'a str,
    pub billing_interval: Option<Interval>,
    pub amount_minor: Option<i64>,
    pub currency: Option<&'a str>,
    pub customer_id: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
}

impl NewCheckoutSession<'_> {
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<usize> {
        diesel::insert_into(checkout_sessions::table)
            .values((self, checkout_sessions::created_at.eq(super::now())))
            .execute_prepared(conn)
    }
}

impl CheckoutSession {
    pub fn find(
        conn: &mut DbConnection,
        provider: Provider,
        checkout_id: &str,
    ) -> QueryResult<Option<CheckoutSession>> {
        checkout_sessions::table
            .filter(checkout_sessions::provider.eq(provider))
            .filter(checkout_sessions::checkout_id.eq(checkout_id))
            .first_row(conn)
            .optional()
    }

    /// The plan checkout that creates (or created) `subscription_id`, newest first.
    pub fn for_subscription(
        conn: &mut DbConnection,
        provider: Provider,
        subscription_id: &str,
    ) -> QueryResult<Option<CheckoutSession>> {
        checkout_sessions::table
            .filter(checkout_sessions::provider.eq(provider))
            .filter(checkout_sessions::subscription_id.eq(subscription_id))
            .filter(checkout_sessions::purchase.eq("plan"))
            .order(checkout_sessions::id.desc())
            .first_row(conn)
            .optional()
    }

    /// Marks the checkout fulfilled, with the subscription it created when there is one.
    /// Returns false when it already was: the caller then grants nothing.
    pub fn mark_fulfilled(
        conn: &mut DbConnection,
        id: i64,
        subscription_id: Option<&str>,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        let row = checkout_sessions::table.find(id).filter(checkout_sessions::fulfilled_at.is_null());
        let updated = match subscription_id {
            Some(sub) => diesel::update(row)
                .set((checkout_sessions::fulfilled_at.eq(at), checkout_sessions::subscription_id.eq(sub)))
                .execute_prepared(conn)?,
            None => diesel::update(row).set(checkout_sessions::fulfilled_at.eq(at)).execute_prepared(conn)?,
        };
        Ok(updated == 1)
    }
}
