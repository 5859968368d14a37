//! Waiting until a change the relay itself made to a document (the grocery REST API's edits)
//! is on disk, so an API answers success only for what a crash would not lose — the same
//! promise a device gets when the relay acknowledges its changes.
//!
//! samod queues the storage writes for a local change before `with_document` returns, but
//! writes them in the background and has no "saved" signal. So: read the document's chunks
//! back from the store until they contain the change's heads, then flush.

use std::time::{Duration, Instant};

use automerge::ChangeHash;

use super::{SyncError, SyncHub};

/// How long a change may take to reach the store.
const STORE_TIMEOUT: Duration = Duration::from_secs(10);
/// Between two looks at the store.
const POLL: Duration = Duration::from_millis(2);

impl SyncHub {
    /// Resolves once every change up to `heads` of document `doc` is durable in the store.
    /// [`SyncError::Stopped`] if the relay stops first or it takes unreasonably long.
    pub async fn stored(&self, doc: &str, heads: Vec<ChangeHash>) -> Result<(), SyncError> {
        let deadline = Instant::now() + STORE_TIMEOUT;
        loop {
            let store = self.slot.get()?;
            let key = doc.to_owned();
            let wanted = heads.clone();
            let present = tokio::task::spawn_blocking(move || {
                super::durable_heads::store_has(store.as_ref(), &key, &wanted)
            })
            .await
            .map_err(|_| SyncError::Stopped)??;
            if present {
                self.slot.get()?.flush_async().await?;
                return Ok(());
            }
            if Instant::now() >= deadline || self.is_closing() {
                tracing::warn!(
                    doc,
                    "a change made by the relay did not reach the store in time"
                );
                return Err(SyncError::Stopped);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
