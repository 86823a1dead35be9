//! API keys on the settings page: `POST /w/{id}/api-keys` creates one (shown once, on the
//! next page), `POST /w/{id}/api-keys/{key_id}/revoke` revokes one. Owners and admins, on
//! plans with `api_access`; others see why and where to upgrade.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use crate::domain::entitlements::Standing;
use crate::error::AppResult;
use crate::models::api_key::ApiKey;
use crate::services::api_keys::{API_ACCESS, create_key, revoke_key};
use crate::services::credits::billing_facts;
use crate::services::entitlements::upgrade_path;
use crate::state::AppState;
use crate::web::{CsrfForm, FlashKind, WorkspaceAccess, format_date, redirect, set_flash};

/// Where a new key waits (in the encrypted session cookie) for the one page that shows it.
const NEW_KEY: &str = "new_api_key";

pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
}

/// What the settings page shows about API keys.
pub struct ApiKeysSection {
    pub rows: Vec<KeyRow>,
    /// A key created just now: shown this once.
    pub new_key: Option<String>,
    /// The plan includes API access.
    pub unlocked: bool,
    pub upgrade_url: String,
}

/// The settings page's API-key section, from the workspace's active keys.
pub fn section(access: &WorkspaceAccess, keys: Vec<ApiKey>) -> ApiKeysSection {
    let standing = Standing::of(&billing_facts(&access.workspace), access.plan.is_free(), Utc::now());
    let unlocked = standing != Standing::Lapsed && access.plan.has_feature(API_ACCESS);
    ApiKeysSection {
        rows: keys
            .into_iter()
            .map(|k| KeyRow {
                id: k.id,
                name: k.name,
                prefix: k.prefix,
                created: format_date(&k.created_at),
                last_used: k
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), |at| at.format("%-d %b %Y %H:%M UTC").to_string()),
            })
            .collect(),
        new_key: take_new_key(&access.session),
        unlocked,
        upgrade_url: upgrade_path(access.workspace.id, API_ACCESS),
    }
}

/// The key just created, shown once. Only a session that holds one is changed (a change
/// sends the cookie again).
fn take_new_key(session: &Session) -> Option<String> {
    if !session.contains_key(NEW_KEY) {
        return None;
    }
    session.remove_as::<String>(NEW_KEY).and_then(Result::ok)
}

#[derive(Deserialize)]
pub struct KeyForm {
    name: String,
}

fn settings_url(access: &WorkspaceAccess) -> String {
    format!("/w/{}/settings#api-keys", access.workspace.id)
}

pub async fn create(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    form: CsrfForm<KeyForm>,
) -> AppResult<HttpResponse> {
    let created = create_key(&state, access.workspace.id, access.role, access.user.id, &form.0.name).await?;
    if let Err(e) = access.session.insert(NEW_KEY, &created.secret) {
        log::warn!("could not keep the new API key for display: {e}");
    }
    set_flash(
        &access.session,
        FlashKind::Success,
        format!("API key \u{201c}{}\u{201d} created. Copy it now: it is shown only once.", created.key.name),
    );
    Ok(redirect(&settings_url(&access)))
}

pub async fn revoke(
    state: web::Data<AppState>,
    access: WorkspaceAccess,
    path: web::Path<(i64, i64)>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> AppResult<HttpResponse> {
    revoke_key(&state, access.workspace.id, access.role, path.1).await?;
    set_flash(&access.session, FlashKind::Success, "API key revoked. Requests with it now get 401.");
    Ok(redirect(&settings_url(&access)))
}
