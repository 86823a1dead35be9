//! Credits as use cases: keeping the monthly bucket in step with the workspace's cycle and
//! plan (`settle`), spending (`spend`), and an operator's grants and revocations (`adjust`).
//! Every change is a ledger row written with the workspace locked, so concurrent spends,
//! webhooks and jobs on one workspace take turns and no update is lost.

mod adjust;
mod settle;
mod spend;

pub use adjust::{Adjustment, adjust_credits, adjust_in, adjust_locked};
pub use settle::{PlanSource, applying_plan, billing_facts, effective_grant, settle_monthly, settle_now};
pub use spend::{Balances, SpendAnswer, SpendReceipt, SpendRefusal, SpendRequest, consume, spend_in_transaction};
