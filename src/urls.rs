//! Local addresses: which `next` paths may be followed after sign-in, and the sign-in URL
//! that carries one. A leaf, so the error type and the request plumbing can both use it.

/// `next` is only honoured when it is a path on this site: an absolute URL,
/// a protocol-relative `//host` or a backslash trick would send people elsewhere.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then(|| next.to_owned())
}

pub fn login_url(next: &str) -> String {
    match safe_next(Some(next)) {
        Some(path) if path != "/" => format!("/login?next={}", encode_component(&path)),
        _ => "/login".to_owned(),
    }
}

/// Percent-encodes a query-string component.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_be_local() {
        assert_eq!(safe_next(Some("/w/1/billing?x=1")), Some("/w/1/billing?x=1".into()));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
            "javascript:alert(1)",
            "/a\\b",
            "/\nSet-Cookie",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(login_url("/pricing"), "/login?next=/pricing");
        assert_eq!(login_url("/w/1/billing?a=b&c"), "/login?next=/w/1/billing%3Fa%3Db%26c");
        assert_eq!(login_url("https://evil.example"), "/login");
    }
}
