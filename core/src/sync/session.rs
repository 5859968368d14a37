//! The signed-in session, kept in the profile database: relay address, opaque token, user, the
//! user's grocery list and this device's samod peer id (`{user id}.{device id}`, which the relay
//! binds to the user when it hands out a sync ticket).

use serde::{Deserialize, Serialize};

use super::relay::{RelayClient, RelayError};
use crate::store::{LastSignIn, Store, StoreError};

const SESSION_META: &str = "sync_session";
pub(crate) const CURSOR_META: &str = "sync_cursor";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The relay's base URL, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    pub token: String,
    pub user_id: String,
    pub user_name: String,
    pub grocery_list_id: Option<String>,
    /// Sessions stored before meal plans have none (the engine asks the relay).
    #[serde(default)]
    pub meal_plan_id: Option<String>,
}

/// The stored session, if signed in.
pub fn session(store: &Store) -> Result<Option<Session>, StoreError> {
    match store.meta_get(SESSION_META)? {
        Some(json) => Ok(Some(serde_json::from_str(&json)?)),
        None => Ok(None),
    }
}

pub(crate) fn save_session(store: &Store, session: &Session) -> Result<(), StoreError> {
    store.meta_set(SESSION_META, &serde_json::to_string(session)?)?;
    store.remember_sign_in(&LastSignIn {
        server: session.server.clone(),
        user_name: session.user_name.clone(),
    })
}

pub(crate) fn forget_session(store: &Store) -> Result<(), StoreError> {
    store.meta_delete(SESSION_META)?;
    store.meta_delete(CURSOR_META)?;
    store.leave_household().map(|_| ())
}

/// This device's random id, minted once per profile.
pub fn device_id(store: &Store) -> Result<String, StoreError> {
    store.device_id()
}

/// The samod peer id this profile uses while signed in as `user_id`.
pub fn peer_id_for(store: &Store, user_id: &str) -> Result<String, StoreError> {
    Ok(format!("{user_id}.{}", device_id(store)?))
}

/// Signs in and stores the session. The engine must be reopened afterwards so its document
/// store announces the user's peer id (see `profile::open`).
pub async fn login(
    store: &Store,
    server: &str,
    user: &str,
    password: &str,
) -> Result<Session, RelayError> {
    let client = RelayClient::new(server)?;
    let login = client.login(user, password).await?;
    let me = client.me(&login.token).await?;
    let session = Session {
        server: client.base().to_string(),
        token: login.token,
        user_id: me.id,
        user_name: me.name,
        grocery_list_id: me.grocery_list_id,
        meal_plan_id: me.meal_plan_id,
    };
    let previous = self::session(store)?;
    if previous
        .as_ref()
        .is_some_and(|p| p.user_id != session.user_id)
    {
        // Another user's change cursor means nothing for this one.
        store.meta_delete(CURSOR_META)?;
    }
    save_session(store, &session)?;
    Ok(session)
}

/// Revokes the session on the relay (best effort: offline, it just ends locally) and forgets
/// it. Local recipes and edits stay for the next sign-in.
pub async fn logout(store: &Store) -> Result<bool, RelayError> {
    let Some(session) = self::session(store)? else {
        return Ok(false);
    };
    let revoked = match RelayClient::new(&session.server) {
        Ok(client) => match client.logout(&session.token).await {
            Ok(()) | Err(RelayError::Unauthorized) => true,
            Err(err) => {
                tracing::warn!(%err, "could not revoke the session on the relay");
                false
            }
        },
        Err(_) => false,
    };
    forget_session(store)?;
    Ok(revoked)
}
