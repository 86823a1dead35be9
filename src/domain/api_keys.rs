//! Workspace API keys: `tgk_` and 43 characters of base64url holding 32 random bytes.
//!
//! Only the SHA-256 of a key is stored. That is enough because the key is 256 random bits,
//! not a password a person chose: nobody can search that space, so a slow password hash
//! (argon2) would only cost every API request time and buy nothing. The hash also makes
//! the lookup one indexed equality match, and a timing difference in that lookup reveals
//! nothing useful about any key.

use base64::Engine;
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "tgk_";
/// `tgk_` + base64url (no padding) of 32 bytes.
const KEY_LEN: usize = 4 + 43;
/// How much of a key the settings page shows to tell keys apart.
const SHOWN: usize = 12;

/// A key as created: the secret (shown once), its hash and its visible prefix (stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

/// Builds a key from 32 random bytes (the caller supplies the randomness).
pub fn from_random(bytes: [u8; 32]) -> NewKey {
    let secret = format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes));
    NewKey { hash: digest(&secret), prefix: secret.chars().take(SHOWN).collect(), secret }
}

/// The stored hash of a presented key, or `None` when it cannot be one of ours.
pub fn hash_of(presented: &str) -> Option<String> {
    let body = presented.strip_prefix(PREFIX)?;
    let well_formed =
        presented.len() == KEY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| digest(presented))
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A key's name as given on the settings page: trimmed, 1 to 60 characters.
pub fn parse_name(name: &str) -> Option<String> {
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= 60 && !name.chars().any(char::is_control)).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_high_entropy_and_stored_hashed() {
        let key = from_random([7; 32]);
        assert!(key.secret.starts_with("tgk_"));
        assert_eq!(key.secret.len(), KEY_LEN);
        assert_eq!(key.prefix, &key.secret[..12]);
        assert_eq!(key.hash.len(), 64);
        assert_ne!(key.hash, key.secret);
        assert_eq!(hash_of(&key.secret), Some(key.hash.clone()));
        assert_ne!(from_random([8; 32]).hash, key.hash);
    }

    #[test]
    fn only_well_formed_keys_are_looked_up() {
        let key = from_random([1; 32]).secret;
        assert_eq!(hash_of(&key[..KEY_LEN - 1]), None);
        assert_eq!(hash_of(&format!("{key}x")), None);
        assert_eq!(hash_of(&key.replace("tgk_", "sk_x")), None);
        assert_eq!(hash_of(&format!("tgk_{}", "!".repeat(43))), None);
    }

    #[test]
    fn bearer_headers_are_read_leniently_about_case_and_spaces() {
        assert_eq!(bearer_token("Bearer tgk_abc"), Some("tgk_abc"));
        assert_eq!(bearer_token("bearer   tgk_abc "), Some("tgk_abc"));
        assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }

    #[test]
    fn names_are_short_and_printable() {
        assert_eq!(parse_name("  CI deploys "), Some("CI deploys".to_owned()));
        assert_eq!(parse_name(""), None);
        assert_eq!(parse_name(&"x".repeat(61)), None);
        assert_eq!(parse_name("a\u{7}b"), None);
    }
}
