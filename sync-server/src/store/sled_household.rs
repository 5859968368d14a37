//! [`HouseholdStore`] on sled. Trees:
//! - `households`: household id → [`Household`] (JSON, members included)
//! - `household_names`: lower-cased name → household id (raw)
//! - `user_household`: user id → the id of the household they are in (raw; the membership
//!   check on the sync path is one read of this tree)
//!
//! A member's feed entry of a household document lives in the store's `feed` tree like any
//! other, under `feed_docs` key `{doc}#{user}` (a user's own documents keep the key `{doc}`),
//! so each member has their own entry for the document; see `feed_record` in `sled_store`.

use sled::Tree;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::household::{Household, HouseholdId, HouseholdStore, HouseholdWebhook};
use super::{RelayStore, SledStore, StoreError, UserId, name_key};

/// The households' trees, opened with the database.
pub struct HouseholdTrees {
    pub(super) households: Tree,
    names: Tree,
    pub(super) user_household: Tree,
}

impl HouseholdTrees {
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(HouseholdTrees {
            households: db.open_tree("households")?,
            names: db.open_tree("household_names")?,
            user_household: db.open_tree("user_household")?,
        })
    }
}

type Abort = ConflictableTransactionError<StoreError>;

/// The `feed_docs` key of `user`'s entry for household document `doc`.
pub(super) fn member_feed_doc_key(doc: &str, user: &UserId) -> Vec<u8> {
    format!("{doc}#{user}").into_bytes()
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Backend(e),
    }
}

pub(super) fn decode(bytes: &[u8]) -> Result<Household, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Corrupt {
        what: "household",
        source,
    })
}

fn encode(household: &Household) -> Result<Vec<u8>, Abort> {
    serde_json::to_vec(household).map_err(|e| Abort::Abort(StoreError::Encode(e)))
}

fn no_such(id: &HouseholdId) -> Abort {
    Abort::Abort(StoreError::NoSuchHousehold(id.to_string()))
}

impl SledStore {
    /// Applies `f` to a stored household in one transaction.
    fn update_household(
        &self,
        id: &HouseholdId,
        f: impl Fn(&mut Household),
    ) -> Result<(), StoreError> {
        let _w = self.write_gate();
        self.households
            .households
            .transaction(|households| {
                let raw = households
                    .get(id.as_str().as_bytes())?
                    .ok_or_else(|| no_such(id))?;
                let mut household = decode(&raw).map_err(Abort::Abort)?;
                f(&mut household);
                households.insert(id.as_str().as_bytes(), encode(&household)?)?;
                Ok(())
            })
            .map_err(tx_error)
    }
}

impl HouseholdStore for SledStore {
    fn create_household(&self, household: &Household) -> Result<(), StoreError> {
        let key = name_key(&household.name);
        let id = household.id.as_str().as_bytes();
        let value = serde_json::to_vec(household).map_err(StoreError::Encode)?;
        let _w = self.write_gate();
        let t = &self.households;
        (&t.households, &t.names)
            .transaction(|(households, names)| {
                if names.get(key.as_bytes())?.is_some() {
                    return Err(Abort::Abort(StoreError::HouseholdNameTaken(
                        household.name.clone(),
                    )));
                }
                if households.get(id)?.is_some() {
                    return Err(Abort::Abort(StoreError::HouseholdIdTaken(
                        household.id.clone(),
                    )));
                }
                households.insert(id, value.as_slice())?;
                names.insert(key.as_bytes(), id)?;
                Ok(())
            })
            .map_err(tx_error)
    }

    fn household(&self, id: &HouseholdId) -> Result<Option<Household>, StoreError> {
        match self.households.households.get(id.as_str().as_bytes())? {
            None => Ok(None),
            Some(v) => decode(&v).map(Some),
        }
    }

    fn household_by_name(&self, name: &str) -> Result<Option<Household>, StoreError> {
        let Some(id) = self.households.names.get(name_key(name).as_bytes())? else {
            return Ok(None);
        };
        match self.households.households.get(&id)? {
            None => Ok(None),
            Some(v) => decode(&v).map(Some),
        }
    }

    fn list_households(&self) -> Result<Vec<Household>, StoreError> {
        let mut out = Vec::new();
        for entry in self.households.households.iter() {
            let (_, v) = entry?;
            out.push(decode(&v)?);
        }
        out.sort_by_cached_key(|h| name_key(&h.name));
        Ok(out)
    }

    fn add_member(&self, id: &HouseholdId, user: &UserId) -> Result<Household, StoreError> {
        // A user removed right after this check keeps no membership: removing a user ends
        // their memberships first (`accounts::admin::remove_user`).
        let Some(account) = self.user(user)? else {
            return Err(StoreError::NoSuchUser(user.to_string()));
        };
        // Marks for the household's documents (at most one today), taken before the
        // transaction: sled's id generator takes the lock a transaction holds.
        let marks_ahead = [self.db().generate_id()?, self.db().generate_id()?];
        let _w = self.write_gate();
        let t = &self.households;
        (&t.households, &t.user_household, &self.feed_marks)
            .transaction(|(households, user_household, marks)| {
                let raw = households
                    .get(id.as_str().as_bytes())?
                    .ok_or_else(|| no_such(id))?;
                let mut household = decode(&raw).map_err(Abort::Abort)?;
                if let Some(current) = user_household.get(user.as_str().as_bytes())? {
                    let err = if current.as_ref() == id.as_str().as_bytes() {
                        StoreError::AlreadyMember {
                            user: account.name.clone(),
                            household: household.name.clone(),
                        }
                    } else {
                        StoreError::InAnotherHousehold {
                            user: account.name.clone(),
                        }
                    };
                    return Err(Abort::Abort(err));
                }
                if let Err(at) = household.members.binary_search(user) {
                    household.members.insert(at, user.clone());
                }
                households.insert(id.as_str().as_bytes(), encode(&household)?)?;
                user_household.insert(user.as_str().as_bytes(), id.as_str().as_bytes())?;
                for (doc, mark) in household.documents().zip(marks_ahead) {
                    marks.insert(doc.as_bytes(), &mark.to_be_bytes())?;
                }
                Ok(household)
            })
            .map_err(tx_error)
    }

    fn remove_member(&self, id: &HouseholdId, user: &UserId) -> Result<Household, StoreError> {
        let _w = self.write_gate();
        let t = &self.households;
        (
            &t.households,
            &t.user_household,
            &self.feed,
            &self.feed_docs,
        )
            .transaction(|(households, user_household, feed, feed_docs)| {
                let raw = households
                    .get(id.as_str().as_bytes())?
                    .ok_or_else(|| no_such(id))?;
                let mut household = decode(&raw).map_err(Abort::Abort)?;
                let Ok(at) = household.members.binary_search(user) else {
                    return Err(Abort::Abort(StoreError::NotAMember {
                        user: user.to_string(),
                        household: household.name.clone(),
                    }));
                };
                household.members.remove(at);
                households.insert(id.as_str().as_bytes(), encode(&household)?)?;
                if user_household.get(user.as_str().as_bytes())?.as_deref()
                    == Some(id.as_str().as_bytes())
                {
                    user_household.remove(user.as_str().as_bytes())?;
                }
                for doc in household.documents() {
                    let slot = member_feed_doc_key(doc, user);
                    if let Some(entry_key) = feed_docs.remove(slot)? {
                        feed.remove(entry_key)?;
                    }
                }
                Ok(household)
            })
            .map_err(tx_error)
    }

    fn is_member(&self, id: &HouseholdId, user: &UserId) -> Result<bool, StoreError> {
        Ok(self
            .households
            .user_household
            .get(user.as_str().as_bytes())?
            .is_some_and(|h| h.as_ref() == id.as_str().as_bytes()))
    }

    fn household_of(&self, user: &UserId) -> Result<Option<Household>, StoreError> {
        let Some(id) = self
            .households
            .user_household
            .get(user.as_str().as_bytes())?
        else {
            return Ok(None);
        };
        match self.households.households.get(&id)? {
            None => Ok(None),
            Some(v) => decode(&v).map(Some),
        }
    }

    fn set_household_grocery_list_id(
        &self,
        id: &HouseholdId,
        doc_id: Option<&str>,
    ) -> Result<(), StoreError> {
        self.update_household(id, |h| h.grocery_list_id = doc_id.map(str::to_owned))
    }

    fn set_household_meal_plan_id(
        &self,
        id: &HouseholdId,
        doc_id: Option<&str>,
    ) -> Result<(), StoreError> {
        self.update_household(id, |h| h.meal_plan_id = doc_id.map(str::to_owned))
    }

    fn set_household_webhook(
        &self,
        id: &HouseholdId,
        webhook: Option<&HouseholdWebhook>,
    ) -> Result<(), StoreError> {
        self.update_household(id, |h| h.webhook = webhook.cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sled_store::tests::stored_user;
    use crate::store::{FeedUpdate, Principal};

    fn household(name: &str) -> Household {
        Household {
            id: HouseholdId::random(),
            name: name.to_owned(),
            created_at: 1,
            members: Vec::new(),
            grocery_list_id: None,
            meal_plan_id: None,
            webhook: None,
        }
    }

    #[test]
    fn names_are_unique_case_insensitively_and_members_are_indexed() {
        let store = SledStore::temporary().unwrap();
        let home = household("Home");
        store.create_household(&home).unwrap();
        assert!(matches!(
            store.create_household(&household("HOME")),
            Err(StoreError::HouseholdNameTaken(n)) if n == "HOME"
        ));
        store.create_household(&household("cabin")).unwrap();
        assert_eq!(
            store.household_by_name("home").unwrap().unwrap().id,
            home.id
        );
        let names: Vec<String> = store
            .list_households()
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect();
        assert_eq!(names, ["cabin", "Home"]);

        let alice = stored_user(&store, "alice");
        let bob = stored_user(&store, "bob");
        let after = store.add_member(&home.id, &alice).unwrap();
        assert_eq!(after.members, vec![alice.clone()]);
        let after = store.add_member(&home.id, &bob).unwrap();
        let mut both = vec![alice.clone(), bob.clone()];
        both.sort();
        assert_eq!(after.members, both);
        assert_eq!(store.household(&home.id).unwrap().unwrap().members, both);
        assert!(store.is_member(&home.id, &alice).unwrap());
        assert_eq!(store.household_of(&bob).unwrap().unwrap().id, home.id);

        assert!(matches!(
            store.add_member(&home.id, &alice),
            Err(StoreError::AlreadyMember { .. })
        ));
        let cabin = store.household_by_name("cabin").unwrap().unwrap();
        assert!(matches!(
            store.add_member(&cabin.id, &alice),
            Err(StoreError::InAnotherHousehold { .. })
        ));
        assert!(!store.is_member(&cabin.id, &alice).unwrap());
        assert!(matches!(
            store.add_member(&HouseholdId::random(), &alice),
            Err(StoreError::NoSuchHousehold(_))
        ));
        assert!(matches!(
            store.add_member(&home.id, &UserId::random()),
            Err(StoreError::NoSuchUser(_))
        ));

        let after = store.remove_member(&home.id, &alice).unwrap();
        assert_eq!(after.members, vec![bob.clone()]);
        assert!(!store.is_member(&home.id, &alice).unwrap());
        assert_eq!(store.household_of(&alice).unwrap(), None);
        assert!(matches!(
            store.remove_member(&home.id, &alice),
            Err(StoreError::NotAMember { .. })
        ));
        // Free to join another one now.
        store.add_member(&cabin.id, &alice).unwrap();
    }

    #[test]
    fn a_household_webhook_is_set_removed_and_carried_by_backup_and_restore() {
        let store = SledStore::temporary().unwrap();
        let home = household("home");
        store.create_household(&home).unwrap();
        let hook = HouseholdWebhook {
            url: "https://hook.example/home".into(),
            secret: crate::config::Secret::new("a household secret"),
        };
        store.set_household_webhook(&home.id, Some(&hook)).unwrap();
        assert!(matches!(
            store.set_household_webhook(&HouseholdId::random(), Some(&hook)),
            Err(StoreError::NoSuchHousehold(_))
        ));

        // A backup is every record; restored into a new store, the webhook is there.
        let mut records = Vec::new();
        let watermark = store
            .export(&mut |tree, key, value| {
                records.push((tree.to_vec(), key.to_vec(), value.to_vec()));
                Ok(())
            })
            .unwrap();
        let restored = SledStore::temporary().unwrap();
        for (tree, key, value) in &records {
            restored.import_record(tree, key, value).unwrap();
        }
        restored.finish_import(watermark).unwrap();
        let back = restored.household(&home.id).unwrap().unwrap();
        assert_eq!(back.webhook, Some(hook));

        store.set_household_webhook(&home.id, None).unwrap();
        assert_eq!(store.household(&home.id).unwrap().unwrap().webhook, None);
        assert_eq!(
            store.household_by_name("HOME").unwrap().unwrap().members,
            home.members
        );
    }

    #[test]
    fn a_household_document_is_in_every_members_feed_from_joining_to_leaving() {
        let store = SledStore::temporary().unwrap();
        let home = household("home");
        store.create_household(&home).unwrap();
        store
            .set_household_grocery_list_id(&home.id, Some("list"))
            .unwrap();
        let owner = Principal::Household(home.id.clone());
        store.claim_doc("list", &owner).unwrap();
        let (alice, bob) = (stored_user(&store, "alice"), stored_user(&store, "bob"));
        store.add_member(&home.id, &alice).unwrap();
        let update = |heads: &str, mark: Option<u64>| FeedUpdate {
            owner: owner.clone(),
            doc: "list".to_owned(),
            heads: vec![heads.to_owned()],
            mark,
            kind: None,
        };

        // Joining marked the list pending; recording it clears the mark.
        let mark = store.feed_mark("list").unwrap();
        assert!(mark.is_some(), "joining marks the household's documents");
        let written = store.feed_record(&[update("h1", mark)]).unwrap();
        assert_eq!(written[0].len(), 1);
        assert_eq!(written[0][0].0, alice);
        assert_eq!(store.feed_mark("list").unwrap(), None);
        let alices = store.feed_since(&alice, 0, 10).unwrap();
        assert_eq!(alices.len(), 1);

        // Bob joins: the list is pending again, and recording it again writes Bob's entry only
        // (Alice's is current).
        store.add_member(&home.id, &bob).unwrap();
        let mark = store.feed_mark("list").unwrap();
        let written = store.feed_record(&[update("h1", mark)]).unwrap();
        assert_eq!(written[0].len(), 1);
        assert_eq!(written[0][0].0, bob);
        assert_eq!(store.feed_since(&alice, 0, 10).unwrap(), alices);

        // A change reaches both, each at a new sequence number of their own feed.
        let written = store.feed_record(&[update("h2", None)]).unwrap();
        let mut readers: Vec<&UserId> = written[0].iter().map(|(u, _)| u).collect();
        readers.sort();
        let mut both = vec![&alice, &bob];
        both.sort();
        assert_eq!(readers, both);
        let newest = store.feed_since(&alice, 0, 10).unwrap();
        assert_eq!(newest.len(), 1, "one entry per document");
        assert!(newest[0].seq > alices[0].seq);
        assert_eq!(newest[0].heads, ["h2"]);

        // Leaving drops the entry, and later changes write none for the one who left.
        store.remove_member(&home.id, &bob).unwrap();
        assert_eq!(store.feed_since(&bob, 0, 10).unwrap(), vec![]);
        let written = store.feed_record(&[update("h3", None)]).unwrap();
        assert_eq!(written[0].len(), 1);
        assert_eq!(written[0][0].0, alice);
        assert_eq!(store.feed_since(&bob, 0, 10).unwrap(), vec![]);
        // The user's own documents are untouched by all of it.
        assert_eq!(store.doc_principal("list").unwrap(), Some(owner));
    }
}
