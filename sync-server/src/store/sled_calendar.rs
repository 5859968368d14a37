//! [`CalendarStore`] on sled. Trees:
//! - `calendar_tokens`: SHA-256 of the token → [`CalendarToken`] (JSON)
//! - `calendar_users`: user id → the hash of that user's token (raw 32 bytes), so a new token
//!   finds and deletes the old one, and status and revoking need no token

use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::calendar::{CalendarStore, CalendarToken};
use super::{RelayStore, SledStore, StoreError, TokenHash, UserId};

/// The calendar feed's trees, opened with the database.
pub struct CalendarTrees {
    tokens: Tree,
    users: Tree,
}

impl CalendarTrees {
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(CalendarTrees {
            tokens: db.open_tree("calendar_tokens")?,
            users: db.open_tree("calendar_users")?,
        })
    }
}

type Abort = ConflictableTransactionError<StoreError>;

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Backend(e),
    }
}

fn decode(bytes: &[u8]) -> Result<CalendarToken, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        what: "calendar token",
        source,
    })
}

impl CalendarStore for SledStore {
    fn replace_calendar_token(
        &self,
        hash: &TokenHash,
        token: &CalendarToken,
    ) -> Result<(), StoreError> {
        if self.user(&token.user_id)?.is_none() {
            return Err(StoreError::NoSuchUser(token.user_id.to_string()));
        }
        let value = serde_json::to_vec(token).map_err(StoreError::Encode)?;
        let user = token.user_id.as_str().as_bytes();
        let _w = self.write_gate();
        let t = &self.calendar;
        (&t.tokens, &t.users)
            .transaction(|(tokens, users)| {
                if let Some(old) = users.insert(user, &hash.0)? {
                    tokens.remove(old)?;
                }
                tokens.insert(&hash.0, value.as_slice())?;
                Ok::<_, Abort>(())
            })
            .map_err(tx_error)
    }

    fn calendar_token(&self, hash: &TokenHash) -> Result<Option<CalendarToken>, StoreError> {
        match self.calendar.tokens.get(hash.0)? {
            None => Ok(None),
            Some(v) => decode(&v).map(Some),
        }
    }

    fn user_calendar_token(&self, user: &UserId) -> Result<Option<CalendarToken>, StoreError> {
        let Some(hash) = self.calendar.users.get(user.as_str().as_bytes())? else {
            return Ok(None);
        };
        match self.calendar.tokens.get(hash)? {
            None => Ok(None),
            Some(v) => decode(&v).map(Some),
        }
    }

    fn revoke_calendar_token(&self, user: &UserId) -> Result<bool, StoreError> {
        let _w = self.write_gate();
        let t = &self.calendar;
        (&t.tokens, &t.users)
            .transaction(|(tokens, users)| {
                let Some(hash) = users.remove(user.as_str().as_bytes())? else {
                    return Ok::<_, Abort>(false);
                };
                tokens.remove(hash)?;
                Ok(true)
            })
            .map_err(tx_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::sled_store::tests::stored_user as user;

    fn token(user: &UserId, at: i64) -> CalendarToken {
        CalendarToken {
            user_id: user.clone(),
            created_at: at,
        }
    }

    #[test]
    fn one_token_per_user_and_a_new_one_replaces_the_old() {
        let store = SledStore::temporary().unwrap();
        let alice = user(&store, "alice");
        let bob = user(&store, "bob");
        let (a1, a2, b1) = (TokenHash([1; 32]), TokenHash([2; 32]), TokenHash([3; 32]));
        assert_eq!(store.user_calendar_token(&alice).unwrap(), None);
        store
            .replace_calendar_token(&a1, &token(&alice, 1))
            .unwrap();
        store.replace_calendar_token(&b1, &token(&bob, 2)).unwrap();
        assert_eq!(store.calendar_token(&a1).unwrap(), Some(token(&alice, 1)));

        store
            .replace_calendar_token(&a2, &token(&alice, 5))
            .unwrap();
        assert_eq!(
            store.calendar_token(&a1).unwrap(),
            None,
            "the old one is gone"
        );
        assert_eq!(store.calendar_token(&a2).unwrap(), Some(token(&alice, 5)));
        assert_eq!(
            store.user_calendar_token(&alice).unwrap(),
            Some(token(&alice, 5))
        );
        // Bob's is untouched by Alice's.
        assert_eq!(store.calendar_token(&b1).unwrap(), Some(token(&bob, 2)));

        assert!(store.revoke_calendar_token(&alice).unwrap());
        assert!(!store.revoke_calendar_token(&alice).unwrap());
        assert_eq!(store.calendar_token(&a2).unwrap(), None);
        assert_eq!(store.user_calendar_token(&alice).unwrap(), None);
        assert_eq!(store.calendar_token(&b1).unwrap(), Some(token(&bob, 2)));

        assert!(matches!(
            store.replace_calendar_token(&a1, &token(&UserId::random(), 9)),
            Err(StoreError::NoSuchUser(_))
        ));
    }
}
