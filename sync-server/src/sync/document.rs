//! One document as a shard holds it: the automerge document, what of it is in the store, and
//! the sync state of every connection that syncs it.
//!
//! **Storage format** (the same as samod's, so data directories written by the samod-based
//! relay load unchanged): chunks under `{doc}/incremental/{change hash}` (one change's bytes)
//! and `{doc}/snapshot/{hash of the heads}` (a whole saved document). Loading reads every chunk
//! under `{doc}/`. Saving writes the changes made since the last save, one chunk each, or —
//! when a save holds many changes, or the incremental chunks have grown past the snapshot they
//! build on — one new snapshot, after which the chunks it folds in are deleted, once the
//! snapshot is durable (a crash in between leaves both, which load to the same document).
//! Each written chunk also marks the document pending for the change feed, atomically
//! ([`RelayStore::put_chunk`]).
//!
//! **Acknowledgement waits for durability.** Every save takes a group-commit ticket; every
//! frame this document sends carries the ticket of its latest save, and the connection's writer
//! holds the frame until that ticket is durable. A sync message announces the document's heads,
//! so no peer ever hears of a change a crash could lose.
//!
//! Work is batched: the shard feeds a document every message of a batch ([`Self::receive`],
//! [`Self::edit`]), then [`Self::settle`]s it once — one save and one round of outbound sync
//! messages, only to the peers whose state changed, whatever the number of messages.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, AutomergeError, ChangeHash, ReadDoc};
use sha2::{Digest, Sha256};

use super::doc_id::DocId;
use super::outbox::Outbox;
use super::wire;
use crate::store::{Principal, RelayStore, StoreError, UserId};

/// A save of more changes than this writes a snapshot instead of one chunk per change.
const SNAPSHOT_ABOVE_CHANGES: usize = 10;
/// Incremental chunks are folded into a snapshot once they are this many…
const MOST_INCREMENTAL_CHUNKS: usize = 256;
/// …or once there are at least this many and together larger than the snapshot: a document's
/// snapshots then cost, per change, about the change's own size, however long its history.
const FEWEST_FOLDED_CHUNKS: usize = 64;
/// Ephemeral messages remembered per document, to pass each on once.
const EPHEMERAL_SEEN: usize = 64;
/// Sync messages generated for one peer in one round at most (automerge 0.12 may answer a
/// reset with a message advertising no heads, then one with the real heads).
const MESSAGES_PER_ROUND: usize = 3;

/// The relay's peer id on the wire.
pub use super::access::RELAY_PEER_ID;

/// What the change feed needs about a save.
#[derive(Debug, Clone)]
pub struct Saved {
    pub doc: String,
    pub owner: Principal,
    /// Sorted hex change hashes.
    pub heads: Vec<String>,
    /// The pending mark the save left (cleared with the feed entry that covers it).
    pub mark: u64,
    /// Durable once this group-commit ticket is.
    pub ticket: u64,
    /// The document's root `kind` (see [`Document::kind`]).
    pub kind: Option<String>,
}

/// Chunks to delete once ticket `after` is durable (a snapshot that folds them in).
#[derive(Debug, Default)]
pub struct Deletions {
    pub keys: Vec<String>,
    pub after: u64,
}

/// What of the document is in the store.
#[derive(Debug, Default)]
struct OnDisk {
    saved_heads: Vec<ChangeHash>,
    /// Every chunk key this document has in the store (a new snapshot folds them all).
    keys: Vec<String>,
    incremental_chunks: usize,
    incremental_bytes: usize,
    snapshot_bytes: usize,
}

struct Peer {
    out: Arc<Outbox>,
    state: sync::State,
    /// Asked for the document while the relay had nothing of it: answered "unavailable", and
    /// sent the document once it has content.
    waiting: bool,
    /// Its state changed: generate for it at the next settle.
    due: bool,
}

/// Why a message could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("the sync message cannot be applied: {0}")]
    Apply(#[from] AutomergeError),
}

/// See the module docs.
pub struct Document {
    pub id: DocId,
    /// The id's text form (storage keys, feed entries, outbound frames).
    pub key: String,
    pub owner: Principal,
    am: Automerge,
    disk: OnDisk,
    peers: HashMap<u64, Peer>,
    /// The group-commit ticket of the latest save (0: nothing written by this process).
    written: u64,
    /// Heads moved since the last settle.
    changed: bool,
    /// The changes since the last save as peers sent them (hash, bytes), when that is known
    /// to be all of them; `None`: ask automerge at the save (it encodes them afresh, which
    /// costs more than the change itself).
    unsaved: Option<Vec<(ChangeHash, Vec<u8>)>>,
    ephemeral_seen: VecDeque<(String, u64)>,
}

impl Document {
    /// Loads `id` (owned by `owner`) from its chunks in `store`; a document with no chunks is
    /// empty. A chunk that does not load is skipped with an error in the log.
    pub fn load(id: DocId, owner: Principal, store: &dyn RelayStore) -> Result<Self, StoreError> {
        let key = id.to_string();
        let mut chunks = store.chunks_under(&key)?;
        // Snapshots first: loading one into an empty document is the fast path.
        chunks.sort_by_key(|(k, _)| !is_snapshot(k));
        let mut am = Automerge::new();
        let mut disk = OnDisk::default();
        for (chunk_key, bytes) in chunks {
            if let Err(e) = am.load_incremental(&bytes) {
                tracing::error!(error = %e, key = chunk_key, "a stored document chunk does not load; skipped");
                continue;
            }
            if is_snapshot(&chunk_key) {
                disk.snapshot_bytes = disk.snapshot_bytes.max(bytes.len());
            } else {
                disk.incremental_chunks += 1;
                disk.incremental_bytes += bytes.len();
            }
            disk.keys.push(chunk_key);
        }
        disk.saved_heads = am.get_heads();
        Ok(Self::with(id, key, owner, am, disk))
    }

    /// A document the relay makes itself; nothing of it is stored until the next save.
    pub fn new(id: DocId, owner: Principal, am: Automerge) -> Self {
        let key = id.to_string();
        let mut doc = Self::with(id, key, owner, am, OnDisk::default());
        doc.changed = true;
        doc
    }

    fn with(id: DocId, key: String, owner: Principal, am: Automerge, disk: OnDisk) -> Self {
        Document {
            id,
            key,
            owner,
            am,
            disk,
            peers: HashMap::new(),
            written: 0,
            changed: false,
            unsaved: Some(Vec::new()),
            ephemeral_seen: VecDeque::new(),
        }
    }

    pub fn automerge(&self) -> &Automerge {
        &self.am
    }

    pub fn heads(&self) -> Vec<ChangeHash> {
        self.am.get_heads()
    }

    /// The root `kind` larder-core documents carry (`larder.recipe`, …), if any: one map
    /// lookup, so recording it with every save costs nothing worth measuring.
    pub fn kind(&self) -> Option<String> {
        larder_core::model::doc_kind(&self.am)
    }

    pub fn has_peers(&self) -> bool {
        !self.peers.is_empty()
    }

    /// Whether [`Self::settle`] has anything to do.
    pub fn is_due(&self) -> bool {
        self.changed || self.peers.values().any(|p| p.due)
    }

    /// The ticket of the latest save.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Applies a `sync` (or `request`, `is_request`) message from `out`'s peer. A request for
    /// a document with no content is answered "unavailable" at once, and the peer is sent the
    /// document once it has some.
    pub fn receive(
        &mut self,
        out: &Arc<Outbox>,
        msg: sync::Message,
        is_request: bool,
    ) -> Result<(), ReceiveError> {
        let peer = self.peers.entry(out.id).or_insert_with(|| Peer {
            out: Arc::clone(out),
            state: sync::State::new(),
            waiting: false,
            due: false,
        });
        let before = self.am.get_heads();
        let raw = raw_changes(&self.am, &msg);
        // Messages are answered once per batch, not one by one. A message with no changes
        // whose heads equal the relay's makes automerge note those heads as announced to the
        // peer; one by one they would have been (in the answer to the peer's previous
        // message), batched they were not. Keep what was really announced, so the answer
        // still names the heads the peer's own edit produced.
        let announced = peer.due.then(|| peer.state.last_sent_heads.clone());
        self.am.receive_sync_message(&mut peer.state, msg)?;
        if let Some(announced) = announced {
            peer.state.last_sent_heads = announced;
        }
        let heads = self.am.get_heads();
        if heads != before {
            self.changed = true;
            match (raw, &mut self.unsaved) {
                // Every change the message carried applied, and nothing else was waiting for
                // them: those are exactly the new changes.
                (Some(raw), Some(unsaved))
                    if self
                        .am
                        .get_missing_deps(&raw.iter().map(|(h, _)| *h).collect::<Vec<_>>())
                        .is_empty() =>
                {
                    unsaved.extend(raw);
                }
                _ => self.unsaved = None,
            }
        } else if !self.am.get_missing_deps(&[]).is_empty() {
            // Changes are queued for missing dependencies: when they apply, ask automerge.
            self.unsaved = None;
        }
        if is_request && heads.is_empty() {
            peer.waiting = true;
            out.send(
                wire::WireMessage::DocUnavailable {
                    doc: self.id,
                    sender: RELAY_PEER_ID.to_owned(),
                    target: out.peer.clone(),
                }
                .encode(),
                0,
            );
        } else {
            peer.due = true;
        }
        Ok(())
    }

    /// Changes the document (the relay's own edits: the grocery REST API); returns `f`'s
    /// answer. The change is saved and sent to the peers at the next settle.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut Automerge) -> R) -> R {
        let before = self.am.get_heads();
        let out = f(&mut self.am);
        if self.am.get_heads() != before {
            self.changed = true;
            self.unsaved = None;
        }
        out
    }

    /// Closes every connection syncing this document.
    pub fn close_peers(&self, code: u16, reason: &'static str) {
        for peer in self.peers.values() {
            peer.out.close(code, reason);
        }
    }

    /// Forgets a connection that closed.
    pub fn forget(&mut self, conn: u64) {
        self.peers.remove(&conn);
    }

    /// Forgets every connection of `user` (who may no longer sync this document): nothing more
    /// is sent to them for it. Returns their outboxes.
    pub fn forget_user(&mut self, user: &UserId) -> Vec<Arc<Outbox>> {
        let conns: Vec<u64> = self
            .peers
            .iter()
            .filter(|(_, p)| p.out.user == *user)
            .map(|(id, _)| *id)
            .collect();
        conns
            .into_iter()
            .filter_map(|id| self.peers.remove(&id).map(|p| p.out))
            .collect()
    }

    /// Passes an ephemeral message from `from` on to the document's other peers, once per
    /// (session, count).
    pub fn relay_ephemeral(&mut self, from: u64, session: &str, count: u64, data: &[u8]) {
        let seen = (session.to_owned(), count);
        if self.ephemeral_seen.contains(&seen) {
            return;
        }
        if self.ephemeral_seen.len() == EPHEMERAL_SEEN {
            self.ephemeral_seen.pop_front();
        }
        self.ephemeral_seen.push_back(seen);
        let Some(sender) = self.peers.get(&from).map(|p| p.out.peer.clone()) else {
            return;
        };
        for peer in self.peers.values().filter(|p| p.out.id != from) {
            let frame = wire::WireMessage::Ephemeral {
                doc: self.id,
                sender: sender.clone(),
                target: peer.out.peer.clone(),
                count,
                session: session.to_owned(),
                data: data.to_vec(),
            };
            peer.out.send(frame.encode(), 0);
        }
    }

    /// Saves what changed and sends every peer that is due its next sync messages (each held
    /// until the save is durable). Returns what the feed needs about the save, if there was
    /// one, and chunks a snapshot made redundant.
    pub fn settle(
        &mut self,
        store: &dyn RelayStore,
        wrote: impl FnOnce() -> u64,
    ) -> Result<(Option<Saved>, Deletions), StoreError> {
        let mut saved = None;
        let mut deletions = Deletions::default();
        if std::mem::take(&mut self.changed) {
            if let Some((mark, folded)) = self.save(store)? {
                self.written = wrote();
                deletions = Deletions {
                    keys: folded,
                    after: self.written,
                };
                saved = Some(Saved {
                    doc: self.key.clone(),
                    owner: self.owner.clone(),
                    heads: sorted_hex(&self.disk.saved_heads),
                    mark,
                    ticket: self.written,
                    kind: self.kind(),
                });
            }
            for peer in self.peers.values_mut() {
                peer.due = true;
            }
        }
        let heads = self.am.get_heads();
        let has_content = !heads.is_empty();
        self.peers.retain(|_, p| !p.out.is_closed());
        for peer in self.peers.values_mut() {
            if !std::mem::take(&mut peer.due) || (peer.waiting && !has_content) {
                continue;
            }
            peer.waiting = false;
            for _ in 0..MESSAGES_PER_ROUND {
                let Some(msg) = self.am.generate_sync_message(&mut peer.state) else {
                    break;
                };
                // automerge 0.12 answers a peer whose `have` names changes it lacks with a
                // reset advertising no heads, but notes the real heads as sent: note what was
                // sent, and follow up with the real heads in the same round.
                let follow_up = msg.heads != heads;
                if follow_up {
                    peer.state.last_sent_heads.clone_from(&msg.heads);
                }
                let frame =
                    wire::sync_frame(&self.key, RELAY_PEER_ID, &peer.out.peer, &msg.encode());
                peer.out.send(frame, self.written);
                if !follow_up {
                    break;
                }
            }
        }
        Ok((saved, deletions))
    }

    /// Writes the changes since the last save; returns the pending mark and the chunk keys a
    /// new snapshot made redundant, or `None` if there was nothing to write.
    fn save(&mut self, store: &dyn RelayStore) -> Result<Option<(u64, Vec<String>)>, StoreError> {
        let heads = self.am.get_heads();
        if heads == self.disk.saved_heads {
            return Ok(None);
        }
        let changes: Vec<(ChangeHash, Vec<u8>)> = match self.unsaved.replace(Vec::new()) {
            Some(raw) if !raw.is_empty() => raw,
            _ => self
                .am
                .get_changes(&self.disk.saved_heads)
                .into_iter()
                .map(|c| (c.hash(), c.raw_bytes().to_vec()))
                .collect(),
        };
        let new_bytes: usize = changes.iter().map(|(_, bytes)| bytes.len()).sum();
        let chunks = self.disk.incremental_chunks + changes.len();
        let incremental = self.disk.incremental_bytes + new_bytes;
        let snapshot = changes.len() > SNAPSHOT_ABOVE_CHANGES
            || chunks > MOST_INCREMENTAL_CHUNKS
            || (chunks >= FEWEST_FOLDED_CHUNKS && incremental > self.disk.snapshot_bytes);
        let mut mark = None;
        let mut folded = Vec::new();
        if snapshot {
            let bytes = self.am.save();
            let key = format!("{}/snapshot/{}", self.key, heads_hash(&heads));
            mark = store.put_chunk(&key, &bytes, Some(&self.key))?;
            folded = std::mem::take(&mut self.disk.keys);
            folded.retain(|k| *k != key);
            self.disk = OnDisk {
                saved_heads: heads,
                keys: vec![key],
                incremental_chunks: 0,
                incremental_bytes: 0,
                snapshot_bytes: bytes.len(),
            };
        } else {
            for (hash, bytes) in &changes {
                let key = format!("{}/incremental/{hash}", self.key);
                mark = store.put_chunk(&key, bytes, Some(&self.key))?;
                self.disk.keys.push(key);
            }
            self.disk.incremental_chunks = chunks;
            self.disk.incremental_bytes = incremental;
            self.disk.saved_heads = heads;
        }
        Ok(mark.map(|m| (m, folded)))
    }
}

/// The changes a sync message carries, with their hashes, if every chunk of it is a change and
/// nothing was waiting in `am` for missing dependencies (a message can also carry a whole saved
/// document, which is stored the slow way).
fn raw_changes(am: &Automerge, msg: &sync::Message) -> Option<Vec<(ChangeHash, Vec<u8>)>> {
    if msg.changes.is_empty() || !am.get_missing_deps(&[]).is_empty() {
        return None;
    }
    msg.changes
        .iter()
        .map(|bytes| {
            automerge::Change::try_from(bytes)
                .ok()
                .map(|c| (c.hash(), bytes.to_vec()))
        })
        .collect()
}

pub fn is_snapshot(key: &str) -> bool {
    key.rsplit('/').nth(1) == Some("snapshot")
}

/// A snapshot's name: the SHA-256 of its sorted heads.
fn heads_hash(heads: &[ChangeHash]) -> String {
    let mut sorted = heads.to_vec();
    sorted.sort();
    let mut hasher = Sha256::new();
    for h in &sorted {
        hasher.update(h.0);
    }
    hex::encode(hasher.finalize())
}

/// Change hashes as the feed records them: hex, sorted.
pub fn sorted_hex(heads: &[ChangeHash]) -> Vec<String> {
    let mut out: Vec<String> = heads.iter().map(ToString::to_string).collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests;
