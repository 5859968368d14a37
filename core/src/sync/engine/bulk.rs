//! The engine's bulk transfers (policy in `crate::sync_plan`, frames in `crate::bulk_wire`):
//! fetching batches of documents this device lacks and adopting them, uploading batches of
//! documents the relay never confirmed and clearing their marks, and the progress the status
//! shows meanwhile. The connection loop and live sync stay in the parent module.

use std::collections::HashSet;

use futures_util::{StreamExt, stream};

use super::{SyncEngine, SyncError, SyncState};
use crate::bulk_upload::{UploadAnswer, UploadRun};
use crate::bulk_wire::Frame;
use crate::sync::relay::RelayError;
use crate::sync_plan::{SyncProgress, UploadBatch};

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

    /// Sends a bulk upload `run` (documents the relay never confirmed having: a big import, a
    /// profile used offline) batch by batch; the relay answers once they are durable, and their
    /// marks are cleared. Answers how many were stored, and the ids left for live sync: those a
    /// failed batch did not get to the relay, and those the relay refused.
    pub(super) async fn push_in_bulk(
        &self,
        mut run: UploadRun,
    ) -> Result<(usize, Vec<String>), SyncError> {
        let store = self.larder.store();
        self.set_progress(Some(SyncProgress {
            done: 0,
            total: run.total(),
        }));
        let mut stored = 0;
        let mut live = Vec::new();
        let outcome = loop {
            let batch = match run.next_batch(store) {
                Ok(Some(batch)) => batch,
                Ok(None) => break Ok(()),
                Err(err) => break Err(SyncError::from(err)),
            };
            let ids = batch.ids.clone();
            match self.upload_batch(&mut run, batch).await {
                Ok((n, refused)) => {
                    stored += n;
                    live.extend(refused);
                }
                Err(err) => {
                    live.extend(ids);
                    break Err(err);
                }
            }
        };
        self.set_progress(None);
        match outcome {
            Ok(()) => Ok((stored, live)),
            Err(SyncError::Unauthorized) => Err(SyncError::Unauthorized),
            // What was not stored stays marked and goes over the websocket.
            Err(err) => {
                tracing::warn!(%err, "a bulk upload failed; its documents sync one by one");
                live.extend(run.unsent());
                Ok((stored, live))
            }
        }
    }

    /// Sends one upload batch and records what the relay stored. Answers how many it stored
    /// and the ids it refused.
    async fn upload_batch(
        &self,
        run: &mut UploadRun,
        batch: UploadBatch,
    ) -> Result<(usize, Vec<String>), SyncError> {
        let sent = batch.ids.len();
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
        let settled = run.settle(self.larder.store(), sent, &answer)?;
        self.advance(sent);
        Ok((settled.stored, settled.refused))
    }
}
