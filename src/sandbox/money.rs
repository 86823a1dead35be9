//! Amounts as the hosted pages show them. Money is an integer count of the currency's minor
//! unit plus a currency code, as in Stripe's API; never floats.

fn symbol(currency: &str) -> Option<&'static str> {
    match currency.to_ascii_lowercase().as_str() {
        "usd" => Some("$"),
        "eur" => Some("€"),
        "gbp" => Some("£"),
        "jpy" => Some("¥"),
        _ => None,
    }
}

/// Stripe's zero-decimal currencies (the common ones): their amounts have no minor unit.
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

#[cfg(test)]
mod tests {
    use super::format_money;

    #[test]
    fn formats() {
        assert_eq!(format_money(5000, "usd"), "$50.00");
        assert_eq!(format_money(1999, "chf"), "19.99 CHF");
        assert_eq!(format_money(500, "JPY"), "¥500");
        assert_eq!(format_money(-5, "eur"), "-€0.05");
    }
}
