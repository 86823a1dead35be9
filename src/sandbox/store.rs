//! The sandbox's rows and the few queries over them. Rows are saved whole ("load, change,
//! save"): the sandbox is small and single-purpose, and whole-row saves keep every operation
//! a plain function over plain structs.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;

use super::catalog::Price;
use super::schema::{
    sandbox_checkout_sessions, sandbox_customers, sandbox_invoices, sandbox_portal_sessions,
    sandbox_subscription_items, sandbox_subscriptions,
};
use crate::db::DbConnection;

/// A Stripe-looking id: `cus_` + 14 random letters and digits.
pub fn new_id(prefix: &str) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let tail: String = (0..14).map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())])).collect();
    format!("{prefix}_{tail}")
}

// ---- rows -----------------------------------------------------------------------------------

macro_rules! row_store {
    ($row:ident, $table:ident) => {
        impl $row {
            pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<$row>> {
                $table::table.find(id).first(conn).optional()
            }
            pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
                diesel::insert_into($table::table).values(self).execute(conn).map(|_| ())
            }
            pub fn save(&self, conn: &mut DbConnection) -> QueryResult<()> {
                diesel::update($table::table.find(&self.id)).set(self).execute(conn).map(|_| ())
            }
        }
    };
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_customers, treat_none_as_null = true)]
pub struct Customer {
    pub id: String,
    pub email: Option<String>,
    /// The test card on file (digits only).
    pub card: Option<String>,
    pub created_at: NaiveDateTime,
    /// The test clock whose frozen time the customer's objects live in (`None`: real time).
    pub test_clock_id: Option<String>,
}
row_store!(Customer, sandbox_customers);

impl Customer {
    /// The customers attached to a test clock.
    pub fn on_clock(conn: &mut DbConnection, clock_id: &str) -> QueryResult<Vec<Customer>> {
        sandbox_customers::table.filter(sandbox_customers::test_clock_id.eq(clock_id)).load(conn)
    }

    /// The test clock a customer is attached to, if any.
    pub fn clock_of(conn: &mut DbConnection, customer_id: &str) -> QueryResult<Option<String>> {
        Ok(sandbox_customers::table
            .find(customer_id)
            .select(sandbox_customers::test_clock_id)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten())
    }
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_checkout_sessions, treat_none_as_null = true)]
pub struct Session {
    pub id: String,
    pub mode: String,
    pub status: String,
    pub payment_status: String,
    pub price_id: String,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    pub customer_creation: Option<String>,
    pub client_reference_id: Option<String>,
    pub trial_days: Option<i32>,
    pub allow_promotion_codes: bool,
    pub metadata_json: String,
    pub subscription_metadata_json: String,
    pub payment_intent_metadata_json: String,
    pub success_url: String,
    pub cancel_url: String,
    pub amount_total: i64,
    pub currency: String,
    pub subscription_id: Option<String>,
    pub invoice_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
}
row_store!(Session, sandbox_checkout_sessions);

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_subscriptions, treat_none_as_null = true)]
pub struct Subscription {
    pub id: String,
    pub customer_id: String,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub trial_start: Option<NaiveDateTime>,
    pub trial_end: Option<NaiveDateTime>,
    pub metadata_json: String,
    pub latest_invoice_id: Option<String>,
    /// A price change waiting for its proration invoice to be paid (Stripe `pending_update`).
    pub pending_price_id: Option<String>,
    pub pending_expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// When it ends (Stripe `cancel_at`): a date set directly, or the period end when it is
    /// cancelled at the period end.
    pub cancel_at: Option<NaiveDateTime>,
    /// The subscription schedule managing it (Stripe `schedule`).
    pub schedule_id: Option<String>,
}
row_store!(Subscription, sandbox_subscriptions);

impl Subscription {
    pub fn for_customer(conn: &mut DbConnection, customer_id: &str) -> QueryResult<Vec<Subscription>> {
        sandbox_subscriptions::table
            .filter(sandbox_subscriptions::customer_id.eq(customer_id))
            .order(sandbox_subscriptions::created_at.asc())
            .load(conn)
    }

    /// Every subscription, or a customer's, newest first (as `GET /v1/subscriptions` lists them).
    pub fn list(conn: &mut DbConnection, customer_id: Option<&str>) -> QueryResult<Vec<Subscription>> {
        let mut query = sandbox_subscriptions::table.into_boxed();
        if let Some(customer) = customer_id {
            query = query.filter(sandbox_subscriptions::customer_id.eq(customer.to_owned()));
        }
        query.order((sandbox_subscriptions::created_at.desc(), sandbox_subscriptions::id.desc())).load(conn)
    }

    /// Subscriptions of a test clock's customers that can still renew or end: what advancing
    /// that clock may make happen.
    pub fn live_on_clock(conn: &mut DbConnection, clock_id: &str) -> QueryResult<Vec<Subscription>> {
        sandbox_subscriptions::table
            .inner_join(sandbox_customers::table)
            .filter(sandbox_customers::test_clock_id.eq(clock_id))
            .filter(sandbox_subscriptions::status.eq_any(LIVE))
            .select(sandbox_subscriptions::all_columns)
            .load(conn)
    }

    pub fn is_live(&self) -> bool {
        LIVE.contains(&self.status.as_str())
    }
}

/// Statuses in which a subscription can still renew or end.
const LIVE: [&str; 3] = ["trialing", "active", "past_due"];

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_subscription_items, treat_none_as_null = true)]
pub struct Item {
    pub id: String,
    pub subscription_id: String,
    pub price_id: String,
    pub product_name: String,
    pub unit_amount: i64,
    pub currency: String,
    pub billing_interval: String,
    pub current_period_start: NaiveDateTime,
    pub current_period_end: NaiveDateTime,
    pub created_at: NaiveDateTime,
}
row_store!(Item, sandbox_subscription_items);

impl Item {
    /// A subscription's items, oldest first (the first one carries the plan).
    pub fn of(conn: &mut DbConnection, subscription_id: &str) -> QueryResult<Vec<Item>> {
        sandbox_subscription_items::table
            .filter(sandbox_subscription_items::subscription_id.eq(subscription_id))
            .order((sandbox_subscription_items::created_at.asc(), sandbox_subscription_items::id.asc()))
            .load(conn)
    }

    pub fn set_price(&mut self, price: &Price) {
        self.price_id = price.id.clone();
        self.product_name = price.product_name.clone();
        self.unit_amount = price.unit_amount;
        self.currency = price.currency.clone();
        self.billing_interval = price.interval.clone().unwrap_or_else(|| "month".to_owned());
    }
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_invoices, treat_none_as_null = true)]
pub struct Invoice {
    pub id: String,
    pub number: String,
    pub customer_id: String,
    pub subscription_id: Option<String>,
    pub subscription_item_id: Option<String>,
    pub status: String,
    pub billing_reason: String,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub currency: String,
    pub price_id: Option<String>,
    pub description: String,
    pub proration: bool,
    pub period_start: NaiveDateTime,
    pub period_end: NaiveDateTime,
    pub line_period_start: NaiveDateTime,
    pub line_period_end: NaiveDateTime,
    /// The subscription's metadata as Stripe copies it onto the invoice's parent.
    pub metadata_json: String,
    pub attempt_count: i32,
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
}
row_store!(Invoice, sandbox_invoices);

impl Invoice {
    /// Newest first, as Stripe lists them.
    pub fn for_customer(conn: &mut DbConnection, customer_id: &str, limit: i64) -> QueryResult<Vec<Invoice>> {
        sandbox_invoices::table
            .filter(sandbox_invoices::customer_id.eq(customer_id))
            .order((sandbox_invoices::created_at.desc(), sandbox_invoices::id.desc()))
            .limit(limit)
            .load(conn)
    }

    pub fn open_for_customer(conn: &mut DbConnection, customer_id: &str) -> QueryResult<Vec<Invoice>> {
        sandbox_invoices::table
            .filter(sandbox_invoices::customer_id.eq(customer_id))
            .filter(sandbox_invoices::status.eq("open"))
            .order(sandbox_invoices::created_at.asc())
            .load(conn)
    }

    /// The next invoice number for a customer, `SBX-0001` style.
    pub fn next_number(conn: &mut DbConnection, customer_id: &str) -> QueryResult<String> {
        let count: i64 =
            sandbox_invoices::table.filter(sandbox_invoices::customer_id.eq(customer_id)).count().get_result(conn)?;
        let tail: String = customer_id.chars().skip(customer_id.chars().count().saturating_sub(6)).collect();
        Ok(format!("SBX-{}-{:04}", tail.to_ascii_uppercase(), count + 1))
    }
}

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = sandbox_portal_sessions, treat_none_as_null = true)]
pub struct PortalSession {
    pub id: String,
    pub customer_id: String,
    pub return_url: String,
    pub created_at: NaiveDateTime,
}
row_store!(PortalSession, sandbox_portal_sessions);
