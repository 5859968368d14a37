//! Workload 4, reconnect with nothing changed: one user's device holds M documents, all in
//! sync with the server. Then it comes back (as after an app restart: a new peer id, no sync
//! state kept) and reconnects:
//! - the Larder way (larder only): one `GET /api/v1/changes?since=<cursor>` on a fresh TCP
//!   connection, bytes counted on that socket; nothing changed, so it returns no entries and
//!   the device syncs no document. Then the websocket for live sync is opened, and what the
//!   relay pushes down it unasked is counted too;
//! - the automerge-repo way (both servers): the device re-syncs every document it holds (one
//!   sync exchange per document), timed until the server has confirmed every document, bytes
//!   and protocol messages counted on the websocket.
//!
//! The device is a raw protocol peer ([`crate::raw`]) holding the automerge documents and
//! their sync states itself: a samod repo with thousands of documents spends its time in its
//! own bookkeeping, which would be measured instead of the server.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use automerge::sync;
use automerge::transaction::Transactable;
use eventsource_stream::Eventsource as _;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::peer::{Held, Session};
use crate::target::{Account, Kind, Target, Traffic, within};

/// The user holding the `docs` documents of one run.
pub fn user(docs: usize) -> String {
    format!("bench-docs-{docs}")
}
/// How long, after the server confirmed every document, the change feed gets to list them.
const FEED_WAIT: Duration = Duration::from_secs(60);
/// Times the feed request is repeated (the median is reported).
const FEED_REPEATS: usize = 11;
/// Documents pushed at once while setting up.
const SETUP_CHUNK: usize = 500;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReconnectResult {
    pub docs: usize,
    /// Creating the documents and syncing them to the server the first time.
    pub setup_secs: f64,
    pub feed: Option<FeedResult>,
    pub resync: ResyncResult,
}

/// One `GET /api/v1/changes?since=<cursor>` with nothing changed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FeedResult {
    pub cursor: u64,
    /// Documents (of those the server had confirmed) whose entry with their current heads the
    /// change feed still lacked after [`FEED_WAIT`]: a reconnecting device would not learn of
    /// them. 0 is correct.
    pub missing_from_feed: usize,
    /// HTTP request/response exchanges (the TCP handshake comes on top when not kept alive).
    pub round_trips: u32,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub body_bytes: usize,
    pub changes_returned: usize,
    /// Request written → response read, median of the repeats.
    pub exchange_ms: f64,
    /// Including the TCP connect, median.
    pub with_connect_ms: f64,
    /// Then the live websocket (ticket, upgrade, join): what crossed it until it was quiet,
    /// with the device sending nothing after its join.
    pub socket_open: Traffic,
    /// How long that websocket took to open (ticket, TCP, upgrade, join → peer).
    pub socket_handshake_ms: f64,
}

/// Re-syncing every document over a new websocket.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ResyncResult {
    /// Connect (ticket for larder, TCP, upgrade, handshake) → every document confirmed.
    pub time_ms: f64,
    /// Of which the handshake (ticket, TCP, upgrade, join → peer).
    pub handshake_ms: f64,
    pub traffic: Traffic,
    /// HTTP round trips before the websocket (the ticket, larder only).
    pub ticket_round_trips: u32,
}

pub async fn run(
    target: &Arc<Target>,
    docs: usize,
    limit: Duration,
) -> anyhow::Result<ReconnectResult> {
    let deadline = Instant::now() + limit;
    let left = || deadline.saturating_duration_since(Instant::now());
    let account = target.account(&user(docs)).await?;

    // The device creates the documents and syncs them once, a chunk at a time (a burst of
    // all of them at once is no part of what is measured).
    let setup = Instant::now();
    let mut held: Vec<Held> = (0..docs)
        .map(|i| Held::create(&format!("recipe {i}")))
        .collect();
    let index = Held::index(&held);
    let mut first = Session::open(target, &account, left())
        .await
        .context("the first websocket")?;
    for start in (0..docs).step_by(SETUP_CHUNK) {
        let range = start..(start + SETUP_CHUNK).min(docs);
        first.sync_all(&mut held, &index, range, left()).await?;
    }
    let setup_secs = setup.elapsed().as_secs_f64();
    first.close().await;

    let feed = match target.kind {
        Kind::Js => None,
        Kind::Larder => {
            let expected: HashMap<String, Vec<String>> =
                held.iter().map(|h| (h.id.clone(), h.heads())).collect();
            let (cursor, missing) =
                feed_cursor(target, &account, expected, FEED_WAIT.min(left())).await?;
            let mut feed = feed_request(target, &account, cursor).await?;
            feed.missing_from_feed = missing;
            // The live websocket that follows: the device sends nothing after its join.
            let opening = Instant::now();
            let mut live = Session::open(target, &account, left())
                .await
                .context("the live websocket after the feed")?;
            feed.socket_handshake_ms = opening.elapsed().as_secs_f64() * 1e3;
            // One message per document of the user is the most it would push.
            live.drain_until_quiet(docs as u64, Duration::from_secs(120).min(left()))
                .await?;
            feed.socket_open = live.counters.snapshot();
            live.close().await;
            Some(feed)
        }
    };

    // The automerge-repo way: a new connection, fresh sync states, every document re-synced.
    for h in &mut held {
        h.state = sync::State::new();
    }
    let t0 = Instant::now();
    let mut session = Session::open(target, &account, left())
        .await
        .context("the re-sync websocket")?;
    let handshake_ms = t0.elapsed().as_secs_f64() * 1e3;
    session.sync_all(&mut held, &index, 0..docs, left()).await?;
    let resync = ResyncResult {
        time_ms: t0.elapsed().as_secs_f64() * 1e3,
        handshake_ms,
        traffic: session.counters.snapshot(),
        ticket_round_trips: u32::from(target.kind == Kind::Larder),
    };

    // Sanity: the connection still syncs edits (the re-sync was not a no-op on a dead socket).
    if docs > 0 {
        held[0]
            .doc
            .transact::<_, _, automerge::AutomergeError>(|tx| {
                tx.put(automerge::ROOT, "n", 1_i64)?;
                Ok(())
            })
            .map_err(|e| anyhow!("editing: {e:?}"))?;
        session.sync_all(&mut held, &index, 0..1, left()).await?;
    }
    session.close().await;
    Ok(ReconnectResult {
        docs,
        setup_secs,
        feed,
        resync,
    })
}

/// Follows the live change feed from 0 until every document's entry carries the heads the
/// device has, or `limit` passes; returns the newest sequence number seen (the device's
/// cursor) and how many documents were still missing.
async fn feed_cursor(
    target: &Target,
    account: &Account,
    mut pending: HashMap<String, Vec<String>>,
    limit: Duration,
) -> anyhow::Result<(u64, usize)> {
    #[derive(serde::Deserialize)]
    struct Entry {
        seq: u64,
        doc_id: String,
        heads: Vec<String>,
    }
    let deadline = Instant::now() + limit;
    let res = target
        .http
        .get(format!("{}/api/v1/changes/live?since=0", target.base))
        .bearer_auth(&account.token)
        // The stream is dropped at the deadline; this only bounds a server that never answers.
        .timeout(limit + Duration::from_secs(30))
        .send()
        .await?
        .error_for_status()?;
    let mut events = res.bytes_stream().eventsource();
    let mut cursor = 0;
    while !pending.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(event) = tokio::time::timeout(left, events.next()).await else {
            break; // the feed never listed them all: reported as missing
        };
        let event = event.ok_or_else(|| anyhow!("the live feed ended"))??;
        // Only `change` events carry entries; `caught-up` carries the cursor.
        if event.event != "change" {
            continue;
        }
        let mut entry: Entry = serde_json::from_str(&event.data).context("a feed entry")?;
        entry.heads.sort();
        cursor = cursor.max(entry.seq);
        if pending.get(&entry.doc_id) == Some(&entry.heads) {
            pending.remove(&entry.doc_id);
        }
    }
    Ok((cursor, pending.len()))
}

/// One HTTP/1.1 exchange on a fresh, counted TCP connection.
struct Exchange {
    status: u16,
    body: Vec<u8>,
    bytes_out: u64,
    bytes_in: u64,
    connect: Duration,
    exchange: Duration,
}

async fn raw_get(addr: SocketAddr, path: &str, token: &str) -> anyhow::Result<Exchange> {
    let t0 = Instant::now();
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let connect = t0.elapsed();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Accept: application/json\r\n\r\n"
    );
    let t1 = Instant::now();
    tcp.write_all(request.as_bytes()).await?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0_u8; 4096];
    let (header_end, content_length) = loop {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed before answering");
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or_else(|| anyhow!("no content-length in the response"))?;
            break (end + 4, len);
        }
        if buf.len() > 64 * 1024 {
            bail!("response headers too large");
        }
    };
    while buf.len() < header_end + content_length {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            bail!("the server closed mid-body");
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let exchange = t1.elapsed();
    let status = String::from_utf8_lossy(&buf[..header_end])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ok(Exchange {
        status,
        body: buf[header_end..].to_vec(),
        bytes_out: request.len() as u64,
        bytes_in: buf.len() as u64,
        connect,
        exchange,
    })
}

async fn feed_request(
    target: &Target,
    account: &Account,
    cursor: u64,
) -> anyhow::Result<FeedResult> {
    let path = format!("/api/v1/changes?since={cursor}");
    let mut runs = Vec::with_capacity(FEED_REPEATS);
    for _ in 0..FEED_REPEATS {
        let x = within(
            Duration::from_secs(10),
            "the change feed request",
            raw_get(target.addr, &path, &account.token),
        )
        .await??;
        if x.status != 200 {
            bail!("GET {path}: HTTP {}", x.status);
        }
        runs.push(x);
    }
    let body: serde_json::Value = serde_json::from_slice(&runs[0].body).context("feed reply")?;
    let changes_returned = body["changes"].as_array().map_or(0, Vec::len);
    let median = |f: &dyn Fn(&Exchange) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort_unstable();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    Ok(FeedResult {
        cursor,
        missing_from_feed: 0,
        socket_open: Traffic::default(),
        socket_handshake_ms: 0.0,
        round_trips: 1,
        bytes_out: runs[0].bytes_out,
        bytes_in: runs[0].bytes_in,
        body_bytes: runs[0].body.len(),
        changes_returned,
        exchange_ms: median(&|x| x.exchange),
        with_connect_ms: median(&|x| x.connect + x.exchange),
    })
}
