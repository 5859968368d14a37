//! The engine's bulk transfers (policy in `crate::sync_plan`, frames in `crate::bulk_wire`):
//! fetching batches of documents this device lacks and adopting them, uploading batches of
//! documents the relay never confirmed and clearing their marks, and the progress the status
//! shows meanwhile. The connection loop and live sync stay in the parent module.

use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, stream};

use super::{SyncEngine, SyncError, SyncState};
use crate::bulk_wire::Frame;
use crate::store::ConfirmedDoc;
use crate::sync::relay::{RelayError, UploadAnswer};
use crate::sync_plan::{SyncProgress, UploadBatch, UploadBatcher, plan_store_upload};

impl SyncEngine {
    /// Starts (`Some(total)`), advances or ends (`None`) the progress the status shows.
    pub(super) fn set_progress(&self, progress: Option<SyncProgress>) {
        *self.progress.lock().unwrap_or_else(|p| p.into_inner()) = progress;
        self.set_state(SyncState::Syncing, None);
    }

    pub(super) fn advance(&self, by: usize) {
        let mut guard = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = guard.as_mut() {
            p.done = (p.done + by).min(p.total);
        }
        drop(guard);
        self.set_state(SyncState::Syncing, None);
    }

    /// Fetches `batches` in bulk (the next batch while one is adopted) and adopts them. Answers
    /// how many were adopted, and the ids left for live sync: those the relay did not send,
    /// those not adopted, and whole batches whose fetch failed.
    pub(super) async fn fetch_in_bulk(
        &self,
        batches: Vec<Vec<String>>,
    ) -> Result<(usize, Vec<String>), SyncError> {
        let mut live = Vec::new();
        let mut in_bulk = 0;
        // The next batch is fetched while this one is merged.
        let mut batches = stream::iter(batches)
            .map(|batch| async move {
                let fetched = self
                    .client
                    .fetch_documents(&self.session.token, &batch)
                    .await;
                (batch, fetched)
            })
            .buffered(2);
        while let Some((batch, fetched)) = batches.next().await {
            let docs: Vec<(String, Vec<u8>)> = match fetched {
                Ok(frames) => frames
                    .into_iter()
                    .filter_map(|frame| match frame {
                        Frame::Document { id, bytes } => Some((id, bytes)),
                        Frame::Unavailable { .. } => None,
                    })
                    .collect(),
                Err(RelayError::Unauthorized) => return Err(SyncError::Unauthorized),
                Err(err) => {
                    // The websocket can still bring them, one by one.
                    tracing::warn!(%err, "a bulk fetch failed; syncing its documents one by one");
                    live.extend(batch);
                    continue;
                }
            };
            let adoption = self.larder.adopt_documents(docs).await?;
            in_bulk += adoption.adopted.len();
            self.advance(adoption.adopted.len());
            let adopted: HashSet<&String> = adoption.adopted.iter().collect();
            live.extend(batch.iter().filter(|id| !adopted.contains(id)).cloned());
        }
        Ok((in_bulk, live))
    }

    /// Uploads in bulk batches the documents waiting for the relay that it never confirmed
    /// having (a big import, a profile used offline); the relay answers once they are durable,
    /// and their marks are cleared. Answers how many were stored.
    pub(super) async fn push_in_bulk(&self) -> Result<usize, SyncError> {
        let store = self.larder.store();
        let (bulk, _) = plan_store_upload(store, self.bulk)?;
        if bulk.is_empty() {
            return Ok(0);
        }
        self.set_progress(Some(SyncProgress {
            done: 0,
            total: bulk.len(),
        }));
        let mut stored = 0;
        let mut batcher = UploadBatcher::default();
        let mut marks = HashMap::new();
        let mut outcome = Ok(());
        for id in &bulk {
            let Some(body) = store.document_body(id)? else {
                continue;
            };
            if let Some(mark) = body.mark {
                marks.insert(id.clone(), mark);
            }
            if let Some(batch) = batcher.add(id, &body.bytes) {
                match self.upload_batch(batch, &marks).await {
                    Ok(n) => stored += n,
                    Err(err) => {
                        outcome = Err(err);
                        break;
                    }
                }
            }
        }
        if outcome.is_ok()
            && let Some(batch) = batcher.finish()
        {
            match self.upload_batch(batch, &marks).await {
                Ok(n) => stored += n,
                Err(err) => outcome = Err(err),
            }
        }
        self.set_progress(None);
        match outcome {
            Ok(()) => Ok(stored),
            Err(SyncError::Unauthorized) => Err(SyncError::Unauthorized),
            // What was not stored stays marked and goes over the websocket.
            Err(err) => {
                tracing::warn!(%err, "a bulk upload failed; its documents sync one by one");
                Ok(stored)
            }
        }
    }

    /// Sends one upload batch and records what the relay stored.
    async fn upload_batch(
        &self,
        batch: UploadBatch,
        marks: &HashMap<String, i64>,
    ) -> Result<usize, SyncError> {
        let count = batch.ids.len();
        let answer: UploadAnswer = self
            .client
            .upload_documents(&self.session.token, batch.body)
            .await?;
        for refused in &answer.unavailable {
            tracing::warn!(
                doc = refused,
                "the relay refused a document as not this user's"
            );
        }
        for invalid in &answer.invalid {
            tracing::warn!(
                doc = invalid.doc_id,
                reason = invalid.reason,
                "the relay could not read a document"
            );
        }
        let confirmed: Vec<ConfirmedDoc> = answer
            .stored
            .iter()
            .filter_map(|doc| {
                let seq = *marks.get(&doc.doc_id)?;
                let mut heads = doc.heads.clone();
                heads.sort();
                Some(ConfirmedDoc {
                    doc_id: doc.doc_id.clone(),
                    seq,
                    heads: heads.join(","),
                })
            })
            .collect();
        self.larder.store().confirm_synced(&confirmed)?;
        self.advance(count);
        Ok(answer.stored.len())
    }
}
