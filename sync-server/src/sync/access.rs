//! Who may sync what: peer ids, and the one access decision every sync path takes.
//!
//! - A client's peer id is `"{user_id}.{device_id}"` (device id: 32 lower-case hex digits);
//!   the websocket is bound to it when the ticket is redeemed, so a peer can't speak for
//!   another. The relay itself is [`RELAY_PEER_ID`].
//! - Every document has at most one owner (`doc_principal` in the store): a user, or a
//!   household ([`Principal`]). The first user whose
//!   device sends a `sync` message for a document nobody owns claims it, an atomic
//!   compare-and-swap, so of two users racing for one id exactly one wins; documents the relay
//!   creates (grocery lists) are claimed for their user or household before they exist. A
//!   `request` (a
//!   device asking for a document it lacks) claims nothing: for an unowned id it is answered
//!   like any unknown one.
//! - The owner's devices may read and write; so may the devices of every member of an owning
//!   household, for as long as they are members (asked of the store at each decision: a
//!   removed member is refused from the next message on). A user's document shared with
//!   another user or a household ([`crate::store::ShareStore`]) may be read by the grantees,
//!   and written too when the share is editable; a read-only grantee's changes are dropped.
//!   Everyone else is answered exactly as for a document that does not exist
//!   (`doc-unavailable`), and what they send is dropped.
//! - [`decide`] is the decision for a document id; [`decide_for`] the same decision once the
//!   owner is known (a document the sync core has loaded), so a message costs no owner lookup.
//!   Every path (websocket, feed, bulk fetch and upload, grocery API) takes one of the two.

use crate::store::{HouseholdId, Principal, RelayStore, ShareMode, StoreError, UserId};

/// The relay's own peer id.
pub const RELAY_PEER_ID: &str = "larder-relay";

/// Whether `peer` is exactly `"{user}.{32 lower-case hex digits}"`.
pub fn is_client_peer_id(peer: &str, user: &UserId) -> bool {
    let Some((u, device)) = peer.split_once('.') else {
        return false;
    };
    u == user.as_str()
        && device.len() == 32
        && device
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a user may do with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Read and write: the user owns it (`claimed`: just now, by this decision).
    Owner { claimed: bool },
    /// Read and write: a household owns it and the user is a member.
    Member { household: HouseholdId },
    /// Another user owns it and shares it with this user (or their household): read, and
    /// with [`ShareMode::Edit`] write.
    Shared { owner: UserId, mode: ShareMode },
    /// Nothing; answered as for a document that does not exist.
    None,
}

impl Access {
    /// Whether the user may read (and sync) the document.
    pub fn allowed(&self) -> bool {
        !matches!(self, Access::None)
    }

    /// Whether what the user sends for the document may change it.
    pub fn writable(&self) -> bool {
        match self {
            Access::Owner { .. } | Access::Member { .. } => true,
            Access::Shared { mode, .. } => *mode == ShareMode::Edit,
            Access::None => false,
        }
    }

    /// The document's owner as this decision found it (`user`: the user it was made for).
    pub fn owner(&self, user: &UserId) -> Option<Principal> {
        match self {
            Access::Owner { .. } => Some(Principal::User(user.clone())),
            Access::Member { household } => Some(Principal::Household(household.clone())),
            Access::Shared { owner, .. } => Some(Principal::User(owner.clone())),
            Access::None => None,
        }
    }
}

/// The decision for `user` and document `doc`; with `claim`, an unowned document becomes
/// theirs.
pub fn decide(
    store: &dyn RelayStore,
    doc: &str,
    user: &UserId,
    claim: bool,
) -> Result<Access, StoreError> {
    match store.doc_principal(doc)? {
        Some(owner) => decide_for(store, doc, &owner, user),
        None if claim => {
            let mine = Principal::User(user.clone());
            let owner = store.claim_doc(doc, &mine)?;
            if owner == mine {
                Ok(Access::Owner { claimed: true })
            } else {
                decide_for(store, doc, &owner, user)
            }
        }
        None => Ok(Access::None),
    }
}

/// The decision for `user` and document `doc`, owned by `owner`.
pub fn decide_for(
    store: &dyn RelayStore,
    doc: &str,
    owner: &Principal,
    user: &UserId,
) -> Result<Access, StoreError> {
    match owner {
        Principal::User(u) if u == user => Ok(Access::Owner { claimed: false }),
        Principal::User(u) => Ok(match store.granted(doc, u, user)? {
            Some(mode) => Access::Shared {
                owner: u.clone(),
                mode,
            },
            None => Access::None,
        }),
        Principal::Household(h) => Ok(if store.is_member(h, user)? {
            Access::Member {
                household: h.clone(),
            }
        } else {
            Access::None
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_ids() {
        let user = UserId::parse(&"a".repeat(32)).unwrap();
        let device = "0123456789abcdef0123456789abcdef";
        assert!(is_client_peer_id(&format!("{user}.{device}"), &user));
        for bad in [
            format!("{user}"),
            format!("{user}."),
            format!("{user}.{}", &device[1..]),
            format!("{user}.{}", device.to_uppercase()),
            format!("{user}.{device}0"),
            format!("{user}.{device}.x"),
            format!("{}.{device}", "b".repeat(32)),
            RELAY_PEER_ID.to_owned(),
        ] {
            assert!(!is_client_peer_id(&bad, &user), "{bad}");
        }
    }

    #[test]
    fn owners_and_claims() {
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(tmp.path()).unwrap();
        let (alice, bob) = (UserId::random(), UserId::random());
        assert_eq!(decide(&store, "d", &alice, false).unwrap(), Access::None);
        assert_eq!(
            store.doc_owner("d").unwrap(),
            None,
            "a request claims nothing"
        );
        assert_eq!(
            decide(&store, "d", &alice, true).unwrap(),
            Access::Owner { claimed: true }
        );
        assert_eq!(
            decide(&store, "d", &alice, true).unwrap(),
            Access::Owner { claimed: false }
        );
        assert_eq!(decide(&store, "d", &bob, true).unwrap(), Access::None);
        assert_eq!(store.doc_owner("d").unwrap(), Some(alice));
    }

    #[test]
    fn household_documents_are_their_members_and_no_one_elses() {
        use crate::store::{Household, HouseholdStore};
        let tmp = tempfile::tempdir().unwrap();
        let store = crate::store::SledStore::open(tmp.path()).unwrap();
        let alice = crate::store::sled_store::tests::stored_user(&store, "alice");
        let bob = crate::store::sled_store::tests::stored_user(&store, "bob");
        let household = Household {
            id: HouseholdId::random(),
            name: "home".to_owned(),
            created_at: 1,
            members: Vec::new(),
            grocery_list_id: None,
            meal_plan_id: None,
            webhook: None,
        };
        store.create_household(&household).unwrap();
        let owner = Principal::Household(household.id.clone());
        assert_eq!(store.claim_doc("list", &owner).unwrap(), owner);
        let member = Access::Member {
            household: household.id.clone(),
        };

        // Not yet a member: like a missing document, and a claim takes nothing.
        assert_eq!(decide(&store, "list", &alice, true).unwrap(), Access::None);
        store.add_member(&household.id, &alice).unwrap();
        assert_eq!(decide(&store, "list", &alice, true).unwrap(), member);
        assert_eq!(decide_for(&store, "list", &owner, &alice).unwrap(), member);
        assert_eq!(decide(&store, "list", &bob, false).unwrap(), Access::None);
        assert_eq!(
            decide_for(&store, "list", &owner, &bob).unwrap(),
            Access::None
        );

        store.remove_member(&household.id, &alice).unwrap();
        assert_eq!(decide(&store, "list", &alice, true).unwrap(), Access::None);
        assert_eq!(
            decide_for(&store, "list", &owner, &alice).unwrap(),
            Access::None
        );
        assert_eq!(store.doc_principal("list").unwrap(), Some(owner));
    }
}
