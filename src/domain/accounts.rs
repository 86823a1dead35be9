//! Sign-up and sign-in: email and password rules, argon2 hashing, and creating the
//! personal workspace every new user starts with.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use crate::db::{DbConnection, is_unique_violation, write_transaction};
use crate::models::CreditBucket;
use crate::models::credit_ledger::NewCreditEntry;
use crate::models::membership::{Membership, Role};
use crate::models::plan::Plan;
use crate::models::user::{NewUser, User};
use crate::models::workspace::Workspace;

pub const MIN_PASSWORD_LEN: usize = 8;
/// argon2 is deliberately slow; an unbounded input would make it a denial-of-service lever.
pub const MAX_PASSWORD_LEN: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    #[error("Please enter a valid email address.")]
    InvalidEmail,
    #[error("Passwords must be at least 8 characters long.")]
    PasswordTooShort,
    #[error("Passwords can be at most 256 characters long.")]
    PasswordTooLong,
    #[error("An account with that email already exists. Try signing in instead.")]
    EmailTaken,
    #[error("Email or password is incorrect.")]
    WrongCredentials,
    #[error("database: {0}")]
    Database(String),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> AccountError {
        AccountError::Database(e.to_string())
    }
}

/// Lower-cases and checks an email address: one `@`, a dotted domain, no spaces.
pub fn normalize_email(raw: &str) -> Result<String, AccountError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
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
        .map_err(|e| AccountError::Database(format!("hashing failed: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown so that
/// "no such user" takes as long as "wrong password".
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4Vn1WlHKv3SRbb2CUsJGvyVS6r6YEA43Yb1LkcLEHRA";

/// The workspace name a new user starts with: "ada's workspace" for ada@example.com.
pub fn personal_workspace_name(email: &str) -> String {
    let local = email.split('@').next().unwrap_or(email);
    format!("{local}'s workspace")
}

/// Creates the user, a personal workspace on the default plan, and the owner membership,
/// all or nothing. The password is hashed before the transaction opens (it is slow).
pub fn sign_up(conn: &mut DbConnection, raw_email: &str, password: &str) -> Result<(User, Workspace), AccountError> {
    let email = normalize_email(raw_email)?;
    check_password(password)?;
    let hash = hash_password(password)?;
    let result = write_transaction(conn, |conn| {
        let now = crate::models::now();
        let user = NewUser { email: &email, password_hash: &hash, created_at: now, updated_at: now }.insert(conn)?;
        let plan = Plan::default_plan(conn)?;
        let workspace = Workspace::insert(conn, &personal_workspace_name(&email), plan.id)?;
        Membership::insert(conn, workspace.id, user.id, Role::Owner)?;
        if let Some(credits) = plan.monthly_credits.filter(|c| *c > 0) {
            // The same key the monthly job uses, so the first month is granted once.
            let key = format!("workspace:{}:free-month:{}", workspace.id, chrono::Utc::now().format("%Y-%m"));
            NewCreditEntry {
                workspace_id: workspace.id,
                bucket: CreditBucket::Monthly,
                delta: credits,
                reason: "monthly credits of the starting plan",
                idempotency_key: Some(&key),
                reference: Some(&plan.code),
            }
            .insert(conn)?;
        }
        Ok::<_, diesel::result::Error>((user, workspace))
    });
    match result {
        Ok(created) => Ok(created),
        Err(e) if is_unique_violation(&e) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Checks the credentials. Every failure is the same `WrongCredentials`, so the answer
/// does not reveal which emails have accounts.
pub fn sign_in(conn: &mut DbConnection, raw_email: &str, password: &str) -> Result<User, AccountError> {
    let user = match normalize_email(raw_email) {
        Ok(email) => User::find_by_email(conn, &email)?,
        Err(_) => None,
    };
    if password.chars().count() > MAX_PASSWORD_LEN {
        return Err(AccountError::WrongCredentials);
    }
    match user {
        Some(user) if verify_password(password, &user.password_hash) => Ok(user),
        Some(_) => Err(AccountError::WrongCredentials),
        None => {
            let _ = verify_password(password, DUMMY_HASH);
            Err(AccountError::WrongCredentials)
        }
    }
}

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
