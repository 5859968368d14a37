//! Sync: the relay's own server side of the automerge-repo protocol, written straight over
//! `automerge` (see `docs/sync-core.md` for the whole picture).
//!
//! - [`SyncHub`]: starts and stops everything below, accepts websockets, and is how the rest
//!   of the relay reaches documents ([`SyncHub::read_document`], [`SyncHub::edit_document`],
//!   [`SyncHub::create_owned_document`], the users' grocery lists and meal plans)
//! - [`wire`]: the protocol's CBOR messages, decoded strictly and within bounds
//! - [`connection`]: one websocket: handshake, routing to shards, durable writes
//! - [`shard`]: the fixed set of tasks that own the documents, by document id
//! - [`document`]: one document: its automerge state, its chunks in the store, its peers'
//!   sync states
//! - [`bulk`]: many documents over HTTP beside live sync (catch-up reads, bulk uploads)
//! - [`access`]: peer ids and the one access decision (ownership, first sync claims)
//! - [`commit`]: group commit: acknowledgements wait for the disk, many at once
//! - [`outbox`]: a connection's outbound queue and the close codes
//! - [`registry`]: open connections by peer id
//! - [`feed`]: the change feed worker and live subscriptions
//! - [`tickets`]: one-time websocket tickets
//! - [`doc_id`]: document ids in automerge-repo's text form

pub mod access;
pub mod bulk;
pub mod commit;
pub mod connection;
pub mod doc_id;
pub mod document;
pub mod feed;
pub mod outbox;
pub mod registry;
pub mod shard;
mod sharing;
pub mod tickets;
pub mod wire;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use automerge::{Automerge, ChangeHash};
use axum::extract::ws::WebSocket;
use tokio::sync::{Mutex as AsyncMutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use access::{RELAY_PEER_ID, is_client_peer_id};
pub use bulk::ImportOutcome;
pub use doc_id::DocId;
pub use feed::FeedHub;
pub use tickets::{TICKET_TTL_MS, Ticket, Tickets};

use crate::hook::GroceryHook;
use crate::store::{HouseholdId, Principal, RelayStore, StoreError, UserId};
use commit::GroupCommit;
use connection::Link;
use document::Document;
use feed::FeedWorker;
use outbox::close;
use registry::Registry;
use shard::{Command, ShardContext, Shards};

/// The `kind` of the grocery-list document (larder-core's).
pub const GROCERY_KIND: &str = larder_core::model::GROCERY_KIND;
/// The store key of the relay's storage id (samod's key, so it survives the upgrade).
const STORAGE_ID_KEY: &str = "storage-adapter-id";
/// How long stopping waits for open connections to finish sending.
const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the sync service is stopped")]
    Stopped,
    /// The user is being (or was) removed.
    #[error("the user was removed")]
    UserRemoved,
    #[error("the document could not be saved")]
    NotSaved,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How the sync core is sized (from [`crate::Config`]).
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// How long a document no connection syncs stays in memory.
    pub idle_unload: Duration,
    /// How many shards documents are spread over.
    pub shards: usize,
    /// Bytes a peer may have queued and unread before it is closed.
    pub outbound_limit: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            idle_unload: Duration::from_secs(crate::config::DEFAULT_SYNC_IDLE_UNLOAD_SECS),
            shards: crate::config::default_sync_shards(),
            outbound_limit: 64 * 1024 * 1024,
        }
    }
}

/// The store as the sync layer sees it: detached at stop, so nothing left running (a chunk
/// deletion waiting for the disk, say) holds the database open afterwards.
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
    slot: StoreSlot,
    commit: Arc<GroupCommit>,
    shards: Arc<Shards>,
    link: Arc<Link>,
    registry: Arc<Registry>,
    feed: Arc<FeedHub>,
    /// Asks the feed worker to answer once every save made so far is recorded.
    feed_barrier: mpsc::UnboundedSender<oneshot::Sender<()>>,
    tickets: Tickets,
    /// Turns true when stopping begins: connections and live feeds end.
    closing: watch::Sender<bool>,
    /// Turns true once everything that writes has stopped: the flusher ends.
    halt: watch::Sender<bool>,
    /// Serialises grocery-list creation (rare: once per user).
    grocery: AsyncMutex<()>,
    /// Serialises meal-plan creation (rare: once per user).
    plan: AsyncMutex<()>,
    /// Users being removed: refused from now on (user ids are never reused).
    retired: Mutex<HashSet<UserId>>,
    /// Turns true once [`stop`](Self::stop) has finished.
    stopped: watch::Sender<bool>,
    shard_tasks: Mutex<Vec<JoinHandle<()>>>,
    feed_task: Mutex<Option<JoinHandle<()>>>,
    flusher: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for SyncHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncHub").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SyncHub {
    /// Starts the shards, the flusher and the feed worker over `store`, and records feed
    /// entries a crash left pending before returning. Must run inside a tokio runtime. `hook`
    /// sees every saved grocery list.
    pub async fn start(
        store: Arc<dyn RelayStore>,
        hook: Arc<GroceryHook>,
        options: SyncOptions,
    ) -> Result<Arc<SyncHub>, SyncError> {
        let storage_id = storage_id(store.as_ref())?;
        let slot = StoreSlot::new(store);
        let (closing, closing_rx) = watch::channel(false);
        let (halt, _) = watch::channel(false);
        let commit = GroupCommit::new(slot.clone());
        let flusher = tokio::spawn(Arc::clone(&commit).run(halt.subscribe()));

        let (saved_tx, saved_rx) = mpsc::unbounded_channel();
        let (shards, shard_tasks) = Shards::start(
            options.shards,
            Arc::new(ShardContext {
                slot: slot.clone(),
                commit: Arc::clone(&commit),
                saved: saved_tx,
                idle_unload: options.idle_unload,
            }),
        );
        let shards = Arc::new(shards);
        let registry = Arc::new(Registry::default());
        let feed = Arc::new(FeedHub::default());
        let worker = FeedWorker {
            slot: slot.clone(),
            commit: Arc::clone(&commit),
            shards: Arc::clone(&shards),
            hub: Arc::clone(&feed),
            hook,
        };
        let pending = worker.catch_up().await?;
        if pending > 0 {
            tracing::info!(
                documents = pending,
                "recorded changes the feed had not yet seen"
            );
        }
        let (feed_barrier, barrier_rx) = mpsc::unbounded_channel();
        let feed_task = tokio::spawn(worker.run(saved_rx, barrier_rx));
        let link = Arc::new(Link {
            shards: Arc::clone(&shards),
            commit: Arc::clone(&commit),
            registry: Arc::clone(&registry),
            storage_id,
            outbound_limit: options.outbound_limit,
            closing: closing_rx,
        });
        tracing::info!(shards = shards.count(), "sync started");
        Ok(Arc::new(SyncHub {
            slot,
            commit,
            shards,
            link,
            registry,
            feed,
            feed_barrier,
            tickets: Tickets::default(),
            closing,
            halt,
            grocery: AsyncMutex::new(()),
            plan: AsyncMutex::new(()),
            retired: Mutex::new(HashSet::new()),
            stopped: watch::Sender::new(false),
            shard_tasks: Mutex::new(shard_tasks),
            feed_task: Mutex::new(Some(feed_task)),
            flusher: Mutex::new(Some(flusher)),
        }))
    }

    /// Closes every sync connection and live feed, lets the shards finish what they were
    /// given, records the last feed entries, makes every write durable and lets go of the
    /// store. Idempotent, and safe to cancel: the work runs in its own task, every caller
    /// waits for it.
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
        // Order matters: connections wait on the flusher for their last frames, the feed
        // worker records what the shards saved, the flusher makes it all durable last.
        self.registry
            .close_all(close::GOING_AWAY, "the relay is stopping");
        if tokio::time::timeout(STOP_GRACE, self.registry.until_fewer_than(1))
            .await
            .is_err()
        {
            tracing::warn!(
                open = self.registry.open_count(),
                "sync connections still open after the grace period"
            );
        }
        self.shards.stop().await;
        let shard_tasks = std::mem::take(&mut *lock(&self.shard_tasks));
        for task in shard_tasks {
            let _ = task.await;
        }
        let feed_task = lock(&self.feed_task).take();
        if let Some(task) = feed_task {
            let _ = task.await;
        }
        self.halt.send_replace(true);
        let flusher = lock(&self.flusher).take();
        if let Some(task) = flusher {
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

    fn is_retired(&self, user: &UserId) -> bool {
        lock(&self.retired).contains(user)
    }

    /// Serves an upgraded websocket for the ticket's user and peer id until it closes; `ended`
    /// resolves when the ticket's session ends.
    pub async fn accept(
        &self,
        socket: WebSocket,
        ticket: Ticket,
        ended: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), SyncError> {
        if self.is_closing() {
            return Err(SyncError::Stopped);
        }
        if self.is_retired(&ticket.user) {
            return Err(SyncError::UserRemoved);
        }
        connection::serve(
            socket,
            Arc::clone(&self.link),
            ticket.user,
            ticket.peer_id,
            ended,
        )
        .await;
        Ok(())
    }

    pub fn tickets(&self) -> &Tickets {
        &self.tickets
    }

    pub fn feed(&self) -> &Arc<FeedHub> {
        &self.feed
    }

    /// Waits until the change feed records every save made before this call, so a reader of
    /// the feed sees each change any device has been told is stored (the feed is otherwise
    /// written a moment after the acknowledgement, off the edit's path).
    pub async fn feed_settled(&self) -> Result<(), SyncError> {
        let (tx, rx) = oneshot::channel();
        self.feed_barrier.send(tx).map_err(|_| SyncError::Stopped)?;
        rx.await.map_err(|_| SyncError::Stopped)
    }

    pub fn store(&self) -> Result<Arc<dyn RelayStore>, SyncError> {
        self.slot.get()
    }

    /// The user who owns a document, if a user does.
    pub fn doc_owner(&self, doc: &str) -> Result<Option<UserId>, SyncError> {
        Ok(self.slot.get()?.doc_owner(doc)?)
    }

    /// Who owns a document (a user or a household), if anyone does.
    pub fn doc_principal(&self, doc: &str) -> Result<Option<Principal>, SyncError> {
        Ok(self.slot.get()?.doc_principal(doc)?)
    }

    /// Runs `f` on the relay's copy of document `doc` (in the document's shard: keep it quick);
    /// `None` if the relay has no such document. Callers decide who may read it (the owner, or
    /// whatever access rule the route enforces) before calling.
    pub async fn read_document<R: Send + 'static>(
        &self,
        doc: &str,
        f: impl FnOnce(&Automerge) -> R + Send + 'static,
    ) -> Result<Option<R>, SyncError> {
        let Ok(id) = doc.parse::<DocId>() else {
            return Ok(None);
        };
        let (tx, rx) = oneshot::channel();
        let job = Box::new(move |found: Option<&Document>| {
            let _ = tx.send(found.map(|d| f(d.automerge())));
        });
        self.shards
            .send(&id, Command::Read { doc: id, job })
            .await?;
        rx.await.map_err(|_| SyncError::Stopped)
    }

    /// The relay's heads of document `doc`, if it has it.
    pub async fn document_heads(&self, doc: &str) -> Result<Option<Vec<ChangeHash>>, SyncError> {
        self.read_document(doc, |am| am.get_heads()).await
    }

    /// Changes document `doc` with `f` (in the document's shard: keep it quick) and sends the
    /// change to its peers; returns `f`'s answer once the change is durable, or `None` if the
    /// relay has no such document.
    pub async fn edit_document<R: Send + 'static>(
        &self,
        doc: &str,
        f: impl FnOnce(&mut Automerge) -> R + Send + 'static,
    ) -> Result<Option<R>, SyncError> {
        let Ok(id) = doc.parse::<DocId>() else {
            return Ok(None);
        };
        let (answer_tx, answer_rx) = oneshot::channel();
        let job = Box::new(move |found: Option<&mut Document>| {
            let _ = answer_tx.send(found.map(|d| d.edit(f)));
        });
        let (done_tx, done_rx) = oneshot::channel();
        self.shards
            .send(
                &id,
                Command::Edit {
                    doc: id,
                    job,
                    done: done_tx,
                },
            )
            .await?;
        let answer = answer_rx.await.map_err(|_| SyncError::Stopped)?;
        let ticket = done_rx.await.map_err(|_| SyncError::Stopped)??;
        self.commit.wait(ticket).await;
        Ok(answer)
    }

    /// Creates a new document with the content of `initial`, owned by `user`, durable before
    /// this returns; returns its id. (The grocery list is made this way; other per-user
    /// documents the relay hands out can be too.)
    pub async fn create_owned_document(
        &self,
        user: &UserId,
        initial: Automerge,
    ) -> Result<String, SyncError> {
        if self.is_retired(user) {
            return Err(SyncError::UserRemoved);
        }
        self.create_document_for(&Principal::User(user.clone()), initial)
            .await
    }

    /// Creates a new document owned by `owner` (see [`Self::create_owned_document`]).
    async fn create_document_for(
        &self,
        owner: &Principal,
        initial: Automerge,
    ) -> Result<String, SyncError> {
        let id = DocId::random();
        let key = id.to_string();
        let claimed = self.slot.get()?.claim_doc(&key, owner)?;
        if claimed != *owner {
            // 128 random bits collided: practically impossible, and refused all the same.
            return Err(SyncError::NotSaved);
        }
        let (done, rx) = oneshot::channel();
        let doc = Box::new(Document::new(id, owner.clone(), initial));
        self.shards.send(&id, Command::Create { doc, done }).await?;
        let ticket = rx.await.map_err(|_| SyncError::Stopped)??;
        self.commit.wait(ticket).await;
        Ok(key)
    }

    /// The id of a document the relay keeps one of per owner (a grocery list, a meal plan).
    /// `existing` reads it from the store. The first time, `create` makes it and `record`
    /// stores its id, one creation at a time under `lock`, and the store is flushed before the
    /// id is answered: devices store the id, so it must not change after a crash.
    async fn one_per_owner(
        &self,
        lock: &AsyncMutex<()>,
        existing: impl Fn(&dyn RelayStore) -> Result<Option<String>, SyncError>,
        create: impl Future<Output = Result<String, SyncError>>,
        record: impl FnOnce(&dyn RelayStore, &str) -> Result<(), SyncError>,
    ) -> Result<String, SyncError> {
        if let Some(id) = existing(self.slot.get()?.as_ref())? {
            return Ok(id);
        }
        let _creating = lock.lock().await;
        if let Some(id) = existing(self.slot.get()?.as_ref())? {
            return Ok(id);
        }
        let id = create.await?;
        let store = self.slot.get()?;
        record(store.as_ref(), &id)?;
        store.flush_async().await?;
        Ok(id)
    }

    /// The id of `user`'s grocery-list document, creating it (owned by `user`) the first time.
    pub async fn grocery_list_id(&self, user: &UserId) -> Result<String, SyncError> {
        self.one_per_owner(
            &self.grocery,
            |store| match store.user(user)? {
                Some(u) => Ok(u.grocery_list_id),
                None => Err(StoreError::NoSuchUser(user.to_string()).into()),
            },
            self.create_owned_document(user, crate::hook::doc::new_grocery_list()),
            |store, id| {
                // Recorded empty before anyone can use it, so the grocery hook sees its first
                // items as additions.
                store.grocery_record(id, &[], &[], &[])?;
                store.set_grocery_list_id(user, Some(id))?;
                tracing::info!(user = %user, doc = id, "grocery list created");
                Ok(())
            },
        )
        .await
    }

    /// The id of `user`'s meal-plan document, creating it (owned by `user`, holding larder-core's
    /// empty [`PlanDoc`](larder_core::model::PlanDoc)) the first time. Like the grocery list:
    /// one at a time, and on disk before the id is answered, so every device adopts the same
    /// one.
    pub async fn meal_plan_id(&self, user: &UserId) -> Result<String, SyncError> {
        self.one_per_owner(
            &self.plan,
            |store| match store.user(user)? {
                Some(u) => Ok(u.meal_plan_id),
                None => Err(StoreError::NoSuchUser(user.to_string()).into()),
            },
            self.create_owned_document(user, new_meal_plan()),
            |store, id| {
                store.set_meal_plan_id(user, Some(id))?;
                tracing::info!(user = %user, doc = id, "meal plan created");
                Ok(())
            },
        )
        .await
    }

    /// The id of household `household`'s grocery-list document, creating it (owned by the
    /// household) the first time; like a user's list: one at a time, recorded for the grocery
    /// hook as empty, and on disk before the id is answered, so every member's devices adopt
    /// the same one.
    pub async fn household_grocery_list_id(
        &self,
        household: &HouseholdId,
    ) -> Result<String, SyncError> {
        let owner = Principal::Household(household.clone());
        self.one_per_owner(
            &self.grocery,
            |store| match store.household(household)? {
                Some(h) => Ok(h.grocery_list_id),
                None => Err(StoreError::NoSuchHousehold(household.to_string()).into()),
            },
            self.create_document_for(&owner, crate::hook::doc::new_grocery_list()),
            |store, id| {
                store.grocery_record(id, &[], &[], &[])?;
                store.set_household_grocery_list_id(household, Some(id))?;
                tracing::info!(household = %household, doc = id, "household grocery list created");
                Ok(())
            },
        )
        .await
    }

    /// The id of household `household`'s meal-plan document, creating it (owned by the
    /// household) the first time, like [`Self::household_grocery_list_id`].
    pub async fn household_meal_plan_id(
        &self,
        household: &HouseholdId,
    ) -> Result<String, SyncError> {
        let owner = Principal::Household(household.clone());
        self.one_per_owner(
            &self.plan,
            |store| match store.household(household)? {
                Some(h) => Ok(h.meal_plan_id),
                None => Err(StoreError::NoSuchHousehold(household.to_string()).into()),
            },
            self.create_document_for(&owner, new_meal_plan()),
            |store, id| {
                store.set_household_meal_plan_id(household, Some(id))?;
                tracing::info!(household = %household, doc = id, "household meal plan created");
                Ok(())
            },
        )
        .await
    }

    /// A member joined `household` (already in the store, which marked its documents
    /// pending): their change feed gets the household's documents now, before this returns.
    pub async fn member_joined(&self, household: &HouseholdId) -> Result<(), SyncError> {
        let Some(h) = self.slot.get()?.household(household)? else {
            return Ok(());
        };
        self.announce(h.documents()).await
    }

    /// Hands the feed the pending marks of `docs` now (the store marked them: a membership or
    /// a share changed who reads them) and waits until they are recorded.
    pub(crate) async fn announce<'a>(
        &self,
        docs: impl Iterator<Item = &'a str>,
    ) -> Result<(), SyncError> {
        for doc in docs {
            let Ok(id) = doc.parse::<DocId>() else {
                continue;
            };
            let (done, rx) = oneshot::channel();
            self.shards
                .send(&id, Command::Announce { doc: id, done })
                .await?;
            rx.await.map_err(|_| SyncError::Stopped)?;
        }
        self.feed_settled().await
    }

    /// A member left `household` (already in the store, which dropped their feed entries of
    /// its documents): nothing more of its documents reaches their open connections.
    pub async fn member_left(&self, household: &HouseholdId, user: &UserId) {
        let _ = self
            .shards
            .ask_all(|done| Command::ForgetReader {
                owner: Principal::Household(household.clone()),
                user: user.clone(),
                done,
            })
            .await;
    }

    /// Lets go of a user who is being removed: refuses them from now on, closes their sync
    /// connections, drops their documents from memory and waits until everything written for
    /// them is durable, so nothing writes their documents back once they are deleted.
    pub async fn let_go(&self, user: &UserId) {
        lock(&self.retired).insert(user.clone());
        self.registry
            .close_user(user, close::SESSION_ENDED, "the user was removed");
        let mut open = self.registry.subscribe();
        let gone = async {
            while self.registry.has_user(user) {
                if open.changed().await.is_err() {
                    return;
                }
            }
        };
        if tokio::time::timeout(STOP_GRACE, gone).await.is_err() {
            tracing::warn!(user = %user, "a removed user's connections did not close in time");
        }
        let _ = self
            .shards
            .ask_all(|done| Command::DropUser {
                user: user.clone(),
                done,
            })
            .await;
        self.commit.barrier().await;
    }

    /// How many documents are in memory.
    pub async fn loaded_documents(&self) -> Result<usize, SyncError> {
        let counts = self.shards.ask_all(|done| Command::Count { done }).await?;
        Ok(counts.into_iter().sum())
    }

    /// Drops from memory now every document no connection has used for `idle` (the shards do
    /// this by themselves after the configured `sync_idle_unload`); returns how many.
    pub async fn unload_idle(&self, idle: Duration) -> Result<usize, SyncError> {
        let counts = self
            .shards
            .ask_all(|done| Command::Unload { idle, done })
            .await?;
        Ok(counts.into_iter().sum())
    }

    /// Open sync connections.
    pub fn open_connections(&self) -> usize {
        self.registry.open_count()
    }
}

/// A new meal plan: larder-core's [`PlanDoc::new`](larder_core::model::PlanDoc::new) (its
/// `kind` and default slots, no entries).
pub fn new_meal_plan() -> Automerge {
    let mut doc = Automerge::new();
    doc.transact(|tx| autosurgeon::reconcile(tx, larder_core::model::PlanDoc::new()))
        .expect("building an empty meal plan cannot fail");
    doc
}

/// The relay's storage id: kept in the store under samod's key, made the first time.
fn storage_id(store: &dyn RelayStore) -> Result<String, SyncError> {
    if let Some(bytes) = store.chunk(STORAGE_ID_KEY)?
        && let Ok(id) = String::from_utf8(bytes)
    {
        return Ok(id);
    }
    let id = uuid_text(DocId::random().as_bytes());
    store.put_chunk(STORAGE_ID_KEY, id.as_bytes(), None)?;
    Ok(id)
}

/// 16 bytes as UUID text (the form automerge-repo storage ids take).
fn uuid_text(b: &[u8; 16]) -> String {
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
