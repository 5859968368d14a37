//! The sync client's transfer policy, without the network: given what the relay's change feed
//! says and what this device holds, which documents come over in bulk (`bulk_wire` batches over
//! HTTP) and which one by one over the websocket, how uploads are cut into batches, and how far
//! a catch-up has got. The native engine (`sync::engine`) drives it over reqwest and samod; the
//! browser worker can drive the same rules over `fetch`.
//!
//! Bulk is for documents one side lacks entirely: a new device, a big import, a profile used
//! offline for months. A document both sides hold merges over the websocket, where automerge's
//! sync protocol sends only the changes missing.

use crate::bulk_wire::MAX_BATCH_DOCS;
use crate::store::{Store, StoreError};

/// Documents per bulk request.
pub const BULK_BATCH_DOCS: usize = 250;
/// Bytes of document bodies per bulk upload (the relay takes up to 32 MiB).
pub const BULK_BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Fewer documents than this go over the websocket: a bulk request saves nothing there.
pub const BULK_MIN_DOCS: usize = 8;

const _: () = assert!(BULK_BATCH_DOCS <= MAX_BATCH_DOCS);

/// What this device holds of a document the feed names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Nothing at all.
    Nothing,
    /// Its chunks, with the heads its view was built from (`None`: no view row).
    Heads(Option<String>),
}

/// How to bring a page of feed entries in.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CatchUpPlan {
    /// Batches to fetch in bulk.
    pub bulk: Vec<Vec<String>>,
    /// Documents to pull over the websocket.
    pub live: Vec<String>,
    /// Already at the relay's heads.
    pub current: usize,
}

impl CatchUpPlan {
    /// Documents to bring in, either way.
    pub fn total(&self) -> usize {
        self.bulk.iter().map(Vec::len).sum::<usize>() + self.live.len()
    }
}

/// Plans a page of feed entries `(document id, relay heads as view rows record them)`, `held`
/// saying what this device has of each (in the same order). With `bulk` off, everything behind
/// goes over the websocket.
pub fn plan_catch_up(entries: &[(String, String)], held: &[Held], bulk: bool) -> CatchUpPlan {
    let mut plan = CatchUpPlan::default();
    let mut absent = Vec::new();
    for ((id, relay_heads), held) in entries.iter().zip(held) {
        match held {
            Held::Heads(Some(heads)) if heads == relay_heads => plan.current += 1,
            Held::Nothing => absent.push(id.clone()),
            Held::Heads(_) => plan.live.push(id.clone()),
        }
    }
    if bulk && absent.len() >= BULK_MIN_DOCS {
        plan.bulk = absent
            .chunks(BULK_BATCH_DOCS)
            .map(<[String]>::to_vec)
            .collect();
    } else {
        plan.live.extend(absent);
    }
    plan
}

/// What `store` holds of each `(id, relay heads)` the feed names.
pub fn held(store: &Store, wanted: &[(String, String)]) -> Result<Vec<Held>, StoreError> {
    let ids: Vec<&str> = wanted.iter().map(|(id, _)| id.as_str()).collect();
    let absent = store.absent_documents(&ids)?;
    ids.iter()
        .zip(absent)
        .map(|(id, absent)| {
            Ok(if absent {
                Held::Nothing
            } else {
                Held::Heads(store.view_heads(id)?)
            })
        })
        .collect()
}

/// [`plan_catch_up`] for a profile: what it holds is read from `store`.
pub fn plan_feed(
    store: &Store,
    entries: &[(String, String)],
    bulk: bool,
) -> Result<CatchUpPlan, StoreError> {
    Ok(plan_catch_up(entries, &held(store, entries)?, bulk))
}

/// Splits documents waiting for the relay: `relay_knows` says, for each, whether the relay has
/// ever confirmed holding any version of it. Those it never did go in bulk (when there are
/// enough of them), the rest over the websocket. Returns `(bulk, live)`.
pub fn plan_upload(
    waiting: &[String],
    relay_knows: &[bool],
    bulk: bool,
) -> (Vec<String>, Vec<String>) {
    let (unknown, known): (Vec<_>, Vec<_>) = waiting
        .iter()
        .zip(relay_knows)
        .partition(|(_, knows)| !**knows);
    let unknown: Vec<String> = unknown.into_iter().map(|(id, _)| id.clone()).collect();
    let mut live: Vec<String> = known.into_iter().map(|(id, _)| id.clone()).collect();
    if bulk && unknown.len() >= BULK_MIN_DOCS {
        (unknown, live)
    } else {
        live.extend(unknown);
        (Vec::new(), live)
    }
}

/// Cuts documents to upload into batches of at most [`BULK_BATCH_DOCS`] and about
/// [`BULK_BATCH_BYTES`] (a single larger document goes alone).
#[derive(Debug, Default)]
pub struct UploadBatcher {
    body: Vec<u8>,
    ids: Vec<String>,
}

/// One upload request: its ids in order and its body of frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadBatch {
    pub ids: Vec<String>,
    pub body: Vec<u8>,
}

impl UploadBatcher {
    /// Adds a document; answers the batch that is full, if adding it filled one.
    pub fn add(&mut self, id: &str, bytes: &[u8]) -> Option<UploadBatch> {
        let full = !self.ids.is_empty()
            && (self.ids.len() == BULK_BATCH_DOCS
                || self.body.len() + bytes.len() > BULK_BATCH_BYTES);
        let done = if full { self.take() } else { None };
        crate::bulk_wire::encode_document(&mut self.body, id, bytes);
        self.ids.push(id.to_owned());
        done
    }

    /// The last, partly filled batch.
    pub fn finish(mut self) -> Option<UploadBatch> {
        self.take()
    }

    fn take(&mut self) -> Option<UploadBatch> {
        if self.ids.is_empty() {
            return None;
        }
        Some(UploadBatch {
            ids: std::mem::take(&mut self.ids),
            body: std::mem::take(&mut self.body),
        })
    }
}

/// How far a transfer has got, for the sync status ("312 of 2,000").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProgress {
    pub done: usize,
    pub total: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk_wire::{Frame, Limits, decode_all};

    fn entries(n: usize) -> Vec<(String, String)> {
        (0..n).map(|i| (format!("d{i}"), format!("h{i}"))).collect()
    }

    #[test]
    fn a_new_device_fetches_in_bulk_and_merges_what_it_holds_live() {
        let feed = entries(600);
        let mut held = vec![Held::Nothing; 600];
        held[0] = Held::Heads(Some("h0".into()));
        held[1] = Held::Heads(Some("old".into()));
        held[2] = Held::Heads(None);
        let plan = plan_catch_up(&feed, &held, true);
        assert_eq!(plan.current, 1);
        assert_eq!(plan.live, vec!["d1", "d2"]);
        assert_eq!(
            plan.bulk.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![250, 250, 97]
        );
        assert_eq!(plan.bulk[0][0], "d3");
        assert_eq!(plan.total(), 599);
    }

    #[test]
    fn few_documents_or_bulk_off_go_over_the_websocket() {
        let feed = entries(BULK_MIN_DOCS - 1);
        let plan = plan_catch_up(&feed, &vec![Held::Nothing; feed.len()], true);
        assert!(plan.bulk.is_empty());
        assert_eq!(plan.live.len(), BULK_MIN_DOCS - 1);
        let feed = entries(100);
        let plan = plan_catch_up(&feed, &vec![Held::Nothing; 100], false);
        assert!(plan.bulk.is_empty());
        assert_eq!(plan.live.len(), 100);
    }

    #[test]
    fn uploads_in_bulk_only_what_the_relay_never_had() {
        let waiting: Vec<String> = (0..20).map(|i| format!("d{i}")).collect();
        let knows: Vec<bool> = (0..20).map(|i| i % 10 == 0).collect();
        let (bulk, live) = plan_upload(&waiting, &knows, true);
        assert_eq!(live, vec!["d0", "d10"]);
        assert_eq!(bulk.len(), 18);
        let (bulk, live) = plan_upload(&waiting[..5], &knows[..5], true);
        assert!(bulk.is_empty());
        assert_eq!(live.len(), 5);
        let (bulk, live) = plan_upload(&waiting, &knows, false);
        assert!(bulk.is_empty());
        assert_eq!(live.len(), 20);
    }

    #[test]
    fn batches_are_cut_by_count_and_by_bytes() {
        let mut batcher = UploadBatcher::default();
        let mut batches = Vec::new();
        for i in 0..(BULK_BATCH_DOCS + 3) {
            batches.extend(batcher.add(&format!("d{i}"), b"x"));
        }
        batches.extend(batcher.finish());
        assert_eq!(
            batches.iter().map(|b| b.ids.len()).collect::<Vec<_>>(),
            vec![BULK_BATCH_DOCS, 3]
        );
        let limits = Limits {
            max_document_bytes: BULK_BATCH_BYTES,
            max_frames: BULK_BATCH_DOCS,
        };
        let frames = decode_all(&batches[1].body, limits).unwrap();
        assert_eq!(
            frames[0],
            Frame::Document {
                id: format!("d{BULK_BATCH_DOCS}"),
                bytes: b"x".to_vec()
            }
        );

        let mut batcher = UploadBatcher::default();
        let big = vec![0u8; BULK_BATCH_BYTES / 2 + 1];
        let mut batches = Vec::new();
        for i in 0..3 {
            batches.extend(batcher.add(&format!("big{i}"), &big));
        }
        batches.extend(batcher.finish());
        assert_eq!(
            batches.len(),
            3,
            "two halves and a bit do not share a batch"
        );
    }
}
