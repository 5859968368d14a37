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
//! A shard nobody has used for a while (no connection, no request holding a [`ShardLease`]) is
//! unloaded: samod never lets go of a document it loaded, so without this a relay's memory
//! would grow with every document ever synced, and samod's hub walks every loaded document of
//! a repo on each event (a device connecting to a repo with 10,000 documents loaded waited
//! seconds for its handshake). It is made again, from storage, the next time it is needed.
//!
//! Every shard uses the same storage (the relay store's `chunks`, the group commit, the feed
//! hand-off) and the same share policy, so a foreign document a peer asks for is still denied
//! (never served, never announced).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use samod::{AcceptorHandle, PeerId, Repo};
use tokio::sync::{OnceCell, watch};

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

impl Shard {
    /// Closes the acceptor (and so every sync connection) and stops the repo, waiting for its
    /// storage writes.
    async fn shut(&self) {
        self.acceptor.close();
        self.repo.stop().await;
    }
}

/// A user's place in [`Shards`].
enum Slot {
    /// Made (or being made) and usable.
    Live {
        cell: Arc<OnceCell<Shard>>,
        /// Connections and requests using the repo right now.
        leases: usize,
        /// Since when nothing has used it.
        idle_since: Instant,
    },
    /// Being stopped for lack of use; true once it is. Asking for it meanwhile waits, so a new
    /// repo never loads documents the old one is still writing.
    Unloading(watch::Receiver<bool>),
}

type Slots = HashMap<UserId, Slot>;

fn lock(slots: &Mutex<Slots>) -> MutexGuard<'_, Slots> {
    // A panic while holding the lock leaves the map itself consistent.
    slots.lock().unwrap_or_else(|p| p.into_inner())
}

/// The use of a shard: while any lease on it is alive it is not unloaded. A sync connection
/// holds one for as long as it is open; a request for as long as it works on documents.
pub struct ShardLease {
    shard: Shard,
    user: UserId,
    cell: Arc<OnceCell<Shard>>,
    slots: Arc<Mutex<Slots>>,
}

impl std::ops::Deref for ShardLease {
    type Target = Shard;

    fn deref(&self) -> &Shard {
        &self.shard
    }
}

impl Drop for ShardLease {
    fn drop(&mut self) {
        release(&self.slots, &self.user, &self.cell);
    }
}

/// Ends one lease on `user`'s slot (if it is still the slot of `cell`).
fn release(slots: &Mutex<Slots>, user: &UserId, cell: &Arc<OnceCell<Shard>>) {
    if let Some(Slot::Live {
        cell: live,
        leases,
        idle_since,
    }) = lock(slots).get_mut(user)
        && Arc::ptr_eq(live, cell)
    {
        *leases = leases.saturating_sub(1);
        if *leases == 0 {
            *idle_since = Instant::now();
        }
    }
}

/// Every user's shard, made on demand.
pub struct Shards {
    storage: RelayStorage,
    policy: RelayPolicy,
    slots: Arc<Mutex<Slots>>,
    /// No new shards once stopping has begun.
    closed: AtomicBool,
    /// Users being removed: never given a shard again (user ids are never reused).
    retired: Mutex<HashSet<UserId>>,
}

impl Shards {
    pub fn new(storage: RelayStorage, policy: RelayPolicy) -> Self {
        Shards {
            storage,
            policy,
            slots: Arc::new(Mutex::new(HashMap::new())),
            closed: AtomicBool::new(false),
            retired: Mutex::new(HashSet::new()),
        }
    }

    fn is_retired(&self, user: &UserId) -> bool {
        self.retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(user)
    }

    /// How many users' repos are loaded.
    pub fn loaded(&self) -> usize {
        lock(&self.slots)
            .values()
            .filter(|slot| matches!(slot, Slot::Live { cell, .. } if cell.initialized()))
            .count()
    }

    /// A lease on `user`'s shard, made (and its repo loaded) if it is not loaded.
    pub async fn get(&self, user: &UserId) -> Result<ShardLease, SyncError> {
        loop {
            if self.closed.load(Ordering::SeqCst) {
                return Err(SyncError::Stopped);
            }
            if self.is_retired(user) {
                return Err(SyncError::UserRemoved);
            }
            // The lease is counted under the lock, so an unload can never pick a slot that is
            // about to be used.
            let found = {
                let mut slots = lock(&self.slots);
                match slots.get_mut(user) {
                    Some(Slot::Unloading(done)) => Err(done.clone()),
                    Some(Slot::Live { cell, leases, .. }) => {
                        *leases += 1;
                        Ok(Arc::clone(cell))
                    }
                    None => {
                        let cell = Arc::new(OnceCell::new());
                        slots.insert(
                            user.clone(),
                            Slot::Live {
                                cell: Arc::clone(&cell),
                                leases: 1,
                                idle_since: Instant::now(),
                            },
                        );
                        Ok(cell)
                    }
                }
            };
            let cell = match found {
                Ok(cell) => cell,
                Err(mut unloading) => {
                    let _ = unloading.wait_for(|done| *done).await;
                    continue;
                }
            };
            let made = cell.get_or_try_init(|| self.make(user)).await.cloned();
            let shard = match made {
                Ok(shard) => shard,
                Err(e) => {
                    release(&self.slots, user, &cell);
                    return Err(e);
                }
            };
            let lease = ShardLease {
                shard,
                user: user.clone(),
                cell,
                slots: Arc::clone(&self.slots),
            };
            // Made while stopping or retiring began: `stop` or `retire` may have missed it.
            let late = if self.closed.load(Ordering::SeqCst) {
                Some(SyncError::Stopped)
            } else if self.is_retired(user) {
                Some(SyncError::UserRemoved)
            } else {
                None
            };
            if let Some(err) = late {
                lease.shut().await;
                return Err(err);
            }
            return Ok(lease);
        }
    }

    /// Stops `user`'s shard for good (the user is being removed): closes their connections,
    /// waits for the repo's storage writes, and refuses them a shard from now on.
    pub async fn retire(&self, user: &UserId) {
        self.retired
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(user.clone());
        let slot = lock(&self.slots).remove(user);
        match slot {
            Some(Slot::Live { cell, .. }) => {
                if let Some(shard) = cell.get().cloned() {
                    shard.shut().await;
                    tracing::info!(user = %user, "sync shard retired");
                }
            }
            Some(Slot::Unloading(mut done)) => {
                let _ = done.wait_for(|d| *d).await;
            }
            None => {}
        }
    }

    /// Unloads every shard nothing has used for `idle`: stops its repo (waiting for its
    /// storage writes); it is made again from storage when next needed. Returns how many.
    pub async fn unload_idle(&self, idle: Duration) -> usize {
        let now = Instant::now();
        let mut unloading = Vec::new();
        {
            let mut slots = lock(&self.slots);
            let users: Vec<UserId> = slots
                .iter()
                .filter(|(_, slot)| {
                    matches!(slot, Slot::Live { cell, leases: 0, idle_since }
                        if cell.initialized() && now.duration_since(*idle_since) >= idle)
                })
                .map(|(user, _)| user.clone())
                .collect();
            for user in users {
                let (done_tx, done_rx) = watch::channel(false);
                let Some(Slot::Live { cell, .. }) =
                    slots.insert(user.clone(), Slot::Unloading(done_rx))
                else {
                    continue;
                };
                match cell.get().cloned() {
                    Some(shard) => unloading.push((user, shard, done_tx)),
                    None => {
                        slots.remove(&user);
                    }
                }
            }
        }
        let count = unloading.len();
        for (user, shard, done) in unloading {
            shard.shut().await;
            {
                let mut slots = lock(&self.slots);
                if matches!(slots.get(&user), Some(Slot::Unloading(_))) {
                    slots.remove(&user);
                }
            }
            done.send_replace(true);
            tracing::debug!(user = %user, "idle sync shard unloaded");
        }
        count
    }

    /// Unloads idle shards (see [`Self::unload_idle`]) until `stop` turns true, checking
    /// several times per `idle`.
    pub async fn run_unloader(self: Arc<Self>, idle: Duration, mut stop: watch::Receiver<bool>) {
        let every = (idle / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            if self.closed.load(Ordering::SeqCst) {
                return;
            }
            let unloaded = self.unload_idle(idle).await;
            if unloaded > 0 {
                tracing::info!(shards = unloaded, "unloaded idle sync shards");
            }
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
    /// repo, waiting for their storage writes (and for any being unloaded).
    pub async fn stop(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let mut running = Vec::new();
        let mut unloading = Vec::new();
        for (_, slot) in lock(&self.slots).drain() {
            match slot {
                Slot::Live { cell, .. } => running.extend(cell.get().cloned()),
                Slot::Unloading(done) => unloading.push(done),
            }
        }
        futures::future::join_all(running.iter().map(Shard::shut)).await;
        for mut done in unloading {
            let _ = done.wait_for(|d| *d).await;
        }
    }
}
