//! samod's [`Storage`] over the relay's [`RelayStore`] (the sled tree `chunks`), with durable
//! puts through a group commit, and the hand-off to the change feed.
//!
//! **Durability.** samod has no error channel and treats a finished `put` as stored, so a put
//! only returns once its chunk is on disk: it inserts, then waits for a flush that started
//! after the insert. One flusher task runs the flushes; every put that arrives while a flush is
//! running shares the next one (group commit), so a burst of N puts costs about two flushes, not
//! N. Deletes (compaction cleanup) are not waited for: losing one leaves a redundant chunk that
//! samod loads harmlessly and deletes again.
//!
//! A put also tells [`DurableHeads`] which changes it holds, once it is counted for the next
//! flush.
//!
//! **Feed hand-off.** A put for a document marks it pending in the store (in the same atomic
//! step as the chunk) and, once durable, sends the document id down a channel to the feed
//! worker, which reads the heads through the repo. Storage never calls into the repo itself
//! (samod drives storage from inside its own loop).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use samod::storage::{Storage, StorageKey};
use tokio::sync::{Notify, mpsc, watch};

use super::StoreSlot;
use super::durable_heads::DurableHeads;

/// Under load, the least time from one flush's start to the next's (see [`GroupCommit::run`]).
const BUSY_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(2);

/// Joins a storage key's parts with `/` (samod guarantees no part contains one).
pub fn key_string(key: &StorageKey) -> String {
    let mut out = String::new();
    for (i, part) in key.into_iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(part);
    }
    out
}

/// Flushes the store on behalf of many waiters at once.
pub struct GroupCommit {
    slot: StoreSlot,
    /// Writes handed to the store so far (a counter, not bytes).
    written: AtomicU64,
    /// Every write up to this count is durable.
    durable: watch::Sender<u64>,
    wake: Notify,
}

impl GroupCommit {
    pub fn new(slot: StoreSlot) -> Arc<Self> {
        Arc::new(GroupCommit {
            slot,
            written: AtomicU64::new(0),
            durable: watch::Sender::new(0),
            wake: Notify::new(),
        })
    }

    /// Counts one write that has been handed to the store; returns its ticket for [`Self::wait`].
    pub fn wrote(&self) -> u64 {
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Waits until the write with `ticket` (and every earlier one) is durable.
    pub async fn wait(&self, ticket: u64) {
        let mut durable = self.durable.subscribe();
        if *durable.borrow() >= ticket {
            return;
        }
        self.wake.notify_one();
        // Err only if the sender is gone, i.e. never while `self` lives.
        let _ = durable.wait_for(|d| *d >= ticket).await;
    }

    /// Waits until every write handed to the store so far is durable.
    pub async fn barrier(&self) {
        self.wait(self.written.load(Ordering::SeqCst)).await;
    }

    /// The flusher: runs until `stop` turns true, then flushes once more and releases every
    /// waiter.
    ///
    /// Under load (the last flush covered more than one write), a flush starts no sooner than
    /// [`BUSY_FLUSH_INTERVAL`] after the previous one started, so that it covers more writes:
    /// every sled flush wakes sled's whole I/O thread pool, and flushing back to back cost the
    /// relay more CPU than the edits it stored. A lone write is flushed at once.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut last_start = tokio::time::Instant::now();
        let mut last_batch = 0;
        loop {
            let mut stopping = tokio::select! {
                () = self.wake.notified() => false,
                r = stop.wait_for(|s| *s) => { let _ = r; true }
            };
            if !stopping && last_batch > 1 {
                tokio::select! {
                    () = tokio::time::sleep_until(last_start + BUSY_FLUSH_INTERVAL) => {}
                    r = stop.wait_for(|s| *s) => { let _ = r; stopping = true; }
                }
            }
            let target = self.written.load(Ordering::SeqCst);
            let durable = *self.durable.borrow();
            last_batch = target.saturating_sub(durable);
            if target > durable {
                last_start = tokio::time::Instant::now();
                match self.slot.get() {
                    Ok(store) => {
                        if let Err(e) = store.flush_async().await {
                            // Nothing better to do than say so: samod cannot take an error.
                            tracing::error!(error = %e, "flushing document chunks failed");
                        }
                    }
                    Err(_) => tracing::warn!("document chunks written after the store was closed"),
                }
                self.durable.send_replace(target);
            }
            if stopping {
                // Nobody may wait forever on a flusher that is gone.
                self.durable.send_replace(u64::MAX);
                return;
            }
        }
    }
}

/// The relay repo's storage.
#[derive(Clone)]
pub struct RelayStorage {
    slot: StoreSlot,
    commit: Arc<GroupCommit>,
    heads: Arc<DurableHeads>,
    changed: mpsc::UnboundedSender<String>,
}

impl RelayStorage {
    pub fn new(
        slot: StoreSlot,
        commit: Arc<GroupCommit>,
        heads: Arc<DurableHeads>,
        changed: mpsc::UnboundedSender<String>,
    ) -> Self {
        RelayStorage {
            slot,
            commit,
            heads,
            changed,
        }
    }
}

impl Storage for RelayStorage {
    async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
        let store = self.slot.get().ok()?;
        match store.chunk(&key_string(&key)) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(error = %e, %key, "loading a document chunk failed");
                None
            }
        }
    }

    async fn load_range(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
        let Ok(store) = self.slot.get() else {
            return HashMap::new();
        };
        let chunks = match store.chunks_under(&key_string(&prefix)) {
            Ok(chunks) => chunks,
            Err(e) => {
                tracing::error!(error = %e, %prefix, "loading document chunks failed");
                return HashMap::new();
            }
        };
        chunks
            .into_iter()
            .filter_map(|(k, v)| match StorageKey::from_parts(k.split('/')) {
                Ok(key) => Some((key, v)),
                Err(e) => {
                    tracing::warn!(error = %e, key = k, "skipping a malformed chunk key");
                    None
                }
            })
            .collect()
    }

    async fn put(&self, key: StorageKey, data: Vec<u8>) {
        let Ok(store) = self.slot.get() else {
            tracing::error!(%key, "document chunk written after the store was closed; dropped");
            return;
        };
        // [doc, "incremental" | "snapshot", hash]; single-part keys are the repo's own.
        let parts: Vec<&str> = (&key).into_iter().map(String::as_str).collect();
        let doc = (parts.len() >= 2).then(|| parts[0]);
        let written = store.put_chunk(&key_string(&key), &data, doc);
        drop(store);
        if let Err(e) = written {
            tracing::error!(error = %e, %key, "writing a document chunk failed");
            return;
        }
        let ticket = self.commit.wrote();
        // Written and counted: an announcement of these heads goes out after the next
        // barrier, which covers this write (see `durable_heads`).
        self.heads.note_chunk(&parts, &data);
        self.commit.wait(ticket).await;
        if let Some(doc) = doc {
            // The feed worker is gone only while shutting down; the pending mark covers it.
            let _ = self.changed.send(doc.to_owned());
        }
    }

    async fn delete(&self, key: StorageKey) {
        let Ok(store) = self.slot.get() else {
            return;
        };
        if let Err(e) = store.delete_chunk(&key_string(&key)) {
            tracing::error!(error = %e, %key, "deleting a document chunk failed");
        }
    }
}
