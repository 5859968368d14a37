//! The change feed: per user, one entry per changed document with its heads, in sequence
//! order, so a reconnecting client learns in one request which documents to sync.
//!
//! The worker receives document ids from storage puts (and from ownership claims), coalesces
//! bursts, reads each document's current heads through the repo and records the whole burst in
//! one store write ([`RelayStore::feed_record`](crate::store::RelayStore::feed_record)), then
//! publishes the new entries to the owners' live subscribers.
//!
//! Crash safety: a put marks its document pending in the same atomic step as the chunk, and the
//! mark is cleared only together with the feed entry that covers it; marks left by a crash are
//! recorded at the next start, before the relay serves. Heads are read after the put, so an
//! entry's heads contain at least that put's change (and maybe newer ones, which bring their own
//! entries right after).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use samod::DocumentId;
use tokio::sync::{broadcast, mpsc, watch};

use super::{StoreSlot, SyncError};
use crate::hook::GroceryHook;
use crate::store::{FeedEntry, FeedUpdate, UserId};

/// Live subscribers per user; a slow subscriber that falls this far behind is told it lagged
/// and catches up from the store.
const LIVE_BUFFER: usize = 256;
/// How long the worker waits for the repo to produce a document before skipping it (its mark
/// stays, so the next change or restart records it).
const FIND_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a document the repo didn't produce in time waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Documents read at once.
const CONCURRENCY: usize = 32;
/// Documents left pending at start that are recorded in one store write.
const CATCH_UP_BATCH: usize = 256;
/// Under load (the previous burst had more than one document) a burst starts at most this long
/// after the previous one started, so each covers more documents: one store transaction and
/// one read per document per burst, however many changes it had meanwhile.
const BUSY_BURST_INTERVAL: Duration = Duration::from_millis(10);

/// Live feed subscriptions.
#[derive(Default)]
pub struct FeedHub {
    subscribers: Mutex<HashMap<UserId, broadcast::Sender<FeedEntry>>>,
}

impl FeedHub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, broadcast::Sender<FeedEntry>>> {
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// New entries of `user` from now on.
    pub fn subscribe(&self, user: &UserId) -> broadcast::Receiver<FeedEntry> {
        self.lock()
            .entry(user.clone())
            .or_insert_with(|| broadcast::channel(LIVE_BUFFER).0)
            .subscribe()
    }

    pub fn publish(&self, user: &UserId, entry: FeedEntry) {
        let mut subs = self.lock();
        if let Some(tx) = subs.get(user)
            && tx.send(entry).is_err()
        {
            // Nobody listening any more.
            subs.remove(user);
        }
    }
}

/// What the worker needs.
pub struct FeedWorker {
    pub slot: StoreSlot,
    /// The owners' repos the documents are read from.
    pub shards: std::sync::Arc<super::shards::Shards>,
    pub hub: std::sync::Arc<FeedHub>,
    /// Sees each change before its mark is cleared (grocery-list additions).
    pub hook: std::sync::Arc<GroceryHook>,
}

impl FeedWorker {
    /// Records every document left pending (by a crash, or a shutdown mid-stream).
    /// Returns how many there were and those to try again (hand them to [`Self::run`]).
    pub async fn catch_up(&self) -> Result<(usize, Vec<String>), SyncError> {
        let marks = self.slot.get()?.feed_marks()?;
        let n = marks.len();
        let mut again = Vec::new();
        for docs in marks.chunks(CATCH_UP_BATCH) {
            let docs = docs.iter().map(|(doc, _)| doc.clone()).collect();
            again.extend(self.record_all(docs).await);
        }
        Ok((n, again))
    }

    /// Runs until `changed` closes or `stop` turns true. One that can't be loaded in time is
    /// tried again after [`RETRY_AFTER`], so every change the relay stored reaches the feed
    /// without waiting for a restart.
    pub async fn run(
        self,
        mut changed: mpsc::UnboundedReceiver<String>,
        mut stop: watch::Receiver<bool>,
        mut retry: Vec<String>,
    ) {
        let mut busy_until: Option<tokio::time::Instant> = None;
        loop {
            if let Some(until) = busy_until.take() {
                tokio::select! {
                    () = tokio::time::sleep_until(until) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
            let first = tokio::select! {
                doc = changed.recv() => match doc {
                    Some(doc) => Some(doc),
                    None => return,
                },
                () = tokio::time::sleep(RETRY_AFTER), if !retry.is_empty() => None,
                _ = stop.wait_for(|s| *s) => return,
            };
            // Coalesce a burst: each document once, those waiting for a retry first.
            let mut batch = std::mem::take(&mut retry);
            batch.extend(first);
            while let Ok(doc) = changed.try_recv() {
                batch.push(doc);
            }
            if *stop.borrow() {
                return;
            }
            if batch.len() > 1 {
                busy_until = Some(tokio::time::Instant::now() + BUSY_BURST_INTERVAL);
            }
            retry = self.record_all(batch).await;
        }
    }

    /// Brings the feed entries of `docs` up to date (each once, whatever the repeats): reads
    /// them [`CONCURRENCY`] at a time (one user's busy repo doesn't hold up everyone's feed),
    /// then records them all in one store write. Returns those to try again later.
    async fn record_all(&self, mut docs: Vec<String>) -> Vec<String> {
        use futures::StreamExt;
        let mut seen: HashSet<String> = HashSet::with_capacity(docs.len());
        docs.retain(|doc| seen.insert(doc.clone()));
        let read: Vec<(String, Result<Read, SyncError>)> = futures::stream::iter(docs)
            .map(|doc| async move {
                let read = self.read(&doc).await;
                (doc, read)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut again = Vec::new();
        let mut updates = Vec::new();
        for (doc, read) in read {
            match read {
                Ok(Read::Update(update)) => updates.push(update),
                Ok(Read::Nothing) | Err(SyncError::Stopped | SyncError::UserRemoved) => {}
                Ok(Read::Later) => again.push(doc),
                Err(e) => tracing::warn!(error = %e, doc, "reading a change for the feed failed"),
            }
        }
        match self.write(&updates) {
            Ok(()) | Err(SyncError::Stopped) => {}
            Err(e) => {
                // The marks stay; try these again in a moment.
                tracing::warn!(error = %e, docs = updates.len(), "recording changes in the feed failed");
                again.extend(updates.into_iter().map(|u| u.doc));
            }
        }
        again
    }

    /// Writes the entries and tells the owners' live subscribers.
    fn write(&self, updates: &[FeedUpdate]) -> Result<(), SyncError> {
        let written = self.slot.get()?.feed_record(updates)?;
        for (update, entry) in updates.iter().zip(written) {
            if let Some(entry) = entry {
                tracing::debug!(doc = update.doc, seq = entry.seq, "feed entry");
                self.hub.publish(&update.user, entry);
            }
        }
        Ok(())
    }

    /// One document's current heads, if it has a pending change and an owner.
    async fn read(&self, doc: &str) -> Result<Read, SyncError> {
        let store = self.slot.get()?;
        let Some(mark) = store.feed_mark(doc)? else {
            return Ok(Read::Nothing); // already recorded
        };
        let Some(owner) = store.doc_owner(doc)? else {
            return Ok(Read::Nothing); // recorded when claimed
        };
        drop(store);
        let Ok(doc_id) = DocumentId::from_str(doc) else {
            tracing::warn!(doc, "a stored chunk has a key that is no document id");
            return Ok(Read::Nothing);
        };
        // Held until the heads are read and the hook has seen the change.
        let shard = self.shards.get(&owner).await?;
        let handle = match tokio::time::timeout(FIND_TIMEOUT, shard.repo.find(doc_id)).await {
            Ok(Ok(Some(handle))) => handle,
            Ok(Ok(None)) => return Ok(Read::Nothing),
            Ok(Err(_stopped)) => return Err(SyncError::Stopped),
            Err(_) => {
                tracing::warn!(doc, "timed out loading a document for the feed; will retry");
                return Ok(Read::Later);
            }
        };
        let mut heads: Vec<String> = handle
            .with_document(|d| d.get_heads())
            .iter()
            .map(ToString::to_string)
            .collect();
        heads.sort();
        // Before the mark goes: if this fails or the relay stops, the change is seen again.
        let store = self.slot.get()?;
        self.hook
            .observe(store.as_ref(), &owner, doc, &handle)
            .await?;
        Ok(Read::Update(FeedUpdate {
            user: owner,
            doc: doc.to_owned(),
            heads,
            mark: Some(mark),
        }))
    }
}

/// What reading one document for the feed found.
enum Read {
    /// No pending change (or no owner, or no such document): nothing to record.
    Nothing,
    /// The repo didn't produce the document in time.
    Later,
    Update(FeedUpdate),
}
