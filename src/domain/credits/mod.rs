//! Credits: the two buckets, balances, and the spending rule (monthly credits are spent
//! before purchased ones). `cycle` says which monthly cycle a workspace is in (credits and
//! quotas run on it); `grants` decides what the ledger must record as cycles open and end
//! and as plans change, so the grants are fair whatever order events arrive in.

mod cycle;
mod grants;

use serde::Serialize;

pub use cycle::{Cycle, CycleSource, credit_cycle};
pub use grants::{MonthlyContext, MonthlyMove, monthly_moves, prorated};

use super::sql::text_enum_sql;

/// Which bucket a ledger entry moves (stored as `monthly` / `purchased`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum CreditBucket {
    /// Reset to the plan's amount each billing period; spent first.
    Monthly,
    /// Bought in packs; never expires; spent after the monthly bucket.
    Purchased,
}

impl CreditBucket {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditBucket::Monthly => "monthly",
            CreditBucket::Purchased => "purchased",
        }
    }

    pub fn parse(s: &str) -> Option<CreditBucket> {
        match s {
            "monthly" => Some(CreditBucket::Monthly),
            "purchased" => Some(CreditBucket::Purchased),
            _ => None,
        }
    }
}

text_enum_sql!(CreditBucket);

/// A workspace's credits, by bucket: sums over the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CreditBalance {
    pub monthly: i64,
    pub purchased: i64,
}

impl CreditBalance {
    pub fn total(&self) -> i64 {
        self.monthly + self.purchased
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spend {
    pub from_monthly: i64,
    pub from_purchased: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpendError {
    #[error("The amount must be a positive number of credits.")]
    NotPositive,
    #[error("Not enough credits: {available} left, {requested} needed.")]
    Insufficient { available: i64, requested: i64 },
}

/// Splits a spend of `amount` across the buckets, monthly first. Negative bucket balances
/// (possible after a refund) count as zero.
pub fn plan_spend(balance: CreditBalance, amount: i64) -> Result<Spend, SpendError> {
    if amount <= 0 {
        return Err(SpendError::NotPositive);
    }
    let monthly = balance.monthly.max(0);
    let purchased = balance.purchased.max(0);
    if monthly + purchased < amount {
        return Err(SpendError::Insufficient { available: monthly + purchased, requested: amount });
    }
    let from_monthly = monthly.min(amount);
    Ok(Spend { from_monthly, from_purchased: amount - from_monthly })
}

/// The ledger delta that sets the monthly bucket to `target` (a reset at a new period).
pub fn monthly_reset_delta(balance: CreditBalance, target: i64) -> i64 {
    target - balance.monthly
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bal(monthly: i64, purchased: i64) -> CreditBalance {
        CreditBalance { monthly, purchased }
    }

    #[test]
    fn monthly_credits_go_first() {
        assert_eq!(plan_spend(bal(100, 500), 30), Ok(Spend { from_monthly: 30, from_purchased: 0 }));
        assert_eq!(plan_spend(bal(100, 500), 150), Ok(Spend { from_monthly: 100, from_purchased: 50 }));
        assert_eq!(plan_spend(bal(0, 500), 500), Ok(Spend { from_monthly: 0, from_purchased: 500 }));
    }

    #[test]
    fn refuses_overdraft_and_nonsense() {
        assert_eq!(plan_spend(bal(10, 5), 16), Err(SpendError::Insufficient { available: 15, requested: 16 }));
        assert_eq!(plan_spend(bal(-20, 5), 6), Err(SpendError::Insufficient { available: 5, requested: 6 }));
        assert_eq!(plan_spend(bal(10, 5), 0), Err(SpendError::NotPositive));
        assert_eq!(plan_spend(bal(10, 5), -3), Err(SpendError::NotPositive));
    }

    #[test]
    fn reset_sets_monthly_to_plan_amount() {
        assert_eq!(monthly_reset_delta(bal(40, 900), 2000), 1960);
        assert_eq!(monthly_reset_delta(bal(-5, 0), 100), 105);
        assert_eq!(monthly_reset_delta(bal(100, 0), 100), 0);
    }
}
