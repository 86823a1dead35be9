//! Workspaces own the plan and every billing fact about it; their team shares it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::catalog_version::{self, CatalogStamp};
use super::credit_ledger::{CycleKeys, CycleMarks, cycle_marks_columns};
use crate::db::{DbConnection, LimitRows, Prepared};
use crate::domain::ids::{PlanId, WorkspaceId};
use crate::domain::money::Interval;
use crate::domain::names::WorkspaceName;
use crate::domain::normalized::{Provider, SubscriptionStatus};
use crate::schema::{ended_subscriptions, plans, workspaces};

#[derive(Debug, Clone, Queryable, Identifiable)]
#[diesel(table_name = workspaces)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub plan_id: PlanId,
    pub billing_provider: Option<Provider>,
    pub provider_customer_id: Option<String>,
    pub provider_subscription_id: Option<String>,
    pub subscription_status: Option<SubscriptionStatus>,
    pub billing_interval: Option<Interval>,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<NaiveDateTime>,
    pub had_trial: bool,
    pub grace_until: Option<NaiveDateTime>,
    pub upgraded_at: Option<NaiveDateTime>,
    pub scheduled_plan_id: Option<PlanId>,
    /// Provider timestamp of the newest subscription state applied (orders webhooks).
    pub subscription_state_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When a scheduled cancellation takes effect (may be later than the period end).
    pub cancel_at: Option<NaiveDateTime>,
    /// The interval a scheduled change moves to.
    pub scheduled_interval: Option<Interval>,
    /// Provider time of the failure that made the workspace past due.
    pub past_due_since: Option<NaiveDateTime>,
    /// The invoice whose failed payment made it past due.
    pub past_due_invoice_id: Option<String>,
    /// Provider time of the current subscription's latest paid invoice that moved money.
    pub last_paid_at: Option<NaiveDateTime>,
    /// How many times the billing state was written: what a subscription fetched from the
    /// provider is checked against, as any write since may be newer than its answer.
    pub billing_version: i64,
}

/// The billing columns, written together when the subscription state changes.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = workspaces, treat_none_as_null = true)]
pub struct WorkspaceBillingChanges {
    pub plan_id: PlanId,
    pub billing_provider: Option<Provider>,
    pub provider_customer_id: Option<String>,
    pub provider_subscription_id: Option<String>,
    pub subscription_status: Option<SubscriptionStatus>,
    pub billing_interval: Option<Interval>,
    pub current_period_end: Option<NaiveDateTime>,
    pub cancel_at_period_end: bool,
    pub trial_end: Option<NaiveDateTime>,
    pub had_trial: bool,
    pub grace_until: Option<NaiveDateTime>,
    pub upgraded_at: Option<NaiveDateTime>,
    pub scheduled_plan_id: Option<PlanId>,
    pub subscription_state_at: Option<NaiveDateTime>,
    pub cancel_at: Option<NaiveDateTime>,
    pub scheduled_interval: Option<Interval>,
    pub past_due_since: Option<NaiveDateTime>,
    pub past_due_invoice_id: Option<String>,
    pub last_paid_at: Option<NaiveDateTime>,
}

/// A paying workspace's billing interval, and its plan's monthly and yearly prices.
pub type PayingPrices = (Option<Interval>, Option<i64>, Option<i64>);

/// A workspace locked to apply a provider event to, with what applying the event reads next,
/// answered by the same statement (each a round trip fewer per event): the catalog's version,
/// which picks the cached catalog, and whether the subscription asked about already ended on
/// this workspace.
#[derive(Debug, Clone)]
pub struct LockedForEvent {
    pub workspace: Workspace,
    pub catalog: CatalogStamp,
    /// The subscription asked about ended on this workspace (`false` when none was asked about).
    pub subscription_ended: bool,
}

/// Locks the row `$target` selects as [`Workspace::lock`] does and answers a
/// [`LockedForEvent`]. A macro because each caller's filter is a type of its own; each
/// expansion is a statement prepared once per connection.
/// `$owned` picks the locked workspace's rows of `ended_subscriptions` by a condition of
/// their own, not by `workspaces.id`: SQLite uses no index for a column of the updated row
/// inside `RETURNING`, and scanned every ended subscription of every workspace each time.
macro_rules! lock_for_event {
    ($conn:expr, $target:expr, $owned:expr, $subscription:expr) => {{
        let subscription: Option<&str> = $subscription;
        let ended = diesel::dsl::exists(
            ended_subscriptions::table
                .filter($owned)
                .filter(ended_subscriptions::subscription_id.nullable().eq(subscription)),
        );
        let locked: Option<(Workspace, Option<String>, Option<i64>, bool)> = diesel::update($target)
            .set(workspaces::updated_at.eq(super::now()))
            .returning((
                workspaces::all_columns,
                // Written out rather than `single_value()`, whose bound `LIMIT` makes SQLite
                // compile the statement again on every run (see `db::row_limits`).
                diesel::dsl::sql::<Nullable<Text>>("(SELECT epoch FROM catalog_versions WHERE id = ")
                    .bind::<BigInt, _>(catalog_version::ROW)
                    .sql(")"),
                diesel::dsl::sql::<Nullable<BigInt>>("(SELECT version FROM catalog_versions WHERE id = ")
                    .bind::<BigInt, _>(catalog_version::ROW)
                    .sql(")"),
                ended,
            ))
            .fixed_here(|| ())
            .get_result_prepared($conn)
            .optional()?;
        locked
            .map(|(workspace, epoch, version, subscription_ended)| {
                // The version row is written by the first migration and never deleted.
                let catalog = epoch.zip(version).ok_or(diesel::result::Error::NotFound)?;
                Ok(LockedForEvent { workspace, catalog, subscription_ended })
            })
            .transpose()
    }};
}

impl Workspace {
    pub fn find(conn: &mut DbConnection, id: WorkspaceId) -> QueryResult<Workspace> {
        workspaces::table.find(id).first_row(conn)
    }

    pub fn exists(conn: &mut DbConnection, id: WorkspaceId) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(workspaces::table.find(id))).get_result_prepared(conn)
    }

    pub fn insert(conn: &mut DbConnection, name: &WorkspaceName, plan_id: PlanId) -> QueryResult<Workspace> {
        let now = super::now();
        diesel::insert_into(workspaces::table)
            .values((
                workspaces::name.eq(name.as_str()),
                workspaces::plan_id.eq(plan_id),
                workspaces::created_at.eq(now),
                workspaces::updated_at.eq(now),
            ))
            .returning(workspaces::all_columns)
            .get_result_prepared(conn)
    }

    /// Locks the workspace row for the rest of the transaction and returns it fresh.
    /// An UPDATE rather than `SELECT … FOR UPDATE` because it works on both backends:
    /// PostgreSQL takes the row lock, SQLite the database write lock.
    pub fn lock(conn: &mut DbConnection, id: WorkspaceId) -> QueryResult<Workspace> {
        diesel::update(workspaces::table.find(id))
            .set(workspaces::updated_at.eq(super::now()))
            .returning(workspaces::all_columns)
            .fixed_here(|| ())
            .get_result_prepared(conn)
    }

    /// [`Workspace::lock`] for applying a provider event: see [`LockedForEvent`]. `None` when
    /// no workspace has the id.
    pub fn lock_for_event(
        conn: &mut DbConnection,
        id: WorkspaceId,
        subscription_id: Option<&str>,
    ) -> QueryResult<Option<LockedForEvent>> {
        lock_for_event!(conn, workspaces::table.find(id), ended_subscriptions::workspace_id.eq(id), subscription_id)
    }

    /// Finds and locks (see [`Workspace::lock_for_event`]) in one statement the oldest
    /// workspace whose current subscription at `provider` is `subscription_id`.
    pub fn lock_by_subscription(
        conn: &mut DbConnection,
        provider: Provider,
        subscription_id: &str,
    ) -> QueryResult<Option<LockedForEvent>> {
        let other = diesel::alias!(workspaces as other);
        let oldest = other
            .filter(other.field(workspaces::billing_provider).eq(provider))
            .filter(other.field(workspaces::provider_subscription_id).eq(subscription_id))
            .select(diesel::dsl::min(other.field(workspaces::id)));
        let target = workspaces::table.filter(workspaces::id.nullable().eq_any(oldest));
        lock_for_event!(
            conn,
            target,
            ended_subscriptions::workspace_id.nullable().eq_any(oldest),
            Some(subscription_id)
        )
    }

    /// Finds and locks in one statement the oldest workspace whose customer at `provider` is
    /// `customer_id`.
    pub fn lock_by_customer(
        conn: &mut DbConnection,
        provider: Provider,
        customer_id: &str,
        subscription_id: Option<&str>,
    ) -> QueryResult<Option<LockedForEvent>> {
        let other = diesel::alias!(workspaces as other);
        let oldest = other
            .filter(other.field(workspaces::billing_provider).eq(provider))
            .filter(other.field(workspaces::provider_customer_id).eq(customer_id))
            .select(diesel::dsl::min(other.field(workspaces::id)));
        let target = workspaces::table.filter(workspaces::id.nullable().eq_any(oldest));
        lock_for_event!(conn, target, ended_subscriptions::workspace_id.nullable().eq_any(oldest), subscription_id)
    }

    pub fn rename(conn: &mut DbConnection, id: WorkspaceId, name: &WorkspaceName) -> QueryResult<usize> {
        diesel::update(workspaces::table.find(id))
            .set((workspaces::name.eq(name.as_str()), workspaces::updated_at.eq(super::now())))
            .execute_prepared(conn)
    }

    /// Writes the billing columns; returns the row as it now stands, and the marks of the
    /// credit cycle the new state is in (`cycle`: its ledger keys), read in the same statement.
    pub fn apply_billing(
        conn: &mut DbConnection,
        id: WorkspaceId,
        changes: &WorkspaceBillingChanges,
        cycle: CycleKeys<'_>,
    ) -> QueryResult<(Workspace, CycleMarks)> {
        let (workspace, marks): (Workspace, (bool, bool, Option<i64>)) = diesel::update(workspaces::table.find(id))
            .set((
                changes,
                workspaces::updated_at.eq(super::now()),
                workspaces::billing_version.eq(workspaces::billing_version + 1),
            ))
            .returning((workspaces::all_columns, cycle_marks_columns!(id, cycle)))
            .fixed_here(|| ())
            .get_result_prepared(conn)?;
        Ok((workspace, CycleMarks::from(marks)))
    }

    /// Records the provider customer a first purchase created (the workspace had none).
    pub fn link_customer(
        conn: &mut DbConnection,
        id: WorkspaceId,
        provider: Provider,
        customer_id: &str,
    ) -> QueryResult<usize> {
        diesel::update(workspaces::table.find(id).filter(workspaces::provider_customer_id.is_null()))
            .set((
                workspaces::provider_customer_id.eq(customer_id),
                workspaces::billing_provider.eq(provider),
                workspaces::billing_version.eq(workspaces::billing_version + 1),
            ))
            .execute_prepared(conn)
    }

    /// Remembers a change the provider will apply at the period end (`None`: nothing scheduled).
    pub fn set_scheduled_plan(
        conn: &mut DbConnection,
        id: WorkspaceId,
        scheduled: Option<(PlanId, Interval)>,
    ) -> QueryResult<usize> {
        diesel::update(workspaces::table.find(id))
            .set((
                workspaces::scheduled_plan_id.eq(scheduled.map(|(plan, _)| plan)),
                workspaces::scheduled_interval.eq(scheduled.map(|(_, interval)| interval)),
                workspaces::billing_version.eq(workspaces::billing_version + 1),
            ))
            .execute_prepared(conn)
    }

    /// Workspaces with a customer at `provider`, and that customer.
    pub fn customers(conn: &mut DbConnection, provider: Provider) -> QueryResult<Vec<(WorkspaceId, String)>> {
        workspaces::table
            .filter(workspaces::billing_provider.eq(provider))
            .filter(workspaces::provider_customer_id.is_not_null())
            .select((workspaces::id, workspaces::provider_customer_id.assume_not_null()))
            .load_prepared(conn)
    }

    pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
        workspaces::table.count().get_result_prepared(conn)
    }

    /// Past-due workspaces whose grace period ended by `now`.
    pub fn grace_ended_by(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<WorkspaceId>> {
        workspaces::table
            .filter(workspaces::subscription_status.eq(SubscriptionStatus::PastDue))
            .filter(workspaces::grace_until.le(now))
            .select(workspaces::id)
            .load_prepared(conn)
    }

    /// Subscriptions set to cancel whose real end (`cancel_at`, else the period end) passed by `before`.
    pub fn cancellations_lapsed_by(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<Vec<WorkspaceId>> {
        workspaces::table
            .filter(workspaces::cancel_at_period_end.eq(true))
            .filter(
                workspaces::cancel_at
                    .le(before)
                    .or(workspaces::cancel_at.is_null().and(workspaces::current_period_end.le(before))),
            )
            .filter(workspaces::provider_subscription_id.is_not_null())
            .select(workspaces::id)
            .load_prepared(conn)
    }

    /// Workspaces without a subscription whose plan grants monthly credits, with the amount.
    pub fn unsubscribed_with_monthly_credits(conn: &mut DbConnection) -> QueryResult<Vec<(WorkspaceId, i64)>> {
        workspaces::table
            .inner_join(plans::table)
            .filter(workspaces::provider_subscription_id.is_null())
            .filter(plans::monthly_credits.is_not_null())
            .select((workspaces::id, plans::monthly_credits.assume_not_null()))
            .load_prepared(conn)
    }

    /// Workspaces with a subscription whose plan grants monthly credits (whose cycle may move on).
    pub fn subscribed_with_monthly_credits(conn: &mut DbConnection) -> QueryResult<Vec<WorkspaceId>> {
        workspaces::table
            .inner_join(plans::table)
            .filter(workspaces::provider_subscription_id.is_not_null())
            .filter(plans::monthly_credits.is_not_null())
            .select(workspaces::id)
            .load_prepared(conn)
    }

    /// Paying workspaces with their interval and their plan's monthly and yearly prices.
    pub fn paying_prices(conn: &mut DbConnection) -> QueryResult<Vec<PayingPrices>> {
        workspaces::table
            .inner_join(plans::table)
            .filter(workspaces::subscription_status.eq_any(SubscriptionStatus::PAYING))
            .select((workspaces::billing_interval, plans::price_month_minor, plans::price_year_minor))
            .load_prepared(conn)
    }
}

impl Workspace {
    /// Workspaces with a subscription at `provider`: the ones reconciling compares.
    pub fn subscribed_at(conn: &mut DbConnection, provider: Provider) -> QueryResult<Vec<WorkspaceId>> {
        workspaces::table
            .filter(workspaces::billing_provider.eq(provider))
            .filter(workspaces::provider_subscription_id.is_not_null())
            .order(workspaces::id)
            .select(workspaces::id)
            .load_prepared(conn)
    }

    /// Trialing workspaces at `provider` (each one's own clock says whether its trial ended).
    pub fn trialing_at(conn: &mut DbConnection, provider: Provider) -> QueryResult<Vec<WorkspaceId>> {
        workspaces::table
            .filter(workspaces::billing_provider.eq(provider))
            .filter(workspaces::provider_subscription_id.is_not_null())
            .filter(workspaces::subscription_status.eq(SubscriptionStatus::Trialing))
            .order(workspaces::id)
            .select(workspaces::id)
            .load_prepared(conn)
    }
}
