//! Waiting until a change the relay itself made to a document (the grocery REST API's edits)
//! is on disk, so an API answers success only for what a crash would not lose — the same
//! promise a device gets when the relay acknowledges its changes.
//!
//! samod queues the storage writes for a local change before `with_document` returns, but
//! writes them in the background and has no "saved" signal: wait until the change's heads are
//! written ([`super::durable_heads::DurableHeads::covered`]), then flush.

use automerge::ChangeHash;

use super::{SyncError, SyncHub};

impl SyncHub {
    /// Resolves once every change up to `heads` of document `doc` is durable in the store.
    /// [`SyncError::Stopped`] if the relay stops first or it takes unreasonably long.
    pub async fn stored(&self, doc: &str, heads: Vec<ChangeHash>) -> Result<(), SyncError> {
        if !self.durable_heads.covered(doc, &heads).await {
            return Err(SyncError::Stopped);
        }
        self.slot.get()?.flush_async().await?;
        Ok(())
    }
}
