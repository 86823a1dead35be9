//! Stripe's request encoding: form bodies and query strings whose keys use brackets for
//! nesting (`line_items[0][price]`, `metadata[workspace_id]`, `expand[0]`). Keys are kept
//! flat and looked up by prefix, which is all the subset we serve needs.

use std::collections::BTreeMap;

use super::error::SandboxError;

#[derive(Debug, Default)]
pub struct StripeForm {
    fields: Vec<(String, String)>,
}

impl StripeForm {
    /// Decodes `application/x-www-form-urlencoded` bytes (a body or a query string).
    pub fn parse(raw: &[u8]) -> Result<StripeForm, SandboxError> {
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(raw)
            .map_err(|_| SandboxError::invalid("The request body could not be decoded as a form."))?;
        Ok(StripeForm { fields })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A required parameter, with Stripe's wording when it is missing.
    pub fn require(&self, key: &str) -> Result<&str, SandboxError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| SandboxError::invalid(format!("Missing required param: {key}.")))
    }

    /// `true`/`false` as Stripe accepts them.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, SandboxError> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(SandboxError::invalid(format!("Invalid boolean: {other} for {key}."))),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, SandboxError> {
        self.get(key)
            .map(|v| v.parse().map_err(|_| SandboxError::invalid(format!("Invalid integer: {v} for {key}."))))
            .transpose()
    }

    /// The entries of a hash parameter: `metadata[a]=1&metadata[b]=2` → `{a: 1, b: 2}`.
    pub fn map(&self, prefix: &str) -> BTreeMap<String, String> {
        let open = format!("{prefix}[");
        self.fields
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix(&open)?.strip_suffix(']')?;
                (!key.contains('[')).then(|| (key.to_owned(), v.clone()))
            })
            .collect()
    }

    /// The distinct indices of a list of hashes, `phases[0][…]&phases[1][…]` → `[0, 1]`,
    /// ascending; an index too large to read counts as `usize::MAX`.
    pub fn indices(&self, prefix: &str) -> Vec<usize> {
        let open = format!("{prefix}[");
        let found: std::collections::BTreeSet<usize> = self
            .fields
            .iter()
            .filter_map(|(k, _)| {
                let (index, _) = k.strip_prefix(&open)?.split_once(']')?;
                (!index.is_empty() && index.chars().all(|c| c.is_ascii_digit()))
                    .then(|| index.parse().unwrap_or(usize::MAX))
            })
            .collect();
        found.into_iter().collect()
    }

    /// The values of a list parameter, `expand[0]=a&expand[]=b` → `[a, b]`.
    pub fn list(&self, prefix: &str) -> Vec<String> {
        let open = format!("{prefix}[");
        self.fields
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(&open)
                    .and_then(|rest| rest.strip_suffix(']'))
                    .is_some_and(|i| i.is_empty() || i.chars().all(|c| c.is_ascii_digit()))
            })
            .map(|(_, v)| v.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_brackets() {
        let raw = b"mode=subscription&line_items%5B0%5D%5Bprice%5D=price_pro&metadata%5Bworkspace_id%5D=7\
                    &subscription_data%5Bmetadata%5D%5Bworkspace_id%5D=7&expand%5B0%5D=subscription&expand[]=customer";
        let form = StripeForm::parse(raw).unwrap_or_default();
        assert_eq!(form.get("mode"), Some("subscription"));
        assert_eq!(form.get("line_items[0][price]"), Some("price_pro"));
        assert_eq!(form.map("metadata").get("workspace_id").map(String::as_str), Some("7"));
        assert_eq!(form.map("subscription_data[metadata]").len(), 1);
        assert_eq!(form.list("expand"), vec!["subscription".to_owned(), "customer".to_owned()]);
        assert!(form.require("customer").is_err());
    }
}
