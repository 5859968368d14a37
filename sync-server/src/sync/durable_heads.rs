//! Which heads of each document have been written to the store, so the relay announces a
//! change to a peer only once a crash would not lose it.
//!
//! A sync message carries the sender's heads, and a peer takes the changes under them as the
//! relay's. samod queues a document's storage writes before the sync message that reports
//! them, but one loop runs both in no fixed order: the message can reach the connection's
//! writer before the write has even reached storage, and a durability barrier over the writes
//! seen so far does not cover it. So the writer (`socket.rs`) holds each outbound sync message
//! until its heads are covered here, then waits for the barrier:
//! - a put notes what it holds once it is written and counted for the next flush: an
//!   incremental chunk its change (the key names it), a snapshot the document's heads when it
//!   was taken (read from the chunk's prefix);
//! - heads not noted (a document loaded from disk, or notes dropped) are looked for in the
//!   store: by key first, then, if need be, the document's chunks loaded and searched.
//!
//! A few recent hashes per document are kept: a document's current heads are among its last
//! writes, and older ones are found in the store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::{Automerge, ChangeHash, ReadDoc};
use tokio::sync::watch;

use super::{StoreSlot, SyncError};
use crate::store::RelayStore;

/// Change hashes noted per document (its current heads are among its latest writes).
const NOTED_PER_DOC: usize = 16;
/// How long heads may stay missing before the document's chunks are searched in full.
const FULL_CHECK_AFTER: Duration = Duration::from_millis(500);
/// How long heads are waited for before giving up with a warning (an announcement then goes
/// anyway): samod
/// queues the write first, so this is only reached if a chunk never arrives (a storage fault).
const COVER_TIMEOUT: Duration = Duration::from_secs(10);

/// Heads known to be written, per document.
pub struct DurableHeads {
    slot: StoreSlot,
    noted: Mutex<HashMap<String, VecDeque<ChangeHash>>>,
    /// Bumped on every note, so a waiter looks again.
    version: watch::Sender<u64>,
}

impl DurableHeads {
    pub fn new(slot: StoreSlot) -> Arc<Self> {
        Arc::new(DurableHeads {
            slot,
            noted: Mutex::default(),
            version: watch::Sender::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<ChangeHash>>> {
        self.noted.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes changes of `doc` that are written (and counted for the next flush).
    pub fn note(&self, doc: &str, hashes: impl IntoIterator<Item = ChangeHash>) {
        {
            let mut noted = self.lock();
            let recent = noted.entry(doc.to_owned()).or_default();
            for hash in hashes {
                if !recent.contains(&hash) {
                    if recent.len() == NOTED_PER_DOC {
                        recent.pop_front();
                    }
                    recent.push_back(hash);
                }
            }
        }
        self.version.send_modify(|v| *v += 1);
    }

    /// Notes what a written chunk holds, from its storage key (`[doc, kind, hash]`) and bytes.
    pub fn note_chunk(&self, key: &[&str], data: &[u8]) {
        match key {
            [doc, "incremental", hash] => {
                if let Ok(hash) = hash.parse::<ChangeHash>() {
                    self.note(doc, [hash]);
                }
            }
            [doc, "snapshot", _] => {
                if let Some(heads) = saved_document_heads(data) {
                    self.note(doc, heads);
                }
            }
            _ => {}
        }
    }

    fn all_noted(&self, doc: &str, heads: &[ChangeHash]) -> bool {
        let noted = self.lock();
        let recent = noted.get(doc);
        heads
            .iter()
            .all(|h| recent.is_some_and(|recent| recent.contains(h)))
    }

    fn any_noted(&self, doc: &str) -> bool {
        self.lock().contains_key(doc)
    }

    /// Resolves once every change under `heads` of `doc` is written to the store (the caller's
    /// barrier then makes it durable): true. Gives up after [`COVER_TIMEOUT`] with a warning,
    /// and at once if the store is closed: false.
    ///
    /// Heads not noted are looked for in the store by key (an incremental chunk per change, a
    /// snapshot's heads in its prefix). Only a document this relay has not written since it
    /// loaded it, or one still missing heads after [`FULL_CHECK_AFTER`], has its chunks loaded
    /// and searched in full (heads a compaction folded away before this check); otherwise a
    /// miss means the write is still on its way, and the next note is awaited.
    pub async fn covered(&self, doc: &str, heads: &[ChangeHash]) -> bool {
        let started = tokio::time::Instant::now();
        let deadline = started + COVER_TIMEOUT;
        let mut version = self.version.subscribe();
        let mut searched_in_full = false;
        loop {
            version.borrow_and_update();
            if self.all_noted(doc, heads) {
                return true;
            }
            let full = !searched_in_full
                && (!self.any_noted(doc) || started.elapsed() >= FULL_CHECK_AFTER);
            searched_in_full |= full;
            match self.in_store(doc, heads, full).await {
                Ok(true) => {
                    self.note(doc, heads.iter().copied());
                    return true;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::debug!(error = %e, doc, "cannot check a document's heads in the store");
                    return false;
                }
            }
            // Not written yet: look again after the next write.
            let wake = if searched_in_full {
                deadline
            } else {
                deadline.min(started + FULL_CHECK_AFTER)
            };
            if tokio::time::timeout_at(wake, version.changed())
                .await
                .is_err()
                && tokio::time::Instant::now() >= deadline
            {
                tracing::warn!(doc, "heads did not reach the store in time");
                return false;
            }
        }
    }

    async fn in_store(
        &self,
        doc: &str,
        heads: &[ChangeHash],
        full: bool,
    ) -> Result<bool, SyncError> {
        let store = self.slot.get()?;
        let doc = doc.to_owned();
        let heads = heads.to_vec();
        tokio::task::spawn_blocking(move || {
            if store_has_by_key(store.as_ref(), &doc, &heads)? {
                return Ok(true);
            }
            if full {
                return store_has(store.as_ref(), &doc, &heads);
            }
            Ok(false)
        })
        .await
        .map_err(|_| SyncError::Stopped)?
    }
}

/// Whether every one of `heads` is an incremental chunk of `doc` in the store or a head of one
/// of its snapshots (written, not necessarily flushed yet). Cheap: no chunk is decoded.
fn store_has_by_key(
    store: &dyn RelayStore,
    doc: &str,
    heads: &[ChangeHash],
) -> Result<bool, SyncError> {
    let mut missing = Vec::new();
    for head in heads {
        if store.chunk(&format!("{doc}/incremental/{head}"))?.is_none() {
            missing.push(*head);
        }
    }
    if missing.is_empty() {
        return Ok(true);
    }
    for (_, snapshot) in store.chunks_under(&format!("{doc}/snapshot"))? {
        if let Some(snapshot_heads) = saved_document_heads(&snapshot) {
            missing.retain(|h| !snapshot_heads.contains(h));
        }
    }
    Ok(missing.is_empty())
}

/// Whether the store's chunks of `doc` hold every change under `heads` (written, not
/// necessarily flushed yet): they are all loaded into one document.
fn store_has(store: &dyn RelayStore, doc: &str, heads: &[ChangeHash]) -> Result<bool, SyncError> {
    let mut am = Automerge::new();
    for (_, chunk) in store.chunks_under(doc)? {
        // A chunk that doesn't load contributes nothing; the heads then stay missing.
        let _ = am.load_incremental(&chunk);
    }
    Ok(am.get_missing_deps(heads).is_empty())
}

// automerge keeps its binary parsers private; these read the one list each needs from the
// start of a sync message and of a saved document, by the format's spec, without decoding the
// rest.

/// Most hashes a list may claim before it is taken for garbage.
const MAX_LISTED: u64 = 4096;

fn uleb(input: &mut &[u8]) -> Option<u64> {
    leb128::read::unsigned(input).ok()
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Some(head)
}

fn hashes(input: &mut &[u8]) -> Option<Vec<ChangeHash>> {
    let count = uleb(input)?;
    if count > MAX_LISTED {
        return None;
    }
    (0..count)
        .map(|_| ChangeHash::try_from(take(input, 32)?).ok())
        .collect()
}

/// The heads a sync message announces (its first field, after the version byte).
pub fn sync_message_heads(data: &[u8]) -> Option<Vec<ChangeHash>> {
    let mut input = data;
    match take(&mut input, 1)? {
        [0x42 | 0x43] => hashes(&mut input),
        _ => None,
    }
}

/// The heads of a saved document: a document chunk (magic bytes, checksum, type 0, length)
/// whose contents start with its actors, then its heads.
pub fn saved_document_heads(data: &[u8]) -> Option<Vec<ChangeHash>> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let mut input = data;
    if take(&mut input, 4)? != MAGIC {
        return None;
    }
    take(&mut input, 4)?; // checksum
    if take(&mut input, 1)? != [0] {
        return None; // not a document chunk
    }
    uleb(&mut input)?; // length
    let actors = uleb(&mut input)?;
    if actors > MAX_LISTED {
        return None;
    }
    for _ in 0..actors {
        let len = usize::try_from(uleb(&mut input)?).ok()?;
        take(&mut input, len)?;
    }
    hashes(&mut input)
}

#[cfg(test)]
mod tests {
    use automerge::sync::SyncDoc;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, ROOT};

    use super::*;

    fn doc_with_branches() -> Automerge {
        let mut a = Automerge::new().with_actor(ActorId::from(b"aa".as_slice()));
        let mut b = Automerge::new().with_actor(ActorId::from(b"bbbbbb".as_slice()));
        for (doc, key) in [(&mut a, "x"), (&mut b, "y")] {
            for i in 0..3 {
                doc.transact::<_, _, automerge::AutomergeError>(|tx| {
                    tx.put(ROOT, key, i)?;
                    Ok(())
                })
                .unwrap();
            }
        }
        a.merge(&mut b).unwrap();
        a
    }

    #[test]
    fn reads_the_heads_of_a_saved_document() {
        let doc = doc_with_branches();
        let mut heads = doc.get_heads();
        assert_eq!(heads.len(), 2, "two concurrent branches");
        heads.sort();
        let mut read = saved_document_heads(&doc.save()).expect("a document chunk");
        read.sort();
        assert_eq!(read, heads);
        assert_eq!(
            saved_document_heads(&Automerge::new().save()),
            Some(Vec::new())
        );
        // A change chunk, garbage, truncation: no heads.
        let change = doc.get_changes(&[]).first().unwrap().raw_bytes().to_vec();
        assert_eq!(saved_document_heads(&change), None);
        assert_eq!(saved_document_heads(b"nonsense"), None);
        let saved = doc.save();
        assert_eq!(saved_document_heads(&saved[..20]), None);
    }

    #[test]
    fn reads_the_heads_a_sync_message_announces() {
        let doc = doc_with_branches();
        let mut state = automerge::sync::State::new();
        let message = doc
            .generate_sync_message(&mut state)
            .expect("a first message");
        let mut heads = doc.get_heads();
        heads.sort();
        assert_eq!(sync_message_heads(&message.encode()), Some(heads));
        assert_eq!(sync_message_heads(b""), None);
        assert_eq!(sync_message_heads(&[0x42, 0x05, 1, 2]), None);
        assert_eq!(sync_message_heads(&[0x99]), None);
    }

    #[tokio::test]
    async fn an_announcement_waits_until_its_heads_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(crate::store::SledStore::open(dir.path()).unwrap());
        let gate = DurableHeads::new(StoreSlot::new(store.clone()));
        let doc = doc_with_branches();
        let heads = doc.get_heads();

        // Nothing written yet: the announcement waits (it must not complete, however long).
        let mut waiting = Box::pin(gate.covered("d", &heads));
        let early = tokio::time::timeout(Duration::from_millis(300), &mut waiting).await;
        assert!(early.is_err(), "announced before anything was written");
        // The snapshot is written: it goes.
        gate.note_chunk(&["d", "snapshot", "h"], &doc.save());
        tokio::time::timeout(COVER_TIMEOUT / 2, waiting)
            .await
            .expect("covered once written");

        // A document already in the store (loaded from disk, never noted): covered at once,
        // and noted for next time.
        store
            .put_chunk("e/snapshot/h", &doc.save(), Some("e"))
            .unwrap();
        tokio::time::timeout(COVER_TIMEOUT / 2, gate.covered("e", &heads))
            .await
            .expect("found in the store");
        assert!(gate.all_noted("e", &heads));
    }

    #[test]
    fn notes_keep_the_latest_hashes_of_each_document() {
        let closed = StoreSlot(Arc::new(std::sync::RwLock::new(None)));
        let heads = DurableHeads::new(closed);
        let hash = |i: u8| ChangeHash([i; 32]);
        heads.note("d", (0..=NOTED_PER_DOC as u8).map(hash));
        assert!(heads.all_noted("d", &[hash(NOTED_PER_DOC as u8), hash(1)]));
        assert!(!heads.all_noted("d", &[hash(0)]), "the oldest was dropped");
        assert!(!heads.all_noted("e", &[hash(1)]));
        assert!(heads.all_noted("e", &[]));
        heads.note_chunk(&["e", "incremental", &hash(9).to_string()], b"");
        assert!(heads.all_noted("e", &[hash(9)]));
        let doc = doc_with_branches();
        heads.note_chunk(&["f", "snapshot", "whatever"], &doc.save());
        assert!(heads.all_noted("f", &doc.get_heads()));
    }
}
