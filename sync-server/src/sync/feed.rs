//! The change feed: per user, one entry per changed document with its heads, in sequence
//! order, so a reconnecting client learns in one request which documents to sync.
//!
//! Shards hand the worker every save ([`Saved`]: document, owner, heads, the pending mark the
//! save left, the group-commit ticket that makes it durable). The worker coalesces a burst
//! (each document once, its newest save), waits until the whole burst is durable, lets the
//! grocery hook look at saved grocery lists, records the burst in one store write
//! ([`RelayStore::feed_record`](crate::store::RelayStore::feed_record)) and publishes the new
//! entries to their readers' live subscribers.
//!
//! Households: a document a household owns has one entry per member, in each member's own
//! feed (so every user's cursor stays their own, increasing sequence). The store expands an
//! update for a household document into its members as of the same atomic step
//! ([`RelayStore::feed_record`](crate::store::RelayStore::feed_record)), so the entries are
//! written at the time of the change, and a member removed before it gets none. Joining is a
//! backfill through the same path: adding a member marks the household's documents pending
//! (in the store, with the membership), and recording a pending document writes an entry for
//! each member whose entry is not current, which is the new member only; a running relay
//! asks the shards to hand those marks over at once ([`Command::Announce`]), a stopped one
//! records them at its next start like any mark a crash left. Leaving deletes the member's
//! entries of the household's documents in the same step as the membership. Every entry is
//! written by this one worker, so sequence numbers reach a user's feed in increasing order.
//!
//! Crash safety: every chunk a save writes marks its document pending in the same atomic step,
//! and the mark is cleared only together with the feed entry that covers it; a document with a
//! mark left by a crash is recorded when it is next loaded, and every such document is loaded
//! and recorded at start ([`FeedWorker::catch_up`]) before the relay serves.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};

use super::commit::GroupCommit;
use super::doc_id::DocId;
use super::document::{Saved, sorted_hex};
use super::shard::{Command, Shards};
use super::{StoreSlot, SyncError};
use crate::hook::{GroceryHook, doc as grocery_doc};
use crate::store::{FeedEntry, FeedUpdate, UserId};

/// Live subscribers per user; a slow subscriber that falls this far behind is told it lagged
/// and catches up from the store.
const LIVE_BUFFER: usize = 256;
/// How long a burst that could not be recorded waits before it is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// Documents left pending at start that are recorded in one store write.
const CATCH_UP_BATCH: usize = 256;
/// Under load (the previous burst had more than one document) a burst starts at most this long
/// after the previous one started, so each covers more documents: one store transaction per
/// burst, however many changes each document had meanwhile.
const BUSY_BURST_INTERVAL: Duration = Duration::from_millis(50);

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
    pub commit: Arc<GroupCommit>,
    /// Where grocery lists are read from for the hook.
    pub shards: Arc<Shards>,
    pub hub: Arc<FeedHub>,
    /// Sees each saved grocery list before its mark is cleared (items added).
    pub hook: Arc<GroceryHook>,
}

impl FeedWorker {
    /// Records every document left pending (by a crash, or a stop mid-stream); returns how
    /// many there were.
    pub async fn catch_up(&self) -> Result<usize, SyncError> {
        let marks = self.slot.get()?.feed_marks()?;
        let n = marks.len();
        for batch in marks.chunks(CATCH_UP_BATCH) {
            let mut saves = Vec::with_capacity(batch.len());
            for (doc, mark) in batch {
                if let Some(saved) = self.pending(doc, *mark).await? {
                    saves.push(saved);
                }
            }
            let again = self.record(saves).await;
            if !again.is_empty() {
                tracing::warn!(
                    documents = again.len(),
                    "recording pending changes failed; they are recorded when next changed or at the next start"
                );
            }
        }
        Ok(n)
    }

    /// The save a pending mark stands for: the document as the store has it now.
    async fn pending(&self, doc: &str, mark: u64) -> Result<Option<Saved>, SyncError> {
        let Ok(id) = doc.parse::<DocId>() else {
            tracing::warn!(doc, "a pending mark names no document id");
            return Ok(None);
        };
        let (tx, rx) = oneshot::channel();
        let job = Box::new(move |found: Option<&super::document::Document>| {
            let _ = tx.send(found.map(|d| (d.owner.clone(), sorted_hex(&d.heads()), d.kind())));
        });
        self.shards
            .send(&id, Command::Read { doc: id, job })
            .await?;
        let Some((owner, heads, kind)) = rx.await.map_err(|_| SyncError::Stopped)? else {
            // No owner yet: recorded when it is claimed.
            return Ok(None);
        };
        Ok(Some(Saved {
            doc: doc.to_owned(),
            owner,
            heads,
            mark,
            ticket: 0,
            kind,
        }))
    }

    /// Runs until every shard is gone (the channel closes), recording what they save, and
    /// answering each barrier once every save sent before it was asked for is recorded.
    pub async fn run(
        self,
        mut saved: mpsc::UnboundedReceiver<Saved>,
        mut barriers: mpsc::UnboundedReceiver<oneshot::Sender<()>>,
    ) {
        let mut retry: Vec<Saved> = Vec::new();
        let mut busy_until: Option<tokio::time::Instant> = None;
        let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
        loop {
            if let Some(until) = busy_until.take() {
                tokio::time::sleep_until(until).await;
            }
            let first = tokio::select! {
                s = saved.recv() => match s {
                    Some(s) => Some(s),
                    None => break,
                },
                Some(barrier) = barriers.recv() => {
                    waiting.push(barrier);
                    None
                }
                () = tokio::time::sleep(RETRY_AFTER), if !retry.is_empty() => None,
            };
            // Barriers asked for before the saves below are drained: each save acknowledged
            // before the barrier was asked for is in the channel by then (a save is sent at
            // settle, before any frame announcing it can leave).
            while let Ok(barrier) = barriers.try_recv() {
                waiting.push(barrier);
            }
            let mut burst = std::mem::take(&mut retry);
            burst.extend(first);
            while let Ok(s) = saved.try_recv() {
                burst.push(s);
            }
            if burst.len() > 1 {
                busy_until = Some(tokio::time::Instant::now() + BUSY_BURST_INTERVAL);
            }
            if !burst.is_empty() {
                retry = self.record(burst).await;
            }
            for barrier in waiting.drain(..) {
                let _ = barrier.send(());
            }
        }
        // Saves made while stopping: record what can be, the rest keep their marks.
        let mut rest = retry;
        while let Ok(s) = saved.try_recv() {
            rest.push(s);
        }
        if !rest.is_empty() {
            let _ = self.record(rest).await;
        }
    }

    /// Records a burst (each document once, its newest save) once it is durable; returns the
    /// saves to try again.
    async fn record(&self, burst: Vec<Saved>) -> Vec<Saved> {
        let mut newest: HashMap<String, Saved> = HashMap::with_capacity(burst.len());
        for s in burst {
            match newest.get(&s.doc) {
                Some(have) if have.mark >= s.mark => {}
                _ => {
                    newest.insert(s.doc.clone(), s);
                }
            }
        }
        let ticket = newest.values().map(|s| s.ticket).max().unwrap_or(0);
        self.commit.wait(ticket).await;
        let Ok(store) = self.slot.get() else {
            return Vec::new();
        };
        let mut updates = Vec::with_capacity(newest.len());
        let mut again = Vec::new();
        for s in newest.into_values() {
            match self.observe(store.as_ref(), &s).await {
                Ok(()) => updates.push(s),
                Err(SyncError::Stopped) => {}
                Err(e) => {
                    tracing::warn!(error = %e, doc = s.doc, "the grocery hook could not look at a change; will retry");
                    again.push(s);
                }
            }
        }
        let feed_updates: Vec<FeedUpdate> = updates
            .iter()
            .map(|s| FeedUpdate {
                owner: s.owner.clone(),
                doc: s.doc.clone(),
                heads: s.heads.clone(),
                mark: Some(s.mark),
                kind: s.kind.clone(),
            })
            .collect();
        match store.feed_record(&feed_updates) {
            Ok(written) => {
                for (update, entries) in feed_updates.iter().zip(written) {
                    for (user, entry) in entries {
                        tracing::debug!(doc = update.doc, seq = entry.seq, %user, "feed entry");
                        self.hub.publish(&user, entry);
                    }
                }
            }
            Err(e) => {
                // The marks stay; try these again in a moment.
                tracing::warn!(error = %e, docs = updates.len(), "recording changes in the feed failed");
                again.extend(updates);
            }
        }
        again
    }

    /// Hands a saved grocery list to the hook (other documents pass).
    async fn observe(
        &self,
        store: &dyn crate::store::RelayStore,
        saved: &Saved,
    ) -> Result<(), SyncError> {
        let Some(owner) = self.hook.watched_list(store, &saved.owner, &saved.doc)? else {
            return Ok(());
        };
        let Ok(id) = saved.doc.parse::<DocId>() else {
            return Ok(());
        };
        let (tx, rx) = oneshot::channel();
        let job = Box::new(move |found: Option<&super::document::Document>| {
            let _ = tx.send(found.map(|d| grocery_doc::read(d.automerge())));
        });
        self.shards
            .send(&id, Command::Read { doc: id, job })
            .await?;
        match rx.await.map_err(|_| SyncError::Stopped)? {
            Some(Ok(list)) => Ok(self.hook.observe(store, &owner, &saved.doc, &list)?),
            Some(Err(e)) => {
                tracing::warn!(error = %e, doc = saved.doc, "cannot read a grocery list; not watching it");
                Ok(())
            }
            None => Ok(()),
        }
    }
}
