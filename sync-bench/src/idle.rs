//! Workload 3, idle connections: opens N raw websockets to the server, each completing the
//! automerge-repo join handshake (`join` → `peer`) as its own peer, then sitting idle (still
//! answering websocket pings, as a live client does); reads the server's VmRSS before and
//! with all of them open, then closes them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use futures::StreamExt;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::raw;
use crate::stats::{Memory, memory};
use crate::target::{Account, Counters, Socket, Target, WAIT, within};

/// The user all idle connections belong to (each with its own peer id).
pub const USER: &str = "bench-idle";
/// Connections being opened at once.
const OPENING: usize = 32;
/// How long the server gets to release the closed connections' sockets.
pub const RELEASE_LIMIT: Duration = Duration::from_secs(120);
/// Per connection: ticket, TCP, upgrade and handshake.
const OPEN_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IdleResult {
    pub wanted: usize,
    pub opened: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    /// Open connections the server had dropped by the time memory was read.
    pub dropped: usize,
    pub open_secs: f64,
    pub before: Memory,
    pub with_idle: Memory,
    pub after_close: Memory,
    /// How long after the last close the server took to release the sockets (its open file
    /// descriptors back to where they were); `None` if not within the limit.
    pub release_secs: Option<f64>,
}

/// Open file descriptors of a process.
fn open_fds(pid: u32) -> anyhow::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?.count())
}

/// Polls (bounded by `limit`) until the server holds at most `fds` descriptors again.
async fn released(pid: u32, fds: usize, limit: Duration) -> anyhow::Result<Option<f64>> {
    let start = Instant::now();
    loop {
        if open_fds(pid)? <= fds {
            return Ok(Some(start.elapsed().as_secs_f64()));
        }
        if start.elapsed() >= limit {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn open_one(target: &Target, account: &Account) -> anyhow::Result<Socket> {
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _, _) = raw::connect(target, account, config, Arc::new(Counters::default())).await?;
    Ok(ws)
}

pub async fn run(
    target: &Arc<Target>,
    wanted: usize,
    limit: Duration,
) -> anyhow::Result<IdleResult> {
    // Tickets go through an HTTP client of this workload's own, dropped once every connection
    // is open: its pooled keep-alive connections must not count as sockets the server holds.
    let tickets = Arc::new(Target::new(target.kind, &target.base, target.pid)?);
    let account = tickets.account(USER).await?;
    let before = memory(target.pid)?;
    let fds_before = open_fds(target.pid)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let dropped = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + limit;
    let start = Instant::now();

    let mut holders = Vec::with_capacity(wanted);
    let mut failed = 0;
    let mut first_error = None;
    let mut opening = futures::stream::iter(0..wanted)
        .map(|_| {
            let target = Arc::clone(&tickets);
            let account = account.clone();
            async move {
                tokio::time::timeout(OPEN_TIMEOUT, open_one(&target, &account))
                    .await
                    .map_err(|_| anyhow!("opening a connection timed out"))?
            }
        })
        .buffer_unordered(OPENING);
    while let Some(res) = within(
        deadline.saturating_duration_since(Instant::now()),
        "idle connections to open",
        opening.next(),
    )
    .await?
    {
        match res {
            Ok(ws) => holders.push(tokio::spawn(hold(
                ws,
                stop_rx.clone(),
                Arc::clone(&dropped),
            ))),
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let open_secs = start.elapsed().as_secs_f64();
    drop(opening);
    drop(tickets);
    let opened = holders.len();
    let with_idle = memory(target.pid)?;
    let dropped_now = dropped.load(Ordering::Relaxed);

    stop_tx.send_replace(true);
    within(
        WAIT,
        "idle connections to close",
        futures::future::join_all(holders),
    )
    .await?;
    // The next workload starts once the server has let go of these sockets (a few descriptors
    // of slack for its own files and pooled HTTP connections).
    let release_secs = released(target.pid, fds_before + 16, RELEASE_LIMIT).await?;
    let after_close = memory(target.pid)?;
    Ok(IdleResult {
        wanted,
        opened,
        failed,
        first_error,
        dropped: dropped_now,
        open_secs,
        before,
        with_idle,
        after_close,
        release_secs,
    })
}

/// Keeps one connection open (reading, so pings get their pongs) until `stop`.
async fn hold(mut ws: Socket, mut stop: watch::Receiver<bool>, dropped: Arc<AtomicUsize>) {
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Some(Ok(_)) => {}
            },
            // The flag only ever turns true.
            _ = stop.changed() => {
                let _ = tokio::time::timeout(Duration::from_secs(5), ws.close(None)).await;
                return;
            }
        }
    }
}
