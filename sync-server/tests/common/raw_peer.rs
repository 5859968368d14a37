//! A raw automerge-repo protocol peer over a real websocket: the ticket flow, the
//! `join`/`peer` handshake, messages built by hand ([`msg`]), and how a connection ended
//! ([`Closed`]). Only the wire is used: it works against any relay that speaks the protocol.
//!
//! [`fetch`] is a fresh device asking the relay for a document: what the relay holds, as the
//! relay serves it.

use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use super::cbor::Cbor;
use super::sync_client::ws_base;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long any one wait on the relay may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A fresh peer id of `user`: `"{user}.{32 lower-case hex}"`.
pub fn new_peer_id(user: &str) -> String {
    let mut rng = rand::rng();
    let device: String = (0..32)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap())
        .collect();
    format!("{user}.{device}")
}

/// A random document id (16 random bytes, as automerge-repo makes them), in its string form.
pub fn new_doc_id() -> String {
    samod::DocumentId::new(&mut rand::rng()).to_string()
}

/// `POST /api/v1/sync/ticket` for `peer_id`; panics unless the relay hands one out.
pub async fn ticket(http: &reqwest::Client, base: &str, token: &str, peer_id: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/sync/ticket"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "peer_id": peer_id }))
        .send()
        .await
        .expect("ticket request");
    assert_eq!(res.status(), 200, "ticket for {peer_id}");
    let body: serde_json::Value = res.json().await.expect("ticket json");
    body["ticket"].as_str().expect("ticket").to_owned()
}

/// Opens `GET /sync?ticket=…` (no handshake yet). The client accepts messages up to 64 MiB so
/// that what the relay sends is never cut short on our side.
pub async fn open(base: &str, ticket: &str) -> Ws {
    let config = WebSocketConfig::default()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(64 << 20));
    let url = format!("{}/sync?ticket={ticket}", ws_base(base));
    let (ws, _) = tokio::time::timeout(
        WAIT,
        tokio_tungstenite::connect_async_with_config(url, Some(config), true),
    )
    .await
    .expect("websocket upgrade in time")
    .expect("websocket upgrade");
    ws
}

/// Hand-built protocol messages.
pub mod msg {
    use super::Cbor;

    pub fn join(sender: &str) -> Cbor {
        Cbor::map([
            ("type", Cbor::str("join")),
            ("senderId", Cbor::str(sender)),
            (
                "peerMetadata",
                Cbor::map([("isEphemeral", Cbor::Bool(true))]),
            ),
            (
                "supportedProtocolVersions",
                Cbor::Array(vec![Cbor::str("1")]),
            ),
        ])
    }

    /// A `sync` or `request` message (`kind`) carrying automerge sync data.
    pub fn doc(kind: &str, doc: &str, sender: &str, target: &str, data: &[u8]) -> Cbor {
        Cbor::map([
            ("type", Cbor::str(kind)),
            ("documentId", Cbor::str(doc)),
            ("senderId", Cbor::str(sender)),
            ("targetId", Cbor::str(target)),
            ("data", Cbor::Bytes(data.to_vec())),
        ])
    }

    pub fn ephemeral(doc: &str, sender: &str, target: &str, data: &[u8]) -> Cbor {
        Cbor::map([
            ("type", Cbor::str("ephemeral")),
            ("documentId", Cbor::str(doc)),
            ("senderId", Cbor::str(sender)),
            ("targetId", Cbor::str(target)),
            ("count", Cbor::Uint(1)),
            ("sessionId", Cbor::str("s1")),
            ("data", Cbor::Bytes(data.to_vec())),
        ])
    }
}

/// How a connection ended, as the client saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Closed {
    /// A close frame with a status code.
    Code(u16, String),
    /// A close frame without a status code (1005 "no status received").
    NoCode,
    /// The stream ended (or failed) without a close frame (1006 "abnormal closure").
    Dropped(String),
}

impl Closed {
    /// The status code as RFC 6455 reports it to applications.
    pub fn code(&self) -> u16 {
        match self {
            Closed::Code(c, _) => *c,
            Closed::NoCode => 1005,
            Closed::Dropped(_) => 1006,
        }
    }
}

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Closed::Code(c, r) if r.is_empty() => write!(f, "close frame {c}"),
            Closed::Code(c, r) => write!(f, "close frame {c} ({r:?})"),
            Closed::NoCode => write!(f, "close frame without a code (1005)"),
            Closed::Dropped(why) => write!(f, "no close frame, connection dropped (1006: {why})"),
        }
    }
}

/// One thing that arrived on a connection.
#[derive(Debug)]
pub enum Event {
    Msg(Cbor),
    /// A binary frame that is not one CBOR item (the relay must never send one).
    Undecodable(Vec<u8>),
    Closed(Closed),
}

/// The next event, or `None` after `limit` with nothing (the caller decides if that is fine).
pub async fn next_event(ws: &mut Ws, limit: Duration) -> Option<Event> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let got = tokio::time::timeout_at(deadline, ws.next()).await.ok()?;
        return Some(match got {
            Some(Ok(Message::Binary(b))) => match Cbor::decode(&b) {
                Some(m) => Event::Msg(m),
                None => Event::Undecodable(b.to_vec()),
            },
            Some(Ok(Message::Close(Some(frame)))) => {
                Event::Closed(Closed::Code(frame.code.into(), frame.reason.to_string()))
            }
            Some(Ok(Message::Close(None))) => Event::Closed(Closed::NoCode),
            Some(Ok(Message::Text(t))) => Event::Undecodable(t.as_bytes().to_vec()),
            Some(Ok(_)) => continue, // ping/pong
            Some(Err(e)) => Event::Closed(Closed::Dropped(e.to_string())),
            None => Event::Closed(Closed::Dropped("end of stream".into())),
        });
    }
}

/// Reads until the relay ends the connection, at most [`WAIT`]; returns how it ended (`None`:
/// still open) and the messages before.
pub async fn closed_within(ws: &mut Ws) -> (Option<Closed>, Vec<Cbor>) {
    let mut before = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match next_event(ws, left).await {
            Some(Event::Closed(c)) => return (Some(c), before),
            Some(Event::Msg(m)) => before.push(m),
            Some(Event::Undecodable(b)) => panic!("the relay sent a non-CBOR frame: {b:02x?}"),
            None => return (None, before),
        }
    }
}

/// Sends one frame; an error is fine (the relay may have hung up already) and is returned.
pub async fn send(ws: &mut Ws, frame: Message) -> Result<(), tungstenite::Error> {
    ws.send(frame).await
}

pub fn binary(m: &Cbor) -> Message {
    Message::Binary(m.encode().into())
}

/// A joined raw connection of one user's peer.
pub struct RawPeer {
    pub ws: Ws,
    pub me: String,
    /// The relay's peer id, from its `peer` message.
    pub relay: String,
}

impl RawPeer {
    /// Ticket, websocket, `join`, and the relay's `peer` answer.
    pub async fn connect(http: &reqwest::Client, base: &str, token: &str, user: &str) -> RawPeer {
        let me = new_peer_id(user);
        let t = ticket(http, base, token, &me).await;
        let mut ws = open(base, &t).await;
        ws.send(binary(&msg::join(&me))).await.expect("send join");
        match next_event(&mut ws, WAIT).await {
            Some(Event::Msg(m)) if m.get_str("type") == Some("peer") => {
                assert_eq!(m.get_str("targetId"), Some(me.as_str()), "peer: {m:?}");
                let relay = m.get_str("senderId").expect("peer senderId").to_owned();
                RawPeer { ws, me, relay }
            }
            Some(Event::Msg(m)) => panic!("unexpected message before `peer`: {m:?}"),
            other => panic!("no `peer` answer to join: {other:?}"),
        }
    }

    pub async fn send(&mut self, m: &Cbor) -> Result<(), tungstenite::Error> {
        self.ws.send(binary(m)).await
    }

    /// A `request` for `doc` as a device that doesn't have it sends one.
    pub fn request(&self, doc: &str) -> Cbor {
        let data = automerge::Automerge::new()
            .generate_sync_message(&mut sync::State::new())
            .expect("an empty document has a first sync message")
            .encode();
        msg::doc("request", doc, &self.me, &self.relay, &data)
    }
}

/// What the relay serves of `doc` to a fresh device of its owner: `Some(document)` once the
/// sync protocol settles (the relay's announced heads are ours), `None` on `doc-unavailable`.
/// Every message of the exchange is returned too (for tests that look at what was sent).
pub async fn fetch(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    user: &str,
    doc: &str,
) -> (Option<automerge::Automerge>, Vec<Cbor>) {
    let mut peer = RawPeer::connect(http, base, token, user).await;
    let result = fetch_on(&mut peer, doc).await;
    let _ = peer.ws.close(None).await;
    result
}

/// [`fetch`] over an existing connection.
pub async fn fetch_on(peer: &mut RawPeer, doc: &str) -> (Option<automerge::Automerge>, Vec<Cbor>) {
    let mut am = automerge::Automerge::new();
    let mut state = sync::State::new();
    let first = am
        .generate_sync_message(&mut state)
        .expect("first message")
        .encode();
    peer.send(&msg::doc("request", doc, &peer.me, &peer.relay, &first))
        .await
        .expect("send request");
    let mut seen = Vec::new();
    loop {
        let m = match next_event(&mut peer.ws, WAIT).await {
            Some(Event::Msg(m)) => m,
            other => panic!("fetching {doc}: {other:?} (after {seen:?})"),
        };
        seen.push(m.clone());
        if m.get_str("documentId") != Some(doc) {
            continue;
        }
        match m.get_str("type") {
            Some("doc-unavailable") => return (None, seen),
            Some("sync") => {
                let data = m.get_bytes("data").expect("sync data");
                let message = sync::Message::decode(data).expect("a sync message from the relay");
                am.receive_sync_message(&mut state, message)
                    .expect("the relay's changes apply");
                if let Some(reply) = am.generate_sync_message(&mut state) {
                    peer.send(&msg::doc(
                        "sync",
                        doc,
                        &peer.me,
                        &peer.relay,
                        &reply.encode(),
                    ))
                    .await
                    .expect("send sync");
                }
                let mut ours = am.get_heads();
                ours.sort();
                let theirs = state.their_heads.clone().map(|mut h| {
                    h.sort();
                    h
                });
                if theirs.as_ref() == Some(&ours) && !ours.is_empty() {
                    return (Some(am), seen);
                }
            }
            _ => {}
        }
    }
}
