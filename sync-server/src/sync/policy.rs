//! Who may sync what: peer ids, document ownership and the relay's samod share policy.
//!
//! - A client's samod peer id is `"{user_id}.{device_id}"` (device id: 32 lower-case hex
//!   digits); the websocket is bound to it at the upgrade, so a peer can't claim another's.
//!   The relay itself is [`RELAY_PEER_ID`].
//! - Every document has at most one owner (`doc_owner` in the store). The first user whose peer
//!   sends a `sync` or `request` message for a document nobody owns claims it (see
//!   [`super::socket`]); the claim is an atomic compare-and-swap, so of two users racing for
//!   one id exactly one wins. Documents the relay creates (grocery lists) are claimed by the
//!   relay for their user right after creation.
//! - The share policy grants read-write to the owner's peers and [`ShareConfig::none`] to
//!   everyone else: never announced to them, never served (samod answers "unavailable"), and
//!   their changes are dropped. For a document nobody owns yet the decision waits for the claim
//!   (claims are made before samod sees the claiming message, so that wait is only ever for a
//!   document the relay itself just created, or for other users' peers who will be denied).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::Stream;
use samod::{DocumentId, PeerId, ShareConfig, SharePolicy};
use tokio::sync::{mpsc, oneshot};

use super::{StoreSlot, SyncError};
use crate::store::UserId;

/// The relay's own samod peer id.
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

/// The user part of a peer id: everything before the first `.`.
pub fn peer_user(peer: &str) -> &str {
    peer.split_once('.').map_or(peer, |(u, _)| u)
}

type Waiters = HashMap<String, Vec<oneshot::Sender<UserId>>>;

/// Document ownership: lookups, claims, and waiting for a claim.
pub struct Ownership {
    slot: StoreSlot,
    waiters: Mutex<Waiters>,
    /// Tells the feed worker about a claim, in case the document's chunks were stored before it
    /// had an owner to file them under.
    claimed: mpsc::UnboundedSender<String>,
}

impl Ownership {
    pub fn new(slot: StoreSlot, claimed: mpsc::UnboundedSender<String>) -> Self {
        Ownership {
            slot,
            waiters: Mutex::new(HashMap::new()),
            claimed,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiters> {
        self.waiters.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn owner(&self, doc: &str) -> Result<Option<UserId>, SyncError> {
        Ok(self.slot.get()?.doc_owner(doc)?)
    }

    /// Claims `doc` for `user` unless someone owns it already; returns the owner.
    pub fn claim(&self, doc: &str, user: &UserId) -> Result<UserId, SyncError> {
        let owner = self.slot.get()?.claim_doc(doc, user)?;
        if owner == *user {
            let waiting = self.lock().remove(doc);
            for tx in waiting.into_iter().flatten() {
                let _ = tx.send(owner.clone());
            }
            let _ = self.claimed.send(doc.to_owned());
        }
        Ok(owner)
    }

    /// The owner of `doc`, waiting for a claim if there is none yet. `None` when the relay
    /// stops first.
    pub async fn wait_owner(&self, doc: &str) -> Result<Option<UserId>, SyncError> {
        let rx = {
            let mut waiters = self.lock();
            // Checked under the lock: a claim lands either before this read or before its
            // waiters are woken, never in between.
            if let Some(owner) = self.owner(doc)? {
                return Ok(Some(owner));
            }
            let (tx, rx) = oneshot::channel();
            let list = waiters.entry(doc.to_owned()).or_default();
            list.retain(|tx| !tx.is_closed());
            list.push(tx);
            rx
        };
        Ok(rx.await.ok())
    }

    /// The share decision for one document and peer.
    pub async fn decide(&self, doc: &DocumentId, peer: &PeerId) -> ShareConfig {
        let peer = peer.as_str();
        if peer == RELAY_PEER_ID {
            return ShareConfig::read_write();
        }
        let Some(user) = UserId::parse(peer_user(peer)) else {
            return ShareConfig::none();
        };
        let doc = doc.to_string();
        match self.wait_owner(&doc).await {
            // Never announced: a device asks for what it needs (the change feed tells it what
            // changed), so a reconnect doesn't bring a sync message for every loaded document.
            Ok(Some(owner)) if owner == user => ShareConfig::read_write().with_announce(false),
            Ok(_) => ShareConfig::none(),
            Err(e) => {
                tracing::error!(error = %e, doc, "share decision failed; denying");
                ShareConfig::none()
            }
        }
    }
}

/// The relay repo's share policy (see the module docs).
#[derive(Clone)]
pub struct RelayPolicy(pub Arc<Ownership>);

impl SharePolicy for RelayPolicy {
    fn share(
        &self,
        doc_id: DocumentId,
        peer_id: PeerId,
    ) -> impl Stream<Item = ShareConfig> + Send + 'static {
        let ownership = Arc::clone(&self.0);
        // Ownership never changes once made, so one decision is the whole stream.
        futures::stream::once(async move { ownership.decide(&doc_id, &peer_id).await })
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
        assert_eq!(peer_user(&format!("{user}.{device}")), user.as_str());
        assert_eq!(peer_user("nodot"), "nodot");
    }
}
