//! Account rules: what an email address and a password must be, argon2 hashing and
//! verification, and what a refused sign-in or sign-up says.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use super::names::is_hidden_char;
use super::throttle::Refusal;

pub const MIN_PASSWORD_LEN: usize = 8;
/// argon2 is deliberately slow; an unbounded input would make it a denial-of-service lever.
pub const MAX_PASSWORD_LEN: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    #[error("Please enter a valid email address.")]
    InvalidEmail,
    #[error("Email addresses cannot contain control characters or invisible characters that change text direction.")]
    HiddenCharactersInEmail,
    #[error("Passwords must be at least 8 characters long.")]
    PasswordTooShort,
    #[error("Passwords can be at most 256 characters long.")]
    PasswordTooLong,
    #[error("An account with that email already exists. Try signing in instead.")]
    EmailTaken,
    #[error("Email or password is incorrect.")]
    WrongCredentials,
    #[error("Too many sign-in attempts. Please wait {} and try again.", .0.wait())]
    SignInThrottled(Refusal),
    #[error("Too many sign-ups from your network. Please wait {} and try again.", .0.wait())]
    SignUpThrottled(Refusal),
    #[error("database: {0}")]
    Internal(String),
}

/// Lower-cases and checks an email address: one `@`, a dotted domain, no spaces, and
/// nothing hidden (members see each other's emails, so they follow the rules for names).
pub fn normalize_email(raw: &str) -> Result<String, AccountError> {
    let email = raw.trim().to_lowercase();
    if email.chars().any(is_hidden_char) {
        return Err(AccountError::HiddenCharactersInEmail);
    }
    let valid = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }
            None => false,
        };
    if valid { Ok(email) } else { Err(AccountError::InvalidEmail) }
}

pub fn check_password(password: &str) -> Result<(), AccountError> {
    match password.chars().count() {
        n if n < MIN_PASSWORD_LEN => Err(AccountError::PasswordTooShort),
        n if n > MAX_PASSWORD_LEN => Err(AccountError::PasswordTooLong),
        _ => Ok(()),
    }
}

pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Internal(format!("hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown so that
/// "no such user" takes as long as "wrong password".
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4Vn1WlHKv3SRbb2CUsJGvyVS6r6YEA43Yb1LkcLEHRA";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "a@b@c.com", "ada@.com"] {
            assert_eq!(normalize_email(bad), Err(AccountError::InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn emails_hide_nothing() {
        for bad in
            ["ev\u{202E}il@example.com", "a\u{2066}@example.com", "a\u{200F}@example.com", "a\u{200B}b@example.com"]
        {
            assert_eq!(normalize_email(bad), Err(AccountError::HiddenCharactersInEmail), "{bad:?}");
        }
        assert_eq!(normalize_email("zoë@exämple.com").unwrap(), "zoë@exämple.com");
    }

    #[test]
    fn passwords_have_bounds() {
        assert_eq!(check_password("short"), Err(AccountError::PasswordTooShort));
        assert_eq!(check_password(&"x".repeat(300)), Err(AccountError::PasswordTooLong));
        assert!(check_password("correct horse").is_ok());
    }

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert_ne!(a, b, "salted");
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("wrong horse", &a));
        assert!(!verify_password("anything", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
