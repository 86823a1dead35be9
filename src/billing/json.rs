//! Small tolerant readers for provider JSON, shared by the Stripe and Chargebee parsers and
//! API clients: a missing or mistyped field is `None`, never an error.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A non-empty string at a JSON pointer.
pub(crate) fn str_at(v: &Value, ptr: &str) -> Option<String> {
    v.pointer(ptr).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

pub(crate) fn int_at(v: &Value, ptr: &str) -> Option<i64> {
    v.pointer(ptr).and_then(Value::as_i64)
}

/// Unix seconds → UTC time (`None` for null, non-integers and out-of-range values).
pub(crate) fn ts(v: &Value) -> Option<DateTime<Utc>> {
    v.as_i64().and_then(|secs| DateTime::from_timestamp(secs, 0))
}

/// Keeps the first occurrence of each id, in order.
pub(crate) fn dedup(ids: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}
