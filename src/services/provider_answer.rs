//! The provider's answer to a change Tollgate asked for (a cancel, a resume, a plan change, a
//! longer trial) is the subscription as of when the provider answered. A webhook applied while
//! Tollgate waited for that answer may be newer still, and an answer applied over it would undo
//! it until the next event. So the answer is applied only if the workspace's billing state was
//! not written since it was read before asking; otherwise the subscription is fetched once more
//! and applied under the same condition. Should another write land during that fetch too, or
//! the fetch fail, what is stored stands: the provider's own events for the change settle it.

use chrono::{DateTime, Utc};

use super::billing_state::Scheduled;
use super::catalog::plan_book;
use super::reconcile::{Times, apply_fetched};
use crate::billing::BillingProvider;
use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::WorkspaceId;
use crate::domain::normalized::SubscriptionData;
use crate::error::AppError;
use crate::models::Workspace;
use crate::state::AppState;

/// What Tollgate knew as it asked the provider: the workspace's billing version, read before
/// asking, and the real time it asked (the answer is the provider's state as of at least then).
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub seen_version: i64,
    pub at: DateTime<Utc>,
}

impl Asked {
    /// Taken just before asking the provider about `ws`, as read before.
    pub fn now(ws: &Workspace) -> Asked {
        Asked::after(ws.billing_version)
    }

    /// Taken just before asking, the workspace's billing version being `seen_version`.
    pub fn after(seen_version: i64) -> Asked {
        Asked { seen_version, at: Utc::now() }
    }
}

/// Applies the provider's `answer` to the change asked for in `asked` (see the module's
/// comment) and records `scheduled`, Tollgate's own note of what it asked to happen at the
/// period end, either way. `now` is the customer's time the rules run on. Returns the
/// workspace as it is afterwards (its billing version is where a flow asking the provider
/// again starts from).
pub async fn apply_answer(
    state: &AppState,
    id: WorkspaceId,
    asked: Asked,
    answer: SubscriptionData,
    scheduled: Scheduled,
    now: DateTime<Utc>,
) -> Result<Workspace, AppError> {
    apply_answer_and(state, id, asked, answer, scheduled, now, |_| Ok(())).await
}

/// [`apply_answer`], also running `record` (an audit entry, say) in the transaction that
/// applies the answer or finds it overtaken: the change happened at the provider either way.
pub async fn apply_answer_and<R>(
    state: &AppState,
    id: WorkspaceId,
    asked: Asked,
    answer: SubscriptionData,
    scheduled: Scheduled,
    now: DateTime<Utc>,
    record: R,
) -> Result<Workspace, AppError>
where
    R: FnOnce(&mut DbConnection) -> Result<(), AppError> + Send + 'static,
{
    let subscription_id = answer.id.clone();
    let (ws, applied) = apply(state, id, asked, answer, scheduled, now, record).await?;
    if applied {
        return Ok(ws);
    }
    let again = Asked::now(&ws);
    // The change itself went through; should asking again fail, what is stored stands until
    // the provider's events arrive, as when another write lands meanwhile.
    let current = match state.billing.fetch_subscription(&subscription_id).await {
        Ok(current) => current,
        Err(e) => {
            log::warn!(
                "workspace {id}: fetching subscription {subscription_id} again failed ({e}); its events settle it"
            );
            return Ok(ws);
        }
    };
    let (ws, applied) = apply(state, id, again, current, Scheduled::Unchanged, now, |_| Ok(())).await?;
    if !applied {
        log::info!(
            "workspace {id}: billing state written again while subscription {subscription_id} was fetched; its events settle it"
        );
    }
    Ok(ws)
}

/// One attempt, in one transaction with the workspace locked: the workspace afterwards, and
/// whether `sub` was applied (false when the billing state moved past `asked`).
async fn apply<R>(
    state: &AppState,
    id: WorkspaceId,
    asked: Asked,
    sub: SubscriptionData,
    scheduled: Scheduled,
    now: DateTime<Utc>,
    record: R,
) -> Result<(Workspace, bool), AppError>
where
    R: FnOnce(&mut DbConnection) -> Result<(), AppError> + Send + 'static,
{
    let (provider, grace) = (state.billing.provider(), state.config.grace_period_days);
    state
        .db
        .run(move |conn| {
            let book = plan_book(conn, provider)?;
            write_transaction(conn, |conn| {
                let times = Times { now, fetched_at: asked.at, seen_version: asked.seen_version };
                let applied = apply_fetched(conn, id, &book, &sub, &times, grace)?.is_some();
                match scheduled {
                    Scheduled::Unchanged => {}
                    Scheduled::Set(plan_id, interval) => {
                        Workspace::set_scheduled_plan(conn, id, Some((plan_id, interval)))?;
                    }
                    Scheduled::Cleared => {
                        Workspace::set_scheduled_plan(conn, id, None)?;
                    }
                }
                record(conn)?;
                Ok((Workspace::find(conn, id)?, applied))
            })
        })
        .await
}
