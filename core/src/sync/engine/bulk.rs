//! The engine's bulk transfers (policy in `crate::sync_plan`, frames in `crate::bulk_wire`):
//! fetching batches of documents this device lacks and adopting them, uploading batches of
//! documents the relay never confirmed and clearing their marks, and the progress the status
//! shows meanwhile (kept by the policy, `crate::sync_client`). The connection loop and live sync stay in the parent module.

use std::collections::HashSet;

use futures_util::{StreamExt, stream};

use super::{SyncEngine, SyncError};
use crate::bulk_upload::{UploadAnswer, UploadRun};
use crate::bulk_wire::Frame;
use crate::sync::relay::RelayError;
use crate::sync_client::Action;
use crate::sync_plan::{SyncProgress, UploadBatch};

impl SyncEngine {
    /// Fetches `batches` in bulk (the next batch while one is adopted) and adopts them,
    /// telling the policy how each went. Answers how many were adopted, and what the policy
    /// asks next (pulls of those a batch did not bring, or of a whole batch whose fetch failed).
    pub(super) async fn fetch_in_bulk(
        &self,
        batches: Vec<Vec<String>>,
    ) -> Result<(usize, Vec<Action>), SyncError> {
        let store = self.larder.store();
        let mut next = Vec::new();
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
                    next.extend(self.policy().fetched(store, &batch, None)?);
                    self.publish();
                    continue;
                }
            };
            let adoption = self.larder.adopt_documents(docs).await?;
            in_bulk += adoption.adopted.len();
            let adopted: HashSet<&String> = adoption.adopted.iter().collect();
            let left: Vec<String> = batch
                .iter()
                .filter(|id| !adopted.contains(id))
                .cloned()
                .collect();
            next.extend(self.policy().fetched(store, &batch, Some(&left))?);
            self.publish();
        }
        Ok((in_bulk, next))
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
        self.upload_progress(&run);
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
        self.policy().set_upload_progress(None);
        self.publish();
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
        self.upload_progress(run);
        Ok((settled.stored, settled.refused))
    }

    fn upload_progress(&self, run: &UploadRun) {
        self.policy().set_upload_progress(Some(SyncProgress {
            done: run.done(),
            total: run.total(),
        }));
        self.publish();
    }
}
