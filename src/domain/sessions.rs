//! Server-side sessions: the encrypted cookie names a random session token, and the
//! database keeps only the token's hash with its expiry. A session is valid while its row
//! exists, so signing out (deleting the row) ends it for a copied cookie too.

use base64::Engine;
use chrono::{NaiveDateTime, TimeDelta};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a session lasts without use; the cookie's lifetime is the same.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::days(14);

/// A fresh random session token (256 bits), for the cookie.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores for a token: reading the table yields no usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// When a session used at `now` should expire, if its expiry needs moving: sessions in use
/// stay alive, but the row is rewritten at most once a week rather than on every request.
pub fn extended_expiry(expires_at: NaiveDateTime, now: NaiveDateTime) -> Option<NaiveDateTime> {
    (expires_at - now < SESSION_LIFETIME / 2).then(|| now + SESSION_LIFETIME)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn expiry_moves_only_once_the_session_is_half_used() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap().naive_utc();
        assert_eq!(extended_expiry(now + TimeDelta::days(13), now), None);
        assert_eq!(extended_expiry(now + TimeDelta::days(6), now), Some(now + SESSION_LIFETIME));
    }
}
