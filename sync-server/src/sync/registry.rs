//! The open sync connections by peer id: a second connection with a peer id replaces the first
//! (as automerge-repo's own server does: a device that reconnects before its old socket timed
//! out is not synced twice), and a removed user's or a stopping relay's connections are closed
//! from here. Touched only when a connection opens or closes, never per message.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::outbox::{Outbox, close};
use crate::store::UserId;

#[derive(Debug)]
pub struct Registry {
    next_id: AtomicU64,
    open: Mutex<HashMap<String, Arc<Outbox>>>,
    /// How many connections are open (including those not yet joined).
    count: watch::Sender<usize>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            next_id: AtomicU64::new(1),
            open: Mutex::new(HashMap::new()),
            count: watch::Sender::new(0),
        }
    }
}

/// A connection's place in the [`Registry`], given back when it closes.
#[derive(Debug)]
pub struct Seat {
    registry: Arc<Registry>,
    pub id: u64,
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.registry
            .count
            .send_modify(|c| *c = c.saturating_sub(1));
    }
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<Outbox>>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new connection's id and seat.
    pub fn seat(self: &Arc<Self>) -> Seat {
        self.count.send_modify(|c| *c += 1);
        Seat {
            registry: Arc::clone(self),
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Records a joined connection, closing an older one with the same peer id.
    pub fn joined(&self, out: &Arc<Outbox>) {
        if let Some(old) = self.lock().insert(out.peer.clone(), Arc::clone(out)) {
            old.close(close::NORMAL, "replaced by a newer connection");
        }
    }

    /// Forgets a connection that closed (unless a newer one took its peer id).
    pub fn left(&self, out: &Outbox) {
        let mut open = self.lock();
        if open.get(&out.peer).is_some_and(|o| o.id == out.id) {
            open.remove(&out.peer);
        }
    }

    /// Closes every connection of `user`; returns how many.
    pub fn close_user(&self, user: &UserId, code: u16, reason: &'static str) -> usize {
        let open = self.lock();
        let mine: Vec<&Arc<Outbox>> = open.values().filter(|o| o.user == *user).collect();
        for out in &mine {
            out.close(code, reason);
        }
        mine.len()
    }

    /// Closes every joined connection.
    pub fn close_all(&self, code: u16, reason: &'static str) {
        for out in self.lock().values() {
            out.close(code, reason);
        }
    }

    /// Whether any connection of `user` is joined.
    pub fn has_user(&self, user: &UserId) -> bool {
        self.lock().values().any(|o| o.user == *user)
    }

    /// Changes whenever a connection opens or closes.
    pub fn subscribe(&self) -> watch::Receiver<usize> {
        self.count.subscribe()
    }

    /// How many connections are open.
    pub fn open_count(&self) -> usize {
        *self.count.borrow()
    }

    /// Resolves once fewer than `n` connections are open… for `n = 1`: none.
    pub async fn until_fewer_than(&self, n: usize) {
        let mut rx = self.count.subscribe();
        let _ = rx.wait_for(|c| *c < n).await;
    }
}
