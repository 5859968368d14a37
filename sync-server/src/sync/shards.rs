//! One samod repo per user ("shard"), made the first time the user's documents are needed.
//!
//! Why not one repo for the relay: a samod repo's hub links every open connection to every
//! loaded document and re-walks all of those pairs on each event, so one shared repo spends
//! time proportional to (all connections × all documents) per message — a relay with many users
//! slows down for everyone as any one of them grows. Documents are only ever shared with their
//! owner's devices, so nothing is lost by giving each user a repo of their own: the work per
//! event is bounded by one user's devices and documents, users' repos run on different threads,
//! and a user's flood of messages doesn't queue behind another's.
//!
//! Every shard uses the same storage (the relay store's `chunks`, the group commit, the feed
//! hand-off) and the same share policy, so a foreign document a peer asks for is still denied
//! (never served, never announced).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use samod::{AcceptorHandle, PeerId, Repo};
use tokio::sync::OnceCell;

use super::SyncError;
use super::policy::{RELAY_PEER_ID, RelayPolicy};
use super::storage::RelayStorage;
use crate::store::UserId;

/// A user's repo and its websocket acceptor.
#[derive(Clone)]
pub struct Shard {
    pub repo: Repo,
    pub acceptor: AcceptorHandle,
}

type Slots = HashMap<UserId, Arc<OnceCell<Shard>>>;

/// Every user's shard, made on demand.
pub struct Shards {
    storage: RelayStorage,
    policy: RelayPolicy,
    slots: Mutex<Slots>,
    /// No new shards once stopping has begun.
    closed: std::sync::atomic::AtomicBool,
    /// Users being removed: never given a shard again (user ids are never reused).
    retired: Mutex<HashSet<UserId>>,
}

impl Shards {
    pub fn new(storage: RelayStorage, policy: RelayPolicy) -> Self {
        Shards {
            storage,
            policy,
            slots: Mutex::new(HashMap::new()),
            closed: std::sync::atomic::AtomicBool::new(false),
            retired: Mutex::new(HashSet::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_retired(&self, user: &UserId) -> bool {
        self.retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(user)
    }

    /// `user`'s shard, made (and its repo loaded) the first time.
    pub async fn get(&self, user: &UserId) -> Result<Shard, SyncError> {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(SyncError::Stopped);
        }
        if self.is_retired(user) {
            return Err(SyncError::UserRemoved);
        }
        let cell = Arc::clone(self.lock().entry(user.clone()).or_default());
        let shard = cell.get_or_try_init(|| self.make(user)).await.cloned()?;
        // Made while stopping or retiring began: `stop` or `retire` may have missed it.
        let late = if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            Some(SyncError::Stopped)
        } else if self.is_retired(user) {
            Some(SyncError::UserRemoved)
        } else {
            None
        };
        if let Some(err) = late {
            shard.acceptor.close();
            shard.repo.stop().await;
            return Err(err);
        }
        Ok(shard)
    }

    /// Stops `user`'s shard for good (the user is being removed): closes their connections,
    /// waits for the repo's storage writes, and refuses them a shard from now on.
    pub async fn retire(&self, user: &UserId) {
        self.retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.clone());
        let cell = self.lock().remove(user);
        if let Some(shard) = cell.and_then(|cell| cell.get().cloned()) {
            shard.acceptor.close();
            shard.repo.stop().await;
            tracing::info!(user = %user, "sync shard retired");
        }
    }

    async fn make(&self, user: &UserId) -> Result<Shard, SyncError> {
        let repo = Repo::build_tokio()
            .with_peer_id(PeerId::from(RELAY_PEER_ID))
            .with_storage(self.storage.clone())
            .with_share_policy(self.policy.clone())
            .load()
            .await;
        let acceptor = repo
            .make_acceptor(samod::Url::parse("ws://larder-relay/sync").expect("static url"))
            .map_err(|_| SyncError::Stopped)?;
        tracing::debug!(user = %user, "sync shard started");
        Ok(Shard { repo, acceptor })
    }

    /// Refuses new shards, closes every acceptor (and so every sync connection) and stops every
    /// repo, waiting for their storage writes.
    pub async fn stop(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        let running: Vec<Shard> = self
            .lock()
            .drain()
            .filter_map(|(_, cell)| cell.get().cloned())
            .collect();
        for shard in &running {
            shard.acceptor.close();
        }
        futures::future::join_all(running.iter().map(|s| s.repo.stop())).await;
    }
}
