//! Reading `catalog.toml`: TOML into specs, each spec validated into the catalog's terms,
//! every problem reported as `file:line: reason`. Pure; `services::catalog` writes the
//! result to the database.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

use super::{AddonFields, Catalog, CatalogError, CreditPackFields, PlanFields};
use crate::domain::money::Interval;

/// The catalog shipped with Tollgate, used when no catalog file is found at the default path.
pub const DEFAULT_CATALOG: &str = include_str!("../../../catalog.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    #[serde(default)]
    plans: Vec<Spanned<PlanSpec>>,
    #[serde(default)]
    addons: Vec<Spanned<AddonSpec>>,
    #[serde(default)]
    credit_packs: Vec<Spanned<CreditPackSpec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanSpec {
    code: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "usd")]
    currency: String,
    price_month_minor: Option<i64>,
    price_year_minor: Option<i64>,
    stripe_price_month: Option<String>,
    stripe_price_year: Option<String>,
    chargebee_item_price_month: Option<String>,
    chargebee_item_price_year: Option<String>,
    #[serde(default)]
    trial_days: i32,
    /// Omitted = unlimited.
    monthly_credits: Option<i64>,
    /// Omitted = unlimited.
    seats: Option<i32>,
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    limits: BTreeMap<String, i64>,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    contact_sales: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddonSpec {
    code: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "usd")]
    currency: String,
    price_minor: i64,
    interval: String,
    stripe_price: Option<String>,
    chargebee_item_price: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditPackSpec {
    code: String,
    name: String,
    credits: i64,
    #[serde(default = "usd")]
    currency: String,
    price_minor: i64,
    stripe_price: Option<String>,
    chargebee_item_price: Option<String>,
}

fn usd() -> String {
    "usd".to_owned()
}

fn line_of(source: &str, offset: usize) -> usize {
    source.get(..offset).map(|s| s.matches('\n').count() + 1).unwrap_or(1)
}

fn check_code(code: &str) -> Result<(), String> {
    let ok = !code.is_empty()
        && code.len() <= 64
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok { Ok(()) } else { Err(format!("code {code:?} must be 1-64 characters of a-z, 0-9, '-' or '_'")) }
}

fn check_currency(currency: &str) -> Result<String, String> {
    if currency.len() == 3 && currency.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(currency.to_ascii_lowercase())
    } else {
        Err(format!("currency {currency:?} must be a three-letter ISO code such as \"usd\""))
    }
}

fn nonempty(id: Option<String>) -> Option<String> {
    id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn validate_plan(spec: PlanSpec, sort_order: i32) -> Result<PlanFields, String> {
    check_code(&spec.code)?;
    let currency = check_currency(&spec.currency)?;
    if spec.name.trim().is_empty() {
        return Err("name must not be empty".into());
    }
    for (field, value) in [
        ("price_month_minor", spec.price_month_minor),
        ("price_year_minor", spec.price_year_minor),
        ("monthly_credits", spec.monthly_credits),
    ] {
        if value.is_some_and(|v| v < 0) {
            return Err(format!("{field} must not be negative"));
        }
    }
    if spec.seats.is_some_and(|s| s < 1) {
        return Err("seats must be at least 1 (omit it for unlimited)".into());
    }
    if !(0..=365).contains(&spec.trial_days) {
        return Err("trial_days must be from 0 to 365".into());
    }
    let has_price = spec.price_month_minor.is_some() || spec.price_year_minor.is_some();
    if spec.contact_sales && has_price {
        return Err("a contact_sales plan has no price: remove price_month_minor/price_year_minor".into());
    }
    if !spec.contact_sales && !has_price {
        return Err("set price_month_minor and/or price_year_minor (0 for a free plan), or contact_sales = true".into());
    }
    let is_free =
        !spec.contact_sales && spec.price_month_minor.unwrap_or(0) == 0 && spec.price_year_minor.unwrap_or(0) == 0;
    if spec.default && !is_free {
        return Err("the default plan must be free".into());
    }
    if let Some((name, _)) = spec.limits.iter().find(|(_, v)| **v < 0) {
        return Err(format!("limit {name:?} must not be negative"));
    }
    Ok(PlanFields {
        code: spec.code,
        name: spec.name.trim().to_owned(),
        description: spec.description.trim().to_owned(),
        currency,
        price_month_minor: spec.price_month_minor,
        price_year_minor: spec.price_year_minor,
        stripe_price_month: nonempty(spec.stripe_price_month),
        stripe_price_year: nonempty(spec.stripe_price_year),
        chargebee_item_price_month: nonempty(spec.chargebee_item_price_month),
        chargebee_item_price_year: nonempty(spec.chargebee_item_price_year),
        trial_days: spec.trial_days,
        monthly_credits: spec.monthly_credits,
        seat_limit: spec.seats,
        limits: spec.limits,
        features: spec.features,
        sort_order,
        is_active: true,
        is_default: spec.default,
        contact_sales: spec.contact_sales,
    })
}

fn validate_addon(spec: AddonSpec, sort_order: i32) -> Result<AddonFields, String> {
    check_code(&spec.code)?;
    let currency = check_currency(&spec.currency)?;
    if spec.price_minor <= 0 {
        return Err("price_minor must be more than 0".into());
    }
    let interval = match spec.interval.as_str() {
        "month" => Interval::Month,
        "year" => Interval::Year,
        other => return Err(format!("interval {other:?} must be \"month\" or \"year\"")),
    };
    Ok(AddonFields {
        code: spec.code,
        name: spec.name.trim().to_owned(),
        description: spec.description.trim().to_owned(),
        currency,
        price_minor: spec.price_minor,
        interval,
        stripe_price: nonempty(spec.stripe_price),
        chargebee_item_price: nonempty(spec.chargebee_item_price),
        sort_order,
        is_active: true,
    })
}

fn validate_pack(spec: CreditPackSpec, sort_order: i32) -> Result<CreditPackFields, String> {
    check_code(&spec.code)?;
    let currency = check_currency(&spec.currency)?;
    if spec.credits <= 0 {
        return Err("credits must be more than 0".into());
    }
    if spec.price_minor <= 0 {
        return Err("price_minor must be more than 0".into());
    }
    Ok(CreditPackFields {
        code: spec.code,
        name: spec.name.trim().to_owned(),
        credits: spec.credits,
        currency,
        price_minor: spec.price_minor,
        stripe_price: nonempty(spec.stripe_price),
        chargebee_item_price: nonempty(spec.chargebee_item_price),
        sort_order,
        is_active: true,
    })
}

/// Catalog entries are matched by code.
trait Coded {
    fn code(&self) -> &str;
}

macro_rules! coded {
    ($($spec:ty),*) => { $(impl Coded for $spec { fn code(&self) -> &str { &self.code } })* };
}
coded!(PlanSpec, AddonSpec, CreditPackSpec);

/// Validates one list of entries in file order (which becomes the sort order): codes must be
/// unique, and every error points at the entry's line.
fn validate_entries<S: Coded, F>(
    entries: Vec<Spanned<S>>,
    kind: &str,
    fail: &impl Fn(usize, String) -> CatalogError,
    validate: impl Fn(S, i32) -> Result<F, String>,
) -> Result<Vec<F>, CatalogError> {
    let mut seen = HashSet::new();
    let mut valid = Vec::with_capacity(entries.len());
    for (i, entry) in entries.into_iter().enumerate() {
        let offset = entry.span().start;
        let spec = entry.into_inner();
        let label = format!("{kind} {:?}", spec.code());
        if !seen.insert(spec.code().to_owned()) {
            return Err(fail(offset, format!("{label} is listed twice")));
        }
        let sort_order = i32::try_from(i * 10).unwrap_or(i32::MAX);
        valid.push(validate(spec, sort_order).map_err(|r| fail(offset, format!("{label}: {r}")))?);
    }
    Ok(valid)
}

/// Parses and validates a catalog. `file` is only used in error messages.
pub fn parse(file: &str, source: &str) -> Result<Catalog, CatalogError> {
    let fail =
        |offset: usize, reason: String| CatalogError { file: file.to_owned(), line: line_of(source, offset), reason };
    let raw: CatalogFile = toml::from_str(source).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        fail(offset, e.message().to_owned())
    })?;

    let plans = validate_entries(raw.plans, "plan", &fail, validate_plan)?;
    match plans.iter().filter(|p| p.is_default).count() {
        1 => {}
        0 => return Err(fail(0, "no plan has `default = true`: one free plan must be the default".into())),
        _ => return Err(fail(0, "more than one plan has `default = true`".into())),
    }
    let addons = validate_entries(raw.addons, "add-on", &fail, validate_addon)?;
    let credit_packs = validate_entries(raw.credit_packs, "credit pack", &fail, validate_pack)?;
    Ok(Catalog { plans, addons, credit_packs })
}

/// Reads the catalog file. When the default path does not exist the built-in catalog is
/// used, so the binary runs from any directory; an explicitly configured path must exist.
pub fn load(path: &str, explicit: bool) -> Result<Catalog, CatalogError> {
    match std::fs::read_to_string(path) {
        Ok(source) => parse(path, &source),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            parse("(built-in catalog.toml)", DEFAULT_CATALOG)
        }
        Err(e) => Err(CatalogError { file: path.to_owned(), line: 0, reason: format!("cannot read the file: {e}") }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_catalog_is_valid_and_complete() {
        let catalog = parse("catalog.toml", DEFAULT_CATALOG).unwrap();
        let codes: Vec<_> = catalog.plans.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["free", "starter", "pro", "enterprise"]);
        let pro = &catalog.plans[2];
        assert_eq!((pro.price_month_minor, pro.price_year_minor), (Some(5000), Some(50000)));
        assert_eq!((pro.monthly_credits, pro.seat_limit, pro.trial_days), (Some(5000), Some(10), 14));
        assert_eq!(pro.features, ["priority_support", "analytics", "api_access"]);
        let enterprise = &catalog.plans[3];
        assert!(enterprise.contact_sales && enterprise.monthly_credits.is_none() && enterprise.seat_limit.is_none());
        assert_eq!(catalog.addons.len(), 5);
        assert_eq!(
            catalog.credit_packs.iter().map(|p| (p.credits, p.price_minor)).collect::<Vec<_>>(),
            [(500, 999), (2000, 2999)]
        );
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = parse("shop.toml", "[[plans]]\ncode = \"free\"\nname = \n").unwrap_err();
        assert_eq!((err.file.as_str(), err.line), ("shop.toml", 3));
    }

    #[test]
    fn rule_errors_point_at_the_entry() {
        let source = "[[plans]]\ncode = \"free\"\nname = \"Free\"\nprice_month_minor = 0\ndefault = true\n\n[[plans]]\ncode = \"pro\"\nname = \"Pro\"\nprice_month_minor = -5\n";
        let err = parse("c.toml", source).unwrap_err();
        assert_eq!(err.line, 7, "{err}");
        assert!(err.reason.contains("must not be negative"), "{err}");
        assert!(err.to_string().starts_with("c.toml:7: plan \"pro\""), "{err}");
    }

    #[test]
    fn rejects_bad_catalogs() {
        let plan = |extra: &str| format!("[[plans]]\ncode = \"free\"\nname = \"Free\"\n{extra}\n");
        for (source, needle) in [
            (plan("price_month_minor = 0"), "default"),
            (plan("price_month_minor = 100\ndefault = true"), "must be free"),
            (plan("contact_sales = true\nprice_month_minor = 1\ndefault = true"), "contact_sales"),
            (plan("default = true"), "price_month_minor"),
            (plan("price_month_minor = 0\ndefault = true\nseats = 0"), "seats"),
            (plan("price_month_minor = 0\ndefault = true\ncolour = \"red\""), "unknown field"),
            (plan("price_month_minor = 0\ndefault = true") + &plan("price_month_minor = 0"), "twice"),
        ] {
            let err = parse("c.toml", &source).unwrap_err();
            assert!(err.reason.contains(needle), "{needle}: {err}");
        }
    }
}
