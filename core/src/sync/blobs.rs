//! Attachments and the relay: uploading the queue of files attached on this device (removed
//! from the queue once the relay has stored and verified them; failures are counted and retried
//! with exponential backoff, surviving restarts since the queue is in the profile database), and
//! fetching bytes another device attached, on demand, into the local cache (verified against
//! their SHA-256 before they are kept).

use std::time::Duration;

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::relay::{RelayClient, RelayError};
use super::session::session;
use crate::api::{Larder, LarderError};
use crate::docstore::DocumentStore;
use crate::model::Attachment;
use crate::store::{Store, StoreError};

/// First retry delay after a failed upload; doubles per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Why an attachment's bytes could not be had.
#[derive(Debug, Error)]
pub enum AttachmentError {
    #[error("the bytes of {file_name} are not on this device and it is not signed in to a relay")]
    NotSignedIn { file_name: String, sha256: String },
    #[error(
        "the bytes of {file_name} are not on this device and the relay is unreachable: {reason}"
    )]
    Offline {
        file_name: String,
        sha256: String,
        reason: String,
    },
    #[error(
        "the relay does not have the bytes of {file_name} yet (the device that attached it has not uploaded them)"
    )]
    NotOnRelay { file_name: String, sha256: String },
    #[error("the relay sent bytes for {file_name} that do not match its SHA-256; nothing was kept")]
    Corrupt { file_name: String, sha256: String },
    #[error("the relay rejected the session; sign in again")]
    Unauthorized,
    #[error("the relay refused the download: {0}")]
    Relay(RelayError),
    #[error(transparent)]
    Larder(#[from] LarderError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an upload round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadRound {
    pub uploaded: usize,
    pub failed: usize,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The delay before retry number `attempts + 1`.
pub fn backoff(attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.min(20));
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// Uploads queued files: every one if `all`, else only those whose backoff has passed. A relay
/// that cannot be reached ends the round with that error (the rest stay queued); a refusal
/// (4xx/5xx) is recorded on the file and the round goes on; a rejected session is returned as
/// [`RelayError::Unauthorized`].
pub async fn upload_queued(
    store: &Store,
    client: &RelayClient,
    token: &str,
    now: i64,
    all: bool,
) -> Result<UploadRound, RelayError> {
    let mut round = UploadRound::default();
    for queued in store.queued_uploads()? {
        if !all && queued.next_attempt_at > now {
            continue;
        }
        let Some((bytes, media_type)) = store.blob_with_type(&queued.sha256)? else {
            // The queue references the blobs table, so this cannot happen; drop it if it does.
            store.upload_done(&queued.sha256)?;
            continue;
        };
        match client
            .put_blob(token, &queued.sha256, &media_type, bytes)
            .await
        {
            Ok(()) => {
                store.upload_done(&queued.sha256)?;
                round.uploaded += 1;
                tracing::info!(sha256 = queued.sha256, "attachment uploaded");
            }
            Err(err @ (RelayError::Unauthorized | RelayError::Unreachable(_))) => {
                let retry = now.saturating_add(backoff_ms(queued.attempts));
                store.upload_failed(&queued.sha256, &err.to_string(), retry)?;
                return Err(err);
            }
            Err(err) => {
                let retry = now.saturating_add(backoff_ms(queued.attempts));
                store.upload_failed(&queued.sha256, &err.to_string(), retry)?;
                tracing::warn!(%err, sha256 = queued.sha256, "attachment upload refused");
                round.failed += 1;
            }
        }
    }
    Ok(round)
}

fn backoff_ms(attempts: u32) -> i64 {
    i64::try_from(backoff(attempts).as_millis()).unwrap_or(i64::MAX)
}

/// When the next queued upload that is waiting out a backoff becomes due.
pub fn next_upload_due(store: &Store) -> Result<Option<i64>, StoreError> {
    Ok(store
        .queued_uploads()?
        .into_iter()
        .map(|q| q.next_attempt_at)
        .min())
}

/// An attachment of a recipe, by file name (or hash), with its bytes: from this device, or
/// else fetched from the relay, verified and kept here for next time.
pub async fn fetch_attachment<S: DocumentStore>(
    larder: &Larder<S>,
    recipe_id: &str,
    name: &str,
) -> Result<(Attachment, Vec<u8>), AttachmentError> {
    let attachment = larder.find_attachment(recipe_id, name)?;
    if let Some(bytes) = larder.store().blob_get(&attachment.sha256)? {
        return Ok((attachment, bytes));
    }
    let file_name = attachment.file_name.clone();
    let sha256 = attachment.sha256.clone();
    let Some(session) = session(larder.store())? else {
        return Err(AttachmentError::NotSignedIn { file_name, sha256 });
    };
    let offline = |reason: String| AttachmentError::Offline {
        file_name: file_name.clone(),
        sha256: sha256.clone(),
        reason,
    };
    let client = RelayClient::new(&session.server).map_err(|e| offline(e.to_string()))?;
    let bytes = match client.get_blob(&session.token, &sha256).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(AttachmentError::NotOnRelay { file_name, sha256 }),
        Err(RelayError::Unreachable(reason)) => return Err(offline(reason)),
        Err(RelayError::Unauthorized) => return Err(AttachmentError::Unauthorized),
        Err(err) => return Err(AttachmentError::Relay(err)),
    };
    if sha256_hex(&bytes) != sha256 {
        return Err(AttachmentError::Corrupt { file_name, sha256 });
    }
    larder
        .store()
        .blob_put(&sha256, &attachment.media_type, &bytes)?;
    Ok((attachment, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(2));
        assert_eq!(backoff(1), Duration::from_secs(4));
        assert_eq!(backoff(5), Duration::from_secs(64));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
