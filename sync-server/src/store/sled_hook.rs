//! [`HookStore`] on sled. Trees (values JSON unless said otherwise):
//! - `api_tokens`: SHA-256 of the token → [`ApiToken`]
//! - `api_token_ids`: user id ++ token id → token hash (raw 32 bytes), to list and revoke
//! - `grocery_seen`: list id → empty (the list is recorded), and list id ++ `/` ++ item id →
//!   empty (that item was seen)
//! - `webhook_outbox`: delivery id → [`Delivery`]

use std::collections::BTreeSet;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::hook::{ApiToken, Delivery, HookStore};
use super::{RelayStore, SledStore, StoreError, TokenHash, UserId};
use crate::clock::UnixMs;

/// The hook's trees, opened with the database.
pub struct HookTrees {
    tokens: Tree,
    token_ids: Tree,
    seen: Tree,
    outbox: Tree,
}

impl HookTrees {
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(HookTrees {
            tokens: db.open_tree("api_tokens")?,
            token_ids: db.open_tree("api_token_ids")?,
            seen: db.open_tree("grocery_seen")?,
            outbox: db.open_tree("webhook_outbox")?,
        })
    }
}

type Abort = ConflictableTransactionError<StoreError>;

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Abort> {
    serde_json::to_vec(value).map_err(|e| Abort::Abort(StoreError::Encode(e)))
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt { what, source })
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Backend(e),
    }
}

fn id_key(user: &UserId, token_id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(48);
    k.extend_from_slice(user.as_str().as_bytes());
    k.extend_from_slice(token_id.as_bytes());
    k
}

fn seen_key(list: &str, item: &str) -> Vec<u8> {
    format!("{list}/{item}").into_bytes()
}

impl HookStore for SledStore {
    fn create_api_token(&self, hash: &TokenHash, token: &ApiToken) -> Result<(), StoreError> {
        if self.user(&token.user_id)?.is_none() {
            return Err(StoreError::NoSuchUser(token.user_id.to_string()));
        }
        let _w = self.write_gate();
        let t = &self.hook;
        (&t.tokens, &t.token_ids)
            .transaction(|(tokens, ids)| {
                tokens.insert(&hash.0, encode(token)?)?;
                ids.insert(id_key(&token.user_id, &token.id), &hash.0)?;
                Ok(())
            })
            .map_err(tx_error)
    }

    fn api_token(&self, hash: &TokenHash) -> Result<Option<ApiToken>, StoreError> {
        match self.hook.tokens.get(hash.0)? {
            None => Ok(None),
            Some(v) => decode(&v, "api token").map(Some),
        }
    }

    fn touch_api_token(&self, hash: &TokenHash, now: UnixMs) -> Result<bool, StoreError> {
        let _w = self.write_gate();
        self.hook
            .tokens
            .transaction(|tokens| {
                let Some(raw) = tokens.get(hash.0)? else {
                    return Ok(false);
                };
                let mut token: ApiToken = decode(&raw, "api token").map_err(Abort::Abort)?;
                token.last_used = Some(now);
                tokens.insert(&hash.0, encode(&token)?)?;
                Ok(true)
            })
            .map_err(tx_error)
    }

    fn list_api_tokens(&self, user: &UserId) -> Result<Vec<ApiToken>, StoreError> {
        let mut out = Vec::new();
        for entry in self.hook.token_ids.scan_prefix(user.as_str().as_bytes()) {
            let (_, hash) = entry?;
            if let Some(raw) = self.hook.tokens.get(&hash)? {
                out.push(decode::<ApiToken>(&raw, "api token")?);
            }
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    fn revoke_api_token(&self, user: &UserId, token_id: &str) -> Result<bool, StoreError> {
        let key = id_key(user, token_id);
        let _w = self.write_gate();
        let t = &self.hook;
        (&t.tokens, &t.token_ids)
            .transaction(|(tokens, ids)| {
                let Some(hash) = ids.remove(key.as_slice())? else {
                    return Ok(false);
                };
                tokens.remove(hash)?;
                Ok(true)
            })
            .map_err(tx_error)
    }

    fn grocery_seen(&self, list: &str) -> Result<Option<BTreeSet<String>>, StoreError> {
        if !self.hook.seen.contains_key(list.as_bytes())? {
            return Ok(None);
        }
        let prefix = format!("{list}/");
        let mut out = BTreeSet::new();
        for entry in self.hook.seen.scan_prefix(prefix.as_bytes()) {
            let (k, _) = entry?;
            if let Ok(k) = std::str::from_utf8(&k[prefix.len()..]) {
                out.insert(k.to_owned());
            }
        }
        Ok(Some(out))
    }

    fn grocery_forget(&self, list: &str) -> Result<(), StoreError> {
        let _w = self.write_gate();
        self.hook.seen.remove(list.as_bytes())?;
        for key in self
            .hook
            .seen
            .scan_prefix(format!("{list}/").as_bytes())
            .keys()
        {
            self.hook.seen.remove(key?)?;
        }
        Ok(())
    }

    fn grocery_record(
        &self,
        list: &str,
        added: &[String],
        removed: &[String],
        queue: &[Delivery],
    ) -> Result<(), StoreError> {
        let encoded = queue
            .iter()
            .map(|d| serde_json::to_vec(d).map(|v| (d.id.as_bytes(), v)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::Encode)?;
        let _w = self.write_gate();
        let t = &self.hook;
        (&t.seen, &t.outbox)
            .transaction(|(seen, outbox)| {
                seen.insert(list.as_bytes(), &[])?;
                for item in added {
                    seen.insert(seen_key(list, item), &[])?;
                }
                for item in removed {
                    seen.remove(seen_key(list, item))?;
                }
                for (id, value) in &encoded {
                    outbox.insert(*id, value.as_slice())?;
                }
                Ok(())
            })
            .map_err(tx_error)
    }

    fn outbox(&self) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for entry in self.hook.outbox.iter() {
            let (_, v) = entry?;
            match decode::<Delivery>(&v, "webhook delivery") {
                Ok(d) => out.push(d),
                Err(e) => tracing::warn!(error = %e, "skipping an unreadable webhook delivery"),
            }
        }
        out.sort_by_key(|d| d.seq);
        Ok(out)
    }

    fn outbox_len(&self) -> Result<usize, StoreError> {
        Ok(self.hook.outbox.len())
    }

    fn outbox_update(&self, delivery: &Delivery) -> Result<bool, StoreError> {
        let value = serde_json::to_vec(delivery).map_err(StoreError::Encode)?;
        let key = delivery.id.as_bytes();
        let _w = self.write_gate();
        // Only if it is still queued: a delivery removed meanwhile stays removed.
        let mut current = self.hook.outbox.get(key)?;
        loop {
            let Some(old) = current else {
                return Ok(false);
            };
            match self
                .hook
                .outbox
                .compare_and_swap(key, Some(&old), Some(value.as_slice()))?
            {
                Ok(()) => return Ok(true),
                Err(cas) => current = cas.current,
            }
        }
    }

    fn outbox_remove(&self, id: &str) -> Result<(), StoreError> {
        let _w = self.write_gate();
        self.hook.outbox.remove(id.as_bytes())?;
        Ok(())
    }

    fn next_seq(&self) -> Result<u64, StoreError> {
        Ok(self.db().generate_id()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::store::sled_store::tests::stored_user as user;

    fn token(user: &UserId, id: &str, at: UnixMs) -> ApiToken {
        ApiToken {
            id: id.into(),
            user_id: user.clone(),
            label: format!("label {id}"),
            created_at: at,
            last_used: None,
        }
    }

    #[test]
    fn tokens_are_listed_per_user_and_revoked_by_id() {
        let store = SledStore::temporary().unwrap();
        let alice = user(&store, "alice");
        let bob = user(&store, "bob");
        store
            .create_api_token(&TokenHash([1; 32]), &token(&alice, "a1", 1))
            .unwrap();
        store
            .create_api_token(&TokenHash([2; 32]), &token(&alice, "a2", 2))
            .unwrap();
        store
            .create_api_token(&TokenHash([3; 32]), &token(&bob, "b1", 3))
            .unwrap();
        assert!(matches!(
            store.create_api_token(&TokenHash([4; 32]), &token(&UserId::random(), "x", 4)),
            Err(StoreError::NoSuchUser(_))
        ));
        let ids: Vec<_> = store
            .list_api_tokens(&alice)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, ["a1", "a2"]);
        assert!(store.touch_api_token(&TokenHash([1; 32]), 99).unwrap());
        assert_eq!(
            store
                .api_token(&TokenHash([1; 32]))
                .unwrap()
                .unwrap()
                .last_used,
            Some(99)
        );
        // Bob cannot revoke Alice's token by its id.
        assert!(!store.revoke_api_token(&bob, "a1").unwrap());
        assert!(store.revoke_api_token(&alice, "a1").unwrap());
        assert!(!store.revoke_api_token(&alice, "a1").unwrap());
        assert!(store.api_token(&TokenHash([1; 32])).unwrap().is_none());
        assert!(!store.touch_api_token(&TokenHash([1; 32]), 100).unwrap());
        assert_eq!(store.list_api_tokens(&alice).unwrap().len(), 1);
    }

    #[test]
    fn seen_items_and_outbox() {
        let store = SledStore::temporary().unwrap();
        let alice = user(&store, "alice");
        assert_eq!(store.grocery_seen("list").unwrap(), None);
        store.grocery_record("list", &[], &[], &[]).unwrap();
        assert_eq!(store.grocery_seen("list").unwrap(), Some(BTreeSet::new()));

        let delivery = |id: &str, seq| Delivery {
            id: id.into(),
            seq,
            user_id: Some(alice.clone()),
            user_name: Some("alice".into()),
            household: None,
            list_id: "list".into(),
            item: super::super::hook::HookItem {
                id: id.into(),
                name: "milk".into(),
                quantity: None,
                unit: String::new(),
                checked: false,
            },
            created_at: 0,
            attempts: 0,
            next_attempt_at: 0,
        };
        let (a, b) = ("a".to_owned(), "b".to_owned());
        store
            .grocery_record(
                "list",
                &[a.clone(), b.clone()],
                &[],
                &[delivery("d2", 2), delivery("d1", 1)],
            )
            .unwrap();
        // The same delivery again replaces, never duplicates.
        store
            .grocery_record("list", &[], std::slice::from_ref(&a), &[delivery("d1", 1)])
            .unwrap();
        assert_eq!(
            store.grocery_seen("list").unwrap(),
            Some(BTreeSet::from([b.clone()]))
        );
        // Another list with a name that is a prefix is separate.
        assert_eq!(store.grocery_seen("lis").unwrap(), None);

        let queued = store.outbox().unwrap();
        assert_eq!(
            queued.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            ["d1", "d2"]
        );
        let mut failed = queued[0].clone();
        failed.attempts = 1;
        assert!(store.outbox_update(&failed).unwrap());
        store.outbox_remove("d1").unwrap();
        assert!(!store.outbox_update(&failed).unwrap(), "stays removed");
        assert_eq!(store.outbox_len().unwrap(), 1);
        assert!(store.next_seq().unwrap() < store.next_seq().unwrap());
    }
}
