//! The calendar feed's token: the secret part of the feed address
//! (`/api/v1/plan/calendar/<token>.ics`), made by the signed-in user, one per user (a new one
//! revokes the old), shown once, stored only as its SHA-256. A token is `lcal_` followed by 32
//! random bytes in URL-safe base64; it grants reading that user's plan as a calendar and
//! nothing else (it is no session: the session store never sees it).
//!
//! Looking a token up never tells apart why it fails: malformed, unknown, revoked, or its user
//! removed or disabled all come back `None` after the same hash-and-look-up, and no secret is
//! compared byte by byte (the store is keyed by the hash).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::clock::UnixMs;
use crate::secret::{hash_token, random_bytes};
use crate::store::{CalendarToken, RelayStore, StoreError, User, UserId};

pub const CALENDAR_TOKEN_PREFIX: &str = "lcal_";

/// Makes a new feed token for `user`, replacing (revoking) any earlier one; returns the
/// secret (to be shown once) and its record.
pub fn create(
    store: &dyn RelayStore,
    user: &UserId,
    now: UnixMs,
) -> Result<(String, CalendarToken), StoreError> {
    let secret = format!(
        "{CALENDAR_TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(random_bytes::<32>())
    );
    let record = CalendarToken {
        user_id: user.clone(),
        created_at: now,
    };
    store.replace_calendar_token(&hash_token(&secret), &record)?;
    Ok((secret, record))
}

/// The user's current feed token, if they have one.
pub fn status(store: &dyn RelayStore, user: &UserId) -> Result<Option<CalendarToken>, StoreError> {
    store.user_calendar_token(user)
}

/// Revokes the user's feed token; returns whether there was one.
pub fn revoke(store: &dyn RelayStore, user: &UserId) -> Result<bool, StoreError> {
    store.revoke_calendar_token(user)
}

/// The user whose feed `token` opens; `None` for any token that does not (see the module
/// docs).
pub fn authenticate(store: &dyn RelayStore, token: &str) -> Result<Option<User>, StoreError> {
    let Some(record) = store.calendar_token(&hash_token(token))? else {
        return Ok(None);
    };
    Ok(store.user(&record.user_id)?.filter(|user| !user.disabled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    #[test]
    fn a_token_opens_its_users_feed_until_replaced_or_revoked() {
        let store = SledStore::temporary().unwrap();
        let user = User {
            id: UserId::random(),
            name: "alice".into(),
            password_hash: "x".into(),
            disabled: false,
            created_at: 0,
            grocery_list_id: None,
            meal_plan_id: None,
        };
        store.create_user(&user).unwrap();
        let (first, record) = create(&store, &user.id, 7).unwrap();
        assert!(first.starts_with(CALENDAR_TOKEN_PREFIX));
        assert_eq!(first.len(), CALENDAR_TOKEN_PREFIX.len() + 43);
        assert!(
            first[CALENDAR_TOKEN_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(record.created_at, 7);
        assert_eq!(authenticate(&store, &first).unwrap(), Some(user.clone()));
        assert_eq!(authenticate(&store, "lcal_nope").unwrap(), None);
        assert_eq!(authenticate(&store, "").unwrap(), None);

        let (second, _) = create(&store, &user.id, 8).unwrap();
        assert_ne!(first, second);
        assert_eq!(authenticate(&store, &first).unwrap(), None);
        assert_eq!(status(&store, &user.id).unwrap().unwrap().created_at, 8);

        store.set_disabled(&user.id, true).unwrap();
        assert_eq!(authenticate(&store, &second).unwrap(), None, "disabled");
        store.set_disabled(&user.id, false).unwrap();
        assert!(authenticate(&store, &second).unwrap().is_some());

        assert!(revoke(&store, &user.id).unwrap());
        assert_eq!(authenticate(&store, &second).unwrap(), None);
        assert_eq!(status(&store, &user.id).unwrap(), None);
    }
}
