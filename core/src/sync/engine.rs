//! The sync engine. A pass connects to the relay through samod (ticketed websocket), adopts the
//! user's grocery list and meal plan (merging what this device had; `profile_docs`), catches up from the relay's change feed
//! (only documents changed since the stored cursor), and pushes every document with chunks the
//! relay has not confirmed. `run` keeps going: it follows the live feed, pushes local edits as
//! they happen, reconnects with backoff and reports status; a rejected session moves to
//! "signed out" and keeps every local edit for the next sign-in. Files attached on this device
//! are uploaded after the documents (`attachments`, over `sync::blobs`), and retried with
//! backoff. Documents
//! one side lacks entirely move in bulk batches beside live sync (`bulk`). What to pull or
//! fetch for each feed entry, when to follow the feed again and where sync stands are core's
//! sync policy (`crate::sync_client`, which the browser's worker follows too); this module does
//! the IO it asks for.

mod attachments;
mod bulk;
mod profile_docs;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use samod::{BackoffConfig, ConnectionId, DialerEvent, DialerFailed, DialerHandle};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::sync::watch;

use super::blobs::UploadRound;
use super::dialer::RelayDialer;
use super::relay::{RelayClient, RelayError};
use super::session::{CURSOR_META, Session, peer_id_for, session};
use crate::api::{Larder, LarderError};
use crate::bulk_upload::UploadPlan;
use crate::clock::{Clock, SystemClock};
use crate::docstore::{SamodStore, heads_string};
use crate::store::{ConfirmedDoc, StoreError};
use crate::sync_client::{Action, Link, SyncClient};

/// How long one document may take to reach or come from the relay before the pass gives up on
/// it (it stays pending and is retried on the next pass).
const DOC_TIMEOUT: Duration = Duration::from_secs(30);
/// Documents synced at once.
const PARALLEL_DOCS: usize = 32;
/// How often, while connected, documents still marked unsynced are checked with the relay.
const RECHECK_MARKS: Duration = Duration::from_secs(3);

pub use crate::sync_client::{SyncState, SyncStatus};

/// How a wait between two follows of the feed ended.
enum Waited {
    Resume,
    /// The connection dropped (the connection loop waits for the next one).
    Dropped,
    Stop,
    Refused,
}

/// What the engine's connection is doing (the policy knows the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
enum LinkState {
    SignedOut,
    Offline(Option<String>),
    Connecting,
    Connected,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Documents brought in from the relay.
    pub pulled: usize,
    /// Of those, documents fetched in bulk batches.
    pub pulled_in_bulk: usize,
    /// Documents the relay confirmed having.
    pub pushed: usize,
    /// Of those, documents uploaded in bulk batches.
    pub pushed_in_bulk: usize,
    /// Documents still pending after the pass.
    pub pending: usize,
    /// Attached files uploaded in the pass.
    pub uploaded: usize,
    /// Attached files still queued after the pass.
    pub pending_uploads: usize,
    /// Why the last refused upload was refused, if any file is still queued.
    pub upload_error: Option<String>,
}

#[derive(Debug, Error)]
pub enum SyncError {
    #[error("not signed in; run `larder login` first")]
    NotSignedIn,
    #[error("the relay rejected the session; sign in again (local edits are kept)")]
    Unauthorized,
    #[error("cannot reach the relay at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    #[error(transparent)]
    Relay(RelayError),
    #[error(transparent)]
    Larder(#[from] LarderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RelayError> for SyncError {
    fn from(err: RelayError) -> Self {
        match err {
            RelayError::Unauthorized => SyncError::Unauthorized,
            other => SyncError::Relay(other),
        }
    }
}

pub struct SyncEngine {
    larder: Arc<Larder<SamodStore>>,
    session: Session,
    client: RelayClient,
    peer_id: String,
    status: watch::Sender<SyncStatus>,
    /// Core's sync policy: what to pull and fetch, retries, the status.
    policy: std::sync::Mutex<SyncClient>,
    link: std::sync::Mutex<LinkState>,
    /// Upload rounds (documents or attachments) running now.
    uploading: std::sync::atomic::AtomicUsize,
    /// Documents one side lacks go over HTTP in batches (see `sync_plan`); off: everything
    /// over the websocket, document by document.
    bulk: bool,
}

impl SyncEngine {
    /// An engine for the signed-in profile behind `larder`.
    pub fn new(larder: Arc<Larder<SamodStore>>) -> Result<Self, SyncError> {
        let session = session(larder.store())?.ok_or(SyncError::NotSignedIn)?;
        let client = RelayClient::new(&session.server)?;
        let peer_id = peer_id_for(larder.store(), &session.user_id)?;
        let pending = larder.store().out_of_step_doc_count()?;
        let pending_uploads = larder.store().queued_upload_count()?;
        let (status, _) = watch::channel(SyncStatus {
            state: SyncState::Offline,
            pending,
            pending_uploads,
            last_error: None,
            progress: None,
        });
        Ok(SyncEngine {
            larder,
            session,
            client,
            peer_id,
            status,
            policy: std::sync::Mutex::new(SyncClient::new(0, true, PARALLEL_DOCS)),
            link: std::sync::Mutex::new(LinkState::Offline(None)),
            uploading: std::sync::atomic::AtomicUsize::new(0),
            bulk: true,
        })
    }

    /// Turns bulk transfer on (the default) or off (every document over the websocket).
    pub fn with_bulk(mut self, bulk: bool) -> Self {
        self.bulk = bulk;
        self.policy = std::sync::Mutex::new(SyncClient::new(0, bulk, PARALLEL_DOCS));
        self
    }

    fn policy(&self) -> std::sync::MutexGuard<'_, SyncClient> {
        self.policy.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Status updates (offline / connecting / syncing / up to date / signed out).
    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    /// Sets what the connection is doing and publishes the status.
    fn set_link(&self, link: LinkState) {
        *self.link.lock().unwrap_or_else(|p| p.into_inner()) = link;
        self.publish();
    }

    /// Publishes where sync stands: the connection's state, or once connected the policy's.
    pub(super) fn publish(&self) {
        let store = self.larder.store();
        let link = self.link.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let connected = Link {
            online: true,
            uploading: self.uploading.load(std::sync::atomic::Ordering::SeqCst) > 0,
            now_ms: SystemClock.now_ms(),
        };
        let status = match self.policy().status(store, connected) {
            Ok(status) => status,
            Err(err) => {
                tracing::warn!(%err, "could not read the sync status");
                return;
            }
        };
        let (state, last_error) = match link {
            LinkState::SignedOut => (SyncState::SignedOut, None),
            LinkState::Offline(error) => (SyncState::Offline, error),
            LinkState::Connecting => (SyncState::Connecting, None),
            // Connected while the feed is being read: syncing.
            LinkState::Connected => match status.state {
                SyncState::UpToDate => (SyncState::UpToDate, status.last_error.clone()),
                _ => (SyncState::Syncing, status.last_error.clone()),
            },
        };
        self.status.send_replace(SyncStatus {
            state,
            last_error,
            ..status
        });
    }

    /// Runs `work` counted as an upload round (the status says syncing meanwhile).
    async fn uploading<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        use std::sync::atomic::Ordering;
        self.uploading.fetch_add(1, Ordering::SeqCst);
        self.publish();
        let out = work.await;
        self.uploading.fetch_sub(1, Ordering::SeqCst);
        self.publish();
        out
    }

    fn dial(&self, backoff: BackoffConfig) -> Result<DialerHandle<RelayError>, SyncError> {
        let dialer = RelayDialer {
            client: self.client.clone(),
            token: self.session.token.clone(),
            peer_id: self.peer_id.clone(),
        };
        self.larder
            .documents()
            .repo()
            .dial(backoff, Arc::new(dialer))
            .map_err(|_| {
                SyncError::Larder(LarderError::Docs(crate::docstore::DocStoreError::Stopped))
            })
    }

    fn unreachable(&self, reason: impl ToString) -> SyncError {
        SyncError::Unreachable {
            server: self.session.server.clone(),
            reason: reason.to_string(),
        }
    }

    /// One pass: connect, catch up, push, disconnect. Fails if the relay is unreachable or the
    /// session is rejected.
    pub async fn sync_once(&self) -> Result<SyncReport, SyncError> {
        self.set_link(LinkState::Connecting);
        let dialer = self.dial(BackoffConfig {
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            max_retries: Some(3),
        })?;
        let established = tokio::time::timeout(Duration::from_secs(30), dialer.established()).await;
        let outcome = match established {
            Err(_) => Err(self.unreachable("timed out connecting")),
            Ok(Err(DialerFailed::PermanentFailure(err))) => Err(match &*err {
                RelayError::Unauthorized => SyncError::Unauthorized,
                other => self.unreachable(other),
            }),
            Ok(Err(DialerFailed::MaxRetriesReached)) => {
                // Tell a rejected session apart from an unreachable relay.
                match self.client.me(&self.session.token).await {
                    Err(RelayError::Unauthorized) => Err(SyncError::Unauthorized),
                    Err(err) => Err(self.unreachable(err)),
                    Ok(_) => Err(self.unreachable("the sync connection kept failing")),
                }
            }
            Ok(Ok(_)) => match dialer.connection_id() {
                Some(conn) => self.pass(conn).await,
                None => Err(self.unreachable("the connection dropped at once")),
            },
        };
        dialer.close();
        match &outcome {
            Ok(_) => self.publish(),
            Err(SyncError::Unauthorized) => self.sign_out()?,
            Err(err) => self.set_link(LinkState::Offline(Some(err.to_string()))),
        }
        outcome
    }

    /// The relay rejected the session: forget it (local data and pending edits stay).
    fn sign_out(&self) -> Result<(), SyncError> {
        super::session::forget_session(self.larder.store())?;
        self.set_link(LinkState::SignedOut);
        Ok(())
    }

    /// Keeps syncing until `stop` resolves: reconnects with backoff, follows the live feed and
    /// pushes local edits. Returns `Unauthorized` if the relay rejects the session.
    pub async fn run(&self, stop: impl std::future::Future<Output = ()>) -> Result<(), SyncError> {
        tokio::pin!(stop);
        let dialer = self.dial(BackoffConfig::default())?;
        let mut events = dialer.events();
        let mut local = self.larder.subscribe();
        self.set_link(LinkState::Connecting);
        let result = 'connections: loop {
            // Wait for a connection (or a stop / a permanent failure).
            let conn = tokio::select! {
                _ = &mut stop => break Ok(()),
                event = events.next() => match event {
                    Some(DialerEvent::Connected { .. }) => match dialer.connection_id() {
                        Some(conn) => conn,
                        None => continue,
                    },
                    Some(DialerEvent::Reconnecting { .. }) => {
                        self.set_link(LinkState::Connecting);
                        continue;
                    }
                    Some(DialerEvent::Disconnected { reason }) => {
                        self.set_link(LinkState::Offline(Some(reason)));
                        continue;
                    }
                    Some(DialerEvent::PermanentFailure) | Some(DialerEvent::MaxRetriesReached) | None => {
                        break Err(SyncError::Unauthorized);
                    }
                },
            };
            if let Err(err) = self.pass(conn).await {
                self.set_link(LinkState::Offline(Some(err.to_string())));
                if matches!(err, SyncError::Unauthorized) {
                    break Err(err);
                }
                continue;
            }
            // Connected: follow the live feed and local edits until the connection drops. When
            // the feed ends with the connection up, it is followed again after the policy's
            // wait, from a catch-up.
            'feed: loop {
                let ended = match self
                    .client
                    .live_changes(&self.session.token, self.cursor()?)
                    .await
                {
                    Err(RelayError::Unauthorized) => {
                        break 'connections Err(SyncError::Unauthorized);
                    }
                    Err(err) => {
                        tracing::warn!(%err, "live change feed unavailable");
                        Some(err.to_string())
                    }
                    Ok(live) => {
                        tokio::pin!(live);
                        // Samod may write a document's chunks again after a pull (merging, compacting),
                        // which marks it unsynced with no local edit to trigger a push: marks are looked
                        // at again on this tick (a local query; the relay is asked only when marks exist).
                        let mut recheck = tokio::time::interval(RECHECK_MARKS);
                        recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                        loop {
                            tokio::select! {
                                _ = &mut stop => { dialer.close(); return Ok(()); }
                                entry = live.next() => match entry {
                                    Some(Ok(entry)) => {
                                        let seq = entry.seq;
                                        let actions = self.policy().feed_entry(self.larder.store(), entry)?;
                                        self.carry_out(conn, actions).await?;
                                        self.save_cursor(seq)?;
                                        self.publish();
                                    }
                                    Some(Err(RelayError::Unauthorized)) => {
                                        dialer.close();
                                        self.sign_out()?;
                                        return Err(SyncError::Unauthorized);
                                    }
                                    Some(Err(err)) => break Some(err.to_string()),
                                    None => break None,
                                },
                                event = local.next() => {
                                    let Some(event) = event else { break 'connections Ok(()) };
                                    // Progress says nothing new about the documents.
                                    if matches!(event, crate::api::ChangeEvent::ImportProgress { .. }) {
                                        continue;
                                    }
                                    self.publish();
                                    // A big import arrives as a burst of events: in bulk, then the rest.
                                    self.push_pending(conn).await?;
                                    if let Err(err) = self.upload_due().await {
                                        dialer.close();
                                        self.sign_out()?;
                                        return Err(err);
                                    }
                                }
                                _ = recheck.tick() => {
                                    let retry = self.policy().retry(self.larder.store())?;
                                    self.carry_out(conn, retry).await?;
                                    if !self.larder.store().unsynced_docs()?.is_empty() {
                                        self.push_pending(conn).await?;
                                    }
                                    self.publish();
                                }
                                () = self.upload_retry_due() => {
                                    if let Err(err) = self.upload_due().await {
                                        dialer.close();
                                        self.sign_out()?;
                                        return Err(err);
                                    }
                                }
                                event = events.next() => match event {
                                    Some(DialerEvent::Disconnected { reason }) => {
                                        self.policy().feed_closed(None);
                                        self.set_link(LinkState::Offline(Some(reason)));
                                        continue 'connections;
                                    }
                                    Some(DialerEvent::PermanentFailure) | Some(DialerEvent::MaxRetriesReached) | None => {
                                        dialer.close();
                                        self.sign_out()?;
                                        return Err(SyncError::Unauthorized);
                                    }
                                    Some(_) => {}
                                },
                            }
                        }
                    }
                };
                let wait = self.policy().feed_closed(ended);
                self.publish();
                match self.wait_connected(wait, &mut stop, &mut events).await {
                    Waited::Resume => {}
                    Waited::Dropped => break 'feed,
                    Waited::Stop => break 'connections Ok(()),
                    Waited::Refused => break 'connections Err(SyncError::Unauthorized),
                }
                if let Err(err) = self.catch_up(conn).await {
                    self.set_link(LinkState::Offline(Some(err.to_string())));
                    break 'feed;
                }
            }
        };
        dialer.close();
        if matches!(result, Err(SyncError::Unauthorized)) {
            self.sign_out()?;
        }
        result
    }

    /// Waits `wait` before the feed is followed again, unless the connection drops, the
    /// session is refused or `stop` resolves meanwhile.
    async fn wait_connected(
        &self,
        wait: Duration,
        stop: &mut std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
        events: &mut (impl futures_util::Stream<Item = DialerEvent> + Unpin),
    ) -> Waited {
        tokio::select! {
            _ = stop.as_mut() => Waited::Stop,
            () = tokio::time::sleep(wait) => Waited::Resume,
            event = events.next() => match event {
                Some(DialerEvent::Disconnected { reason }) => {
                    self.set_link(LinkState::Offline(Some(reason)));
                    Waited::Dropped
                }
                Some(DialerEvent::Connected { .. }) | Some(DialerEvent::Reconnecting { .. }) => {
                    Waited::Dropped
                }
                Some(DialerEvent::PermanentFailure) | Some(DialerEvent::MaxRetriesReached) | None => {
                    Waited::Refused
                }
            },
        }
    }

    /// Everything one connection needs: grocery list and meal plan, catch-up, push.
    async fn pass(&self, conn: ConnectionId) -> Result<SyncReport, SyncError> {
        self.set_link(LinkState::Connected);
        self.adopt_profile_documents(conn).await?;
        let (pulled, pulled_in_bulk) = self.catch_up(conn).await?;
        let (pushed, pushed_in_bulk) = self.push_pending(conn).await?;
        let pending = self.larder.store().waiting_doc_count()?;
        // A failed upload stays queued (with its reason) and does not fail the pass: the
        // documents are in sync, and the file is retried later.
        let round = match self.uploading(self.upload(true)).await {
            Ok(round) => round,
            Err(SyncError::Unauthorized) => return Err(SyncError::Unauthorized),
            Err(err) => {
                tracing::warn!(%err, "attachment uploads failed; they stay queued");
                UploadRound::default()
            }
        };
        let queued = self.larder.store().queued_uploads()?;
        Ok(SyncReport {
            pulled,
            pulled_in_bulk,
            pushed,
            pushed_in_bulk,
            pending,
            uploaded: round.uploaded,
            pending_uploads: queued.len(),
            upload_error: queued.into_iter().find_map(|q| q.last_error),
        })
    }

    fn cursor(&self) -> Result<u64, SyncError> {
        Ok(self
            .larder
            .store()
            .meta_get(CURSOR_META)?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    fn save_cursor(&self, cursor: u64) -> Result<(), SyncError> {
        Ok(self
            .larder
            .store()
            .meta_set(CURSOR_META, &cursor.to_string())?)
    }

    /// Brings in every document the feed lists after the stored cursor: the whole backlog is
    /// read first (entries are small) and handed to the policy, which answers what to fetch in
    /// bulk and what to pull. One request when nothing changed. The cursor is stored once all
    /// of it is in. Answers how many documents came in, and how many of them in bulk.
    async fn catch_up(&self, conn: ConnectionId) -> Result<(usize, usize), SyncError> {
        let store = self.larder.store();
        let start = self.cursor()?;
        let mut cursor = start;
        self.policy().feed_opened();
        loop {
            let page = self.client.changes(&self.session.token, cursor).await?;
            cursor = cursor.max(page.cursor);
            let mut policy = self.policy();
            for entry in page.changes {
                // Before the backlog is in, entries only wait for the plan.
                policy.feed_entry(store, entry)?;
            }
            drop(policy);
            if !page.more {
                break;
            }
        }
        let actions = self.policy().feed_caught_up(store)?;
        self.publish();
        let brought = self.carry_out(conn, actions).await?;
        if cursor > start {
            self.save_cursor(cursor)?;
        }
        self.publish();
        Ok(brought)
    }

    /// Does what the policy asked, and what it asks next as each part ends, until nothing is
    /// left: bulk batches fetched and adopted (`bulk`), documents pulled over the websocket (at
    /// most the policy's concurrency at once). Answers how many documents came in, and how many
    /// of them in bulk.
    async fn carry_out(
        &self,
        conn: ConnectionId,
        mut actions: Vec<Action>,
    ) -> Result<(usize, usize), SyncError> {
        let store = self.larder.store();
        let mut pulls = futures_util::stream::FuturesUnordered::new();
        let (mut pulled, mut in_bulk) = (0, 0);
        loop {
            let mut batches = Vec::new();
            for action in actions.drain(..) {
                match action {
                    Action::Pull { doc_id } => pulls.push(async move {
                        let outcome = self.fetch(conn, &doc_id).await;
                        if let Err(err) = &outcome {
                            tracing::warn!(%err, doc = doc_id, "could not fetch a changed document");
                        }
                        (doc_id, outcome.is_ok())
                    }),
                    Action::Fetch { batch } => batches.push(batch),
                }
            }
            if !batches.is_empty() {
                let (adopted, next) = self.fetch_in_bulk(batches).await?;
                in_bulk += adopted;
                pulled += adopted;
                actions = next;
                continue;
            }
            let Some((doc_id, ok)) = pulls.next().await else {
                break;
            };
            pulled += usize::from(ok);
            actions = self.policy().pulled(store, &doc_id, ok)?;
            self.publish();
        }
        Ok((pulled, in_bulk))
    }

    /// Opens a document (asking the relay if needed), waits until we have the relay's changes,
    /// and refreshes its view.
    async fn fetch(&self, conn: ConnectionId, id: &str) -> Result<(), SyncError> {
        let docs = self.larder.documents();
        let handle = tokio::time::timeout(DOC_TIMEOUT, docs.handle(id))
            .await
            .map_err(|_| self.unreachable(format!("timed out fetching {id}")))?
            .map_err(LarderError::from)?;
        if let Some(handle) = handle {
            let _ = tokio::time::timeout(DOC_TIMEOUT, handle.we_have_their_changes(conn)).await;
            self.larder.rematerialize(id).await?;
        }
        Ok(())
    }

    /// Pushes every document with unconfirmed chunks and clears the marks the relay confirmed.
    /// One read of the marks decides what goes how: documents the relay never confirmed go in
    /// bulk when there are enough of them (`bulk_upload`), the rest (and whatever the bulk
    /// upload did not get stored) over the websocket. A document written again while it was
    /// being confirmed (samod may rewrite chunks as it loads a document) is checked again, a
    /// few rounds at most. Answers `(pushed, of them in bulk)`.
    async fn push_pending(&self, conn: ConnectionId) -> Result<(usize, usize), SyncError> {
        self.uploading(self.push_marked(conn)).await
    }

    async fn push_marked(&self, conn: ConnectionId) -> Result<(usize, usize), SyncError> {
        const ROUNDS: usize = 3;
        let docs = self.larder.documents();
        let store = self.larder.store();
        let marks = store.unsynced_docs()?;
        if marks.is_empty() {
            return Ok((0, 0));
        }
        let plan = UploadPlan::from_marks(store, marks.clone(), self.bulk, |_| false)?;
        let (in_bulk, mut live) = match plan.run {
            Some(run) => self.push_in_bulk(run).await?,
            None => (0, Vec::new()),
        };
        live.extend(plan.live);
        let live: std::collections::HashSet<String> = live.into_iter().collect();
        let mut first: Option<Vec<(String, i64)>> = Some(
            marks
                .into_iter()
                .filter(|(id, _)| live.contains(id))
                .collect(),
        );
        let mut confirmed_ids = std::collections::HashSet::new();
        for _ in 0..ROUNDS {
            let marks: Vec<(String, i64)> = match first.take() {
                Some(marks) => marks,
                // Later rounds only revisit documents confirmed before and marked again.
                None => store
                    .unsynced_docs()?
                    .into_iter()
                    .filter(|(id, _)| confirmed_ids.contains(id))
                    .collect(),
            };
            if marks.is_empty() {
                break;
            }
            let confirmed: Vec<Option<ConfirmedDoc>> = stream::iter(marks)
                .map(|(doc_id, seq)| async move {
                    let handle = docs.handle(&doc_id).await.ok().flatten()?;
                    // The heads before asking: the relay's answer covers at least these (an
                    // edit made meanwhile is newer and stays counted as waiting).
                    let heads = handle.with_document(|doc| heads_string(doc));
                    tokio::time::timeout(DOC_TIMEOUT, handle.they_have_our_changes(conn))
                        .await
                        .ok()
                        .map(|_| ConfirmedDoc { doc_id, seq, heads })
                })
                .buffer_unordered(PARALLEL_DOCS)
                .collect()
                .await;
            let confirmed: Vec<ConfirmedDoc> = confirmed.into_iter().flatten().collect();
            store.confirm_synced(&confirmed)?;
            confirmed_ids.extend(confirmed.into_iter().map(|doc| doc.doc_id));
        }
        Ok((in_bulk + confirmed_ids.len(), in_bulk))
    }
}
