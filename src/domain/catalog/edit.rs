//! The admin console's catalog forms: every field arrives as text and is parsed here into
//! the catalog's terms, bounded, with an error naming the first bad field. Pure; the
//! service writes the result.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{AddonFields, CreditPackFields, PlanFields};
use crate::domain::money::Interval;

/// A form field that does not hold an acceptable value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError { field, message: message.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The largest price, in minor units (ten million in the currency's major unit).
pub const MAX_PRICE_MINOR: i64 = 1_000_000_000;
/// The largest credit amount a plan grants or a pack holds.
pub const MAX_CREDITS: i64 = 1_000_000_000;
const MAX_SEATS: i64 = 100_000;
const MAX_TRIAL_DAYS: i64 = 365;
const MAX_SORT: i64 = 100_000;
const MAX_NAMES: usize = 30;

fn text(field: &'static str, raw: &str, max: usize, required: bool) -> Result<String, FieldError> {
    let value = raw.trim();
    if required && value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() || crate::domain::names::is_hidden_char(c)) {
        return Err(FieldError::new(field, "must not contain control or invisible characters"));
    }
    Ok(value.to_owned())
}

/// A code: what catalog entries, features and limits are named by.
fn code(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(FieldError::new(field, "must be 1-64 characters of a-z, 0-9, '-' or '_'"))
    }
}

fn currency(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    if value.len() == 3 && value.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(FieldError::new("currency", "must be a three-letter ISO code such as usd"))
    }
}

/// A whole number in `min..=max`; empty is `None`.
fn number(field: &'static str, raw: &str, min: i64, max: i64) -> Result<Option<i64>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(FieldError::new(field, format!("must be a whole number from {min} to {max}"))),
    }
}

fn required(field: &'static str, raw: &str, min: i64, max: i64) -> Result<i64, FieldError> {
    number(field, raw, min, max)?.ok_or_else(|| FieldError::new(field, "must not be empty"))
}

fn small(field: &'static str, value: i64) -> Result<i32, FieldError> {
    i32::try_from(value).map_err(|_| FieldError::new(field, "is too large"))
}

/// A provider price id: optional, one token of printable ASCII.
fn price_id(field: &'static str, raw: &str) -> Result<Option<String>, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let ok = value.len() <= 200 && value.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(Some(value.to_owned()))
    } else {
        Err(FieldError::new(field, "must be one word of up to 200 characters"))
    }
}

/// Features: codes separated by commas or new lines.
fn features(raw: &str) -> Result<Vec<String>, FieldError> {
    let mut found: Vec<String> = Vec::new();
    for item in raw.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let name = code("features", item)?;
        if !found.contains(&name) {
            found.push(name);
        }
    }
    if found.len() > MAX_NAMES {
        return Err(FieldError::new("features", format!("at most {MAX_NAMES} features")));
    }
    Ok(found)
}

/// Limits: one `name = number` per line (or comma-separated).
fn limits(raw: &str) -> Result<BTreeMap<String, i64>, FieldError> {
    let mut found = BTreeMap::new();
    for line in raw.split([',', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
        let (name, value) =
            line.split_once('=').ok_or_else(|| FieldError::new("limits", "write each limit as name = number"))?;
        let name = code("limits", name)?;
        let value = required("limits", value, 0, MAX_CREDITS)?;
        if found.insert(name, value).is_some() {
            return Err(FieldError::new("limits", "names a limit twice"));
        }
    }
    if found.len() > MAX_NAMES {
        return Err(FieldError::new("limits", format!("at most {MAX_NAMES} limits")));
    }
    Ok(found)
}

/// The plan form. Prices are in minor units (cents); an empty credits or seats field means
/// unlimited. Whether the plan is the default and whether it is on sale are kept from the
/// stored plan (a new plan is on sale and not the default).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub currency: String,
    #[serde(default)]
    pub price_month_minor: String,
    #[serde(default)]
    pub price_year_minor: String,
    #[serde(default)]
    pub stripe_price_month: String,
    #[serde(default)]
    pub stripe_price_year: String,
    #[serde(default)]
    pub chargebee_item_price_month: String,
    #[serde(default)]
    pub chargebee_item_price_year: String,
    #[serde(default)]
    pub trial_days: String,
    #[serde(default)]
    pub monthly_credits: String,
    #[serde(default)]
    pub seats: String,
    #[serde(default)]
    pub limits: String,
    #[serde(default)]
    pub features: String,
    #[serde(default)]
    pub sort_order: String,
    /// A checkbox: present when ticked.
    pub contact_sales: Option<String>,
}

impl PlanForm {
    /// The plan's terms; `is_active` and `is_default` are the stored plan's.
    pub fn parse(&self, is_active: bool, is_default: bool) -> Result<PlanFields, FieldError> {
        let contact_sales = self.contact_sales.is_some();
        let price_month_minor = number("price_month_minor", &self.price_month_minor, 0, MAX_PRICE_MINOR)?;
        let price_year_minor = number("price_year_minor", &self.price_year_minor, 0, MAX_PRICE_MINOR)?;
        let has_price = price_month_minor.is_some() || price_year_minor.is_some();
        if contact_sales && has_price {
            return Err(FieldError::new("price_month_minor", "a contact-sales plan has no price: leave both empty"));
        }
        if !contact_sales && !has_price {
            return Err(FieldError::new("price_month_minor", "set a monthly and/or yearly price (0 for a free plan)"));
        }
        let fields = PlanFields {
            code: code("code", &self.code)?,
            name: text("name", &self.name, 80, true)?,
            description: text("description", &self.description, 500, false)?,
            currency: currency(&self.currency)?,
            price_month_minor,
            price_year_minor,
            stripe_price_month: price_id("stripe_price_month", &self.stripe_price_month)?,
            stripe_price_year: price_id("stripe_price_year", &self.stripe_price_year)?,
            chargebee_item_price_month: price_id("chargebee_item_price_month", &self.chargebee_item_price_month)?,
            chargebee_item_price_year: price_id("chargebee_item_price_year", &self.chargebee_item_price_year)?,
            trial_days: small("trial_days", number("trial_days", &self.trial_days, 0, MAX_TRIAL_DAYS)?.unwrap_or(0))?,
            monthly_credits: number("monthly_credits", &self.monthly_credits, 0, MAX_CREDITS)?,
            seat_limit: number("seats", &self.seats, 1, MAX_SEATS)?.map(|s| small("seats", s)).transpose()?,
            limits: limits(&self.limits)?,
            features: features(&self.features)?,
            sort_order: small("sort_order", number("sort_order", &self.sort_order, -MAX_SORT, MAX_SORT)?.unwrap_or(0))?,
            is_active,
            is_default,
            contact_sales,
        };
        if fields.is_default && !fields.is_free() {
            return Err(FieldError::new("price_month_minor", "the default plan must stay free"));
        }
        Ok(fields)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AddonForm {
    #[serde(default)]
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub currency: String,
    pub price_minor: String,
    pub interval: String,
    #[serde(default)]
    pub stripe_price: String,
    #[serde(default)]
    pub chargebee_item_price: String,
    #[serde(default)]
    pub sort_order: String,
}

impl AddonForm {
    pub fn parse(&self, is_active: bool) -> Result<AddonFields, FieldError> {
        Ok(AddonFields {
            code: code("code", &self.code)?,
            name: text("name", &self.name, 80, true)?,
            description: text("description", &self.description, 500, false)?,
            currency: currency(&self.currency)?,
            price_minor: required("price_minor", &self.price_minor, 1, MAX_PRICE_MINOR)?,
            interval: match self.interval.trim() {
                "month" => Interval::Month,
                "year" => Interval::Year,
                _ => return Err(FieldError::new("interval", "must be month or year")),
            },
            stripe_price: price_id("stripe_price", &self.stripe_price)?,
            chargebee_item_price: price_id("chargebee_item_price", &self.chargebee_item_price)?,
            sort_order: small("sort_order", number("sort_order", &self.sort_order, -MAX_SORT, MAX_SORT)?.unwrap_or(0))?,
            is_active,
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreditPackForm {
    #[serde(default)]
    pub code: String,
    pub name: String,
    pub credits: String,
    pub currency: String,
    pub price_minor: String,
    #[serde(default)]
    pub stripe_price: String,
    #[serde(default)]
    pub chargebee_item_price: String,
    #[serde(default)]
    pub sort_order: String,
}

impl CreditPackForm {
    pub fn parse(&self, is_active: bool) -> Result<CreditPackFields, FieldError> {
        Ok(CreditPackFields {
            code: code("code", &self.code)?,
            name: text("name", &self.name, 80, true)?,
            credits: required("credits", &self.credits, 1, MAX_CREDITS)?,
            currency: currency(&self.currency)?,
            price_minor: required("price_minor", &self.price_minor, 1, MAX_PRICE_MINOR)?,
            stripe_price: price_id("stripe_price", &self.stripe_price)?,
            chargebee_item_price: price_id("chargebee_item_price", &self.chargebee_item_price)?,
            sort_order: small("sort_order", number("sort_order", &self.sort_order, -MAX_SORT, MAX_SORT)?.unwrap_or(0))?,
            is_active,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pro() -> PlanForm {
        PlanForm {
            code: "pro".into(),
            name: "Pro".into(),
            currency: "USD".into(),
            price_month_minor: "5000".into(),
            trial_days: "14".into(),
            seats: "10".into(),
            limits: "projects = 10\nexports=5".into(),
            features: "analytics, api_access".into(),
            ..PlanForm::default()
        }
    }

    #[test]
    fn a_good_plan_form_parses() {
        let plan = pro().parse(true, false).unwrap();
        assert_eq!((plan.currency.as_str(), plan.price_month_minor, plan.seat_limit), ("usd", Some(5000), Some(10)));
        assert_eq!(plan.limits.get("exports"), Some(&5));
        assert_eq!(plan.features, ["analytics", "api_access"]);
        assert_eq!(plan.monthly_credits, None, "empty means unlimited");
    }

    #[test]
    fn each_bad_field_is_named() {
        type Spoil = fn(&mut PlanForm);
        let cases: [(Spoil, &str); 10] = [
            (|f| f.code = "Pro Plan".into(), "code"),
            (|f| f.name = " ".into(), "name"),
            (|f| f.name = "x".repeat(81), "name"),
            (|f| f.currency = "dollars".into(), "currency"),
            (|f| f.price_month_minor = "-1".into(), "price_month_minor"),
            (|f| f.price_year_minor = "99999999999".into(), "price_year_minor"),
            (|f| f.trial_days = "400".into(), "trial_days"),
            (|f| f.seats = "0".into(), "seats"),
            (|f| f.limits = "projects".into(), "limits"),
            (|f| f.features = "Analytics!".into(), "features"),
        ];
        for (spoil, field) in cases {
            let mut form = pro();
            spoil(&mut form);
            assert_eq!(form.parse(true, false).unwrap_err().field, field);
        }
        assert_eq!(pro().parse(true, true).unwrap_err().message, "the default plan must stay free");
    }
}
