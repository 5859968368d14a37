//! Workload 2, sustained throughput: K users, each with one writer device editing its own
//! documents and one reader device of the same user holding the same documents open. Every
//! document has its own closed loop on the writer (edit, wait until the server acknowledges it
//! in the sync protocol, edit again) for T seconds; readers time each edit from the writer's
//! clock stamp in the document (same process, same clock) to the moment their handle shows it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use futures::StreamExt;
use tokio::sync::watch;

use crate::stats::{Percentiles, cpu_time};
use crate::target::{Device, Target, WAIT, edit, read_int, small_document, within};

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

struct Pair {
    writer: Device,
    reader: Device,
    docs: Vec<(samod::DocHandle, samod::DocHandle)>,
}

async fn set_up(target: &Arc<Target>, i: usize, docs: usize) -> anyhow::Result<Pair> {
    let account = target.account(&user(i)).await?;
    let writer = Device::connect(target, &account).await?;
    let reader = Device::connect(target, &account).await?;
    let mut pairs = Vec::with_capacity(docs);
    for d in 0..docs {
        let hw = writer
            .repo
            .create(small_document(&format!("writer {i} doc {d}")))
            .await
            .map_err(|_| anyhow!("repo stopped"))?;
        writer.pushed(&hw).await?;
        let hr = reader.find(hw.document_id()).await?;
        pairs.push((hw, hr));
    }
    Ok(Pair {
        writer,
        reader,
        docs: pairs,
    })
}

pub async fn run(
    target: &Arc<Target>,
    writers: usize,
    docs_per_writer: usize,
    secs: f64,
) -> anyhow::Result<ThroughputResult> {
    let mut pairs = Vec::with_capacity(writers);
    for i in 0..writers {
        pairs.push(set_up(target, i, docs_per_writer).await?);
    }

    let origin = Instant::now();
    let stamp = move || origin.elapsed().as_micros() as i64;
    // Each reader stops once it has seen its document's final edit.
    let mut readers = Vec::new();
    let mut finals = Vec::new();
    for pair in &pairs {
        for (_, hr) in &pair.docs {
            let hr = hr.clone();
            let (final_tx, mut final_rx) = watch::channel(None::<i64>);
            finals.push(final_tx);
            let mut changes = hr.changes();
            readers.push(tokio::spawn(async move {
                let mut seen = Vec::new();
                let mut last_t = read_int(&hr, "t").unwrap_or(0);
                loop {
                    if let Some(f) = *final_rx.borrow()
                        && read_int(&hr, "n").unwrap_or(0) >= f
                    {
                        break;
                    }
                    tokio::select! {
                        ev = changes.next() => {
                            if ev.is_none() {
                                break;
                            }
                            let now = origin.elapsed();
                            let t = read_int(&hr, "t").unwrap_or(0);
                            if t > last_t {
                                seen.push(now.saturating_sub(Duration::from_micros(t as u64)));
                                last_t = t;
                            }
                        }
                        r = final_rx.changed() => {
                            if r.is_err() {
                                break;
                            }
                        }
                    }
                }
                seen
            }));
        }
    }

    let cpu_before = cpu_time(target.pid)?;
    let own_before = cpu_time(std::process::id())?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let mut writer_tasks = Vec::new();
    for pair in &pairs {
        let conn = pair.writer.conn()?;
        for (hw, _) in &pair.docs {
            let hw = hw.clone();
            writer_tasks.push(tokio::spawn(async move {
                let mut n = 0_i64;
                let mut acks = Vec::new();
                while Instant::now() < deadline {
                    n += 1;
                    let t0 = Instant::now();
                    edit(&hw, n, stamp());
                    within(
                        Duration::from_secs(10),
                        "the server to acknowledge an edit",
                        hw.they_have_our_changes(conn),
                    )
                    .await?;
                    acks.push(t0.elapsed());
                }
                anyhow::Ok((n, acks))
            }));
        }
    }
    let mut acks = Vec::new();
    let mut first_error = None;
    for (task, final_tx) in writer_tasks.into_iter().zip(&finals) {
        match task.await {
            Ok(Ok((n, a))) => {
                acks.extend(a);
                final_tx.send_replace(Some(n));
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
                final_tx.send_replace(Some(0));
            }
            Err(e) => {
                first_error.get_or_insert(anyhow!("writer task: {e}"));
                final_tx.send_replace(Some(0));
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
    for task in readers {
        let seen = within(WAIT, "a reader to see its document's last edit", task)
            .await?
            .map_err(|e| anyhow!("reader task: {e}"))?;
        fanout.extend(seen);
    }
    for pair in pairs {
        let _ = within(WAIT, "stopping", async {
            pair.writer.stop().await;
            pair.reader.stop().await;
        })
        .await;
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
