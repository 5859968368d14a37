//! Workload 1, edit-to-other-device latency: two devices of one user share a document; device
//! A edits it, and the clock runs until device B's handle (its `changes()` stream) shows that
//! edit. One edit at a time, after a short warm-up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use futures::StreamExt;

use crate::stats::Percentiles;
use crate::target::{Device, Target, WAIT, edit, read_int, small_document, within};

/// The user whose two devices share the document.
pub const USER: &str = "bench-lat";

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LatencyResult {
    pub edits: usize,
    pub warmup: usize,
    pub latency: Percentiles,
}

pub async fn run(
    target: &Arc<Target>,
    edits: usize,
    warmup: usize,
) -> anyhow::Result<LatencyResult> {
    let account = target.account(USER).await?;
    let a = Device::connect(target, &account).await?;
    let b = Device::connect(target, &account).await?;

    let ha = a
        .repo
        .create(small_document("latency"))
        .await
        .map_err(|_| anyhow!("repo stopped"))?;
    a.pushed(&ha).await?;
    let hb = b.find(ha.document_id()).await?;
    let mut changes = hb.changes();

    let per_edit = Duration::from_secs(5);
    let mut samples = Vec::with_capacity(edits);
    let origin = Instant::now();
    for i in 1..=(warmup + edits) {
        let n = i as i64;
        let t0 = Instant::now();
        edit(&ha, n, origin.elapsed().as_micros() as i64);
        let deadline = t0 + per_edit;
        while read_int(&hb, "n").unwrap_or(0) < n {
            let left = deadline.saturating_duration_since(Instant::now());
            within(left, "the other device to see an edit", changes.next())
                .await?
                .ok_or_else(|| anyhow!("the change stream ended"))?;
        }
        if i > warmup {
            samples.push(t0.elapsed());
        }
    }

    drop(changes);
    let _ = within(WAIT, "stopping", async {
        a.stop().await;
        b.stop().await;
    })
    .await;
    Ok(LatencyResult {
        edits,
        warmup,
        latency: Percentiles::of(samples),
    })
}
