//! Dates as people read them on billing pages and in notices: `12 Jan 2027`.

use chrono::NaiveDateTime;

pub fn format_date(at: &NaiveDateTime) -> String {
    at.format("%-d %b %Y").to_string()
}
