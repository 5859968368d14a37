//! A device as a raw automerge-repo protocol peer: it holds its automerge documents and their
//! sync states itself and runs the sync protocol over the relay's websocket, reconnecting
//! (with a fresh ticket, the same peer id, fresh sync states) whenever it is online and the
//! relay is up. Everything the relay acknowledges (the heads of each of its sync messages) is
//! recorded in a shared [`Acked`]; anything the relay sends about a document the device's
//! user does not own is recorded as a violation.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::sync::{self, SyncDoc};
use automerge::{Automerge, ChangeHash};
use futures::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use super::cbor::Cbor;
use super::raw_peer::{Ws, msg, new_peer_id};
use super::switched::RelayAddr;
use super::sync_client::ws_base;

/// Change hashes the relay said it has, per document, each with who first saw it said (for
/// failure reports).
pub type Acked = Arc<Mutex<HashMap<String, HashMap<ChangeHash, String>>>>;

/// Records `heads` of `doc` as acknowledged, seen by `by`.
pub fn ack(acked: &Acked, doc: &str, heads: impl IntoIterator<Item = ChangeHash>, by: &str) {
    let mut acked = acked.lock().unwrap();
    let known = acked.entry(doc.to_owned()).or_default();
    for h in heads {
        known.entry(h).or_insert_with(|| by.to_owned());
    }
}

struct Held {
    doc: Automerge,
    state: sync::State,
}

struct Shared {
    docs: Mutex<HashMap<String, Held>>,
    /// Documents of other users: nothing of them may arrive.
    foreign: Mutex<HashSet<String>>,
    violations: Mutex<Vec<String>>,
    acked: Acked,
}

enum Kick {
    /// Send the next sync message of a document, if the protocol has one.
    Sync(String),
    /// Ask for a document of another user (the relay must refuse).
    Snoop(String),
    /// Drop the connection (it comes back at once).
    Reconnect,
}

pub struct RawDevice {
    pub peer_id: String,
    shared: Arc<Shared>,
    online: watch::Sender<bool>,
    connected: watch::Receiver<bool>,
    kick: mpsc::UnboundedSender<Kick>,
    task: JoinHandle<()>,
}

impl RawDevice {
    /// A device of `user`, online, with no documents; connects whenever the relay is up.
    pub fn start(addr: &RelayAddr, token: &str, user: &str, acked: Acked) -> RawDevice {
        let peer_id = new_peer_id(user);
        let shared = Arc::new(Shared {
            docs: Mutex::default(),
            foreign: Mutex::default(),
            violations: Mutex::default(),
            acked,
        });
        let online = watch::Sender::new(true);
        let (connected_tx, connected) = watch::channel(false);
        let (kick, kicks) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(
            Link {
                http: reqwest::Client::new(),
                addr: addr.clone(),
                token: token.to_owned(),
                me: peer_id.clone(),
            },
            Arc::clone(&shared),
            online.subscribe(),
            connected_tx,
            kicks,
        ));
        RawDevice {
            peer_id,
            shared,
            online,
            connected,
            kick,
            task,
        }
    }

    /// Creates a document under a fresh id with `f` as its first change.
    pub fn create(&self, f: impl FnOnce(&mut Automerge)) -> String {
        let id = super::raw_peer::new_doc_id();
        let mut doc = Automerge::new();
        f(&mut doc);
        self.shared.docs.lock().unwrap().insert(
            id.clone(),
            Held {
                doc,
                state: sync::State::new(),
            },
        );
        let _ = self.kick.send(Kick::Sync(id.clone()));
        id
    }

    /// Starts holding `doc` (empty until the relay sends it).
    pub fn want(&self, doc: &str) {
        self.shared
            .docs
            .lock()
            .unwrap()
            .entry(doc.to_owned())
            .or_insert_with(|| Held {
                doc: Automerge::new(),
                state: sync::State::new(),
            });
        let _ = self.kick.send(Kick::Sync(doc.to_owned()));
    }

    /// Marks `doc` as another user's: anything of it arriving is a violation.
    pub fn forbid(&self, doc: &str) {
        self.shared.foreign.lock().unwrap().insert(doc.to_owned());
    }

    /// Asks the relay for another user's document.
    pub fn snoop(&self, doc: &str) {
        self.forbid(doc);
        let _ = self.kick.send(Kick::Snoop(doc.to_owned()));
    }

    /// Changes a held document locally and sends it on if connected.
    pub fn edit(&self, doc: &str, f: impl FnOnce(&mut Automerge)) {
        {
            let mut docs = self.shared.docs.lock().unwrap();
            f(&mut docs.get_mut(doc).expect("a held document").doc);
        }
        let _ = self.kick.send(Kick::Sync(doc.to_owned()));
    }

    /// Sorted heads of a held document.
    pub fn heads(&self, doc: &str) -> Vec<String> {
        let docs = self.shared.docs.lock().unwrap();
        let mut h: Vec<String> = docs
            .get(doc)
            .map(|held| held.doc.get_heads())
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect();
        h.sort();
        h
    }

    /// A copy of a held document.
    pub fn document(&self, doc: &str) -> Option<Automerge> {
        self.shared
            .docs
            .lock()
            .unwrap()
            .get(doc)
            .map(|h| h.doc.clone())
    }

    /// Waits until connected and the relay and this device have the same heads of `doc`.
    pub async fn wait_in_sync(&self, doc: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let synced = *self.connected.borrow() && {
                let docs = self.shared.docs.lock().unwrap();
                let held = docs.get(doc).expect("a held document");
                let mut shared = held.state.shared_heads.clone();
                let mut ours = held.doc.get_heads();
                shared.sort();
                ours.sort();
                !ours.is_empty() && shared == ours
            };
            if synced {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{}: timed out syncing {doc}",
                self.peer_id
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn is_connected(&self) -> bool {
        *self.connected.borrow()
    }

    pub fn is_online(&self) -> bool {
        *self.online.borrow()
    }

    /// Waits (bounded) until connected or not.
    pub async fn wait_connected(&self, want: bool) {
        let mut c = self.connected.clone();
        let what = format!("{}: connected == {want}", self.peer_id);
        super::sync_client::within(c.wait_for(|c| *c == want), &what)
            .await
            .expect("device task running");
    }

    pub async fn offline(&self) {
        self.online.send_replace(false);
        self.wait_connected(false).await;
    }

    pub fn go_online(&self) {
        self.online.send_replace(true);
    }

    /// Drops the current connection; the device reconnects at once.
    pub fn reconnect(&self) {
        let _ = self.kick.send(Kick::Reconnect);
    }

    /// What arrived that must not have (about other users' documents).
    pub fn violations(&self) -> Vec<String> {
        self.shared.violations.lock().unwrap().clone()
    }

    pub fn stop(self) {
        self.task.abort();
    }
}

struct Link {
    http: reqwest::Client,
    addr: RelayAddr,
    token: String,
    me: String,
}

/// One connection attempt: ticket, websocket, join, the relay's `peer`.
async fn dial(link: &Link, base: &str) -> Option<(Ws, String)> {
    let res = link
        .http
        .post(format!("{base}/api/v1/sync/ticket"))
        .bearer_auth(&link.token)
        .json(&serde_json::json!({ "peer_id": link.me }))
        .send()
        .await
        .ok()?;
    if res.status() != 200 {
        return None;
    }
    let body: serde_json::Value = res.json().await.ok()?;
    let url = format!("{}/sync?ticket={}", ws_base(base), body["ticket"].as_str()?);
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async_with_config(url, None, true),
    )
    .await
    .ok()?
    .ok()?;
    ws.send(Message::Binary(msg::join(&link.me).encode().into()))
        .await
        .ok()?;
    let relay = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Binary(b) = frame {
                let m = Cbor::decode(&b)?;
                if m.get_str("type") == Some("peer") {
                    return m.get_str("senderId").map(str::to_owned);
                }
                return None;
            }
        }
        None
    })
    .await
    .ok()??;
    Some((ws, relay))
}

async fn run(
    link: Link,
    shared: Arc<Shared>,
    mut online: watch::Receiver<bool>,
    connected: watch::Sender<bool>,
    mut kicks: mpsc::UnboundedReceiver<Kick>,
) {
    let mut addr = link.addr.subscribe();
    loop {
        let base = loop {
            let up = addr.borrow_and_update().clone();
            let on = *online.borrow_and_update();
            if let (true, Some(base)) = (on, up) {
                break base;
            }
            tokio::select! {
                r = addr.changed() => if r.is_err() { return },
                r = online.changed() => if r.is_err() { return },
            }
        };
        let Some((mut ws, relay)) = dial(&link, &base).await else {
            // The relay is going down or coming up: a retry interval, as any client has.
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        while kicks.try_recv().is_ok() {} // everything is synced afresh below
        let mut out = Vec::new();
        {
            let mut docs = shared.docs.lock().unwrap();
            for (id, held) in docs.iter_mut() {
                held.state = sync::State::new();
                out.extend(next_message(id, held, &link.me, &relay));
            }
        }
        connected.send_replace(true);
        let ok = send_all(&mut ws, out).await;
        if ok {
            session(&link.me, &relay, &shared, &mut ws, &mut online, &mut kicks).await;
        }
        connected.send_replace(false);
        let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    }
}

/// The next sync message of `held`, as a `request` while the device has nothing of it.
fn next_message(id: &str, held: &mut Held, me: &str, relay: &str) -> Option<Cbor> {
    let kind = if held.doc.get_heads().is_empty() {
        "request"
    } else {
        "sync"
    };
    let m = held.doc.generate_sync_message(&mut held.state)?;
    Some(msg::doc(kind, id, me, relay, &m.encode()))
}

async fn send_all(ws: &mut Ws, msgs: Vec<Cbor>) -> bool {
    for m in msgs {
        if ws.feed(Message::Binary(m.encode().into())).await.is_err() {
            return false;
        }
    }
    ws.flush().await.is_ok()
}

/// Runs one connection until it ends, the device goes offline or is told to reconnect.
async fn session(
    me: &str,
    relay: &str,
    shared: &Shared,
    ws: &mut Ws,
    online: &mut watch::Receiver<bool>,
    kicks: &mut mpsc::UnboundedReceiver<Kick>,
) {
    loop {
        let out: Vec<Cbor> = tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Binary(b))) => receive(me, relay, shared, &b),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => continue,
            },
            kick = kicks.recv() => match kick {
                Some(Kick::Sync(id)) => {
                    let mut docs = shared.docs.lock().unwrap();
                    docs.get_mut(&id)
                        .and_then(|held| next_message(&id, held, me, relay))
                        .into_iter()
                        .collect()
                }
                Some(Kick::Snoop(id)) => {
                    let mut fresh = Held { doc: Automerge::new(), state: sync::State::new() };
                    next_message(&id, &mut fresh, me, relay).into_iter().collect()
                }
                Some(Kick::Reconnect) | None => return,
            },
            _ = online.wait_for(|on| !*on) => return,
        };
        if !send_all(ws, out).await {
            return;
        }
    }
}

/// Handles one inbound message; returns the replies.
fn receive(me: &str, relay: &str, shared: &Shared, bytes: &[u8]) -> Vec<Cbor> {
    let Some(m) = Cbor::decode(bytes) else {
        shared
            .violations
            .lock()
            .unwrap()
            .push(format!("a non-CBOR frame from the relay: {bytes:02x?}"));
        return Vec::new();
    };
    let (Some(kind), Some(id)) = (m.get_str("type"), m.get_str("documentId")) else {
        return Vec::new();
    };
    if shared.foreign.lock().unwrap().contains(id) {
        if kind != "doc-unavailable" {
            let carries = m
                .get_bytes("data")
                .and_then(|d| sync::Message::decode(d).ok())
                .is_none_or(|s| !s.changes.is_empty() || !s.heads.is_empty());
            if carries {
                shared
                    .violations
                    .lock()
                    .unwrap()
                    .push(format!("another user's document {id} reached {me}: {m:?}"));
            }
        }
        return Vec::new();
    }
    if kind != "sync" {
        return Vec::new(); // doc-unavailable: asked again on the next change or connection
    }
    let Some(data) = m.get_bytes("data") else {
        return Vec::new();
    };
    let mut docs = shared.docs.lock().unwrap();
    let Some(held) = docs.get_mut(id) else {
        return Vec::new();
    };
    let Ok(message) = sync::Message::decode(data) else {
        shared
            .violations
            .lock()
            .unwrap()
            .push(format!("an undecodable sync message for {id}"));
        return Vec::new();
    };
    ack(
        &shared.acked,
        id,
        message.heads.iter().copied(),
        &format!("a sync message to {me}"),
    );
    if let Err(e) = held.doc.receive_sync_message(&mut held.state, message) {
        shared.violations.lock().unwrap().push(format!(
            "the relay's sync message for {id} did not apply: {e}"
        ));
        return Vec::new();
    }
    next_message(id, held, me, relay).into_iter().collect()
}
