//! A real samod client for the relay, as a device would run it: a samod `Repo` whose
//! [`RelayDialer`] asks `POST /api/v1/sync/ticket` for a one-time ticket (with the session's
//! bearer token) and opens `ws://…/sync?ticket=…` with tokio-tungstenite. Each (re)connection
//! gets a fresh ticket, so samod's reconnect-with-backoff just works; a 400/401 is a permanent
//! failure (signed out).
//!
//! Reusable as is from other crates' tests: it needs samod (feature "tokio"), tokio-tungstenite,
//! reqwest (json), futures and serde_json.

use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, ready};
use futures::{SinkExt, StreamExt};
use samod::{BackoffConfig, DialError, Dialer, DialerHandle, DocHandle, PeerId, Repo, Transport};
use tokio_tungstenite::tungstenite::Message;

/// The relay's samod peer id (the websocket is bound to it on our side too).
pub const RELAY_PEER_ID: &str = "larder-relay";

/// A rejected ticket request: the session is gone (401) or the peer id is not ours (400).
#[derive(Debug, thiserror::Error)]
#[error("the relay refused a sync ticket: HTTP {0}")]
pub struct Refused(pub u16);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Transient(String);

/// Dials the relay: ticket first, then the websocket.
pub struct RelayDialer {
    pub http: reqwest::Client,
    /// `http://host:port`
    pub base: String,
    pub token: String,
    pub peer_id: String,
}

impl Dialer for RelayDialer {
    type Error = Refused;

    fn url(&self) -> samod::Url {
        samod::Url::parse(&format!("{}/sync", ws_base(&self.base))).expect("relay url")
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Refused>>> {
        let http = self.http.clone();
        let base = self.base.clone();
        let token = self.token.clone();
        let peer_id = self.peer_id.clone();
        Box::pin(async move {
            let res = http
                .post(format!("{base}/api/v1/sync/ticket"))
                .bearer_auth(&token)
                .json(&serde_json::json!({ "peer_id": peer_id }))
                .send()
                .await
                .map_err(DialError::transient)?;
            let status = res.status().as_u16();
            if status == 400 || status == 401 {
                return Err(DialError::PermanentFailure(Refused(status)));
            }
            if status != 200 {
                return Err(DialError::transient(Transient(format!(
                    "ticket: HTTP {status}"
                ))));
            }
            let body: serde_json::Value = res.json().await.map_err(DialError::transient)?;
            let ticket = body["ticket"]
                .as_str()
                .ok_or_else(|| DialError::transient(Transient("no ticket in reply".into())))?;
            let url = format!("{}/sync?ticket={ticket}", ws_base(&base));
            // TCP_NODELAY: sync messages are small and latency-bound.
            let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
                .await
                .map_err(DialError::transient)?;
            Ok(websocket_transport(ws))
        })
    }
}

/// `http://…` → `ws://…` (and https → wss).
pub fn ws_base(base: &str) -> String {
    base.replacen("http", "ws", 1)
}

/// A tungstenite websocket as a samod transport: binary frames both ways, bound to the relay's
/// peer id.
pub fn websocket_transport<S>(ws: tokio_tungstenite::WebSocketStream<S>) -> Transport
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sink, stream) = ws.split();
    let stream = stream.filter_map(|msg| {
        ready(match msg {
            Ok(Message::Binary(bytes)) => Some(Ok(Vec::from(bytes))),
            Ok(Message::Text(_)) => Some(Err(std::io::Error::other("unexpected text frame"))),
            Ok(_) => None,
            Err(e) => Some(Err(std::io::Error::other(e))),
        })
    });
    let sink = sink.with(|bytes: Vec<u8>| {
        ready(Ok::<_, tokio_tungstenite::tungstenite::Error>(
            Message::Binary(bytes.into()),
        ))
    });
    Transport::new(stream, sink).with_expected_peer_id(PeerId::from(RELAY_PEER_ID))
}

/// One device of a user: an in-memory samod repo connected to the relay.
pub struct Device {
    pub repo: Repo,
    pub peer_id: String,
    pub dialer: DialerHandle<Refused>,
}

impl Device {
    /// A fresh device for `user_id`, connected (handshake done) before this returns.
    pub async fn connect(base: &str, token: &str, user_id: &str) -> Device {
        Self::connect_with(base, token, user_id, samod::storage::InMemoryStorage::new()).await
    }

    /// Like [`Device::connect`] over given storage (to start from prepared documents).
    pub async fn connect_with(
        base: &str,
        token: &str,
        user_id: &str,
        storage: samod::storage::InMemoryStorage,
    ) -> Device {
        let peer_id = format!("{user_id}.{}", larder_sync_server::secret::random_hex(16));
        let repo = Repo::build_tokio()
            .with_peer_id(PeerId::from(peer_id.as_str()))
            .with_storage(storage)
            .load()
            .await;
        let dialer = repo
            .dial(
                BackoffConfig {
                    initial_delay: Duration::from_millis(50),
                    max_delay: Duration::from_millis(500),
                    max_retries: None,
                },
                Arc::new(RelayDialer {
                    http: reqwest::Client::new(),
                    base: base.to_owned(),
                    token: token.to_owned(),
                    peer_id: peer_id.clone(),
                }),
            )
            .expect("dial");
        within(dialer.established(), "connecting to the relay")
            .await
            .expect("connected");
        Device {
            repo,
            peer_id,
            dialer,
        }
    }

    /// Waits until the relay has every change of `handle` (it said so in the sync protocol).
    pub async fn pushed(&self, handle: &DocHandle) {
        let conn = self.dialer.connection_id().expect("connected");
        within(
            handle.they_have_our_changes(conn),
            "the relay to have our changes",
        )
        .await;
    }

    /// Looks a document up (locally, then through the relay).
    pub async fn find(&self, doc_id: &str) -> Option<DocHandle> {
        within(
            self.repo.find(doc_id.parse().expect("document id")),
            "find to settle",
        )
        .await
        .expect("repo running")
    }

    pub async fn stop(self) {
        self.dialer.close();
        self.repo.stop().await;
    }
}

/// `fut`, or a panic naming `what` after 10 s.
pub async fn within<T>(fut: impl Future<Output = T>, what: &str) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}
