//! Sync: the relay's samod repo and everything around it.
//!
//! - [`SyncHub`]: the users' repos ([`shards`]: one samod repo per user, peer id
//!   [`RELAY_PEER_ID`], storage in the relay store's `chunks`, share policy by document owner)
//!   and their websocket acceptors, tickets, the change feed, and the users' grocery-list
//!   documents. Started by [`crate::serve_on`] (through
//!   [`AppState::start_sync`](crate::AppState::start_sync)) and stopped at shutdown, which closes
//!   every sync websocket and live feed.
//! - [`storage`]: durable puts (group commit) and the hand-off to the feed
//! - `durable`: waiting until a change the relay made itself is on disk
//! - [`policy`]: peer ids, ownership, the share policy
//! - [`socket`]: an accepted websocket as a samod transport
//! - [`tickets`]: one-time websocket tickets
//! - [`feed`]: the change-feed worker and live subscriptions
//! - [`wire`]: peeking at inbound protocol messages

mod durable;
pub mod durable_heads;
pub mod feed;
pub mod policy;
pub mod shards;
pub mod socket;
pub mod storage;
pub mod tickets;
pub mod wire;

use std::sync::{Arc, RwLock};

use axum::extract::ws::WebSocket;
use samod::PeerId;
use tokio::sync::{Mutex as AsyncMutex, mpsc, watch};
use tokio::task::JoinHandle;

pub use feed::FeedHub;
pub use policy::{RELAY_PEER_ID, is_client_peer_id};
pub use tickets::{TICKET_TTL_MS, Ticket, Tickets};

use crate::hook::GroceryHook;
use crate::store::{RelayStore, StoreError, UserId};
use durable_heads::DurableHeads;
use feed::FeedWorker;
use policy::{Ownership, RelayPolicy};
use shards::{ShardLease, Shards};
use storage::{GroupCommit, RelayStorage};

/// The `kind` of the grocery-list document (larder-core's).
pub const GROCERY_KIND: &str = larder_core::model::GROCERY_KIND;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the sync service is stopped")]
    Stopped,
    /// The user is being (or was) removed; their repo is stopped for good.
    #[error("the user was removed")]
    UserRemoved,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The store as the sync layer sees it: detached at stop, so nothing samod keeps alive (its
/// internal tasks may outlive the repo) holds the database open afterwards.
#[derive(Clone)]
pub struct StoreSlot(Arc<RwLock<Option<Arc<dyn RelayStore>>>>);

impl StoreSlot {
    pub fn new(store: Arc<dyn RelayStore>) -> Self {
        StoreSlot(Arc::new(RwLock::new(Some(store))))
    }

    pub fn get(&self) -> Result<Arc<dyn RelayStore>, SyncError> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(SyncError::Stopped)
    }

    fn detach(&self) {
        self.0.write().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// The running sync service (see the module docs).
pub struct SyncHub {
    shards: Arc<Shards>,
    slot: StoreSlot,
    commit: Arc<GroupCommit>,
    durable_heads: Arc<DurableHeads>,
    ownership: Arc<Ownership>,
    feed: Arc<FeedHub>,
    tickets: Tickets,
    /// Turns true when stopping begins: no new connections, live feeds end.
    closing: watch::Sender<bool>,
    /// Turns true once the repo has stopped: the flusher and feed worker end.
    halt: watch::Sender<bool>,
    /// Serialises grocery-list creation (rare: once per user).
    grocery: AsyncMutex<()>,
    /// Turns true once [`stop`](Self::stop) has finished.
    stopped: watch::Sender<bool>,
    /// The flusher and feed worker, joined at stop.
    tasks: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for SyncHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncHub").finish_non_exhaustive()
    }
}

impl SyncHub {
    /// Loads the repo over `store`, records feed entries a crash left pending, and starts the
    /// background tasks. Must run inside a tokio runtime. `hook` sees every recorded change
    /// (for grocery-list additions).
    pub async fn start(
        store: Arc<dyn RelayStore>,
        hook: Arc<GroceryHook>,
        idle_unload: std::time::Duration,
    ) -> Result<Arc<SyncHub>, SyncError> {
        let slot = StoreSlot::new(store);
        let (closing, _) = watch::channel(false);
        let (halt, _) = watch::channel(false);
        let commit = GroupCommit::new(slot.clone());
        let flusher = tokio::spawn(Arc::clone(&commit).run(halt.subscribe()));
        let durable_heads = DurableHeads::new(slot.clone());

        let (changed_tx, changed_rx) = mpsc::unbounded_channel();
        let ownership = Arc::new(Ownership::new(slot.clone(), changed_tx.clone()));
        let shards = Arc::new(Shards::new(
            RelayStorage::new(
                slot.clone(),
                Arc::clone(&commit),
                Arc::clone(&durable_heads),
                changed_tx,
            ),
            RelayPolicy(Arc::clone(&ownership)),
        ));

        let feed = Arc::new(FeedHub::default());
        let worker = FeedWorker {
            slot: slot.clone(),
            shards: Arc::clone(&shards),
            hub: Arc::clone(&feed),
            hook,
        };
        let (pending, retry) = worker.catch_up().await?;
        if pending > 0 {
            tracing::info!(
                documents = pending,
                "recorded changes the feed had not yet seen"
            );
        }
        let feed_task = tokio::spawn(worker.run(changed_rx, halt.subscribe(), retry));
        let unloader =
            tokio::spawn(Arc::clone(&shards).run_unloader(idle_unload, closing.subscribe()));

        Ok(Arc::new(SyncHub {
            shards,
            slot,
            commit,
            durable_heads,
            ownership,
            feed,
            tickets: Tickets::default(),
            closing,
            halt,
            grocery: AsyncMutex::new(()),
            stopped: watch::Sender::new(false),
            tasks: std::sync::Mutex::new(vec![flusher, feed_task, unloader]),
        }))
    }

    /// Closes every sync connection and live feed, lets samod finish its storage writes,
    /// makes them durable and lets go of the store. Idempotent, and safe to cancel: the work
    /// runs in its own task, every caller waits for it.
    pub async fn stop(self: &Arc<Self>) {
        if !self.closing.send_replace(true) {
            let hub = Arc::clone(self);
            tokio::spawn(async move {
                hub.shut_down().await;
                hub.stopped.send_replace(true);
            });
        }
        let mut stopped = self.stopped.subscribe();
        let _ = stopped.wait_for(|s| *s).await;
    }

    async fn shut_down(&self) {
        tracing::info!("stopping sync");
        // Order matters: the repos wait for their puts, which wait for the flusher.
        self.shards.stop().await;
        self.halt.send_replace(true);
        let running = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        for task in running {
            let _ = task.await;
        }
        self.slot.detach();
        tracing::info!("sync stopped");
    }

    /// Whether [`stop`](Self::stop) has begun.
    pub fn is_closing(&self) -> bool {
        *self.closing.borrow()
    }

    /// Resolves once the hub starts stopping (for long-lived responses such as the live feed).
    pub fn closing(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    }

    /// `user`'s repo (the grocery REST API edits grocery lists through it; tests look into
    /// it), started the first time.
    pub async fn repo_of(&self, user: &UserId) -> Result<ShardLease, SyncError> {
        self.shards.get(user).await
    }

    /// How many users' repos are loaded (idle ones are unloaded).
    pub fn loaded_shards(&self) -> usize {
        self.shards.loaded()
    }

    /// Unloads now every user's repo nothing has used for `idle` (the relay does this in the
    /// background with its configured `sync_idle_unload`); returns how many.
    pub async fn unload_idle(&self, idle: std::time::Duration) -> usize {
        self.shards.unload_idle(idle).await
    }

    /// Lets go of a user who is being removed: closes their sync connections, stops their repo
    /// (waiting for its storage writes) and refuses them a new one.
    pub async fn let_go(&self, user: &UserId) {
        self.shards.retire(user).await;
    }

    pub fn tickets(&self) -> &Tickets {
        &self.tickets
    }

    pub fn feed(&self) -> &Arc<FeedHub> {
        &self.feed
    }

    pub fn store(&self) -> Result<Arc<dyn RelayStore>, SyncError> {
        self.slot.get()
    }

    /// The owner of a document, if it has one.
    pub fn doc_owner(&self, doc: &str) -> Result<Option<UserId>, SyncError> {
        self.ownership.owner(doc)
    }

    /// Hands an upgraded websocket to the user's repo, bound to the ticket's user and peer id.
    pub async fn accept(
        &self,
        socket: WebSocket,
        ticket: Ticket,
        ended: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), SyncError> {
        let lease = self.shards.get(&ticket.user).await?;
        let acceptor = lease.acceptor.clone();
        let transport = socket::transport(
            socket,
            ticket.user,
            PeerId::from(ticket.peer_id.as_str()),
            Arc::clone(&self.ownership),
            socket::Durability {
                commit: Arc::clone(&self.commit),
                heads: Arc::clone(&self.durable_heads),
            },
            ended,
            // The repo stays loaded while the connection is open.
            lease,
        );
        acceptor
            .accept(transport)
            .map(|_| ())
            .map_err(|_| SyncError::Stopped)
    }

    /// Runs `f` on the relay's copy of document `doc` (on the blocking pool); `None` if the
    /// relay has no such document. Callers decide who may read it (the owner, or whatever
    /// access rule the route enforces) before calling.
    pub async fn read_document<R: Send + 'static>(
        &self,
        doc: &str,
        f: impl FnOnce(&automerge::Automerge) -> R + Send + 'static,
    ) -> Result<Option<R>, SyncError> {
        let Some(owner) = self.doc_owner(doc)? else {
            return Ok(None);
        };
        let Ok(doc_id) = doc.parse::<samod::DocumentId>() else {
            return Ok(None);
        };
        let lease = self.shards.get(&owner).await?;
        let handle =
            match tokio::time::timeout(std::time::Duration::from_secs(10), lease.repo.find(doc_id))
                .await
            {
                Ok(Ok(Some(handle))) => handle,
                Ok(Ok(None)) => return Ok(None),
                Ok(Err(_)) | Err(_) => return Err(SyncError::Stopped),
            };
        tokio::task::spawn_blocking(move || handle.with_document(|am| f(am)))
            .await
            .map(Some)
            .map_err(|_| SyncError::Stopped)
    }

    /// Creates a new document with the content of `initial`, owned by `user`, durable before
    /// this returns; returns its id. (The grocery list is made this way; other per-user
    /// documents the relay hands out can be too.)
    pub async fn create_owned_document(
        &self,
        user: &UserId,
        initial: automerge::Automerge,
    ) -> Result<String, SyncError> {
        let handle = self
            .shards
            .get(user)
            .await?
            .repo
            .create(initial)
            .await
            .map_err(|_| SyncError::Stopped)?;
        let id = handle.document_id().to_string();
        let owner = self.ownership.claim(&id, user)?;
        debug_assert_eq!(&owner, user, "a brand-new document id is unowned");
        let heads = handle.with_document(|am| am.get_heads());
        self.stored(&id, heads).await?;
        Ok(id)
    }

    /// The id of `user`'s grocery-list document, creating it (owned by `user`) the first time.
    pub async fn grocery_list_id(&self, user: &UserId) -> Result<String, SyncError> {
        let existing = |store: &dyn RelayStore| -> Result<Option<String>, SyncError> {
            match store.user(user)? {
                Some(u) => Ok(u.grocery_list_id),
                None => Err(StoreError::NoSuchUser(user.to_string()).into()),
            }
        };
        if let Some(id) = existing(self.slot.get()?.as_ref())? {
            return Ok(id);
        }
        let _creating = self.grocery.lock().await;
        if let Some(id) = existing(self.slot.get()?.as_ref())? {
            return Ok(id);
        }
        let id = self.create_owned_document(user, grocery_document()).await?;
        let store = self.slot.get()?;
        // Recorded empty before anyone can use it, so the grocery hook sees its first items
        // as additions.
        store.grocery_record(&id, &[], &[], &[])?;
        store.set_grocery_list_id(user, Some(&id))?;
        // Devices will store this id; it must not change after a crash.
        store.flush_async().await?;
        tracing::info!(user = %user, doc = id, "grocery list created");
        Ok(id)
    }
}

/// A new grocery list: larder-core's empty [`GroceryDoc`](larder_core::model::GroceryDoc),
/// `{"kind": "larder.grocery", "items": {}}`.
pub fn grocery_document() -> automerge::Automerge {
    let mut doc = automerge::Automerge::new();
    doc.transact(|tx| autosurgeon::reconcile(tx, larder_core::model::GroceryDoc::new()))
        .expect("building an empty grocery list cannot fail");
    doc
}
