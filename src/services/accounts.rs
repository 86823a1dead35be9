//! Signing up and signing in. Password hashing is slow on purpose, so it runs on the
//! blocking pool without holding a database connection: a flood of sign-ins must not starve
//! the pages of connections.

use crate::db::{DbConnection, is_unique_violation, write_transaction};
use crate::domain::accounts::{
    AccountError, DUMMY_HASH, MAX_PASSWORD_LEN, check_password, hash_password, normalize_email,
    personal_workspace_name, verify_password,
};
use crate::domain::catalog::Plan;
use crate::domain::credits::CreditBucket;
use crate::domain::ids::WorkspaceId;
use crate::domain::members::Role;
use crate::error::AppError;
use crate::models::user::{NewUser, User};
use crate::models::{Membership, NewCreditEntry, Workspace};
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

/// Creates the user, a personal workspace on the default plan with its first month's
/// credits, and the owner membership, all or nothing.
pub async fn sign_up(state: &AppState, raw_email: &str, password: &str) -> Result<(User, Workspace), AccountError> {
    let email = normalize_email(raw_email)?;
    check_password(password)?;
    let password = password.to_owned();
    let hash = off_the_executor(move || hash_password(&password)).await??;
    state.db.run(move |conn| Ok(create_account(conn, &email, &hash))).await?
}

fn create_account(conn: &mut DbConnection, email: &str, hash: &str) -> Result<(User, Workspace), AccountError> {
    let result = write_transaction(conn, |conn| {
        let now = crate::models::now();
        let user = NewUser { email, password_hash: hash, created_at: now, updated_at: now }.insert(conn)?;
        let plan = Plan::default_plan(conn)?;
        let workspace = Workspace::insert(conn, &personal_workspace_name(email), plan.id)?;
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

/// Who signed in, and the workspace to land on.
pub struct SignedIn {
    pub user: User,
    pub home: Option<WorkspaceId>,
}

/// Checks the credentials. Every failure is the same `WrongCredentials`, so the answer does
/// not reveal which emails have accounts; an unknown email costs a hash check too.
pub async fn sign_in(state: &AppState, raw_email: &str, password: &str) -> Result<SignedIn, AccountError> {
    if password.chars().count() > MAX_PASSWORD_LEN {
        return Err(AccountError::WrongCredentials);
    }
    let email = normalize_email(raw_email).ok();
    let found = state
        .db
        .run(move |conn| {
            let Some(email) = email else { return Ok(None) };
            let Some(user) = User::find_by_email(conn, &email)? else { return Ok(None) };
            let home = Membership::workspaces_of(conn, user.id)?.first().map(|w| w.id);
            Ok(Some((user, home)))
        })
        .await?;
    let hash = found.as_ref().map_or_else(|| DUMMY_HASH.to_owned(), |(user, _)| user.password_hash.clone());
    let password = password.to_owned();
    let verified = off_the_executor(move || verify_password(&password, &hash)).await?;
    match found {
        Some((user, home)) if verified => Ok(SignedIn { user, home }),
        _ => Err(AccountError::WrongCredentials),
    }
}
