//! The engine's attachment uploads (the queue and its backoff are `super::super::blobs` and
//! `crate::blob_transfer`): uploading what is queued, reporting a failure in the status rather
//! than failing the pass, and waking when a failed upload's backoff has passed.

use std::time::Duration;

use super::{SyncEngine, SyncError};
use crate::blob_transfer::next_upload_due;
use crate::clock::{Clock, SystemClock};
use crate::sync::blobs::{UploadRound, upload_queued};
use crate::sync::relay::RelayError;

impl SyncEngine {
    /// Uploads queued attachments (all of them, or only those past their backoff).
    pub(super) async fn upload(&self, all: bool) -> Result<UploadRound, SyncError> {
        let now = SystemClock.now_ms();
        upload_queued(
            self.larder.store(),
            &self.client,
            &self.session.token,
            now,
            all,
        )
        .await
        .map_err(|err| match err {
            RelayError::Unauthorized => SyncError::Unauthorized,
            RelayError::Unreachable(reason) => self.unreachable(reason),
            other => SyncError::Relay(other),
        })
    }

    /// Uploads what is due while connected. A failure is reported in the status (the files
    /// stay queued); only a rejected session is an error.
    pub(super) async fn upload_due(&self) -> Result<(), SyncError> {
        match self.uploading(self.upload(false)).await {
            Err(SyncError::Unauthorized) => Err(SyncError::Unauthorized),
            Err(err) => {
                let message = format!("attachment upload failed: {err}");
                self.policy().set_error(Some(message));
                self.publish();
                Ok(())
            }
            Ok(_) => {
                self.policy().set_error(None);
                self.publish();
                Ok(())
            }
        }
    }

    /// Resolves when a failed upload's backoff has passed (never, if none waits).
    pub(super) async fn upload_retry_due(&self) {
        let due = next_upload_due(self.larder.store()).ok().flatten();
        match due {
            Some(at) => {
                let wait = at.saturating_sub(SystemClock.now_ms()).max(0);
                // A file that is due now was just tried (or is tried with the next edit):
                // wait at least a moment so a failing upload never spins.
                let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0))
                    .max(Duration::from_millis(500));
                tokio::time::sleep(wait).await;
            }
            None => std::future::pending::<()>().await,
        }
    }
}
