//! Webhook authenticity checks for both billing providers.
//!
//! A top-level module rather than part of `billing/` because two sides use it: the app verifies
//! deliveries (`routes/webhooks.rs`), and the offline sandbox (`sandbox/`) signs the events it
//! sends — and the sandbox depends on nothing of the app's billing code.
//!
//! * **Stripe** signs every delivery with the `Stripe-Signature` header,
//!   `t={unix seconds},v1={hex HMAC-SHA256}[,v1=...][,v0=...]`. The HMAC key is the whole
//!   endpoint secret string *including* its `whsec_` prefix (it is not base64-decoded), and the
//!   signed payload is `"{t}.{raw body}"`. This mirrors Stripe's official libraries: only `v1`
//!   entries count (any one of several may match, e.g. during secret rotation), other schemes
//!   such as `v0` are ignored, and comparison is constant-time. In addition to the official
//!   libraries' "too old" check we also reject timestamps too far in the *future*.
//! * **Chargebee** has no signature; webhooks are protected with HTTP Basic auth configured on
//!   the webhook endpoint. [`basic_auth_matches`] checks an `Authorization` header in constant
//!   time.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Stripe's default (and our) tolerance between the signed timestamp and "now", in seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a webhook signature was rejected. The messages are short and safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature header is absent or empty.
    #[error("signature header missing")]
    MissingHeader,
    /// The header could not be parsed (no usable `t=` timestamp).
    #[error("signature header malformed")]
    Malformed,
    /// The header carries no `v1=` signature.
    #[error("no v1 signature in header")]
    NoSignature,
    /// No `v1` signature matches the body and secret.
    #[error("signature mismatch")]
    Mismatch,
    /// The signed timestamp is outside the tolerance window (too old or in the future).
    #[error("timestamp outside tolerance")]
    Stale,
}

/// HMAC-SHA256 over `"{timestamp}.{body}"` keyed with the whole `secret`, as lower-case hex.
fn stripe_v1_hex(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this constructor cannot fail; fall back to an
    // empty string (which never matches a real signature) rather than panicking.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The full `Stripe-Signature` header value Stripe would send for `body` at `timestamp`:
/// `t={timestamp},v1={hex hmac}`. Used by our offline sandbox and by tests.
pub fn stripe_sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", stripe_v1_hex(secret, timestamp, body))
}

/// Verify a `Stripe-Signature` header against the raw request `body`.
///
/// `now` is the current unix time in seconds; `tolerance_secs` is the allowed distance between
/// the signed timestamp and `now` in both directions (use [`DEFAULT_TOLERANCE_SECS`]; negative
/// values are treated as 0 — unlike Stripe's libraries, the time check can't be switched off).
/// Returns the signed timestamp on success.
///
/// The signature is checked before the timestamp, as Stripe's libraries do, so a forged
/// request always reports [`SignatureError::Mismatch`].
pub fn stripe_verify(
    header: &str,
    body: &[u8],
    secret: &str,
    now: i64,
    tolerance_secs: i64,
) -> Result<i64, SignatureError> {
    let header = header.trim();
    if header.is_empty() {
        return Err(SignatureError::MissingHeader);
    }

    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<&str> = Vec::new();
    for item in header.split(',') {
        // Items that are not `key=value` are ignored, like Stripe's libraries do.
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        match key.trim() {
            "t" => {
                let parsed = value.trim().parse::<i64>().map_err(|_| SignatureError::Malformed)?;
                if timestamp.is_some_and(|t| t != parsed) {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(parsed);
            }
            "v1" => signatures.push(value.trim()),
            _ => {} // v0 and future schemes are ignored
        }
    }

    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }

    let expected = stripe_v1_hex(secret, timestamp, body);
    // Check every candidate without short-circuiting so timing does not reveal which matched.
    let mut matched = subtle::Choice::from(0u8);
    for candidate in &signatures {
        matched |= expected.as_bytes().ct_eq(candidate.as_bytes());
    }
    if !bool::from(matched) || expected.is_empty() {
        return Err(SignatureError::Mismatch);
    }

    let tolerance = tolerance_secs.max(0);
    let age = now.saturating_sub(timestamp);
    if age > tolerance || age < -tolerance {
        return Err(SignatureError::Stale);
    }
    Ok(timestamp)
}

/// Does an HTTP `Authorization` header carry Basic credentials equal to `username`/`password`?
///
/// Accepts `Basic <base64(user:pass)>` with a case-insensitive scheme and any amount of
/// whitespace after it; the password may itself contain `:`. Both parts are compared in
/// constant time (and both are always compared). A missing or unparsable header is `false`.
pub fn basic_auth_matches(authorization_header: Option<&str>, username: &str, password: &str) -> bool {
    let Some(header) = authorization_header.map(str::trim) else {
        return false;
    };
    let Some((scheme, encoded)) = header.split_once(|c: char| c.is_ascii_whitespace()) else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return false;
    }
    let encoded = encoded.trim();
    let decoded = match base64::engine::general_purpose::STANDARD.decode(encoded) {
        Ok(bytes) => bytes,
        Err(_) => match base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded) {
            Ok(bytes) => bytes,
            Err(_) => return false,
        },
    };
    let Some(colon) = decoded.iter().position(|&b| b == b':') else {
        return false;
    };
    let (user, pass) = (&decoded[..colon], &decoded[colon + 1..]);
    let user_ok = user.ct_eq(username.as_bytes());
    let pass_ok = pass.ct_eq(password.as_bytes());
    bool::from(user_ok & pass_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const TS: i64 = 1_700_000_000;
    const BODY: &[u8] = br#"{"id":"evt_test_webhook","object":"event","type":"checkout.session.completed"}"#;
    const KNOWN_V1: &str = "1fa73ff7286785daa8168695a709e92ce31d02a9202648cb27a1c5f2e233f517";

    #[test]
    fn known_vector_sign() {
        assert_eq!(stripe_sign(SECRET, TS, BODY), format!("t=1700000000,v1={KNOWN_V1}"));
    }

    #[test]
    fn known_vector_verifies() {
        let header = format!("t=1700000000,v1={KNOWN_V1}");
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS + 10, 300), Ok(TS));
    }

    #[test]
    fn secret_prefix_is_part_of_the_key() {
        // Keying with the secret minus `whsec_` must give a different signature.
        assert_ne!(stripe_sign("test_secret", TS, BODY), stripe_sign(SECRET, TS, BODY));
        let header = stripe_sign("test_secret", TS, BODY);
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn roundtrip_and_tampered_body() {
        let header = stripe_sign(SECRET, TS, b"{}");
        assert_eq!(stripe_verify(&header, b"{}", SECRET, TS, 300), Ok(TS));
        assert_eq!(stripe_verify(&header, b"{} ", SECRET, TS, 300), Err(SignatureError::Mismatch));
        assert_eq!(stripe_verify(&header, b"{}", "whsec_other", TS, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_of_several_v1_may_match_and_v0_is_ignored() {
        let good = stripe_sign(SECRET, TS, BODY);
        let good_v1 = good.split_once(",v1=").map(|(_, s)| s.to_string()).unwrap_or_default();
        let header = format!("t={TS},v1={},v1={good_v1},v0={}", "ab".repeat(32), "cd".repeat(32));
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS, 300), Ok(TS));
        // Spaces around items are tolerated.
        let spaced = format!("t={TS}, v0=00, v1={good_v1}");
        assert_eq!(stripe_verify(&spaced, BODY, SECRET, TS, 300), Ok(TS));
        // A v0 entry holding the right value does not count.
        let only_v0 = format!("t={TS},v0={good_v1}");
        assert_eq!(stripe_verify(&only_v0, BODY, SECRET, TS, 300), Err(SignatureError::NoSignature));
    }

    #[test]
    fn header_errors() {
        assert_eq!(stripe_verify("", BODY, SECRET, TS, 300), Err(SignatureError::MissingHeader));
        assert_eq!(stripe_verify("   ", BODY, SECRET, TS, 300), Err(SignatureError::MissingHeader));
        assert_eq!(stripe_verify(&format!("v1={KNOWN_V1}"), BODY, SECRET, TS, 300), Err(SignatureError::Malformed));
        assert_eq!(
            stripe_verify(&format!("t=abc,v1={KNOWN_V1}"), BODY, SECRET, TS, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            stripe_verify(&format!("t={TS},t=1,v1={KNOWN_V1}"), BODY, SECRET, TS, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(stripe_verify("garbage", BODY, SECRET, TS, 300), Err(SignatureError::Malformed));
        assert_eq!(stripe_verify(&format!("t={TS}"), BODY, SECRET, TS, 300), Err(SignatureError::NoSignature));
        assert_eq!(stripe_verify(&format!("t={TS},v1="), BODY, SECRET, TS, 300), Err(SignatureError::Mismatch));
        // Upper-case hex is not what Stripe sends and does not match (as in Stripe's libraries).
        let upper = format!("t={TS},v1={}", KNOWN_V1.to_uppercase());
        assert_eq!(stripe_verify(&upper, BODY, SECRET, TS, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn tolerance_window_both_directions() {
        let header = format!("t=1700000000,v1={KNOWN_V1}");
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS + 300, 300), Ok(TS));
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS + 301, 300), Err(SignatureError::Stale));
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS - 300, 300), Ok(TS));
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS - 301, 300), Err(SignatureError::Stale));
        // Negative tolerance behaves like zero, never like "disabled".
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS, -1), Ok(TS));
        assert_eq!(stripe_verify(&header, BODY, SECRET, TS + 1, -1), Err(SignatureError::Stale));
        // A bad signature is reported as a mismatch even when also stale.
        let bad = format!("t=1700000000,v1={}", "0".repeat(64));
        assert_eq!(stripe_verify(&bad, BODY, SECRET, TS + 10_000, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn error_messages_are_short() {
        assert_eq!(SignatureError::Stale.to_string(), "timestamp outside tolerance");
        assert_eq!(SignatureError::Mismatch.to_string(), "signature mismatch");
    }

    fn basic(user_pass: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass))
    }

    #[test]
    fn basic_auth_accepts_correct_credentials() {
        let h = basic("chargebee:s3cr:et");
        assert!(basic_auth_matches(Some(&h), "chargebee", "s3cr:et"));
        let lower = h.replacen("Basic", "basic", 1);
        assert!(basic_auth_matches(Some(&lower), "chargebee", "s3cr:et"));
        let upper = h.replacen("Basic", "BASIC  ", 1);
        assert!(basic_auth_matches(Some(&upper), "chargebee", "s3cr:et"));
        // Unpadded base64 is tolerated.
        let unpadded = basic("u:p").trim_end_matches('=').to_string();
        assert!(basic_auth_matches(Some(&unpadded), "u", "p"));
        // Empty password is allowed if configured that way.
        assert!(basic_auth_matches(Some(&basic("u:")), "u", ""));
    }

    #[test]
    fn basic_auth_rejects_everything_else() {
        assert!(!basic_auth_matches(None, "u", "p"));
        assert!(!basic_auth_matches(Some(""), "u", "p"));
        assert!(!basic_auth_matches(Some(&basic("u:wrong")), "u", "p"));
        assert!(!basic_auth_matches(Some(&basic("x:p")), "u", "p"));
        assert!(!basic_auth_matches(Some(&basic("u:p2")), "u", "p"));
        assert!(!basic_auth_matches(Some(&basic("up")), "u", "p"));
        assert!(!basic_auth_matches(Some(&basic("u:p").replacen("Basic", "Bearer", 1)), "u", "p"));
        assert!(!basic_auth_matches(Some("Basic"), "u", "p"));
        assert!(!basic_auth_matches(Some("Basic !!!notbase64"), "u", "p"));
        let raw = format!("Basic {}", "u:p");
        assert!(!basic_auth_matches(Some(&raw), "u", "p"));
    }
}
