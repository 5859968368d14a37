//! Attachments and the relay: uploading the queue of files attached on this device (removed
//! from the queue once the relay has stored and verified them; failures are counted and retried
//! with exponential backoff, surviving restarts since the queue is in the profile database), and
//! fetching bytes another device attached, on demand, into the local cache (verified against
//! their SHA-256 before they are kept).

use thiserror::Error;

use super::relay::{RelayBlob, RelayClient, RelayError};
use super::session::session;
use crate::api::{Larder, LarderError};
use crate::blob_transfer::{KeepError, due_uploads, keep_downloaded, upload_failed};
use crate::docstore::DocumentStore;
use crate::model::Attachment;
use crate::store::{Store, StoreError};

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
    for queued in due_uploads(store, now, all)? {
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
                upload_failed(store, &queued, &err.to_string(), now)?;
                return Err(err);
            }
            Err(err) => {
                upload_failed(store, &queued, &err.to_string(), now)?;
                tracing::warn!(%err, sha256 = queued.sha256, "attachment upload refused");
                round.failed += 1;
            }
        }
    }
    Ok(round)
}

/// An attachment of a recipe, by file name (or hash), with its bytes: from this device, or
/// else fetched from the relay, verified and kept here for next time.
pub async fn fetch_attachment<S: DocumentStore>(
    larder: &Larder<S>,
    recipe_id: &str,
    name: &str,
) -> Result<(Attachment, Vec<u8>), AttachmentError> {
    let attachment = larder.find_attachment(recipe_id, name)?;
    let bytes = fetch_blob(
        larder,
        &attachment.sha256,
        Some(&attachment.media_type),
        &attachment.file_name,
    )
    .await?;
    Ok((attachment, bytes))
}

/// The bytes stored under `sha256`: from this device, or else fetched from the relay, verified
/// and kept here for next time, as `media_type` (without one: as the relay's, or else
/// `application/octet-stream`). `file_name` names the file in errors.
pub async fn fetch_blob<S: DocumentStore>(
    larder: &Larder<S>,
    sha256: &str,
    media_type: Option<&str>,
    file_name: &str,
) -> Result<Vec<u8>, AttachmentError> {
    if let Some(bytes) = larder.store().blob_get(sha256)? {
        return Ok(bytes);
    }
    let file_name = file_name.to_string();
    let sha256 = sha256.to_string();
    let Some(session) = session(larder.store())? else {
        return Err(AttachmentError::NotSignedIn { file_name, sha256 });
    };
    let offline = |reason: String| AttachmentError::Offline {
        file_name: file_name.clone(),
        sha256: sha256.clone(),
        reason,
    };
    let client = RelayClient::new(&session.server).map_err(|e| offline(e.to_string()))?;
    let RelayBlob {
        bytes,
        media_type: relay_media_type,
    } = match client
        .get_blob(
            &session.token,
            &sha256,
            larder
                .store()
                .shared_recipe_with_attachment(&sha256)?
                .as_deref(),
        )
        .await
    {
        Ok(Some(blob)) => blob,
        Ok(None) => return Err(AttachmentError::NotOnRelay { file_name, sha256 }),
        Err(RelayError::Unreachable(reason)) => return Err(offline(reason)),
        Err(RelayError::Unauthorized) => return Err(AttachmentError::Unauthorized),
        Err(err) => return Err(AttachmentError::Relay(err)),
    };
    let media_type = media_type
        .or(relay_media_type.as_deref())
        .unwrap_or("application/octet-stream");
    match keep_downloaded(larder.store(), &sha256, media_type, &bytes) {
        Ok(()) => Ok(bytes),
        Err(KeepError::Corrupt(_)) => Err(AttachmentError::Corrupt { file_name, sha256 }),
        Err(KeepError::Store(err)) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;
    use crate::blob_transfer::next_upload_due;
    use crate::model::RecipeDraft;
    use crate::sync::session::{Session, save_session};

    /// A stand-in relay on 127.0.0.1: answers every request with `status` and `body` (as
    /// [`FAKE_MEDIA_TYPE`]) and records "METHOD PATH" lines.
    async fn fake_relay(status: u16, body: Vec<u8>) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                // Headers, then as much body as Content-Length says.
                let head_end = loop {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break None;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break Some(i + 4);
                    }
                };
                let Some(head_end) = head_end else { continue };
                let head = String::from_utf8_lossy(&request[..head_end]).to_string();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while request.len() < head_end + length {
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                let line = head.lines().next().unwrap_or("").to_string();
                log.lock().unwrap().push(
                    line.rsplit_once(' ')
                        .map_or(line.clone(), |(l, _)| l.to_string()),
                );
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: {FAKE_MEDIA_TYPE}\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                response.extend_from_slice(&body);
                let _ = socket.write_all(&response).await;
            }
        });
        (format!("http://{addr}"), seen)
    }

    const FAKE_MEDIA_TYPE: &str = "image/webp";

    fn session_for(server: &str) -> Session {
        Session {
            server: server.to_string(),
            token: "t".repeat(43),
            user_id: "u".repeat(32),
            user_name: "u".into(),
            grocery_list_id: None,
            meal_plan_id: None,
        }
    }

    async fn signed_in_profile(
        dir: &std::path::Path,
        server: &str,
    ) -> crate::api::Larder<crate::docstore::SamodStore> {
        let larder = crate::profile::open(dir).await.unwrap();
        save_session(larder.store(), &session_for(server)).unwrap();
        larder
    }

    /// A recipe with an attachment whose bytes are not on this device.
    async fn remote_attachment(
        larder: &crate::api::Larder<crate::docstore::SamodStore>,
        bytes: &[u8],
    ) -> (String, String) {
        let draft = RecipeDraft {
            title: "Bread".into(),
            ..RecipeDraft::default()
        };
        let recipe = larder.create_recipe(&draft).await.unwrap();
        let a = larder
            .attach_file(&recipe.id, "crumb.jpg", "", bytes)
            .await
            .unwrap();
        larder
            .store()
            .conn()
            .execute("DELETE FROM blobs WHERE sha256 = ?1", [&a.sha256])
            .unwrap();
        (recipe.id, a.sha256)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fetching_verifies_caches_and_fails_clearly() {
        let bytes = b"the crumb shot".to_vec();
        let dir = tempfile::tempdir().unwrap();
        let (good, seen) = fake_relay(200, bytes.clone()).await;
        let larder = signed_in_profile(dir.path(), &good).await;
        let (recipe, sha) = remote_attachment(&larder, &bytes).await;

        // Right bytes: returned and kept (the second read does not ask the relay).
        let (_, got) = fetch_attachment(&larder, &recipe, "crumb.jpg")
            .await
            .unwrap();
        assert_eq!(got, bytes);
        let (_, again) = fetch_attachment(&larder, &recipe, &sha).await.unwrap();
        assert_eq!(again, bytes);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![format!("GET /api/v1/blobs/{sha}")]
        );
        assert_eq!(
            larder.store().queued_upload_count().unwrap(),
            0,
            "a fetched copy is not re-uploaded"
        );

        // Kept with the attachment's own media type; by hash alone, with the relay's.
        let kept = larder.store().blob_with_type(&sha).unwrap().unwrap();
        assert_eq!(kept, (bytes.clone(), "image/jpeg".to_owned()));
        larder
            .store()
            .conn()
            .execute("DELETE FROM blobs", [])
            .unwrap();
        let got = fetch_blob(&larder, &sha, None, "this file").await.unwrap();
        assert_eq!(got, bytes);
        let kept = larder.store().blob_with_type(&sha).unwrap().unwrap();
        assert_eq!(kept.1, FAKE_MEDIA_TYPE);

        // Wrong bytes: refused, nothing kept.
        larder
            .store()
            .conn()
            .execute("DELETE FROM blobs", [])
            .unwrap();
        let (liar, _) = fake_relay(200, b"something else".to_vec()).await;
        save_session(larder.store(), &session_for(&liar)).unwrap();
        let err = fetch_attachment(&larder, &recipe, "crumb.jpg")
            .await
            .unwrap_err();
        assert!(matches!(err, AttachmentError::Corrupt { .. }), "{err}");
        assert!(!larder.store().blob_exists(&sha).unwrap());

        // Not uploaded yet.
        let (empty, _) = fake_relay(404, b"{}".to_vec()).await;
        save_session(larder.store(), &session_for(&empty)).unwrap();
        let err = fetch_attachment(&larder, &recipe, "crumb.jpg")
            .await
            .unwrap_err();
        assert!(matches!(err, AttachmentError::NotOnRelay { .. }), "{err}");

        // Offline: nobody listens.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        save_session(larder.store(), &session_for(&closed)).unwrap();
        let err = fetch_attachment(&larder, &recipe, "crumb.jpg")
            .await
            .unwrap_err();
        assert!(matches!(err, AttachmentError::Offline { .. }), "{err}");
        assert!(err.to_string().contains("crumb.jpg"), "{err}");

        // Not signed in.
        crate::sync::session::forget_session(larder.store()).unwrap();
        let err = fetch_attachment(&larder, &recipe, "crumb.jpg")
            .await
            .unwrap_err();
        assert!(matches!(err, AttachmentError::NotSignedIn { .. }), "{err}");
        larder.close().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn uploads_back_off_on_refusals_and_leave_the_queue_on_success() {
        let dir = tempfile::tempdir().unwrap();
        let larder = crate::profile::open(dir.path()).await.unwrap();
        let store = larder.store();
        store
            .blob_put_and_queue("aa", "image/png", b"one", 0)
            .unwrap();
        store
            .blob_put_and_queue("bb", "image/png", b"two", 1)
            .unwrap();

        let (refusing, seen) =
            fake_relay(413, br#"{"error":"too_large","message":"no"}"#.to_vec()).await;
        let client = RelayClient::new(&refusing).unwrap();
        let round = upload_queued(store, &client, "tok", 10_000, false)
            .await
            .unwrap();
        assert_eq!(
            round,
            UploadRound {
                uploaded: 0,
                failed: 2
            }
        );
        assert_eq!(seen.lock().unwrap().len(), 2);
        let queued = store.queued_uploads().unwrap();
        assert!(
            queued
                .iter()
                .all(|q| q.attempts == 1 && q.next_attempt_at == 12_000)
        );
        assert!(
            queued
                .iter()
                .all(|q| q.last_error.as_deref().is_some_and(|e| e.contains("413")))
        );

        // Not due yet: nothing is tried, unless everything is asked for.
        let round = upload_queued(store, &client, "tok", 11_000, false)
            .await
            .unwrap();
        assert_eq!(round, UploadRound::default());
        assert_eq!(seen.lock().unwrap().len(), 2);
        upload_queued(store, &client, "tok", 11_000, true)
            .await
            .unwrap();
        let queued = store.queued_uploads().unwrap();
        assert!(
            queued
                .iter()
                .all(|q| q.attempts == 2 && q.next_attempt_at == 15_000),
            "{queued:?}"
        );
        assert_eq!(next_upload_due(store).unwrap(), Some(15_000));

        // Unreachable: the round stops at the first file, which backs off.
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", l.local_addr().unwrap())
        };
        let offline = RelayClient::new(&closed).unwrap();
        let err = upload_queued(store, &offline, "tok", 20_000, false)
            .await
            .unwrap_err();
        assert!(matches!(err, RelayError::Unreachable(_)), "{err}");
        let attempts: Vec<u32> = store
            .queued_uploads()
            .unwrap()
            .iter()
            .map(|q| q.attempts)
            .collect();
        assert_eq!(attempts, vec![3, 2]);

        // Accepted: the queue empties.
        let (accepting, seen) = fake_relay(201, b"{}".to_vec()).await;
        let client = RelayClient::new(&accepting).unwrap();
        let round = upload_queued(store, &client, "tok", 20_000, true)
            .await
            .unwrap();
        assert_eq!(
            round,
            UploadRound {
                uploaded: 2,
                failed: 0
            }
        );
        assert_eq!(
            *seen.lock().unwrap(),
            vec!["PUT /api/v1/blobs/aa", "PUT /api/v1/blobs/bb"]
        );
        assert_eq!(store.queued_upload_count().unwrap(), 0);
        assert!(store.blob_exists("aa").unwrap(), "the local copy stays");
        larder.close().await.unwrap();
    }
}
