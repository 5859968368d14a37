//! Bulk transfer: many documents in one HTTP request beside live sync, for a new device
//! catching up ([`SyncHub::saved_document`]: a document's stored chunks as they are, no
//! automerge work on the relay) and a device with many documents the relay lacks
//! ([`SyncHub::import_documents`]: merged in their shards like any sync, claimed for the user,
//! durable and recorded in the change feed before the answer). The same access decision as the
//! websocket: another user's document is answered exactly like one that does not exist.

use super::access::{self, Access};
use super::doc_id::DocId;
use super::document::is_snapshot;
use super::shard::{Command, Imported};
use super::{SyncError, SyncHub};
use crate::store::UserId;

/// What became of one uploaded document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    /// Durable and in the change feed; the relay's heads now (sorted hex).
    Stored { heads: Vec<String> },
    /// Not the user's (or not a document id): nothing was written.
    Unavailable,
    /// Not an automerge document: nothing was written.
    Invalid(String),
}

impl SyncHub {
    /// Document `doc`'s stored chunks, snapshots first (their concatenation loads with
    /// `Automerge::load`), if `user` may read it; `None` for a malformed id, an unknown
    /// document or another user's.
    pub fn saved_document(
        &self,
        user: &UserId,
        doc: &str,
    ) -> Result<Option<Vec<Vec<u8>>>, SyncError> {
        if doc.parse::<DocId>().is_err() {
            return Ok(None);
        }
        let store = self.slot.get()?;
        if access::decide(store.as_ref(), doc, user, false)? == Access::None {
            return Ok(None);
        }
        let mut chunks = store.chunks_under(doc)?;
        if chunks.is_empty() {
            return Ok(None);
        }
        chunks.sort_by_key(|(key, _)| !is_snapshot(key));
        Ok(Some(chunks.into_iter().map(|(_, bytes)| bytes).collect()))
    }

    /// Merges each `(id, saved bytes)` into the relay's copy for `user` (claiming ids nobody
    /// owns), and answers once every stored one is durable and recorded in the change feed. A
    /// request cut off before the answer may have stored some of them, whole; sending the batch
    /// again merges to the same documents.
    pub async fn import_documents(
        &self,
        user: &UserId,
        docs: Vec<(String, Vec<u8>)>,
    ) -> Result<Vec<(String, ImportOutcome)>, SyncError> {
        if self.is_retired(user) {
            return Err(SyncError::UserRemoved);
        }
        let mut waiting = Vec::with_capacity(docs.len());
        for (key, bytes) in docs {
            let Ok(doc) = key.parse::<DocId>() else {
                waiting.push((key, None));
                continue;
            };
            let (done, answer) = tokio::sync::oneshot::channel();
            self.shards
                .send(
                    &doc,
                    Command::Import {
                        doc,
                        user: user.clone(),
                        bytes,
                        done,
                    },
                )
                .await?;
            waiting.push((key, Some(answer)));
        }
        let mut outcomes = Vec::with_capacity(waiting.len());
        let mut durable_at = 0;
        for (key, answer) in waiting {
            let outcome = match answer {
                None => ImportOutcome::Unavailable,
                Some(answer) => match answer.await.map_err(|_| SyncError::Stopped)? {
                    Imported::Stored { ticket, heads } => {
                        durable_at = durable_at.max(ticket);
                        ImportOutcome::Stored { heads }
                    }
                    Imported::Unavailable => ImportOutcome::Unavailable,
                    Imported::Invalid(why) => ImportOutcome::Invalid(why),
                    Imported::Failed => return Err(SyncError::NotSaved),
                },
            };
            outcomes.push((key, outcome));
        }
        self.commit.wait(durable_at).await;
        self.feed_settled().await?;
        Ok(outcomes)
    }
}
