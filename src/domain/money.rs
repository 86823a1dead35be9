//! Money is an integer count of the currency's minor unit (cents) plus a currency code.
//! Never floats: these helpers only format.

use serde::{Deserialize, Serialize};

use super::sql::text_enum_sql;

/// How often a price bills (stored as `month` / `year`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }

    pub fn parse(s: &str) -> Option<Interval> {
        match s {
            "month" | "monthly" => Some(Interval::Month),
            "year" | "yearly" | "annual" => Some(Interval::Year),
            _ => None,
        }
    }

    pub fn adjective(self) -> &'static str {
        match self {
            Interval::Month => "monthly",
            Interval::Year => "annual",
        }
    }
}

text_enum_sql!(Interval);

fn symbol(currency: &str) -> Option<&'static str> {
    match currency.to_ascii_lowercase().as_str() {
        "usd" => Some("$"),
        "eur" => Some("€"),
        "gbp" => Some("£"),
        "jpy" => Some("¥"),
        _ => None,
    }
}

/// Currencies without a minor unit (Stripe's "zero-decimal" list, the common ones).
fn decimals(currency: &str) -> u32 {
    match currency.to_ascii_lowercase().as_str() {
        "jpy" | "krw" | "vnd" | "clp" | "isk" | "ugx" => 0,
        _ => 2,
    }
}

/// `2000, "usd"` → `$20.00`; `1999, "chf"` → `19.99 CHF`.
pub fn format_money(minor: i64, currency: &str) -> String {
    let digits = decimals(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let amount = if digits == 0 {
        abs.to_string()
    } else {
        let unit = 10u64.pow(digits);
        format!("{}.{:0width$}", abs / unit, abs % unit, width = digits as usize)
    };
    match symbol(currency) {
        Some(sym) => format!("{sign}{sym}{amount}"),
        None => format!("{sign}{amount} {}", currency.to_ascii_uppercase()),
    }
}

/// Like `format_money` but drops a zero fraction: prices read `$20`, `$9.99`.
pub fn format_price(minor: i64, currency: &str) -> String {
    let full = format_money(minor, currency);
    match full.strip_suffix(".00") {
        Some(short) => short.to_owned(),
        None => full.replace(".00 ", " "),
    }
}

/// `12345` → `12,345`, for credit counts.
pub fn format_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_money(2000, "usd"), "$20.00");
        assert_eq!(format_money(999, "USD"), "$9.99");
        assert_eq!(format_money(5, "eur"), "€0.05");
        assert_eq!(format_money(-1500, "gbp"), "-£15.00");
        assert_eq!(format_money(1999, "chf"), "19.99 CHF");
        assert_eq!(format_money(500, "jpy"), "¥500");
        assert_eq!(format_price(2000, "usd"), "$20");
        assert_eq!(format_price(2999, "usd"), "$29.99");
        assert_eq!(format_price(2000, "chf"), "20 CHF");
    }

    #[test]
    fn formats_counts_and_intervals() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(2000), "2,000");
        assert_eq!(format_count(1234567), "1,234,567");
        assert_eq!(format_count(-5000), "-5,000");
        assert_eq!(Interval::parse("annual"), Some(Interval::Year));
        assert_eq!(Interval::parse("weekly"), None);
    }
}
