//! [`ShareStore`] on sled. Trees:
//! - `shares`: share id → [`Share`] (JSON)
//! - `doc_grants`: document id → the grants on that one document (JSON list of [`Grant`])
//! - `all_recipe_grants`: owner user id → the owner's "all my recipes" grants (JSON list)
//! - `owner_shares`: owner id ++ `#` ++ share id → empty (an owner's shares)
//! - `grantee_shares`: [`Grantee::index_key`] ++ `#` ++ share id → empty (shares to someone)
//! - `doc_kinds`: document id → its root `kind` (raw)
//!
//! The grants live in lists read with one `get`, so the change feed's transaction (which
//! cannot scan) expands a document's readers to its grantees consistently with the shares as
//! of that step; see `feed_record` in `sled_store`. A grantee's feed entry of a document uses
//! the `feed_docs` key `{doc}#{user}`, as a household member's does.

use serde::{Deserialize, Serialize};
use sled::Tree;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, Transactional, TransactionalTree,
};

use super::share::{Grantee, RECIPE_KIND, Share, ShareId, ShareMode, ShareScope, ShareStore};
use super::{Principal, SledStore, StoreError, UserId};

/// The shares' trees, opened with the database.
pub struct ShareTrees {
    shares: Tree,
    pub(super) doc_grants: Tree,
    pub(super) all_recipe_grants: Tree,
    owner_shares: Tree,
    grantee_shares: Tree,
    pub(super) doc_kinds: Tree,
}

impl ShareTrees {
    pub fn open(db: &sled::Db) -> Result<Self, StoreError> {
        Ok(ShareTrees {
            shares: db.open_tree("shares")?,
            doc_grants: db.open_tree("doc_grants")?,
            all_recipe_grants: db.open_tree("all_recipe_grants")?,
            owner_shares: db.open_tree("owner_shares")?,
            grantee_shares: db.open_tree("grantee_shares")?,
            doc_kinds: db.open_tree("doc_kinds")?,
        })
    }
}

/// One grant in a document's (or an owner's) list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Grant {
    pub share: ShareId,
    pub grantee: Grantee,
    pub mode: ShareMode,
}

type Abort = ConflictableTransactionError<StoreError>;

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => StoreError::Backend(e),
    }
}

fn corrupt(what: &'static str) -> impl Fn(serde_json::Error) -> StoreError {
    move |source| StoreError::Corrupt { what, source }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Abort> {
    serde_json::to_vec(value).map_err(|e| Abort::Abort(StoreError::Encode(e)))
}

/// The grants stored under `key` in `tree` (a transaction's view).
pub(super) fn grants_in(tree: &TransactionalTree, key: &[u8]) -> Result<Vec<Grant>, Abort> {
    match tree.get(key)? {
        Some(raw) => {
            serde_json::from_slice(&raw).map_err(|e| Abort::Abort(corrupt("share grants")(e)))
        }
        None => Ok(Vec::new()),
    }
}

fn grants(tree: &Tree, key: &[u8]) -> Result<Vec<Grant>, StoreError> {
    match tree.get(key)? {
        Some(raw) => serde_json::from_slice(&raw).map_err(corrupt("share grants")),
        None => Ok(Vec::new()),
    }
}

/// The grant lists `share` is in: one per shared document, or its owner's "all my recipes"
/// list.
fn grant_lists<'a>(
    share: &'a Share,
    doc_grants: &'a TransactionalTree,
    all_recipe_grants: &'a TransactionalTree,
) -> Vec<(&'a TransactionalTree, &'a [u8])> {
    match &share.scope {
        ShareScope::Recipes(ids) => ids.iter().map(|d| (doc_grants, d.as_bytes())).collect(),
        ShareScope::AllRecipes => vec![(all_recipe_grants, share.owner.as_str().as_bytes())],
    }
}

fn index_key(prefix: &str, share: &ShareId) -> Vec<u8> {
    format!("{prefix}#{share}").into_bytes()
}

impl SledStore {
    /// The grants that apply to document `doc` of `owner`, given its kind: those on the
    /// document, and the owner's "all my recipes" grants if it is a recipe.
    fn grants_on(&self, doc: &str, owner: &UserId) -> Result<Vec<Grant>, StoreError> {
        let mut all = grants(&self.shares.doc_grants, doc.as_bytes())?;
        if self.doc_kind(doc)?.as_deref() == Some(RECIPE_KIND) {
            all.extend(grants(
                &self.shares.all_recipe_grants,
                owner.as_str().as_bytes(),
            )?);
        }
        Ok(all)
    }

    /// The shares an index (`{prefix}#{share id}` keys) lists under any of `prefixes`,
    /// oldest first.
    fn shares_indexed(&self, index: &Tree, prefixes: &[String]) -> Result<Vec<Share>, StoreError> {
        let mut out = Vec::new();
        for prefix in prefixes {
            let prefix = format!("{prefix}#");
            for key in index.scan_prefix(prefix.as_bytes()).keys() {
                let key = key?;
                let id = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
                if let Some(share) = ShareId::parse(&id).map(|id| self.share(&id)).transpose()? {
                    out.extend(share);
                }
            }
        }
        out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Whether `grantee` reaches `user` (in `household`, the one `user` is in).
    fn reaches(grantee: &Grantee, user: &UserId, household: Option<&[u8]>) -> bool {
        match grantee {
            Grantee::User(u) => u == user,
            Grantee::Household(h) => household == Some(h.as_str().as_bytes()),
        }
    }
}

impl ShareStore for SledStore {
    fn create_share(&self, share: &Share, docs: &[String]) -> Result<(), StoreError> {
        // Marks taken before the transaction: sled's id generator takes the lock it holds.
        let marks_ahead = docs
            .iter()
            .map(|_| self.db().generate_id())
            .collect::<Result<Vec<u64>, _>>()?;
        let grant = Grant {
            share: share.id.clone(),
            grantee: share.grantee.clone(),
            mode: share.mode,
        };
        let t = &self.shares;
        let _w = self.write_gate();
        (
            &t.shares,
            &t.doc_grants,
            &t.all_recipe_grants,
            &t.owner_shares,
            &t.grantee_shares,
            &self.feed_marks,
        )
            .transaction(
                |(shares, doc_grants, all_recipe_grants, owner_shares, grantee_shares, marks)| {
                    shares.insert(share.id.as_str().as_bytes(), encode(share)?)?;
                    for (tree, key) in grant_lists(share, doc_grants, all_recipe_grants) {
                        let mut list = grants_in(tree, key)?;
                        list.push(grant.clone());
                        tree.insert(key, encode(&list)?)?;
                    }
                    owner_shares.insert(index_key(share.owner.as_str(), &share.id), &[])?;
                    grantee_shares.insert(index_key(&share.grantee.index_key(), &share.id), &[])?;
                    for (doc, mark) in docs.iter().zip(&marks_ahead) {
                        marks.insert(doc.as_bytes(), &mark.to_be_bytes())?;
                    }
                    Ok(())
                },
            )
            .map_err(tx_error)
    }

    fn share(&self, id: &ShareId) -> Result<Option<Share>, StoreError> {
        match self.shares.shares.get(id.as_str().as_bytes())? {
            Some(raw) => serde_json::from_slice(&raw)
                .map(Some)
                .map_err(corrupt("share")),
            None => Ok(None),
        }
    }

    fn shares_by(&self, owner: &UserId) -> Result<Vec<Share>, StoreError> {
        self.shares_indexed(&self.shares.owner_shares, &[owner.as_str().to_owned()])
    }

    fn shares_to(&self, user: &UserId) -> Result<Vec<Share>, StoreError> {
        let mut grantees = vec![Grantee::User(user.clone()).index_key()];
        if let Some(h) = self
            .households
            .user_household
            .get(user.as_str().as_bytes())?
            && let Some(h) = super::HouseholdId::parse(&String::from_utf8_lossy(&h))
        {
            grantees.push(Grantee::Household(h).index_key());
        }
        self.shares_indexed(&self.shares.grantee_shares, &grantees)
    }

    fn delete_share(&self, id: &ShareId) -> Result<Option<Share>, StoreError> {
        let Some(share) = self.share(id)? else {
            return Ok(None);
        };
        let t = &self.shares;
        let _w = self.write_gate();
        (
            &t.shares,
            &t.doc_grants,
            &t.all_recipe_grants,
            &t.owner_shares,
            &t.grantee_shares,
        )
            .transaction(
                |(shares, doc_grants, all_recipe_grants, owner_shares, grantee_shares)| {
                    shares.remove(id.as_str().as_bytes())?;
                    for (tree, key) in grant_lists(&share, doc_grants, all_recipe_grants) {
                        let mut list = grants_in(tree, key)?;
                        list.retain(|g| g.share != *id);
                        if list.is_empty() {
                            tree.remove(key)?;
                        } else {
                            tree.insert(key, encode(&list)?)?;
                        }
                    }
                    owner_shares.remove(index_key(share.owner.as_str(), id))?;
                    grantee_shares.remove(index_key(&share.grantee.index_key(), id))?;
                    Ok(())
                },
            )
            .map_err(tx_error)?;
        Ok(Some(share))
    }

    fn granted(
        &self,
        doc: &str,
        owner: &UserId,
        user: &UserId,
    ) -> Result<Option<ShareMode>, StoreError> {
        let household = self
            .households
            .user_household
            .get(user.as_str().as_bytes())?;
        Ok(self
            .grants_on(doc, owner)?
            .iter()
            .filter(|g| Self::reaches(&g.grantee, user, household.as_deref()))
            .map(|g| g.mode)
            .max())
    }

    fn grantees_of(&self, doc: &str, owner: &UserId) -> Result<Vec<UserId>, StoreError> {
        let mut users = Vec::new();
        for grant in self.grants_on(doc, owner)? {
            match grant.grantee {
                Grantee::User(u) => users.push(u),
                Grantee::Household(h) => {
                    if let Some(raw) = self.households.households.get(h.as_str().as_bytes())? {
                        users.extend(super::sled_household::decode(&raw)?.members);
                    }
                }
            }
        }
        users.sort();
        users.dedup();
        users.retain(|u| u != owner);
        Ok(users)
    }

    fn doc_kind(&self, doc: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .shares
            .doc_kinds
            .get(doc.as_bytes())?
            .map(|raw| String::from_utf8_lossy(&raw).into_owned()))
    }

    fn set_doc_kind(&self, doc: &str, kind: &str) -> Result<(), StoreError> {
        let _w = self.write_gate();
        self.shares
            .doc_kinds
            .insert(doc.as_bytes(), kind.as_bytes())?;
        Ok(())
    }

    fn docs_of(&self, owner: &UserId) -> Result<Vec<String>, StoreError> {
        let record = Principal::User(owner.clone()).to_record();
        let mut out = Vec::new();
        for entry in self.doc_owner.iter() {
            let (doc, who) = entry?;
            if who.as_ref() == record.as_bytes() {
                out.push(String::from_utf8_lossy(&doc).into_owned());
            }
        }
        Ok(out)
    }

    fn forget_feed_entry(&self, doc: &str, user: &UserId) -> Result<(), StoreError> {
        let slot = super::sled_household::member_feed_doc_key(doc, user);
        let _w = self.write_gate();
        (&self.feed, &self.feed_docs)
            .transaction(|(feed, feed_docs)| {
                if let Some(key) = feed_docs.remove(slot.as_slice())? {
                    feed.remove(key)?;
                }
                Ok(())
            })
            .map_err(tx_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sled_store::tests::stored_user;
    use crate::store::{FeedUpdate, Household, HouseholdId, HouseholdStore, RelayStore};

    fn share(owner: &UserId, scope: ShareScope, grantee: Grantee, mode: ShareMode) -> Share {
        Share {
            id: ShareId::random(),
            owner: owner.clone(),
            scope,
            grantee,
            mode,
            created_at: 1,
        }
    }

    /// Records a change of `doc` (new heads each time); the readers that got an entry.
    fn record(store: &SledStore, owner: &UserId, doc: &str, kind: &str) -> Vec<UserId> {
        let update = FeedUpdate {
            owner: Principal::User(owner.clone()),
            doc: doc.to_owned(),
            heads: vec![crate::secret::random_hex(8)],
            mark: None,
            kind: Some(kind.to_owned()),
        };
        let mut readers: Vec<UserId> = store
            .feed_record(&[update])
            .unwrap()
            .pop()
            .unwrap()
            .into_iter()
            .map(|(user, _)| user)
            .collect();
        readers.sort();
        readers
    }

    #[test]
    fn grants_decide_readers_and_modes_and_go_with_the_share() {
        let store = SledStore::temporary().unwrap();
        let (alice, bob, carol) = (
            stored_user(&store, "alice"),
            stored_user(&store, "bob"),
            stored_user(&store, "carol"),
        );
        for doc in ["soup", "list"] {
            store
                .claim_doc(doc, &Principal::User(alice.clone()))
                .unwrap();
        }
        let home = Household {
            id: HouseholdId::random(),
            name: "home".into(),
            created_at: 1,
            members: Vec::new(),
            grocery_list_id: None,
            meal_plan_id: None,
            webhook: None,
        };
        store.create_household(&home).unwrap();
        store.add_member(&home.id, &carol).unwrap();

        let to_bob = share(
            &alice,
            ShareScope::Recipes(vec!["soup".into()]),
            Grantee::User(bob.clone()),
            ShareMode::Read,
        );
        store.create_share(&to_bob, &["soup".into()]).unwrap();
        assert!(
            store.feed_mark("soup").unwrap().is_some(),
            "marked for backfill"
        );
        assert_eq!(
            store.granted("soup", &alice, &bob).unwrap(),
            Some(ShareMode::Read)
        );
        assert_eq!(store.granted("list", &alice, &bob).unwrap(), None);
        assert_eq!(store.granted("soup", &alice, &carol).unwrap(), None);

        // All recipes to carol's household, editable: recipes only, the widest mode wins.
        let to_home = share(
            &alice,
            ShareScope::AllRecipes,
            Grantee::Household(home.id.clone()),
            ShareMode::Edit,
        );
        store.create_share(&to_home, &[]).unwrap();
        assert_eq!(
            record(&store, &alice, "list", "larder.grocery"),
            vec![alice.clone()]
        );
        let mut expected = vec![alice.clone(), bob.clone(), carol.clone()];
        expected.sort();
        assert_eq!(record(&store, &alice, "soup", RECIPE_KIND), expected);
        assert_eq!(
            store.granted("soup", &alice, &carol).unwrap(),
            Some(ShareMode::Edit)
        );
        assert_eq!(store.granted("list", &alice, &carol).unwrap(), None);
        assert_eq!(store.shares_to(&carol).unwrap(), vec![to_home.clone()]);
        assert_eq!(store.shares_by(&alice).unwrap().len(), 2);
        let mut grantees = vec![bob.clone(), carol.clone()];
        grantees.sort();
        assert_eq!(store.grantees_of("soup", &alice).unwrap(), grantees);

        // Revoked: the grant is gone; the feed entries go when the hub says so.
        assert_eq!(
            store.delete_share(&to_bob.id).unwrap(),
            Some(to_bob.clone())
        );
        assert_eq!(store.granted("soup", &alice, &bob).unwrap(), None);
        assert_eq!(store.delete_share(&to_bob.id).unwrap(), None);
        assert!(store.shares_to(&bob).unwrap().is_empty());
        let bobs = |store: &SledStore| {
            store
                .feed_since(&bob, 0, 100)
                .unwrap()
                .into_iter()
                .any(|e| e.doc_id == "soup")
        };
        assert!(bobs(&store));
        store.forget_feed_entry("soup", &bob).unwrap();
        assert!(!bobs(&store));
        assert_eq!(
            record(&store, &alice, "soup", RECIPE_KIND).len(),
            2,
            "alice and carol"
        );
        assert_eq!(store.docs_of(&alice).unwrap().len(), 2);
    }
}
