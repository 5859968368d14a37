//! One sync websocket, bound to the ticket's user and peer id: a reader that decodes what the
//! peer sends and routes it to the documents' shards, and a writer that sends what the shards
//! queue (see `outbox.rs`), each frame only once the writes it announces are durable.
//!
//! **Message flow.** The peer's first frame must be `join` with its bound peer id and protocol
//! version "1"; the relay answers `peer` (its peer id, its storage id, not ephemeral). After
//! that, `sync` and `request` go to the document's shard (their `data` already decoded as an
//! automerge sync message, so shards never see malformed input), `ephemeral` too (passed on to
//! the document's other peers), `leave` ends the connection, `remote-subscription-change` is
//! accepted and has no effect (the relay has no other storage peers to report heads of), and
//! `doc-unavailable` / `remote-heads-changed` from a client mean nothing to the relay.
//!
//! **Refusals** close the connection with an `error` message and a close code
//! ([`super::outbox::close`]): a frame that is not a protocol message (protocol error), a text
//! frame (unsupported data), a message in another peer's name or to another target (policy
//! violation), `data` that is not a sync message (invalid payload), a frame over the
//! configured size (too big). Nothing a refused frame carried reaches a document.
//!
//! **Writing.** The writer takes everything queued, waits once for the highest group-commit
//! ticket among it, and writes it in one flush. It pings the peer every [`PING_EVERY`]; a peer
//! that sends nothing (not even a pong) for three of those is dropped.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures::stream::SplitSink;
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::access::RELAY_PEER_ID;
use super::commit::GroupCommit;
use super::doc_id::DocId;
use super::outbox::{Outbound, Outbox, close};
use super::registry::Registry;
use super::shard::{Command, Shards};
use super::wire::{self, PROTOCOL_V1, PeerMetadata, WireMessage};
use crate::store::UserId;
use crate::telemetry::{self, Direction};

/// How often the writer pings an open connection.
pub const PING_EVERY: Duration = Duration::from_secs(30);
/// How long a new connection may take to send `join`.
const JOIN_WITHIN: Duration = Duration::from_secs(30);
/// How long a closing connection's writer may take to send what is queued.
const WRITER_GRACE: Duration = Duration::from_secs(10);
/// Frames the writer sends in one flush at most.
const WRITE_BATCH: usize = 512;

/// What every connection shares.
pub struct Link {
    pub shards: Arc<Shards>,
    pub commit: Arc<GroupCommit>,
    pub registry: Arc<Registry>,
    /// The relay's storage id, announced in `peer`.
    pub storage_id: String,
    /// Bytes a peer may have queued and unread before it is closed.
    pub outbound_limit: usize,
    /// Turns true when the relay stops.
    pub closing: watch::Receiver<bool>,
}

/// A refusal: the error message and close code it ends the connection with.
struct Refusal {
    code: u16,
    reason: &'static str,
    message: String,
}

impl Refusal {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            code,
            reason,
            message: message.into(),
        }
    }
}

/// Serves one upgraded websocket until it closes, the session `ended`, or the relay stops.
pub async fn serve(
    socket: WebSocket,
    link: Arc<Link>,
    user: UserId,
    peer: String,
    ended: impl Future<Output = ()> + Send + 'static,
) {
    let _gauge = telemetry::ConnectionGauge::open();
    let seat = link.registry.seat();
    let (out, queued) = Outbox::new(seat.id, user, peer, link.outbound_limit);
    let out = Arc::new(out);
    let (sink, mut stream) = socket.split();
    let mut writer = tokio::spawn(write(
        queued,
        sink,
        Arc::clone(&out),
        Arc::clone(&link.commit),
    ));

    let mut reader = Reader {
        link: Arc::clone(&link),
        out: Arc::clone(&out),
        joined: false,
        touched: HashSet::new(),
    };
    let mut closing = link.closing.clone();
    let stopping = async move {
        let _ = closing.wait_for(|c| *c).await;
    };
    let mut writer_done = false;
    tokio::pin!(ended);
    tokio::pin!(stopping);
    let join_by = Instant::now() + JOIN_WITHIN;
    let mut last_heard = Instant::now();
    loop {
        let silent_until = if reader.joined {
            last_heard + PING_EVERY * 3
        } else {
            join_by
        };
        tokio::select! {
            frame = stream.next() => {
                last_heard = Instant::now();
                match frame {
                    Some(Ok(Message::Binary(bytes))) => {
                        telemetry::sync_message(Direction::In, bytes.len());
                        if let Err(refusal) = reader.handle(&bytes).await {
                            reader.refuse(refusal);
                            break;
                        }
                        if out.is_closed() {
                            break;
                        }
                    }
                    Some(Ok(Message::Text(_))) => {
                        reader.refuse(Refusal::new(close::UNSUPPORTED_DATA, "text frame", "the sync protocol uses binary frames"));
                        break;
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Err(e)) => {
                        let too_big = e.to_string().contains("too long") || e.to_string().contains("Space limit");
                        tracing::debug!(peer = out.peer, error = %e, "sync socket read failed");
                        if too_big {
                            reader.refuse(Refusal::new(close::TOO_BIG, "frame too big", "a frame is over the relay's size limit"));
                        }
                        break;
                    }
                }
            }
            () = &mut ended => {
                out.close(close::SESSION_ENDED, "session ended");
                break;
            }
            () = &mut stopping => {
                out.close(close::GOING_AWAY, "the relay is stopping");
                break;
            }
            () = tokio::time::sleep_until(silent_until) => {
                let reason = if reader.joined { "no answer to pings" } else { "no join message" };
                out.close(close::PROTOCOL_ERROR, reason);
                break;
            }
            _ = &mut writer => {
                writer_done = true;
                break;
            }
        }
    }
    reader.finish().await;
    drop(reader);
    drop(out);
    if !writer_done
        && tokio::time::timeout(WRITER_GRACE, &mut writer)
            .await
            .is_err()
    {
        writer.abort();
    }
    drop(seat);
}

struct Reader {
    link: Arc<Link>,
    out: Arc<Outbox>,
    joined: bool,
    /// Documents this connection sent messages about (told when it closes).
    touched: HashSet<DocId>,
}

impl Reader {
    async fn handle(&mut self, frame: &[u8]) -> Result<(), Refusal> {
        let msg = wire::decode(frame)
            .map_err(|e| Refusal::new(close::PROTOCOL_ERROR, "malformed message", e.to_string()))?;
        if !self.joined {
            return self.join(msg);
        }
        match msg {
            WireMessage::Sync {
                doc,
                sender,
                target,
                data,
            } => self.sync(doc, &sender, &target, &data, false).await,
            WireMessage::Request {
                doc,
                sender,
                target,
                data,
            } => self.sync(doc, &sender, &target, &data, true).await,
            WireMessage::Ephemeral {
                doc,
                sender,
                target,
                count,
                session,
                data,
            } => {
                self.addressed(&sender, &target)?;
                let cmd = Command::Ephemeral {
                    out: Arc::clone(&self.out),
                    doc,
                    session,
                    count,
                    data,
                };
                self.route(doc, cmd).await
            }
            WireMessage::DocUnavailable { sender, target, .. }
            | WireMessage::RemoteHeadsChanged { sender, target, .. }
            | WireMessage::RemoteSubscriptionChange { sender, target, .. } => {
                self.addressed(&sender, &target)
            }
            WireMessage::Leave { sender } => {
                if sender != self.out.peer {
                    return Err(forged());
                }
                self.out.close(close::NORMAL, "goodbye");
                Ok(())
            }
            WireMessage::Error { message } => {
                tracing::debug!(peer = self.out.peer, message, "the peer reported an error");
                self.out.close(close::NORMAL, "the peer reported an error");
                Ok(())
            }
            WireMessage::Join { .. } | WireMessage::Peer { .. } => Err(Refusal::new(
                close::PROTOCOL_ERROR,
                "joined twice",
                "the connection has already joined",
            )),
        }
    }

    /// A `sync` or `request` message: its data decoded here, applied in the document's shard.
    async fn sync(
        &mut self,
        doc: DocId,
        sender: &str,
        target: &str,
        data: &[u8],
        request: bool,
    ) -> Result<(), Refusal> {
        self.addressed(sender, target)?;
        let msg = automerge::sync::Message::decode(data).map_err(|e| {
            Refusal::new(
                close::INVALID_PAYLOAD,
                "not a sync message",
                format!("data is not an automerge sync message: {e}"),
            )
        })?;
        self.touched.insert(doc);
        let cmd = Command::Sync {
            out: Arc::clone(&self.out),
            doc,
            msg,
            request,
        };
        self.route(doc, cmd).await
    }

    fn join(&mut self, msg: WireMessage) -> Result<(), Refusal> {
        let WireMessage::Join {
            sender, versions, ..
        } = msg
        else {
            return Err(Refusal::new(
                close::PROTOCOL_ERROR,
                "join first",
                "the first message must be join",
            ));
        };
        if sender != self.out.peer {
            return Err(forged());
        }
        if !versions.iter().any(|v| v == PROTOCOL_V1) {
            return Err(Refusal::new(
                close::PROTOCOL_ERROR,
                "unsupported protocol version",
                "unsupported protocol version",
            ));
        }
        self.joined = true;
        self.link.registry.joined(&self.out);
        let peer = WireMessage::Peer {
            sender: RELAY_PEER_ID.to_owned(),
            target: self.out.peer.clone(),
            version: PROTOCOL_V1.to_owned(),
            metadata: Some(PeerMetadata {
                storage_id: Some(self.link.storage_id.clone()),
                is_ephemeral: false,
            }),
        };
        self.out.send(peer.encode(), 0);
        Ok(())
    }

    /// Refuses a message not from the bound peer or not to the relay.
    fn addressed(&self, sender: &str, target: &str) -> Result<(), Refusal> {
        if sender != self.out.peer {
            return Err(forged());
        }
        if target != RELAY_PEER_ID {
            return Err(Refusal::new(
                close::POLICY_VIOLATION,
                "wrong target",
                format!("messages on this connection go to {RELAY_PEER_ID}"),
            ));
        }
        Ok(())
    }

    async fn route(&self, doc: DocId, cmd: Command) -> Result<(), Refusal> {
        self.link.shards.send(&doc, cmd).await.map_err(|_| {
            Refusal::new(
                close::GOING_AWAY,
                "the relay is stopping",
                "the relay is stopping",
            )
        })
    }

    /// Sends the `error` message, then closes.
    fn refuse(&self, refusal: Refusal) {
        self.out
            .refuse(refusal.code, refusal.reason, refusal.message);
    }

    /// Tells the shards of the documents this connection synced that it is gone.
    async fn finish(&mut self) {
        self.link.registry.left(&self.out);
        let shards = &self.link.shards;
        let mut by_shard: Vec<Vec<DocId>> = vec![Vec::new(); shards.count()];
        for doc in self.touched.drain() {
            by_shard[shards.of(&doc)].push(doc);
        }
        for (index, docs) in by_shard.into_iter().enumerate() {
            if !docs.is_empty() {
                let _ = shards
                    .to(
                        index,
                        Command::Closed {
                            conn: self.out.id,
                            docs,
                        },
                    )
                    .await;
            }
        }
    }
}

fn forged() -> Refusal {
    Refusal::new(
        close::POLICY_VIOLATION,
        "forged sender",
        "senderId is not this connection's peer id",
    )
}

/// The writer task (see the module docs). Ends after sending a close, when every outbox
/// sender is gone, or when the socket fails.
async fn write(
    mut queued: mpsc::UnboundedReceiver<Outbound>,
    mut sink: SplitSink<WebSocket, Message>,
    out: Arc<Outbox>,
    commit: Arc<GroupCommit>,
) {
    // Only the shards' and the reader's handles keep the queue open.
    let out_id = out.id;
    let weak = Arc::downgrade(&out);
    drop(out);
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let mut batch = Vec::new();
    loop {
        tokio::select! {
            item = queued.recv() => match item {
                Some(item) => batch.push(item),
                None => break,
            },
            _ = ping.tick() => {
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
                continue;
            }
        }
        while batch.len() < WRITE_BATCH {
            match queued.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let after = batch
            .iter()
            .map(|item| match item {
                Outbound::Frame { after, .. } => *after,
                Outbound::Close { .. } => 0,
            })
            .max()
            .unwrap_or(0);
        commit.wait(after).await;
        for item in batch.drain(..) {
            match item {
                Outbound::Frame { bytes, .. } => {
                    let len = bytes.len();
                    telemetry::sync_message(Direction::Out, len);
                    if let Some(out) = weak.upgrade() {
                        out.written(len);
                    }
                    if let Err(e) = sink.feed(Message::Binary(bytes.into())).await {
                        tracing::debug!(conn = out_id, error = %e, "sync socket closed while writing");
                        return;
                    }
                }
                Outbound::Close { code, reason } => {
                    let _ = sink
                        .send(Message::Close(Some(CloseFrame {
                            code,
                            reason: reason.into(),
                        })))
                        .await;
                    return;
                }
            }
        }
        if let Err(e) = sink.flush().await {
            tracing::debug!(conn = out_id, error = %e, "sync socket closed while flushing");
            return;
        }
    }
    let _ = sink.close().await;
}
