//! A real samod device whose network can be switched off and on, against a relay whose
//! address may change (a restarted relay listens on a new port) or vanish (the relay is down).
//!
//! Its dialer (the ticket flow of [`super::sync_client::RelayDialer`]) waits, instead of
//! failing, while the device is offline or the relay is down, so samod's reconnect happens the
//! moment both are back rather than after a backoff; going offline ends the inbound stream of
//! the current connection, which makes samod drop it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::{BoxFuture, ready};
use futures::{SinkExt, StreamExt};
use samod::{BackoffConfig, DialError, Dialer, PeerId, Repo, Transport};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::raw_peer::new_peer_id;
use super::sync_client::{Device, RELAY_PEER_ID, Refused, ws_base};

/// Where the relay listens (`http://host:port`), `None` while it is down. Shared by every
/// device of a test.
#[derive(Clone)]
pub struct RelayAddr(Arc<watch::Sender<Option<String>>>);

impl RelayAddr {
    pub fn new(base: Option<String>) -> Self {
        RelayAddr(Arc::new(watch::Sender::new(base)))
    }

    pub fn set(&self, base: Option<String>) {
        self.0.send_replace(base);
    }

    pub fn get(&self) -> Option<String> {
        self.0.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Option<String>> {
        self.0.subscribe()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Transient(String);

struct SwitchedDialer {
    http: reqwest::Client,
    addr: watch::Receiver<Option<String>>,
    online: watch::Receiver<bool>,
    token: String,
    peer_id: String,
}

impl Dialer for SwitchedDialer {
    type Error = Refused;

    fn url(&self) -> samod::Url {
        samod::Url::parse("ws://larder-relay/sync").expect("url")
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Refused>>> {
        let http = self.http.clone();
        let mut addr = self.addr.clone();
        let mut online = self.online.clone();
        let token = self.token.clone();
        let peer_id = self.peer_id.clone();
        Box::pin(async move {
            let base = loop {
                let up = addr.borrow_and_update().clone();
                let on = *online.borrow_and_update();
                if let (true, Some(base)) = (on, up) {
                    break base;
                }
                tokio::select! {
                    r = addr.changed() => r.map_err(DialError::transient)?,
                    r = online.changed() => r.map_err(DialError::transient)?,
                }
            };
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
                return Err(DialError::transient(Transient(format!("ticket: {status}"))));
            }
            let body: serde_json::Value = res.json().await.map_err(DialError::transient)?;
            let ticket = body["ticket"].as_str().unwrap_or_default().to_owned();
            let url = format!("{}/sync?ticket={ticket}", ws_base(&base));
            let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
                .await
                .map_err(DialError::transient)?;
            let (sink, stream) = ws.split();
            let mut off = online.clone();
            let stream = stream
                .filter_map(|msg| {
                    ready(match msg {
                        Ok(Message::Binary(bytes)) => Some(Ok(Vec::from(bytes))),
                        Ok(Message::Text(_)) => Some(Err(std::io::Error::other("text frame"))),
                        Ok(_) => None,
                        Err(e) => Some(Err(std::io::Error::other(e))),
                    })
                })
                // Going offline ends the connection.
                .take_until(Box::pin(async move {
                    let _ = off.wait_for(|on| !*on).await;
                }));
            let sink = sink.with(|bytes: Vec<u8>| {
                ready(Ok::<_, tokio_tungstenite::tungstenite::Error>(
                    Message::Binary(bytes.into()),
                ))
            });
            Ok(Transport::new(stream, sink).with_expected_peer_id(PeerId::from(RELAY_PEER_ID)))
        })
    }
}

/// A samod device (in-memory storage) with a network switch; otherwise a [`Device`] (its repo,
/// peer id, dialer, `pushed` and `find`).
pub struct SwitchedDevice {
    device: Device,
    online: watch::Sender<bool>,
}

impl std::ops::Deref for SwitchedDevice {
    type Target = Device;

    fn deref(&self) -> &Device {
        &self.device
    }
}

impl SwitchedDevice {
    /// A new device of `user`, online; connected before this returns if the relay is up.
    pub async fn start(addr: &RelayAddr, token: &str, user: &str) -> SwitchedDevice {
        let peer_id = new_peer_id(user);
        let repo = Repo::build_tokio()
            .with_peer_id(PeerId::from(peer_id.as_str()))
            .load()
            .await;
        let online = watch::Sender::new(true);
        let dialer = repo
            .dial(
                BackoffConfig {
                    initial_delay: Duration::from_millis(20),
                    max_delay: Duration::from_millis(200),
                    max_retries: None,
                },
                Arc::new(SwitchedDialer {
                    http: reqwest::Client::new(),
                    addr: addr.0.subscribe(),
                    online: online.subscribe(),
                    token: token.to_owned(),
                    peer_id: peer_id.clone(),
                }),
            )
            .expect("dial");
        let device = SwitchedDevice {
            device: Device {
                repo,
                peer_id,
                dialer,
            },
            online,
        };
        if addr.get().is_some() {
            device.wait_connected(true).await;
        }
        device
    }

    /// Waits (bounded) until the device is connected (`true`) or not.
    pub async fn wait_connected(&self, connected: bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.dialer.is_connected() != connected {
            assert!(
                Instant::now() < deadline,
                "{}: timed out waiting for connected == {connected}",
                self.peer_id
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Switches the network off and waits until the connection is gone.
    pub async fn offline(&self) {
        self.online.send_replace(false);
        self.wait_connected(false).await;
    }

    /// Switches the network on (the connection comes back once the relay is up).
    pub fn go_online(&self) {
        self.online.send_replace(true);
    }

    pub fn is_online(&self) -> bool {
        *self.online.borrow()
    }

    /// Switches the network on and waits until connected.
    pub async fn online(&self) {
        self.go_online();
        self.wait_connected(true).await;
    }

    pub async fn stop(self) {
        self.device.stop().await;
    }
}
