//! API tokens for the grocery REST API: created by the admin (`larder-server token create
//! NAME`), shown once, stored only as their SHA-256 (like session tokens), listed without the
//! secret and revoked by id. A token is `lgt_` followed by 32 random bytes in URL-safe base64;
//! it grants the grocery API of its user and nothing else. Uses are recorded at most once a
//! minute per token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::accounts::admin::AdminError;
use crate::accounts::auth::TOUCH_INTERVAL_MS;
use crate::clock::UnixMs;
use crate::secret::{hash_token, random_bytes, random_hex};
use crate::store::{ApiToken, RelayStore, StoreError, User};

pub const API_TOKEN_PREFIX: &str = "lgt_";
pub const MAX_LABEL_CHARS: usize = 100;
/// `lgt_` + 43 characters.
const TOKEN_LEN: usize = 4 + 43;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("invalid label: at most {MAX_LABEL_CHARS} characters, no control characters")]
    InvalidLabel,
    #[error("user {user} has no API token {id}")]
    NoSuchToken { user: String, id: String },
}

impl From<crate::store::StoreError> for TokenError {
    fn from(e: crate::store::StoreError) -> Self {
        TokenError::Admin(e.into())
    }
}

fn find_user(store: &dyn RelayStore, name: &str) -> Result<User, TokenError> {
    store
        .user_by_name(name)?
        .ok_or_else(|| AdminError::NoSuchUser(name.to_owned()).into())
}

/// Whether `token` has the shape of an API token (as opposed to a session token).
pub fn is_api_token(token: &str) -> bool {
    token.starts_with(API_TOKEN_PREFIX)
}

/// Creates a token for user `name`; returns the secret (to be shown once) and its record.
pub fn create(
    store: &dyn RelayStore,
    name: &str,
    label: &str,
    now: UnixMs,
) -> Result<(String, ApiToken), TokenError> {
    let label = label.trim();
    if label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
        return Err(TokenError::InvalidLabel);
    }
    let user = find_user(store, name)?;
    let secret = format!(
        "{API_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    );
    let record = ApiToken {
        id: random_hex(8),
        user_id: user.id,
        label: label.to_owned(),
        created_at: now,
        last_used: None,
    };
    store.create_api_token(&hash_token(&secret), &record)?;
    Ok((secret, record))
}

/// The tokens of user `name`, oldest first.
pub fn list(store: &dyn RelayStore, name: &str) -> Result<Vec<ApiToken>, TokenError> {
    let user = find_user(store, name)?;
    Ok(store.list_api_tokens(&user.id)?)
}

/// Revokes token `id` of user `name`; from then on it gets 401.
pub fn revoke(store: &dyn RelayStore, name: &str, id: &str) -> Result<(), TokenError> {
    let user = find_user(store, name)?;
    if store.revoke_api_token(&user.id, id)? {
        Ok(())
    } else {
        Err(TokenError::NoSuchToken {
            user: user.name,
            id: id.to_owned(),
        })
    }
}

/// The user of an API token, its use recorded (at most once a minute); `None` for a token
/// that is malformed, unknown or revoked, or whose user is disabled or removed.
pub fn authenticate(
    store: &dyn RelayStore,
    now: UnixMs,
    token: &str,
) -> Result<Option<User>, StoreError> {
    let well_formed = token.len() == TOKEN_LEN
        && token[API_TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !is_api_token(token) || !well_formed {
        return Ok(None);
    }
    let hash = hash_token(token);
    let Some(record) = store.api_token(&hash)? else {
        return Ok(None);
    };
    let user = match store.user(&record.user_id)? {
        Some(user) if !user.disabled => user,
        _ => return Ok(None),
    };
    let stale = record
        .last_used
        .is_none_or(|t| now.saturating_sub(t) >= TOUCH_INTERVAL_MS);
    if stale && !store.touch_api_token(&hash, now)? {
        // Revoked while we looked.
        return Ok(None);
    }
    Ok(Some(user))
}
