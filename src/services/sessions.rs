//! Starting, checking and ending signed-in sessions on the server. The cookie names a
//! session; the row decides whether it is still valid, on every instance at once.

use crate::db::DbConnection;
use crate::domain::ids::UserId;
use crate::domain::sessions::{SESSION_LIFETIME, extended_expiry, new_token, token_hash};
use crate::error::AppError;
use crate::models::user::User;
use crate::models::{now, user_session};
use crate::state::AppState;

/// Records a new session for `user_id` and returns the token for its cookie.
pub fn open(conn: &mut DbConnection, user_id: UserId) -> Result<String, diesel::result::Error> {
    let token = new_token();
    let stamp = now();
    user_session::insert(conn, &token_hash(&token), user_id, stamp, stamp + SESSION_LIFETIME)?;
    Ok(token)
}

/// The user a cookie's session belongs to, if that session is still live; a session in
/// use has its expiry moved on now and then.
pub fn signed_in_user(
    conn: &mut DbConnection,
    user_id: UserId,
    token: &str,
) -> Result<Option<User>, diesel::result::Error> {
    let hash = token_hash(token);
    let stamp = now();
    let Some((user, expires_at)) = user_session::find_user(conn, &hash, user_id, stamp)? else {
        return Ok(None);
    };
    if let Some(later) = extended_expiry(expires_at, stamp) {
        user_session::set_expiry(conn, &hash, later)?;
    }
    Ok(Some(user))
}

/// Ends the session a cookie names (signing out): a copy of that cookie is anonymous now.
pub async fn end(state: &AppState, token: String) -> Result<(), AppError> {
    state.db.run(move |conn| Ok(user_session::delete(conn, &token_hash(&token)).map(|_| ())?)).await
}

/// Ends every session of `user_id`, in every browser; answers how many there were.
pub async fn end_all(state: &AppState, user_id: UserId) -> Result<usize, AppError> {
    state.db.run(move |conn| Ok(user_session::delete_for_user(conn, user_id)?)).await
}
