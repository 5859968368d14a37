//! A connection's outbound side as the rest of the sync core sees it: an [`Outbox`] that
//! shards put frames into without ever waiting. Each frame names the group-commit ticket it
//! must wait for (the writes whose changes it announces); the connection's writer task
//! (`connection.rs`) holds it until then. A peer that stops reading while frames pile up past
//! its limit is closed instead of holding a shard back or growing the relay's memory.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::mpsc;

use crate::store::UserId;

/// WebSocket close codes the relay uses (RFC 6455 §7.4.1, and 4000–4999 for its own).
pub mod close {
    /// The peer said goodbye (`leave`), or a newer connection with its peer id replaced it.
    pub const NORMAL: u16 = 1000;
    /// The relay is shutting down.
    pub const GOING_AWAY: u16 = 1001;
    /// A frame that is not a protocol message, or a message out of place.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A message whose `data` is not what its type needs (not an automerge sync message).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// A message sent in another peer's name, or a peer too slow to read what it is sent.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A frame over the configured size.
    pub const TOO_BIG: u16 = 1009;
    /// The relay could not store what the peer sent.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The session behind the connection ended (sign-out, revoked, user disabled or removed).
    pub const SESSION_ENDED: u16 = 4001;
}

/// One item for the connection's writer.
#[derive(Debug)]
pub enum Outbound {
    /// A binary frame, to leave once every write up to ticket `after` is durable.
    Frame { bytes: Vec<u8>, after: u64 },
    /// Close the connection with this code (frames queued before it go first).
    Close { code: u16, reason: &'static str },
}

/// Where a shard sends a connection's frames.
#[derive(Debug)]
pub struct Outbox {
    /// Unique for the relay's lifetime.
    pub id: u64,
    pub user: UserId,
    /// The peer id the connection is bound to.
    pub peer: String,
    tx: mpsc::UnboundedSender<Outbound>,
    /// Bytes queued and not yet written.
    queued: AtomicUsize,
    limit: usize,
    closed: AtomicBool,
}

impl Outbox {
    pub fn new(
        id: u64,
        user: UserId,
        peer: String,
        limit: usize,
    ) -> (Self, mpsc::UnboundedReceiver<Outbound>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outbox = Outbox {
            id,
            user,
            peer,
            tx,
            queued: AtomicUsize::new(0),
            limit,
            closed: AtomicBool::new(false),
        };
        (outbox, rx)
    }

    /// Queues a frame; closes the connection instead when the peer has fallen more than its
    /// limit behind. Never waits.
    pub fn send(&self, bytes: Vec<u8>, after: u64) {
        if self.is_closed() {
            return;
        }
        let len = bytes.len();
        let queued = self.queued.fetch_add(len, Ordering::Relaxed) + len;
        if queued > self.limit && queued > len {
            tracing::warn!(
                peer = self.peer,
                queued,
                "a sync peer fell too far behind; closing it"
            );
            self.close(close::POLICY_VIOLATION, "too far behind");
            return;
        }
        if self.tx.send(Outbound::Frame { bytes, after }).is_err() {
            self.closed.store(true, Ordering::Relaxed);
        }
    }

    /// Asks the writer to close the connection (once; later frames are dropped).
    pub fn close(&self, code: u16, reason: &'static str) {
        if !self.closed.swap(true, Ordering::Relaxed) {
            let _ = self.tx.send(Outbound::Close { code, reason });
        }
    }

    /// Tells the peer why in an `error` message, then closes the connection with `code`.
    pub fn refuse(&self, code: u16, reason: &'static str, message: impl Into<String>) {
        let message = message.into();
        tracing::info!(
            peer = self.peer,
            code,
            reason = message,
            "sync connection refused a frame"
        );
        self.send(super::wire::WireMessage::Error { message }.encode(), 0);
        self.close(code, reason);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed) || self.tx.is_closed()
    }

    /// The writer wrote `len` bytes of what was queued.
    pub fn written(&self, len: usize) {
        self.queued.fetch_sub(len, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(limit: usize) -> (Outbox, mpsc::UnboundedReceiver<Outbound>) {
        Outbox::new(1, UserId::random(), "p".into(), limit)
    }

    #[test]
    fn a_peer_that_falls_behind_is_closed_not_buffered() {
        let (out, mut rx) = outbox(100);
        out.send(vec![0; 60], 1);
        out.written(60);
        out.send(vec![0; 60], 2);
        out.send(vec![0; 60], 3);
        out.send(vec![0; 60], 4);
        assert!(matches!(
            rx.try_recv(),
            Ok(Outbound::Frame { after: 1, .. })
        ));
        assert!(matches!(
            rx.try_recv(),
            Ok(Outbound::Frame { after: 2, .. })
        ));
        assert!(matches!(
            rx.try_recv(),
            Ok(Outbound::Close {
                code: close::POLICY_VIOLATION,
                ..
            })
        ));
        assert!(rx.try_recv().is_err(), "nothing after the close");
        assert!(out.is_closed());
    }

    #[test]
    fn one_frame_bigger_than_the_limit_still_goes() {
        // A whole document can be bigger than the limit; only a backlog is refused.
        let (out, mut rx) = outbox(10);
        out.send(vec![0; 50], 0);
        assert!(matches!(rx.try_recv(), Ok(Outbound::Frame { .. })));
        out.close(close::NORMAL, "bye");
        out.close(close::GOING_AWAY, "again");
        assert!(matches!(
            rx.try_recv(),
            Ok(Outbound::Close {
                code: close::NORMAL,
                ..
            })
        ));
        assert!(rx.try_recv().is_err());
    }
}
