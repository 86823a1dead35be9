//! Signing up and signing in, throttled per account and per client address with counters
//! every instance shares. Password hashing is slow on purpose, so it runs on the blocking
//! pool without holding a database connection: each database step (count the attempt and
//! find the user; then record the session) takes a connection and gives it back before or
//! after the hash, never during it, so a flood of sign-ins cannot starve the pages.

use std::net::IpAddr;

use super::{sessions, throttle};
use crate::db::{DbConnection, is_unique_violation, write_transaction};
use crate::domain::accounts::{
    AccountError, DUMMY_HASH, MAX_PASSWORD_LEN, check_password, hash_password, normalize_email, verify_password,
};
use crate::domain::catalog::Plan;
use crate::domain::credits::CreditBucket;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::domain::names::WorkspaceName;
use crate::domain::throttle::Bucket;
use crate::error::AppError;
use crate::models::user::{NewUser, User};
use crate::models::{Membership, NewCreditEntry, Workspace, now};
use crate::state::AppState;

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> AccountError {
        AccountError::Internal(format!("database: {e}"))
    }
}

impl From<AppError> for AccountError {
    fn from(e: AppError) -> AccountError {
        AccountError::Internal(e.detail())
    }
}

/// Runs CPU-heavy work (argon2) on the blocking pool.
async fn off_the_executor<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AccountError> {
    actix_web::web::block(f).await.map_err(|e| AccountError::Internal(format!("blocking task failed: {e}")))
}

/// A new account, signed in: the user, their workspace, and the session token for the cookie.
pub struct SignedUp {
    pub user: User,
    pub workspace: Workspace,
    pub session_token: String,
}

/// Creates the user, a personal workspace on the default plan with its first month's
/// credits, the owner membership and a session, all or nothing. Each attempt that passes
/// the form's checks counts against the client address and the email.
pub async fn sign_up(state: &AppState, raw_email: &str, password: &str, ip: IpAddr) -> Result<SignedUp, AccountError> {
    let email = normalize_email(raw_email)?;
    check_password(password)?;
    let buckets = vec![Bucket::SignUpIp(ip), Bucket::SignUpEmail(email.clone())];
    state
        .db
        .run(move |conn| Ok(throttle::count(conn, &buckets, now())?))
        .await?
        .map_err(AccountError::SignUpThrottled)?;
    let password = password.to_owned();
    let hash = off_the_executor(move || hash_password(&password)).await??;
    state.db.run(move |conn| Ok(create_account(conn, &email, &hash))).await?
}

fn create_account(conn: &mut DbConnection, email: &str, hash: &str) -> Result<SignedUp, AccountError> {
    let result = write_transaction(conn, |conn| {
        let now = now();
        let user = NewUser { email, password_hash: hash, created_at: now, updated_at: now }.insert(conn)?;
        let plan = Plan::default_plan(conn)?;
        let workspace = Workspace::insert(conn, &WorkspaceName::personal(email), plan.id)?;
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
        let session_token = sessions::open(conn, user.id)?;
        Ok::<_, diesel::result::Error>(SignedUp { user, workspace, session_token })
    });
    match result {
        Ok(created) => Ok(created),
        Err(e) if is_unique_violation(&e) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Who signed in, the workspace to land on, and the session token for the cookie.
pub struct SignedIn {
    pub user: User,
    pub home: Option<WorkspaceId>,
    pub session_token: String,
}

/// Checks the credentials. Every failure is the same `WrongCredentials`, so the answer does
/// not reveal which emails have accounts; an unknown email costs a hash check too.
///
/// The attempt is counted before the hash (so forty attempts at once cannot all slip in
/// under the limit) against the client address and the email; a success clears the
/// email's count, so only failures add up against an account.
pub async fn sign_in(state: &AppState, raw_email: &str, password: &str, ip: IpAddr) -> Result<SignedIn, AccountError> {
    if password.chars().count() > MAX_PASSWORD_LEN {
        return Err(AccountError::WrongCredentials);
    }
    let email = normalize_email(raw_email).ok();
    let mut buckets = vec![Bucket::SignInIp(ip)];
    buckets.extend(email.clone().map(Bucket::SignInEmail));
    let found = state
        .db
        .run(move |conn| {
            if let Err(refusal) = throttle::count(conn, &buckets, now())? {
                return Ok(Err(refusal));
            }
            let Some(email) = email else { return Ok(Ok(None)) };
            let Some(user) = User::find_by_email(conn, &email)? else { return Ok(Ok(None)) };
            let home = Membership::workspaces_of(conn, user.id)?.first().map(|w| w.id);
            Ok(Ok(Some((user, home))))
        })
        .await?
        .map_err(AccountError::SignInThrottled)?;
    let hash = found.as_ref().map_or_else(|| DUMMY_HASH.to_owned(), |(user, _)| user.password_hash.clone());
    let password = password.to_owned();
    let verified = off_the_executor(move || verify_password(&password, &hash)).await?;
    let Some((user, home)) = found.filter(|_| verified) else {
        return Err(AccountError::WrongCredentials);
    };
    let (user_id, email) = (user.id, user.email.clone());
    let session_token = state
        .db
        .run(move |conn| {
            throttle::clear(conn, &Bucket::SignInEmail(email))?;
            Ok(sessions::open(conn, user_id)?)
        })
        .await?;
    Ok(SignedIn { user, home, session_token })
}
