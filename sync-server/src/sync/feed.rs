//! The change feed: per user, one entry per changed document with its heads, in sequence
//! order, so a reconnecting client learns in one request which documents to sync.
//!
//! The worker receives document ids from storage puts (and from ownership claims), coalesces
//! bursts, reads each document's current heads through the repo and records them in the store
//! ([`RelayStore::feed_record`](crate::store::RelayStore::feed_record)), then publishes the new
//! entry to the owner's live subscribers.
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
use crate::store::{FeedEntry, UserId};

/// Live subscribers per user; a slow subscriber that falls this far behind is told it lagged
/// and catches up from the store.
const LIVE_BUFFER: usize = 256;
/// How long the worker waits for the repo to produce a document before skipping it (its mark
/// stays, so the next change or restart records it).
const FIND_TIMEOUT: Duration = Duration::from_secs(10);

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
    pub async fn catch_up(&self) -> Result<usize, SyncError> {
        let marks = self.slot.get()?.feed_marks()?;
        let n = marks.len();
        for (doc, _) in marks {
            self.record(&doc).await;
        }
        Ok(n)
    }

    /// Runs until `changed` closes or `stop` turns true.
    pub async fn run(
        self,
        mut changed: mpsc::UnboundedReceiver<String>,
        mut stop: watch::Receiver<bool>,
    ) {
        loop {
            let first = tokio::select! {
                doc = changed.recv() => match doc {
                    Some(doc) => doc,
                    None => return,
                },
                _ = stop.wait_for(|s| *s) => return,
            };
            // Coalesce a burst: each document once, in arrival order.
            let mut batch = vec![first];
            let mut seen: HashSet<String> = batch.iter().cloned().collect();
            while let Ok(doc) = changed.try_recv() {
                if seen.insert(doc.clone()) {
                    batch.push(doc);
                }
            }
            for doc in batch {
                if *stop.borrow() {
                    return;
                }
                self.record(&doc).await;
            }
        }
    }

    /// Brings one document's feed entry up to date, if it has a pending change and an owner.
    async fn record(&self, doc: &str) {
        if let Err(e) = self.try_record(doc).await {
            match e {
                SyncError::Stopped => {}
                e => tracing::warn!(error = %e, doc, "recording a change in the feed failed"),
            }
        }
    }

    async fn try_record(&self, doc: &str) -> Result<(), SyncError> {
        let store = self.slot.get()?;
        let Some(mark) = store.feed_mark(doc)? else {
            return Ok(()); // already recorded
        };
        let Some(owner) = store.doc_owner(doc)? else {
            return Ok(()); // recorded when claimed
        };
        drop(store);
        let Ok(doc_id) = DocumentId::from_str(doc) else {
            tracing::warn!(doc, "a stored chunk has a key that is no document id");
            return Ok(());
        };
        let repo = self.shards.get(&owner).await?.repo;
        let handle = match tokio::time::timeout(FIND_TIMEOUT, repo.find(doc_id)).await {
            Ok(Ok(Some(handle))) => handle,
            Ok(Ok(None)) => return Ok(()),
            Ok(Err(_stopped)) => return Err(SyncError::Stopped),
            Err(_) => {
                tracing::warn!(doc, "timed out loading a document for the feed");
                return Ok(());
            }
        };
        let mut heads: Vec<String> = handle
            .with_document(|d| d.get_heads())
            .iter()
            .map(ToString::to_string)
            .collect();
        heads.sort();
        let store = self.slot.get()?;
        // Before the mark goes: if this fails or the relay stops, the change is seen again.
        self.hook
            .observe(store.as_ref(), &owner, doc, &handle)
            .await?;
        if let Some(entry) = store.feed_record(&owner, doc, &heads, Some(mark))? {
            tracing::debug!(doc, seq = entry.seq, "feed entry");
            self.hub.publish(&owner, entry);
        }
        Ok(())
    }
}
