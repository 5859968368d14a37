//! A device as a raw automerge-repo protocol peer: it holds its automerge documents and their
//! sync states itself ([`Held`]) and runs the sync protocol over one websocket ([`Session`]).
//! Used where a samod repo on the client side would be the bottleneck or hide what crosses the
//! wire: thousands of documents on one device (workload 4), and the load of workload 2, where
//! the generator's devices share the machine's cores with the server under test.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use automerge::sync::{self, SyncDoc};
use futures::stream::SplitStream;
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::raw;
use crate::target::{Account, Counters, Socket, Target, small_document, within};

/// After a websocket opens, it counts as quiet once nothing arrived for this long.
pub const QUIET: Duration = Duration::from_secs(5);

/// A document as the device holds it: its id, content and sync state with the server.
pub struct Held {
    pub id: String,
    pub doc: automerge::Automerge,
    pub state: sync::State,
}

impl Held {
    /// A new small document (see [`small_document`]) under a fresh random id, never synced.
    pub fn create(title: &str) -> Held {
        Held {
            id: samod::DocumentId::new(&mut rand::rng()).to_string(),
            doc: small_document(title),
            state: sync::State::new(),
        }
    }

    /// An index from document id to position in `docs`.
    pub fn index(docs: &[Held]) -> HashMap<String, usize> {
        docs.iter()
            .enumerate()
            .map(|(i, h)| (h.id.clone(), i))
            .collect()
    }

    pub fn in_sync(&self) -> bool {
        let mut shared = self.state.shared_heads.clone();
        shared.sort();
        let mut ours = self.doc.get_heads();
        ours.sort();
        shared == ours
    }

    /// Applies one sync-protocol message from the server.
    pub fn receive(&mut self, data: &[u8]) -> anyhow::Result<()> {
        let msg = sync::Message::decode(data).context("a sync message")?;
        self.doc
            .receive_sync_message(&mut self.state, msg)
            .context("applying a sync message")
    }

    pub fn heads(&self) -> Vec<String> {
        let mut heads: Vec<String> = self
            .doc
            .get_heads()
            .iter()
            .map(ToString::to_string)
            .collect();
        heads.sort();
        heads
    }
}

/// One connection of the device: a writer task fed by a channel (so sending never waits on
/// reading, and the reverse), and the reading half here.
pub struct Session {
    tx: mpsc::UnboundedSender<Vec<u8>>,
    rx: SplitStream<Socket>,
    writer: JoinHandle<()>,
    me: String,
    server: String,
    pub counters: Arc<Counters>,
}

impl Session {
    pub async fn open(
        target: &Target,
        account: &Account,
        limit: Duration,
    ) -> anyhow::Result<Session> {
        let counters = Arc::new(Counters::default());
        let (ws, me, server) = within(
            limit,
            "the websocket handshake",
            raw::connect(
                target,
                account,
                WebSocketConfig::default(),
                Arc::clone(&counters),
            ),
        )
        .await??;
        let (mut sink, rx) = ws.split();
        let (tx, mut queue) = mpsc::unbounded_channel::<Vec<u8>>();
        let writer = tokio::spawn(async move {
            while let Some(msg) = queue.recv().await {
                if sink.send(Message::Binary(msg.into())).await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        Ok(Session {
            tx,
            rx,
            writer,
            me,
            server,
            counters,
        })
    }

    pub fn send_sync(&self, doc: &str, data: &[u8]) -> anyhow::Result<()> {
        self.counters.msgs_out.fetch_add(1, Ordering::Relaxed);
        self.tx
            .send(raw::sync_message(doc, &self.me, &self.server, data))
            .map_err(|_| anyhow!("the connection's writer stopped"))
    }

    /// Sends the next sync message of `held`, if the protocol has one.
    pub fn step(&self, held: &mut Held) -> anyhow::Result<()> {
        if let Some(msg) = held.doc.generate_sync_message(&mut held.state) {
            self.send_sync(&held.id, &msg.encode())?;
        }
        Ok(())
    }

    /// The next protocol message from the server, counted.
    pub async fn next(&mut self, limit: Duration) -> anyhow::Result<raw::Inbound> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = within(left, "a message from the server", self.rx.next()).await?;
            match msg {
                Some(Ok(Message::Binary(b))) => {
                    self.counters.msgs_in.fetch_add(1, Ordering::Relaxed);
                    return raw::decode(&b).ok_or_else(|| anyhow!("an undecodable message"));
                }
                Some(Ok(Message::Close(_))) | None => bail!("the server closed the connection"),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// Runs the sync protocol for `docs[range]` until the server has every one of them
    /// (answering whatever it sends for other documents too).
    pub async fn sync_all(
        &mut self,
        docs: &mut [Held],
        index: &HashMap<String, usize>,
        range: Range<usize>,
        limit: Duration,
    ) -> anyhow::Result<()> {
        self.sync_until(docs, index, range, limit, Held::in_sync)
            .await
    }

    /// Runs the sync protocol for `docs[range]` until `done` holds for every one of them
    /// (answering whatever the server sends for other documents too).
    pub async fn sync_until(
        &mut self,
        docs: &mut [Held],
        index: &HashMap<String, usize>,
        range: Range<usize>,
        limit: Duration,
        done: impl Fn(&Held) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        let mut pending: HashSet<usize> = HashSet::with_capacity(range.len());
        for i in range {
            self.step(&mut docs[i])?;
            if !done(&docs[i]) {
                pending.insert(i);
            }
        }
        while !pending.is_empty() {
            let (i, data) = self
                .next_sync(index, deadline.saturating_duration_since(Instant::now()))
                .await
                .with_context(|| format!("{} documents not yet confirmed", pending.len()))?;
            let held = &mut docs[i];
            held.receive(&data)?;
            self.step(held)?;
            if done(held) {
                pending.remove(&i);
            }
        }
        Ok(())
    }

    /// The next sync message for one of the documents in `index`: its index and data.
    /// Messages for documents not held (the server announcing a document of this user left
    /// over from an earlier run against the same server) and messages that need no answer
    /// (ephemeral, remote heads) are skipped; a refusal is an error.
    pub async fn next_sync(
        &mut self,
        index: &HashMap<String, usize>,
        limit: Duration,
    ) -> anyhow::Result<(usize, Vec<u8>)> {
        let deadline = Instant::now() + limit;
        loop {
            let msg = self
                .next(deadline.saturating_duration_since(Instant::now()))
                .await?;
            match msg.kind.as_str() {
                "sync" => {
                    let doc = msg.document.unwrap_or_default();
                    let Some(&i) = index.get(&doc) else {
                        continue;
                    };
                    let data = msg
                        .data
                        .ok_or_else(|| anyhow!("a sync message without data"))?;
                    return Ok((i, data));
                }
                "doc-unavailable" => bail!("the server says a document is unavailable"),
                "error" => bail!("the server sent an error: {:?}", msg.message),
                _ => {}
            }
        }
    }

    /// Counts what arrives, with nothing sent, until `enough` messages came or the
    /// connection is quiet for [`QUIET`].
    pub async fn drain_until_quiet(&mut self, enough: u64, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        let start = self.counters.msgs_in.load(Ordering::Relaxed);
        while Instant::now() < deadline
            && self.counters.msgs_in.load(Ordering::Relaxed) - start < enough
        {
            let left = QUIET.min(deadline.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(left, self.rx.next()).await {
                Err(_) => return Ok(()), // quiet
                Ok(Some(Ok(Message::Binary(_)))) => {
                    self.counters.msgs_in.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Some(Ok(Message::Close(_)))) | Ok(None) => {
                    bail!("the server closed the connection")
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(e))) => return Err(e.into()),
            }
        }
        Ok(())
    }

    pub async fn close(self) {
        drop(self.tx);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.writer).await;
    }
}
