//! Who may sync what: peer ids, and the one access decision every sync path takes.
//!
//! - A client's peer id is `"{user_id}.{device_id}"` (device id: 32 lower-case hex digits);
//!   the websocket is bound to it when the ticket is redeemed, so a peer can't speak for
//!   another. The relay itself is [`RELAY_PEER_ID`].
//! - Every document has at most one owner (`doc_owner` in the store). The first user whose
//!   device sends a `sync` message for a document nobody owns claims it, an atomic
//!   compare-and-swap, so of two users racing for one id exactly one wins; documents the relay
//!   creates (grocery lists) are claimed for their user before they exist. A `request` (a
//!   device asking for a document it lacks) claims nothing: for an unowned id it is answered
//!   like any unknown one.
//! - The owner's devices may read and write; everyone else is answered exactly as for a
//!   document that does not exist (`doc-unavailable`), and what they send is dropped.

use crate::store::{RelayStore, StoreError, UserId};

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
    /// Nothing; answered as for a document that does not exist.
    None,
}

/// The decision for `user` and document `doc`; with `claim`, an unowned document becomes
/// theirs.
pub fn decide(
    store: &dyn RelayStore,
    doc: &str,
    user: &UserId,
    claim: bool,
) -> Result<Access, StoreError> {
    match store.doc_owner(doc)? {
        Some(owner) if owner == *user => Ok(Access::Owner { claimed: false }),
        Some(_) => Ok(Access::None),
        None if claim => {
            let owner = store.claim_doc(doc, user)?;
            Ok(if owner == *user {
                Access::Owner { claimed: true }
            } else {
                Access::None
            })
        }
        None => Ok(Access::None),
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
}
