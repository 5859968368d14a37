//! The rules for moving attachment bytes between a device and the relay, without the network
//! itself: which queued uploads are due, the retry backoff after a failed attempt, and keeping
//! downloaded bytes only when they match their SHA-256. Native sync (`sync::blobs`, over
//! reqwest) and the browser's worker (over `fetch`, through web/engine) both follow them.

use std::time::Duration;

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::store::{QueuedUpload, Store, StoreError};

/// First retry delay after a failed upload; doubles per attempt up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// The delay before retry number `attempts + 1`.
pub fn backoff(attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.min(20));
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

fn backoff_ms(attempts: u32) -> i64 {
    i64::try_from(backoff(attempts).as_millis()).unwrap_or(i64::MAX)
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Queued uploads to try now: every one if `all`, else those whose backoff has passed.
pub fn due_uploads(store: &Store, now: i64, all: bool) -> Result<Vec<QueuedUpload>, StoreError> {
    Ok(store
        .queued_uploads()?
        .into_iter()
        .filter(|q| all || q.next_attempt_at <= now)
        .collect())
}

/// Records a failed attempt of `upload` and when to try again.
pub fn upload_failed(
    store: &Store,
    upload: &QueuedUpload,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    let retry = now.saturating_add(backoff_ms(upload.attempts));
    store.upload_failed(&upload.sha256, error, retry)
}

/// When the next queued upload that is waiting out a backoff becomes due.
pub fn next_upload_due(store: &Store) -> Result<Option<i64>, StoreError> {
    Ok(store
        .queued_uploads()?
        .into_iter()
        .map(|q| q.next_attempt_at)
        .min())
}

/// Downloaded bytes that could not be kept.
#[derive(Debug, Error)]
pub enum KeepError {
    #[error("the downloaded bytes do not match their SHA-256 {0}; nothing was kept")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Keeps bytes downloaded from the relay under `sha256`, once they are verified to hash to it.
pub fn keep_downloaded(
    store: &Store,
    sha256: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<(), KeepError> {
    if sha256_hex(bytes) != sha256 {
        return Err(KeepError::Corrupt(sha256.to_string()));
    }
    store.blob_put(sha256, media_type, bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        assert_eq!(backoff(0), Duration::from_secs(2));
        assert_eq!(backoff(1), Duration::from_secs(4));
        assert_eq!(backoff(5), Duration::from_secs(64));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }

    #[test]
    fn failed_uploads_wait_out_their_backoff() {
        let store = Store::open_in_memory().expect("store");
        let sha = sha256_hex(b"photo");
        store
            .blob_put_and_queue(&sha, "image/png", b"photo", 1_000)
            .expect("queue");
        let due = due_uploads(&store, 1_000, false).expect("due");
        assert_eq!(due.len(), 1);
        upload_failed(&store, &due[0], "relay said no", 1_000).expect("fail");
        assert!(due_uploads(&store, 2_999, false).expect("due").is_empty());
        assert_eq!(due_uploads(&store, 2_999, true).expect("all").len(), 1);
        assert_eq!(due_uploads(&store, 3_000, false).expect("due").len(), 1);
        assert_eq!(next_upload_due(&store).expect("next"), Some(3_000));
    }

    #[test]
    fn only_bytes_matching_their_hash_are_kept() {
        let store = Store::open_in_memory().expect("store");
        let sha = sha256_hex(b"photo");
        assert!(matches!(
            keep_downloaded(&store, &sha, "image/png", b"not the photo"),
            Err(KeepError::Corrupt(_))
        ));
        assert_eq!(store.blob_get(&sha).expect("get"), None);
        keep_downloaded(&store, &sha, "image/png", b"photo").expect("keep");
        assert_eq!(store.blob_get(&sha).expect("get"), Some(b"photo".to_vec()));
    }
}
