//! Workspace API keys: created and revoked by owners and admins (on plans with `api_access`),
//! shown once, stored as a hash (`domain::api_keys` says why SHA-256 is enough), and checked
//! on every `Authorization: Bearer tgk_…` request.

use chrono::{DateTime, Utc};
use rand::RngCore;

use super::entitlements::{entitlements_now, require_feature};
use super::require_manager;
use crate::db::DbConnection;
use crate::domain::api_keys::{from_random, hash_of, parse_name};
use crate::domain::ids::{UserId, WorkspaceId};
use crate::domain::members::Role;
use crate::error::AppError;
use crate::models::api_key::{ApiKey, NewApiKey, use_is_due};
use crate::models::{Membership, Workspace};
use crate::state::AppState;

/// The feature a plan needs for API keys.
pub const API_ACCESS: &str = "api_access";

/// A key just created: its row and the secret, which is never stored or shown again.
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

pub async fn create_key(
    state: &AppState,
    workspace_id: WorkspaceId,
    actor: Role,
    actor_id: UserId,
    name: &str,
) -> Result<CreatedKey, AppError> {
    require_manager(actor)?;
    let name = parse_name(name).ok_or_else(|| AppError::invalid_field("name", "Name the key (1 to 60 characters)."))?;
    let snap = entitlements_now(state, workspace_id).await?;
    require_feature(&snap, API_ACCESS, &state.config.base_url)?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let new = from_random(bytes);
    let secret = new.secret.clone();
    let key = state
        .db
        .run(move |conn| {
            Ok(NewApiKey {
                workspace_id,
                name: &name,
                prefix: &new.prefix,
                key_hash: &new.hash,
                created_by: Some(actor_id),
                created_at: crate::models::now(),
            }
            .insert(conn)?)
        })
        .await?;
    Ok(CreatedKey { key, secret })
}

pub async fn revoke_key(state: &AppState, workspace_id: WorkspaceId, actor: Role, key_id: i64) -> Result<(), AppError> {
    require_manager(actor)?;
    let revoked = state.db.run(move |conn| Ok(ApiKey::revoke(conn, workspace_id, key_id)?)).await?;
    if revoked == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// The key and its workspace for a presented token; 401 for anything that is not a working
/// key. Records the use (at most once a minute per key).
pub fn authenticate(conn: &mut DbConnection, token: &str, now: DateTime<Utc>) -> Result<(ApiKey, Workspace), AppError> {
    let rejected =
        || AppError::invalid_api_key("That API key is not valid. Create one on the workspace's settings page.");
    let hash = hash_of(token).ok_or_else(rejected)?;
    let key = ApiKey::find_by_hash(conn, &hash)?.ok_or_else(rejected)?;
    if key.revoked_at.is_some() {
        return Err(AppError::invalid_api_key("That API key has been revoked."));
    }
    if use_is_due(key.last_used_at, now.naive_utc()) {
        ApiKey::touch(conn, key.id, now.naive_utc())?;
    }
    let workspace = Workspace::find(conn, key.workspace_id)?;
    Ok((key, workspace))
}

/// The address a checkout started with an API key pre-fills: the workspace's first owner.
pub async fn billing_email(state: &AppState, workspace_id: WorkspaceId) -> Result<String, AppError> {
    let members = state.db.run(move |conn| Ok(Membership::list_with_emails(conn, workspace_id)?)).await?;
    Ok(members.into_iter().find(|(m, _)| m.role == Role::Owner).map(|(_, email)| email).unwrap_or_default())
}
