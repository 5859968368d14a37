//! An accepted websocket as a samod [`Transport`] bound to the ticket's peer id.
//!
//! This is samod's `AcceptorHandle::accept_axum` with two additions on the way through:
//! - inbound: before samod sees a `sync`/`request` message for a document nobody owns, the
//!   document is claimed for the connection's user (see [`super::policy`]);
//! - outbound: a sync message leaves only once the heads it announces are on disk, so a peer
//!   never takes as the relay's a change a crash would lose. samod queues a document's
//!   storage writes before the sync message that reports them, but one loop drives both in no
//!   fixed order, so the writer first waits until the message's heads are covered by written
//!   chunks ([`DurableHeads::covered`]), then until every chunk written so far is durable
//!   ([`GroupCommit::barrier`]).
//!
//! **Outbound batching.** samod's connection loop awaits each `send` before it reads the next
//! inbound message, so a sink that waited for durability itself would hold the connection to
//! one message, in or out, per disk flush. Instead the sink only queues (bounded, so a peer that
//! stops reading still pushes back), and a writer task per connection takes everything queued,
//! waits for one barrier covering all of it, and writes it to the socket in one flush.
//!
//! Every connection counts in `larder_sync_connections` while open, every binary message in
//! `larder_sync_messages_total` / `larder_sync_bytes_total` by direction.
//!
//! Binary frames carry the protocol. A text frame or a websocket error ends the stream with an
//! error, and samod closes the connection; close, ping and pong frames are handled by axum.

use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures::channel::mpsc;
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use samod::{PeerId, Transport};

use super::durable_heads::DurableHeads;
use super::policy::Ownership;
use super::storage::GroupCommit;
use super::wire;
use crate::store::UserId;
use crate::telemetry::{self, Direction};

/// Documents a connection has already claimed or found owned, remembered so their owner isn't
/// looked up again on every message; forgotten wholesale past this many.
const SEEN_DOCS: usize = 4096;
/// Outbound messages queued for one connection before samod's `send` waits.
const OUTBOUND_QUEUE: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error(transparent)]
    Ws(#[from] axum::Error),
    #[error("text frames are not part of the sync protocol")]
    Text,
    #[error("the connection's writer has stopped")]
    Closed,
}

/// What an outbound message waits for before it leaves.
pub struct Durability {
    pub commit: Arc<GroupCommit>,
    pub heads: Arc<DurableHeads>,
}

/// The websocket as a samod transport for `user`'s peer `peer_id`. `held` is kept for as long
/// as the connection is open (the lease that keeps the user's repo loaded).
pub fn transport(
    socket: WebSocket,
    user: UserId,
    peer_id: PeerId,
    ownership: Arc<Ownership>,
    durability: Durability,
    ended: impl Future<Output = ()> + Send + 'static,
    held: impl Send + 'static,
) -> Transport {
    let (sink, stream) = socket.split();

    let mut seen: HashSet<String> = HashSet::new();
    // Both live as long as the inbound stream, i.e. the connection.
    let gauge = telemetry::ConnectionGauge::open();
    let stream = stream
        .filter_map(move |msg| {
            let _open = (&gauge, &held);
            let item = match msg {
                Ok(Message::Binary(bytes)) => {
                    telemetry::sync_message(Direction::In, bytes.len());
                    if let Some(doc) = wire::synced_document(&bytes)
                        && !seen.contains(&doc)
                    {
                        match ownership.claim(&doc, &user) {
                            Ok(_) => {
                                if seen.len() >= SEEN_DOCS {
                                    seen.clear();
                                }
                                seen.insert(doc);
                            }
                            // The share policy then denies (or waits): safe either way.
                            Err(e) => {
                                tracing::error!(error = %e, doc, "claiming a document failed")
                            }
                        }
                    }
                    Some(Ok(Vec::from(bytes)))
                }
                Ok(Message::Text(_)) => Some(Err(SocketError::Text)),
                Ok(Message::Close(_) | Message::Ping(_) | Message::Pong(_)) => None,
                Err(e) => Some(Err(SocketError::Ws(e))),
            };
            futures::future::ready(item)
        })
        // The session ended: the inbound side finishes, so samod drops the connection.
        .take_until(ended)
        .boxed();

    let (queue, queued) = mpsc::channel(OUTBOUND_QUEUE);
    tokio::spawn(write_durable_batches(queued, sink, durability));
    let sink = queue.sink_map_err(|_| SocketError::Closed);

    Transport::new(stream, sink).with_expected_peer_id(peer_id)
}

/// The connection's writer: every batch of queued messages waits until the heads its sync
/// messages announce are written, then for one durability barrier, then goes out in one flush.
/// Ends when samod drops or closes the queue (closing the socket) or when the socket fails
/// (samod's next send then fails and it drops the connection).
async fn write_durable_batches(
    mut queued: mpsc::Receiver<Vec<u8>>,
    mut socket: SplitSink<WebSocket, Message>,
    Durability { commit, heads }: Durability,
) {
    let mut batch = Vec::new();
    while let Some(first) = queued.next().await {
        batch.push(first);
        while let Ok(more) = queued.try_recv() {
            batch.push(more);
        }
        for msg in &batch {
            if let Some((doc, announced)) = wire::announced_heads(msg) {
                let _written = heads.covered(&doc, &announced).await;
            }
        }
        commit.barrier().await;
        for bytes in batch.drain(..) {
            telemetry::sync_message(Direction::Out, bytes.len());
            if let Err(e) = socket.feed(Message::Binary(bytes.into())).await {
                tracing::debug!(error = %e, "sync socket closed while writing");
                return;
            }
        }
        if let Err(e) = socket.flush().await {
            tracing::debug!(error = %e, "sync socket closed while flushing");
            return;
        }
    }
    let _ = socket.close().await;
}
