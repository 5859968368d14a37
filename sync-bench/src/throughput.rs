//! Workload 2, sustained throughput: K users, each with one writer device editing its own
//! documents and one reader device of the same user holding the same documents open. Every
//! document has its own closed loop on the writer (edit, wait until the server acknowledges it
//! in the sync protocol, edit again) for T seconds; readers time each edit from the writer's
//! clock stamp in the document (same process, same clock) to the moment they have applied it.
//!
//! The devices are raw protocol peers ([`crate::peer`]): each holds its automerge documents and
//! sync states and answers the server as a samod or automerge-repo device would, without a
//! repo's actors, hub and storage around them. The generator shares the machine's two cores
//! with the server under test; with samod devices it used as much CPU per edit as larder-server
//! itself, and what was measured was as much the generator as the server.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use automerge::Automerge;
use automerge::sync;
use tokio::sync::watch;

use crate::peer::{Held, Session};
use crate::stats::{Percentiles, cpu_time};
use crate::target::{Target, WAIT, edit_doc, int_field, within};

/// Writer `i` is user `bench-w{i}`.
pub fn user(i: usize) -> String {
    format!("bench-w{i}")
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ThroughputResult {
    pub writers: usize,
    pub docs_per_writer: usize,
    pub secs: f64,
    /// Edits the server acknowledged (its heads contained them).
    pub acked_edits: u64,
    pub edits_per_sec: f64,
    /// Edit → acknowledgement, on the writer.
    pub ack: Percentiles,
    /// Edit → visible on the other device.
    pub fanout: Percentiles,
    /// CPU the server process used during the run, and acknowledged edits per CPU second.
    pub server_cpu_secs: f64,
    pub edits_per_server_cpu_sec: f64,
    /// CPU this load generator (all simulated devices) used meanwhile.
    #[serde(default)]
    pub generator_cpu_secs: f64,
}

/// One user's two devices, their documents in sync with the server.
struct Pair {
    writer: Session,
    writer_docs: Vec<Held>,
    reader: Session,
    reader_docs: Vec<Held>,
    index: Arc<HashMap<String, usize>>,
}

async fn set_up(target: &Arc<Target>, i: usize, docs: usize) -> anyhow::Result<Pair> {
    let account = target.account(&user(i)).await?;
    let mut writer = Session::open(target, &account, WAIT).await?;
    let mut reader = Session::open(target, &account, WAIT).await?;
    let mut writer_docs: Vec<Held> = (0..docs)
        .map(|d| Held::create(&format!("writer {i} doc {d}")))
        .collect();
    let index = Held::index(&writer_docs);
    writer
        .sync_all(&mut writer_docs, &index, 0..docs, WAIT)
        .await
        .context("the writer's first sync")?;
    // The reader asks for each document with an empty one and holds it once it has the
    // writer's heads.
    let mut reader_docs: Vec<Held> = writer_docs
        .iter()
        .map(|h| Held {
            id: h.id.clone(),
            doc: Automerge::new(),
            state: sync::State::new(),
        })
        .collect();
    let heads: Vec<Vec<String>> = writer_docs.iter().map(Held::heads).collect();
    reader
        .sync_until(&mut reader_docs, &index, 0..docs, WAIT, |h| {
            index.get(&h.id).is_some_and(|&d| h.heads() == heads[d])
        })
        .await
        .context("the reader's first sync")?;
    Ok(Pair {
        writer,
        writer_docs,
        reader,
        reader_docs,
        index: Arc::new(index),
    })
}

/// The writer's closed loops, one per document, until `deadline`: returns each document's
/// last edit number and every edit's time to acknowledgement.
async fn write_loops(
    mut session: Session,
    mut docs: Vec<Held>,
    index: Arc<HashMap<String, usize>>,
    deadline: Instant,
    stamp: impl Fn() -> i64,
) -> anyhow::Result<(Vec<i64>, Vec<Duration>, Session)> {
    let mut n = vec![1_i64; docs.len()];
    let mut sent = vec![Instant::now(); docs.len()];
    let mut running = vec![true; docs.len()];
    let mut acks = Vec::new();
    for (d, held) in docs.iter_mut().enumerate() {
        sent[d] = Instant::now();
        edit_doc(&mut held.doc, n[d], stamp());
        session.step(held)?;
    }
    let mut left = docs.len();
    while left > 0 {
        let (d, data) = session
            .next_sync(&index, Duration::from_secs(10))
            .await
            .context("the server to acknowledge an edit")?;
        let held = &mut docs[d];
        held.receive(&data)?;
        if running[d] && held.in_sync() {
            acks.push(sent[d].elapsed());
            if Instant::now() < deadline {
                n[d] += 1;
                sent[d] = Instant::now();
                edit_doc(&mut held.doc, n[d], stamp());
            } else {
                running[d] = false;
                left -= 1;
            }
        }
        // The answer to the server and the next edit, in one message when both are due.
        session.step(held)?;
    }
    Ok((n, acks, session))
}

/// The reader: applies what the server sends, answers it, and times each new stamp, until
/// every document shows its writer's final edit number (sent on `finals` once known).
async fn read_loop(
    mut session: Session,
    mut docs: Vec<Held>,
    index: Arc<HashMap<String, usize>>,
    origin: Instant,
    mut finals: watch::Receiver<Option<Vec<i64>>>,
) -> anyhow::Result<(Vec<Duration>, Session)> {
    let mut last_t: Vec<i64> = docs
        .iter()
        .map(|h| int_field(&h.doc, "t").unwrap_or(0))
        .collect();
    let mut seen = Vec::new();
    loop {
        let all_final = finals.borrow().as_ref().is_some_and(|f| {
            docs.iter()
                .zip(f)
                .all(|(h, &last)| int_field(&h.doc, "n").unwrap_or(0) >= last)
        });
        if all_final {
            return Ok((seen, session));
        }
        tokio::select! {
            msg = session.next_sync(&index, WAIT) => {
                let (d, data) = msg.context("the reader waiting for edits")?;
                let held = &mut docs[d];
                held.receive(&data)?;
                let now = origin.elapsed();
                let t = int_field(&held.doc, "t").unwrap_or(0);
                if t > last_t[d] {
                    seen.push(now.saturating_sub(Duration::from_micros(t as u64)));
                    last_t[d] = t;
                }
                session.step(held)?;
            }
            changed = finals.changed() => {
                if changed.is_err() {
                    return Err(anyhow!("the writer went away"));
                }
            }
        }
    }
}

/// One run with the users numbered `users` (see [`user`]), each with `docs_per_writer`
/// documents, for `secs` seconds.
pub async fn run(
    target: &Arc<Target>,
    users: std::ops::Range<usize>,
    docs_per_writer: usize,
    secs: f64,
) -> anyhow::Result<ThroughputResult> {
    let writers = users.len();
    let mut pairs = Vec::with_capacity(writers);
    for i in users {
        pairs.push(set_up(target, i, docs_per_writer).await?);
    }

    let origin = Instant::now();
    let cpu_before = cpu_time(target.pid)?;
    let own_before = cpu_time(std::process::id())?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut tasks = Vec::with_capacity(writers);
    for pair in pairs {
        let (finals_tx, finals_rx) = watch::channel(None);
        let reader = tokio::spawn(read_loop(
            pair.reader,
            pair.reader_docs,
            Arc::clone(&pair.index),
            origin,
            finals_rx,
        ));
        let writer = tokio::spawn(write_loops(
            pair.writer,
            pair.writer_docs,
            pair.index,
            deadline,
            move || origin.elapsed().as_micros() as i64,
        ));
        tasks.push((writer, finals_tx, reader));
    }
    let mut acks = Vec::new();
    let mut readers = Vec::with_capacity(writers);
    let mut sessions = Vec::with_capacity(2 * writers);
    let mut first_error = None;
    for (writer, finals_tx, reader) in tasks {
        match writer.await.map_err(|e| anyhow!("writer task: {e}")) {
            Ok(Ok((finals, a, session))) => {
                acks.extend(a);
                finals_tx.send_replace(Some(finals));
                sessions.push(session);
                readers.push((reader, finals_tx));
            }
            Ok(Err(e)) | Err(e) => {
                first_error.get_or_insert(e);
                reader.abort();
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let server_cpu = cpu_time(target.pid)?
        .saturating_sub(cpu_before)
        .as_secs_f64();
    let generator_cpu = cpu_time(std::process::id())?
        .saturating_sub(own_before)
        .as_secs_f64();
    if let Some(e) = first_error {
        return Err(e);
    }

    let mut fanout = Vec::new();
    for (reader, _finals) in readers {
        let (seen, session) = within(WAIT, "a reader to see its documents' last edits", reader)
            .await?
            .map_err(|e| anyhow!("reader task: {e}"))??;
        fanout.extend(seen);
        sessions.push(session);
    }
    for session in sessions {
        session.close().await;
    }

    let acked = acks.len() as u64;
    Ok(ThroughputResult {
        writers,
        docs_per_writer,
        secs: elapsed,
        acked_edits: acked,
        edits_per_sec: acked as f64 / elapsed,
        ack: Percentiles::of(acks),
        fanout: Percentiles::of(fanout),
        server_cpu_secs: server_cpu,
        generator_cpu_secs: generator_cpu,
        edits_per_server_cpu_sec: if server_cpu > 0.0 {
            acked as f64 / server_cpu
        } else {
            0.0
        },
    })
}
