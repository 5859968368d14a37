//! A first upload in bulk from a profile's store, without the network: which of the documents
//! waiting for the relay go in bulk (`sync_plan::plan_upload`: those the relay never confirmed,
//! when there are enough), their bodies read from the store batch by batch (`UploadBatcher`,
//! `bulk_wire` frames, so a big library is never held whole), and the relay's answer applied:
//! marks cleared and the relay's heads recorded in one transaction, exactly as a live push's
//! confirmation does. The native engine (`sync::engine::bulk`) and the browser's engine
//! (web/engine) both drive one [`UploadRun`]; only the POSTs are theirs.

use std::collections::{HashMap, VecDeque};

use serde::Deserialize;

use crate::store::{ConfirmedDoc, Store, StoreError};
use crate::sync_plan::{UploadBatch, UploadBatcher, plan_upload};

/// The relay's answer to a bulk upload (`POST /api/v1/docs/upload`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UploadAnswer {
    /// Durable and in the change feed, with the relay's heads (sorted hex) now.
    pub stored: Vec<StoredDocument>,
    /// Not this user's: nothing written.
    #[serde(default)]
    pub unavailable: Vec<String>,
    /// Not automerge documents: nothing written.
    #[serde(default)]
    pub invalid: Vec<InvalidDocument>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoredDocument {
    pub doc_id: String,
    pub heads: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InvalidDocument {
    pub doc_id: String,
    pub reason: String,
}

/// Documents waiting for the relay, split: a bulk run (if any go in bulk) and the ids left for
/// live sync.
#[derive(Debug, Default)]
pub struct UploadPlan {
    pub run: Option<UploadRun>,
    pub live: Vec<String>,
}

/// One bulk upload under way: the documents still to read, the upload marks read with their
/// bodies (a mark renewed after that stays: the edit is newer than what was sent), progress.
#[derive(Debug, Default)]
pub struct UploadRun {
    waiting: VecDeque<String>,
    batcher: UploadBatcher,
    marks: HashMap<String, i64>,
    total: usize,
    done: usize,
}

/// What one answer settled.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Settled {
    /// Stored by the relay (their marks cleared unless renewed meanwhile).
    pub stored: usize,
    /// Refused (not this user's, not a document): they will not go in bulk again.
    pub refused: Vec<String>,
}

impl UploadPlan {
    /// Plans from the store's marks (`bulk` off: everything goes live).
    pub fn from_store(store: &Store, bulk: bool) -> Result<Self, StoreError> {
        Self::from_marks(store, store.unsynced_docs()?, bulk, |_| false)
    }

    /// Plans from marks already read (`(doc id, seq)`), leaving out of the bulk run those
    /// `skip` names (refused by the relay before); they go live.
    pub fn from_marks(
        store: &Store,
        marks: Vec<(String, i64)>,
        bulk: bool,
        skip: impl Fn(&str) -> bool,
    ) -> Result<Self, StoreError> {
        let ids: Vec<String> = marks.into_iter().map(|(id, _)| id).collect();
        let knows = store.relay_knows(&ids)?;
        let knows: Vec<bool> = ids
            .iter()
            .zip(knows)
            .map(|(id, knows)| knows || skip(id))
            .collect();
        let (bulk, live) = plan_upload(&ids, &knows, bulk);
        let run = (!bulk.is_empty()).then(|| UploadRun {
            total: bulk.len(),
            waiting: bulk.into(),
            ..UploadRun::default()
        });
        Ok(UploadPlan { run, live })
    }
}

impl UploadRun {
    /// Documents in the run.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Documents answered so far.
    pub fn done(&self) -> usize {
        self.done
    }

    /// The ids not yet sent (a failed run hands them to live sync).
    pub fn unsent(&self) -> Vec<String> {
        self.waiting.iter().cloned().collect()
    }

    /// The next batch to send, its bodies read from `store` (a document gone meanwhile is left
    /// out); `None` when every document has been sent.
    pub fn next_batch(&mut self, store: &Store) -> Result<Option<UploadBatch>, StoreError> {
        while let Some(id) = self.waiting.pop_front() {
            let Some(body) = store.document_body(&id)? else {
                self.done += 1;
                continue;
            };
            if let Some(mark) = body.mark {
                self.marks.insert(id.clone(), mark);
            }
            if let Some(batch) = self.batcher.add(&id, &body.bytes) {
                return Ok(Some(batch));
            }
        }
        Ok(std::mem::take(&mut self.batcher).finish())
    }

    /// Applies the relay's answer to a batch of `sent` documents: each stored one's mark (as
    /// read with its body) is cleared and the relay's heads recorded, in one transaction.
    pub fn settle(
        &mut self,
        store: &Store,
        sent: usize,
        answer: &UploadAnswer,
    ) -> Result<Settled, StoreError> {
        let confirmed: Vec<ConfirmedDoc> = answer
            .stored
            .iter()
            .filter_map(|doc| {
                let seq = *self.marks.get(&doc.doc_id)?;
                let mut heads = doc.heads.clone();
                heads.sort();
                Some(ConfirmedDoc {
                    doc_id: doc.doc_id.clone(),
                    seq,
                    heads: heads.join(","),
                })
            })
            .collect();
        store.confirm_synced(&confirmed)?;
        for doc in &answer.stored {
            self.marks.remove(&doc.doc_id);
        }
        self.done = (self.done + sent).min(self.total);
        let refused = answer
            .unavailable
            .iter()
            .cloned()
            .chain(answer.invalid.iter().map(|doc| doc.doc_id.clone()))
            .collect();
        Ok(Settled {
            stored: answer.stored.len(),
            refused,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk_wire::{Limits, decode_all};
    use crate::sync_plan::BULK_MIN_DOCS;

    fn key(id: &str) -> Vec<String> {
        vec![id.to_owned(), "incremental".to_owned(), "h".to_owned()]
    }

    fn stored(id: &str) -> StoredDocument {
        StoredDocument {
            doc_id: id.into(),
            heads: vec!["b".into(), "a".into()],
        }
    }

    #[test]
    fn a_run_sends_what_the_relay_never_had_and_its_answer_clears_the_marks() {
        let store = Store::open_in_memory().expect("store");
        let n = BULK_MIN_DOCS + 2;
        for i in 0..n {
            store
                .kv_put(&key(&format!("doc{i:02}")), format!("body{i}").as_bytes())
                .expect("put");
        }
        // One the relay already holds a version of goes live.
        store
            .set_relay_heads(&[("doc00".into(), "x".into())])
            .expect("heads");
        let plan = UploadPlan::from_store(&store, true).expect("plan");
        assert_eq!(plan.live, vec!["doc00"]);
        let mut run = plan.run.expect("a bulk run");
        assert_eq!(run.total(), n - 1);
        let batch = run.next_batch(&store).expect("read").expect("a batch");
        assert_eq!(batch.ids.len(), n - 1);
        let frames = decode_all(
            &batch.body,
            Limits {
                max_document_bytes: 1024,
                max_frames: 64,
            },
        )
        .expect("frames");
        assert_eq!(frames.len(), n - 1);
        assert!(run.next_batch(&store).expect("read").is_none());

        // The relay stores all but one, refusing one as not this user's.
        let answer = UploadAnswer {
            stored: batch.ids[1..].iter().map(|id| stored(id)).collect(),
            unavailable: vec![batch.ids[0].clone()],
            invalid: Vec::new(),
        };
        let settled = run
            .settle(&store, batch.ids.len(), &answer)
            .expect("settle");
        assert_eq!(settled.stored, n - 2);
        assert_eq!(settled.refused, vec![batch.ids[0].clone()]);
        assert_eq!(run.done(), run.total());
        let left: Vec<String> = store
            .unsynced_docs()
            .expect("marks")
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(left, vec!["doc00".to_owned(), batch.ids[0].clone()]);
        assert_eq!(
            store.relay_knows(&[batch.ids[1].clone()]).expect("knows"),
            vec![true]
        );
        // Planned again, the refused one is skipped, and too few remain for bulk.
        let refused = settled.refused;
        let again =
            UploadPlan::from_marks(&store, store.unsynced_docs().expect("marks"), true, |id| {
                refused.iter().any(|r| r == id)
            })
            .expect("plan");
        assert!(again.run.is_none());
        assert_eq!(again.live.len(), 2);
    }

    #[test]
    fn an_edit_after_the_body_was_read_stays_marked() {
        let store = Store::open_in_memory().expect("store");
        for i in 0..BULK_MIN_DOCS {
            store.kv_put(&key(&format!("d{i}")), b"v1").expect("put");
        }
        let mut run = UploadPlan::from_store(&store, true)
            .expect("plan")
            .run
            .expect("run");
        let batch = run.next_batch(&store).expect("read").expect("batch");
        store.kv_put(&key("d0"), b"v2").expect("edit");
        let answer = UploadAnswer {
            stored: batch.ids.iter().map(|id| stored(id)).collect(),
            ..UploadAnswer::default()
        };
        run.settle(&store, batch.ids.len(), &answer)
            .expect("settle");
        let left = store.unsynced_docs().expect("marks");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].0, "d0");
    }
}
