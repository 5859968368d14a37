//! The sync client's policy, without the network: what a device does with the relay's change
//! feed, and where sync stands. One copy serves both clients: the native engine
//! (`sync::engine`, over reqwest and samod) and the browser's worker (web/engine's
//! `SyncClient`, over `fetch` and automerge-repo) tell it what happened and do what it answers
//! ([`Action`]s), on the model of `blob_transfer`.
//!
//! - The feed's backlog (its entries before the relay says "caught up") is kept and planned at
//!   once by `sync_plan`: documents this device holds nothing of come as [`Action::Fetch`]
//!   batches, the rest as [`Action::Pull`]s. Entries after the backlog are pulled one by one.
//! - Every entry's heads are recorded in the store as the relay's, before anything is pulled,
//!   so a document at the relay's heads never counts as one waiting to go up.
//! - A pull is answered only while the document's view is not at the relay's heads. At most
//!   `concurrency` pulls run at once; a document named again while its pull runs is pulled once
//!   more afterwards (the pull may have read it before the new change arrived); a failed pull is
//!   kept and tried again on [`SyncClient::retry`].
//! - Reconnecting the feed backs off from 250 ms, doubling up to 5 s; the count resets once the
//!   relay accepts a stream.
//! - The status: offline or connecting until the feed is followed, then syncing until the
//!   backlog is in, no pull is outstanding, nothing waits to go up (documents, or attachments
//!   whose retry is due) and the view of every document the relay named is at its heads.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};
use crate::sync_plan::{SyncProgress, plan_feed};

/// First wait before the feed is followed again after it failed.
const FIRST_RETRY: Duration = Duration::from_millis(250);
/// Longest wait before the feed is followed again.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// One entry of the user's change feed, as the relay sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    pub seq: u64,
    pub doc_id: String,
    pub heads: Vec<String>,
}

impl FeedEntry {
    /// The heads as view rows record them (sorted, ',' joined).
    pub fn sorted_heads(&self) -> String {
        let mut heads = self.heads.clone();
        heads.sort();
        heads.join(",")
    }
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "SyncAction"))]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Action {
    /// Bring the document over the websocket, then report with [`SyncClient::pulled`].
    Pull { doc_id: String },
    /// Fetch these documents in one bulk request and adopt them, then report with
    /// [`SyncClient::fetched`].
    Fetch { batch: Vec<String> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    SignedOut,
    Offline,
    Connecting,
    Syncing,
    UpToDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub state: SyncState,
    /// Documents that differ from the relay: local changes it has not confirmed, or its
    /// changes not merged here yet.
    pub pending: usize,
    /// Attached files not uploaded to the relay yet.
    pub pending_uploads: usize,
    pub last_error: Option<String>,
    /// While a catch-up or a bulk upload runs: documents done of those it moves.
    pub progress: Option<SyncProgress>,
}

/// What only the driver knows, for [`SyncClient::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The device has a network (the browser's `navigator.onLine`; natively always true).
    pub online: bool,
    /// A document or attachment upload is running.
    pub uploading: bool,
    /// Now, in milliseconds since the Unix epoch (attachment retries wait out a backoff).
    pub now_ms: i64,
}

/// Where the change feed stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Feed {
    Closed,
    /// Open; the backlog is being delivered.
    Backlog(Vec<FeedEntry>),
    /// The backlog is in; this many bulk batches have not been reported yet.
    Fetching(usize),
    /// Entries come as the relay records them.
    Live,
}

/// The policy's state for one signed-in device (see the module documentation).
#[derive(Debug)]
pub struct SyncClient {
    bulk: bool,
    concurrency: usize,
    cursor: u64,
    feed: Feed,
    failures: u32,
    /// Pulls running, each with whether a newer entry named its document meanwhile.
    running: HashMap<String, bool>,
    /// Pulls waiting for a free slot, in order (none of them running), and the same as a set.
    queue: VecDeque<String>,
    queued: HashSet<String>,
    /// Documents whose last pull failed.
    unpulled: BTreeSet<String>,
    fetch_progress: Option<SyncProgress>,
    upload_progress: Option<SyncProgress>,
    last_error: Option<String>,
}

impl SyncClient {
    /// A client that has seen the feed up to `cursor`; with `bulk` off, every document comes
    /// over the websocket. `concurrency`: pulls at once (at least one).
    pub fn new(cursor: u64, bulk: bool, concurrency: usize) -> Self {
        SyncClient {
            bulk,
            concurrency: concurrency.max(1),
            cursor,
            feed: Feed::Closed,
            failures: 0,
            running: HashMap::new(),
            queue: VecDeque::new(),
            queued: HashSet::new(),
            unpulled: BTreeSet::new(),
            fetch_progress: None,
            upload_progress: None,
            last_error: None,
        }
    }

    /// The highest feed entry seen: where the next feed request starts.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// The relay accepted a feed stream (or the first page of a feed read): its backlog follows.
    pub fn feed_opened(&mut self) {
        self.feed = Feed::Backlog(Vec::new());
        self.failures = 0;
        self.last_error = None;
    }

    /// One feed entry. Before the backlog is in, it is kept for the plan; after, its document
    /// is pulled unless already at the relay's heads.
    pub fn feed_entry(
        &mut self,
        store: &Store,
        entry: FeedEntry,
    ) -> Result<Vec<Action>, StoreError> {
        self.cursor = self.cursor.max(entry.seq);
        if let Feed::Backlog(backlog) = &mut self.feed {
            backlog.push(entry);
            return Ok(Vec::new());
        }
        store.set_relay_heads(&[(entry.doc_id.clone(), entry.sorted_heads())])?;
        self.want(store, entry.doc_id)
    }

    /// The relay has delivered the backlog: it is planned at once (the relay's heads recorded
    /// in one write), and answers what to fetch in bulk and what to pull.
    pub fn feed_caught_up(&mut self, store: &Store) -> Result<Vec<Action>, StoreError> {
        let Feed::Backlog(backlog) = std::mem::replace(&mut self.feed, Feed::Live) else {
            return Ok(Vec::new());
        };
        if backlog.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: Vec<(String, String)> = backlog
            .iter()
            .map(|entry| (entry.doc_id.clone(), entry.sorted_heads()))
            .collect();
        store.set_relay_heads(&wanted)?;
        let plan = plan_feed(store, &wanted, self.bulk)?;
        let mut actions = Vec::new();
        for id in plan.live {
            actions.extend(self.want(store, id)?);
        }
        let in_bulk: usize = plan.bulk.iter().map(Vec::len).sum();
        if !plan.bulk.is_empty() {
            self.fetch_progress = Some(SyncProgress {
                done: 0,
                total: in_bulk,
            });
            self.feed = Feed::Fetching(plan.bulk.len());
        }
        actions.extend(plan.bulk.into_iter().map(|batch| Action::Fetch { batch }));
        Ok(actions)
    }

    /// A bulk batch was fetched and adopted, `left` naming those it did not bring (`None`: the
    /// fetch failed). Those are pulled instead.
    pub fn fetched(
        &mut self,
        store: &Store,
        batch: &[String],
        left: Option<&[String]>,
    ) -> Result<Vec<Action>, StoreError> {
        if let Some(progress) = self.fetch_progress.as_mut() {
            progress.done = (progress.done + batch.len()).min(progress.total);
        }
        if let Feed::Fetching(batches) = &mut self.feed {
            *batches = batches.saturating_sub(1);
            if *batches == 0 {
                self.feed = Feed::Live;
                self.fetch_progress = None;
            }
        }
        let mut actions = Vec::new();
        for id in left.unwrap_or(batch) {
            actions.extend(self.want(store, id.clone())?);
        }
        Ok(actions)
    }

    /// A pull ended (`ok`: the document is here at least as the relay had it when asked).
    pub fn pulled(
        &mut self,
        store: &Store,
        doc_id: &str,
        ok: bool,
    ) -> Result<Vec<Action>, StoreError> {
        let again = self.running.remove(doc_id).unwrap_or(false);
        if ok {
            self.unpulled.remove(doc_id);
        } else {
            self.unpulled.insert(doc_id.to_owned());
        }
        let mut actions = Vec::new();
        if again && self.queued.insert(doc_id.to_owned()) {
            self.queue.push_back(doc_id.to_owned());
        }
        self.drain(store, &mut actions)?;
        Ok(actions)
    }

    /// Tries the failed pulls again.
    pub fn retry(&mut self, store: &Store) -> Result<Vec<Action>, StoreError> {
        let mut actions = Vec::new();
        for id in std::mem::take(&mut self.unpulled) {
            actions.extend(self.want(store, id)?);
        }
        Ok(actions)
    }

    /// The feed ended or could not be followed (`error`: why, if it failed): answers how long to
    /// wait before following it again. Pulls queued or failed are kept.
    pub fn feed_closed(&mut self, error: Option<String>) -> Duration {
        self.feed = Feed::Closed;
        self.fetch_progress = None;
        if let Some(error) = error {
            self.last_error = Some(error);
            self.failures = self.failures.saturating_add(1);
        }
        let factor = 2u32.saturating_pow(self.failures.min(16));
        FIRST_RETRY.saturating_mul(factor).min(MAX_RETRY)
    }

    /// Records a failure the status shows (until the feed is followed again, or `None` clears
    /// it).
    pub fn set_error(&mut self, error: Option<String>) {
        self.last_error = error;
    }

    /// The bulk upload's progress, while one runs.
    pub fn set_upload_progress(&mut self, progress: Option<SyncProgress>) {
        self.upload_progress = progress;
    }

    /// Whether every document the feed named is in or being pulled no more: the backlog is
    /// planned, every bulk batch reported and no pull waits, runs or failed.
    pub fn caught_up(&self) -> bool {
        self.feed == Feed::Live
            && self.running.is_empty()
            && self.queue.is_empty()
            && self.unpulled.is_empty()
    }

    /// Where sync stands (see the module documentation).
    pub fn status(&self, store: &Store, link: Link) -> Result<SyncStatus, StoreError> {
        let pending = store.out_of_step_doc_count()?;
        let pending_uploads = store.queued_upload_count()?;
        let state = if !link.online {
            SyncState::Offline
        } else if self.feed == Feed::Closed {
            if self.last_error.is_some() {
                SyncState::Offline
            } else {
                SyncState::Connecting
            }
        } else {
            let uploads_due =
                crate::blob_transfer::next_upload_due(store)?.is_some_and(|due| due <= link.now_ms);
            if self.caught_up() && pending == 0 && !link.uploading && !uploads_due {
                SyncState::UpToDate
            } else {
                SyncState::Syncing
            }
        };
        let last_error = match link.online {
            true => self.last_error.clone(),
            false => Some("the device is offline".to_owned()),
        };
        Ok(SyncStatus {
            state,
            pending,
            pending_uploads,
            last_error,
            progress: self.fetch_progress.or(self.upload_progress),
        })
    }

    /// Asks for a pull of `id`: at once if a slot is free, after the running one if it is
    /// being pulled, else in turn.
    fn want(&mut self, store: &Store, id: String) -> Result<Vec<Action>, StoreError> {
        if let Some(again) = self.running.get_mut(&id) {
            *again = true;
            return Ok(Vec::new());
        }
        if self.queued.insert(id.clone()) {
            self.queue.push_back(id);
        }
        let mut actions = Vec::new();
        self.drain(store, &mut actions)?;
        Ok(actions)
    }

    /// Starts queued pulls while slots are free; a document already at the relay's heads
    /// needs none.
    fn drain(&mut self, store: &Store, actions: &mut Vec<Action>) -> Result<(), StoreError> {
        while self.running.len() < self.concurrency {
            let Some(id) = self.queue.pop_front() else {
                break;
            };
            self.queued.remove(&id);
            if store.at_relay_heads(&id)? {
                self.unpulled.remove(&id);
                continue;
            }
            self.running.insert(id.clone(), false);
            actions.push(Action::Pull { doc_id: id });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
