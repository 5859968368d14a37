//! The server under test and how a simulated device reaches it: accounts (a larder login, or
//! nothing for the JS server), websocket opening (a one-time ticket first for larder), byte and
//! message counting on the client's socket, and [`Device`]: one samod repo dialled to the server.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use futures::future::{BoxFuture, ready};
use futures::{SinkExt, StreamExt};
use samod::storage::InMemoryStorage;
use samod::{
    BackoffConfig, ConnectionId, DialError, Dialer, DialerHandle, DocHandle, PeerId, Repo,
    Transport,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The relay's samod peer id.
pub const LARDER_PEER_ID: &str = "larder-relay";
/// The JS reference server's samod peer id (js/server.mjs).
pub const JS_PEER_ID: &str = "js-sync-server";
/// Password of every benchmark user (run.sh creates them).
pub const BENCH_PASSWORD: &str = "bench-password-not-secret";

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// larder-server (tickets, `/sync`, change feed).
    Larder,
    /// The reference automerge-repo server (websocket at `/`).
    Js,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Larder => "larder",
            Kind::Js => "js",
        }
    }

    fn server_peer_id(self) -> &'static str {
        match self {
            Kind::Larder => LARDER_PEER_ID,
            Kind::Js => JS_PEER_ID,
        }
    }
}

/// The server under test.
pub struct Target {
    pub kind: Kind,
    /// `http://127.0.0.1:port`
    pub base: String,
    pub addr: SocketAddr,
    /// The server process (for VmRSS).
    pub pid: u32,
    pub http: reqwest::Client,
}

/// A user as a device sees it: for larder a session; for the JS server (no accounts) a name.
#[derive(Debug, Clone)]
pub struct Account {
    pub token: String,
    /// The larder user id (peer ids start with it); the name for the JS server.
    pub user_id: String,
}

/// Bytes and messages that crossed one client socket.
#[derive(Debug, Default)]
pub struct Counters {
    pub bytes_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub msgs_out: AtomicU64,
    pub msgs_in: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct Traffic {
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub msgs_out: u64,
    pub msgs_in: u64,
}

impl Counters {
    pub fn snapshot(&self) -> Traffic {
        Traffic {
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            msgs_out: self.msgs_out.load(Ordering::Relaxed),
            msgs_in: self.msgs_in.load(Ordering::Relaxed),
        }
    }
}

/// A TCP stream that counts what it reads and writes (websocket framing and the HTTP upgrade
/// included: what the client's socket carries).
pub struct Counted<S> {
    inner: S,
    counters: Arc<Counters>,
}

impl<S> Counted<S> {
    pub fn new(inner: S, counters: Arc<Counters>) -> Self {
        Counted { inner, counters }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.counters
            .bytes_in
            .fetch_add(n as u64, Ordering::Relaxed);
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &res {
            self.counters
                .bytes_out
                .fetch_add(*n as u64, Ordering::Relaxed);
        }
        res
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub type Socket = WebSocketStream<Counted<TcpStream>>;

/// A refused ticket (the session is gone, or the peer id is not the user's).
#[derive(Debug, thiserror::Error)]
#[error("the relay refused a sync ticket: HTTP {0}")]
pub struct Refused(pub u16);

impl Target {
    pub fn new(kind: Kind, base: &str, pid: u32) -> anyhow::Result<Target> {
        let base = base.trim_end_matches('/').to_owned();
        let hostport = base
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("--url must be http://127.0.0.1:PORT"))?;
        let addr: SocketAddr = hostport
            .parse()
            .with_context(|| format!("--url {base}: expected http://IP:PORT"))?;
        if !addr.ip().is_loopback() {
            bail!("the benchmark only targets loopback addresses, not {addr}");
        }
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(256)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Target {
            kind,
            base,
            addr,
            pid,
            http,
        })
    }

    /// Signs `name` in (larder) or names it (JS).
    pub async fn account(&self, name: &str) -> anyhow::Result<Account> {
        match self.kind {
            Kind::Js => Ok(Account {
                token: String::new(),
                user_id: name.to_owned(),
            }),
            Kind::Larder => {
                let res = self
                    .http
                    .post(format!("{}/api/v1/session", self.base))
                    .json(&serde_json::json!({"username": name, "password": BENCH_PASSWORD}))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!(
                        "login of {name}: HTTP {} (run.sh creates the bench users)",
                        res.status()
                    );
                }
                // The login reply names the user; /api/v1/me is not asked, since it creates the
                // user's grocery-list document (the JS server has no such document).
                let body: serde_json::Value = res.json().await?;
                let token = body["token"]
                    .as_str()
                    .ok_or_else(|| anyhow!("no token in the login reply"))?
                    .to_owned();
                let user_id = body["user"]["id"]
                    .as_str()
                    .ok_or_else(|| anyhow!("no user id in the login reply"))?
                    .to_owned();
                Ok(Account { token, user_id })
            }
        }
    }

    /// A fresh samod peer id for a device of `account` (`{user id}.{32 hex}`, as larder requires).
    pub fn new_peer_id(&self, account: &Account) -> String {
        format!("{}.{:032x}", account.user_id, rand::random::<u128>())
    }

    /// The websocket URL for one connection (for larder: after fetching a one-time ticket).
    async fn socket_url(&self, account: &Account, peer_id: &str) -> Result<String, DialFail> {
        let ws = self.base.replacen("http", "ws", 1);
        match self.kind {
            Kind::Js => Ok(format!("{ws}/")),
            Kind::Larder => {
                let res = self
                    .http
                    .post(format!("{}/api/v1/sync/ticket", self.base))
                    .bearer_auth(&account.token)
                    .json(&serde_json::json!({ "peer_id": peer_id }))
                    .send()
                    .await
                    .map_err(|e| DialFail::Transient(e.to_string()))?;
                let status = res.status().as_u16();
                if status == 400 || status == 401 {
                    return Err(DialFail::Refused(status));
                }
                if status != 200 {
                    return Err(DialFail::Transient(format!("ticket: HTTP {status}")));
                }
                let body: serde_json::Value = res
                    .json()
                    .await
                    .map_err(|e| DialFail::Transient(e.to_string()))?;
                let ticket = body["ticket"]
                    .as_str()
                    .ok_or_else(|| DialFail::Transient("no ticket in the reply".into()))?;
                Ok(format!("{ws}/sync?ticket={ticket}"))
            }
        }
    }

    /// Opens one websocket for `peer_id` (TCP_NODELAY), counting its bytes in `counters`.
    pub async fn open_socket(
        &self,
        account: &Account,
        peer_id: &str,
        config: WebSocketConfig,
        counters: Arc<Counters>,
    ) -> Result<Socket, DialFail> {
        let url = self.socket_url(account, peer_id).await?;
        let tcp = TcpStream::connect(self.addr)
            .await
            .map_err(|e| DialFail::Transient(format!("connect: {e}")))?;
        tcp.set_nodelay(true)
            .map_err(|e| DialFail::Transient(e.to_string()))?;
        let (ws, _) = tokio_tungstenite::client_async_with_config(
            url,
            Counted::new(tcp, counters),
            Some(config),
        )
        .await
        .map_err(|e| DialFail::Transient(format!("websocket: {e}")))?;
        Ok(ws)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DialFail {
    #[error("refused: HTTP {0}")]
    Refused(u16),
    #[error("{0}")]
    Transient(String),
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Transient(String);

/// samod's dialer over [`Target::open_socket`].
struct BenchDialer {
    target: Arc<Target>,
    account: Account,
    peer_id: String,
    counters: Arc<Counters>,
}

impl Dialer for BenchDialer {
    type Error = Refused;

    fn url(&self) -> samod::Url {
        samod::Url::parse(&format!(
            "{}/sync",
            self.target.base.replacen("http", "ws", 1)
        ))
        .expect("a valid url")
    }

    fn connect(&self) -> BoxFuture<'static, Result<Transport, DialError<Refused>>> {
        let target = Arc::clone(&self.target);
        let account = self.account.clone();
        let peer_id = self.peer_id.clone();
        let counters = Arc::clone(&self.counters);
        Box::pin(async move {
            let ws = target
                .open_socket(
                    &account,
                    &peer_id,
                    WebSocketConfig::default(),
                    Arc::clone(&counters),
                )
                .await
                .map_err(|e| match e {
                    DialFail::Refused(s) => DialError::PermanentFailure(Refused(s)),
                    DialFail::Transient(m) => DialError::transient(Transient(m)),
                })?;
            Ok(transport(ws, target.kind.server_peer_id(), counters))
        })
    }
}

/// A websocket as a samod transport: binary frames both ways, counted, bound to the server's
/// peer id.
fn transport(ws: Socket, server_peer: &str, counters: Arc<Counters>) -> Transport {
    let (sink, stream) = ws.split();
    let c_in = Arc::clone(&counters);
    let stream = stream.filter_map(move |msg| {
        ready(match msg {
            Ok(Message::Binary(bytes)) => {
                c_in.msgs_in.fetch_add(1, Ordering::Relaxed);
                Some(Ok(Vec::from(bytes)))
            }
            Ok(Message::Text(_)) => Some(Err(std::io::Error::other("unexpected text frame"))),
            Ok(_) => None,
            Err(e) => Some(Err(std::io::Error::other(e))),
        })
    });
    let sink = sink.with(move |bytes: Vec<u8>| {
        counters.msgs_out.fetch_add(1, Ordering::Relaxed);
        ready(Ok::<_, tokio_tungstenite::tungstenite::Error>(
            Message::Binary(bytes.into()),
        ))
    });
    Transport::new(stream, sink).with_expected_peer_id(PeerId::from(server_peer))
}

/// One simulated device: an in-memory samod repo dialled to the server.
pub struct Device {
    pub repo: Repo,
    pub peer_id: String,
    target: Arc<Target>,
    account: Account,
    dialer: Option<DialerHandle<Refused>>,
    /// The current connection's socket counters.
    pub counters: Arc<Counters>,
}

/// Every wait in the benchmark is bounded; this is the default bound.
pub const WAIT: Duration = Duration::from_secs(30);

/// `fut`, or an error naming `what` after `limit`.
pub async fn within<T>(
    limit: Duration,
    what: &str,
    fut: impl Future<Output = T>,
) -> anyhow::Result<T> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| anyhow!("timed out after {limit:?} waiting for {what}"))
}

impl Device {
    /// A device of `account` with an empty repo, not yet connected.
    pub async fn offline(target: &Arc<Target>, account: &Account) -> Device {
        Self::offline_with(target, account, InMemoryStorage::new()).await
    }

    /// A device of `account` over `storage` (a new peer id each time), not yet connected.
    pub async fn offline_with(
        target: &Arc<Target>,
        account: &Account,
        storage: InMemoryStorage,
    ) -> Device {
        let peer_id = target.new_peer_id(account);
        let repo = Repo::build_tokio()
            .with_peer_id(PeerId::from(peer_id.as_str()))
            .with_storage(storage)
            .load()
            .await;
        Device {
            repo,
            peer_id,
            target: Arc::clone(target),
            account: account.clone(),
            dialer: None,
            counters: Arc::new(Counters::default()),
        }
    }

    /// A device of `account`, connected (handshake done) when this returns.
    pub async fn connect(target: &Arc<Target>, account: &Account) -> anyhow::Result<Device> {
        let mut device = Self::offline(target, account).await;
        device.dial().await?;
        Ok(device)
    }

    /// (Re)connects with fresh socket counters; any previous connection is closed first.
    pub async fn dial(&mut self) -> anyhow::Result<()> {
        if let Some(old) = self.dialer.take() {
            old.close();
        }
        self.counters = Arc::new(Counters::default());
        let dialer = self
            .repo
            .dial(
                BackoffConfig {
                    initial_delay: Duration::from_millis(50),
                    max_delay: Duration::from_millis(500),
                    max_retries: Some(3),
                },
                Arc::new(BenchDialer {
                    target: Arc::clone(&self.target),
                    account: self.account.clone(),
                    peer_id: self.peer_id.clone(),
                    counters: Arc::clone(&self.counters),
                }),
            )
            .map_err(|_| anyhow!("the device's repo stopped"))?;
        within(WAIT, "the device to connect", dialer.established())
            .await?
            .map_err(|e| anyhow!("connecting: {e}"))?;
        self.dialer = Some(dialer);
        Ok(())
    }

    /// The current connection.
    pub fn conn(&self) -> anyhow::Result<ConnectionId> {
        self.dialer
            .as_ref()
            .and_then(|d| d.connection_id())
            .ok_or_else(|| anyhow!("the device is not connected"))
    }

    /// Waits until the server has every change of `handle` (it said so in the protocol).
    pub async fn pushed(&self, handle: &DocHandle) -> anyhow::Result<()> {
        let conn = self.conn()?;
        within(
            WAIT,
            "the server to acknowledge a document",
            handle.they_have_our_changes(conn),
        )
        .await
    }

    /// Finds a document through the server.
    pub async fn find(&self, doc: &samod::DocumentId) -> anyhow::Result<DocHandle> {
        within(WAIT, "find", self.repo.find(doc.clone()))
            .await?
            .map_err(|_| anyhow!("the device's repo stopped"))?
            .ok_or_else(|| anyhow!("the server does not have document {doc}"))
    }

    pub async fn stop(mut self) {
        if let Some(d) = self.dialer.take() {
            d.close();
        }
        let _ = tokio::time::timeout(WAIT, self.repo.stop()).await;
    }
}

/// `{"n": 0, "t": 0, "title": …}`: the small document every workload edits.
pub fn small_document(title: &str) -> automerge::Automerge {
    use automerge::transaction::Transactable;
    let mut doc = automerge::Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        tx.put(automerge::ROOT, "kind", "larder.bench")?;
        tx.put(automerge::ROOT, "title", title)?;
        tx.put(automerge::ROOT, "n", 0_i64)?;
        tx.put(automerge::ROOT, "t", 0_i64)?;
        Ok(())
    })
    .expect("building a small document cannot fail");
    doc
}

/// Sets `n` (and `t`, microseconds on the benchmark's clock) in one change.
pub fn edit(handle: &DocHandle, n: i64, t: i64) {
    handle.with_document(|doc| edit_doc(doc, n, t));
}

/// [`edit`] on a document held directly.
pub fn edit_doc(doc: &mut automerge::Automerge, n: i64, t: i64) {
    use automerge::transaction::Transactable;
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        tx.put(automerge::ROOT, "n", n)?;
        tx.put(automerge::ROOT, "t", t)?;
        Ok(())
    })
    .expect("a put on the root map cannot fail");
}

/// Reads an integer field of the root map.
pub fn read_int(handle: &DocHandle, key: &str) -> Option<i64> {
    handle.with_document(|doc| int_field(doc, key))
}

/// [`read_int`] on a document held directly.
pub fn int_field(doc: &automerge::Automerge, key: &str) -> Option<i64> {
    use automerge::ReadDoc;
    match doc.get(automerge::ROOT, key).ok()?? {
        (automerge::Value::Scalar(s), _) => match s.as_ref() {
            automerge::ScalarValue::Int(i) => Some(*i),
            automerge::ScalarValue::Uint(u) => i64::try_from(*u).ok(),
            _ => None,
        },
        _ => None,
    }
}
