//! The product catalog: plans, add-ons and credit packs, as the rest of the app reasons
//! about them. `file` reads `catalog.toml` into [`Catalog`] terms; `book` answers "which plan
//! is this provider price" over the loaded catalog; `prices` checks a catalog is sellable at
//! a provider. Rows are read and written by `models`; nothing here touches a database.

mod book;
mod edit;
mod file;
mod prices;

use std::collections::BTreeMap;

pub use book::PlanBook;
pub use edit::{AddonForm, CreditPackForm, FieldError, PlanForm};
pub use file::{DEFAULT_CATALOG, load, parse};
pub use prices::{PriceIds, missing_price_ids};

use crate::domain::ids::{AddonId, CreditPackId, PlanId};
use crate::domain::money::Interval;

/// A plan's terms, as the catalog file states them and the admin may edit them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub price_month_minor: Option<i64>,
    pub price_year_minor: Option<i64>,
    pub stripe_price_month: Option<String>,
    pub stripe_price_year: Option<String>,
    pub chargebee_item_price_month: Option<String>,
    pub chargebee_item_price_year: Option<String>,
    pub trial_days: i32,
    /// `None` means unlimited.
    pub monthly_credits: Option<i64>,
    /// `None` means unlimited.
    pub seat_limit: Option<i32>,
    /// Named quota limits; a name that is absent has no limit.
    pub limits: BTreeMap<String, i64>,
    pub features: Vec<String>,
    pub sort_order: i32,
    pub is_active: bool,
    pub is_default: bool,
    pub contact_sales: bool,
}

/// A plan a workspace can be on: its catalog terms plus its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub id: PlanId,
    pub terms: PlanFields,
}

impl std::ops::Deref for Plan {
    type Target = PlanFields;
    fn deref(&self) -> &PlanFields {
        &self.terms
    }
}

impl PlanFields {
    pub fn price(&self, interval: Interval) -> Option<i64> {
        match interval {
            Interval::Month => self.price_month_minor,
            Interval::Year => self.price_year_minor,
        }
    }

    /// Free plans cost nothing in any interval they offer; contact-sales plans have no price.
    pub fn is_free(&self) -> bool {
        !self.contact_sales && self.price_month_minor.unwrap_or(0) == 0 && self.price_year_minor.unwrap_or(0) == 0
    }

    pub fn is_purchasable(&self) -> bool {
        self.is_active && !self.contact_sales && !self.is_free()
    }

    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// A number to compare plans by: what a month costs (a year counts as a twelfth).
    /// Contact-sales plans rank above every priced plan.
    pub fn rank(&self) -> i64 {
        if self.contact_sales {
            return i64::MAX;
        }
        self.price_month_minor.or(self.price_year_minor.map(|y| y / 12)).unwrap_or(0)
    }

    pub fn stripe_price(&self, interval: Interval) -> Option<&str> {
        match interval {
            Interval::Month => self.stripe_price_month.as_deref(),
            Interval::Year => self.stripe_price_year.as_deref(),
        }
    }

    pub fn chargebee_item_price(&self, interval: Interval) -> Option<&str> {
        match interval {
            Interval::Month => self.chargebee_item_price_month.as_deref(),
            Interval::Year => self.chargebee_item_price_year.as_deref(),
        }
    }
}

/// An add-on's terms: a recurring extra on top of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddonFields {
    pub code: String,
    pub name: String,
    pub description: String,
    pub currency: String,
    pub price_minor: i64,
    pub interval: Interval,
    pub stripe_price: Option<String>,
    pub chargebee_item_price: Option<String>,
    pub sort_order: i32,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addon {
    pub id: AddonId,
    pub terms: AddonFields,
}

impl std::ops::Deref for Addon {
    type Target = AddonFields;
    fn deref(&self) -> &AddonFields {
        &self.terms
    }
}

/// A credit pack's terms: credits bought once, never expiring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditPackFields {
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub currency: String,
    pub price_minor: i64,
    pub stripe_price: Option<String>,
    pub chargebee_item_price: Option<String>,
    pub sort_order: i32,
    pub is_active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditPack {
    pub id: CreditPackId,
    pub terms: CreditPackFields,
}

impl std::ops::Deref for CreditPack {
    type Target = CreditPackFields;
    fn deref(&self) -> &CreditPackFields {
        &self.terms
    }
}

/// A validated catalog, ready to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub plans: Vec<PlanFields>,
    pub addons: Vec<AddonFields>,
    pub credit_packs: Vec<CreditPackFields>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub file: String,
    /// 1-based; 0 when the problem is the file itself (unreadable).
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.reason),
            line => write!(f, "{}:{line}: {}", self.file, self.reason),
        }
    }
}

impl std::error::Error for CatalogError {}

/// What `sync` changed, for the log line and the `catalog sync` command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub archived: Vec<String>,
    /// Archived plans that workspaces still use: kept, so those workspaces keep working.
    pub archived_in_use: Vec<String>,
}

impl std::fmt::Display for SyncReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
        write!(
            f,
            "created: {}; updated: {}; archived: {}",
            list(&self.created),
            list(&self.updated),
            list(&self.archived)
        )?;
        if !self.archived_in_use.is_empty() {
            write!(f, " (still used by workspaces, kept: {})", self.archived_in_use.join(", "))?;
        }
        Ok(())
    }
}

/// The default catalog's plans with ids 1…, for unit tests of rules over plans.
#[cfg(test)]
pub fn default_plans() -> Vec<Plan> {
    parse("catalog.toml", DEFAULT_CATALOG)
        .unwrap_or_else(|e| panic!("{e}"))
        .plans
        .into_iter()
        .zip(1..)
        .map(|(terms, id)| Plan { id: PlanId(id), terms })
        .collect()
}
