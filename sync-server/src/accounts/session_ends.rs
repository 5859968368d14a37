//! Ending what a session has open when the session ends. Tokens are checked when a request
//! starts, but the live change feed (SSE) and the sync websocket stay open for hours: without
//! this, a device signed out (or a user disabled, removed or given a new password) would keep
//! receiving changes until it reconnected. Revocations are broadcast here; each long-lived
//! stream watches for its own session or its user and ends when either goes.

use std::future::Future;

use tokio::sync::broadcast::{self, error::RecvError};

use crate::store::{TokenHash, UserId};

/// Revocations waiting to be seen by slow watchers; a watcher that falls further behind ends
/// its stream (the device reconnects and is authenticated afresh: safe either way).
const CAPACITY: usize = 256;

/// What ended.
#[derive(Debug, Clone)]
pub enum SessionEnd {
    /// One session (a sign-out).
    One(TokenHash),
    /// Every session of a user (disabled, removed, password changed).
    AllOf(UserId),
}

/// The broadcast of ended sessions, one per relay.
#[derive(Debug)]
pub struct SessionEnds {
    tx: broadcast::Sender<SessionEnd>,
}

impl Default for SessionEnds {
    fn default() -> Self {
        SessionEnds {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl SessionEnds {
    /// Tells every stream of the ended session(s) to close.
    pub fn end(&self, end: SessionEnd) {
        // No receivers (nothing open): nothing to close.
        let _ = self.tx.send(end);
    }

    /// Resolves when `session` of `user` ends. Subscribes now, so an end announced after this
    /// call and before the first poll is not missed.
    pub fn watch(
        &self,
        user: UserId,
        session: TokenHash,
    ) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.tx.subscribe();
        async move {
            loop {
                match rx.recv().await {
                    Ok(SessionEnd::One(hash)) if hash == session => return,
                    Ok(SessionEnd::AllOf(id)) if id == user => return,
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => return,
                    // The relay is going away; its own shutdown closes the streams.
                    Err(RecvError::Closed) => std::future::pending::<()>().await,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn hash(byte: u8) -> TokenHash {
        TokenHash([byte; 32])
    }

    async fn ends_soon(watch: impl Future<Output = ()>) -> bool {
        tokio::time::timeout(Duration::from_secs(5), watch)
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_watch_ends_with_its_session_or_its_user_only() {
        let ends = SessionEnds::default();
        let (alice, bob) = (UserId::random(), UserId::random());
        let mine = ends.watch(alice.clone(), hash(1));
        let other_device = ends.watch(alice.clone(), hash(2));
        let bobs = ends.watch(bob.clone(), hash(3));
        ends.end(SessionEnd::One(hash(1)));
        assert!(ends_soon(mine).await);
        ends.end(SessionEnd::AllOf(alice));
        assert!(ends_soon(other_device).await);
        // Bob's session saw both announcements and is still open.
        let still_open = tokio::time::timeout(Duration::from_millis(50), bobs)
            .await
            .is_err();
        assert!(still_open);
    }
}
