//! Group commit: makes the store's writes durable on behalf of many waiters at once.
//!
//! A writer hands a write to the store, then takes a ticket ([`GroupCommit::wrote`]); whoever
//! must not act before that write is on disk (a sync message acknowledging it, an API answer,
//! a change-feed entry) waits for the ticket ([`GroupCommit::wait`]). One flusher task runs the
//! flushes: every write that arrives while a flush is running shares the next one, so a burst of
//! N writes costs about two flushes, not N.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Notify, watch};

use super::StoreSlot;

/// Under load, the least time from one flush's start to the next's (see [`GroupCommit::run`]).
const BUSY_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(5);

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

    /// A ticket covering every write handed to the store so far.
    pub fn ticket_now(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
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
                            // The waiters' writes are not durable; nothing better to do than say so (sled keeps
                            // them and the next flush retries).
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
