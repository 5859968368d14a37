//! Attachment bytes between this browser and the relay, the engine's half: the worker does the
//! `fetch` calls (web/src/worker/transfers.ts) and asks here what to upload next, reports how
//! each attempt went, and hands over downloaded bytes, which are kept only once their SHA-256
//! checks out. The rules (backoff, verification) are core's `blob_transfer`, shared with the
//! native client.

use larder_core::blob_transfer::{self, KeepError};
use wasm_bindgen::prelude::*;

use crate::engine::{Engine, error};

/// One queued upload, handed to the worker.
#[wasm_bindgen(getter_with_clone)]
pub struct Upload {
    pub sha256: String,
    #[wasm_bindgen(js_name = mediaType)]
    pub media_type: String,
    pub bytes: Vec<u8>,
}

#[wasm_bindgen]
impl Engine {
    /// The oldest queued upload that is due at `now` (ms since the epoch), with its bytes.
    #[wasm_bindgen(js_name = nextUpload)]
    pub fn next_upload(&self, now: f64) -> Result<Option<Upload>, JsError> {
        let store = self.store();
        for queued in blob_transfer::due_uploads(store, now as i64, false)
            .map_err(|e| error("reading the upload queue", e))?
        {
            match store
                .blob_with_type(&queued.sha256)
                .map_err(|e| error("reading an attachment", e))?
            {
                Some((bytes, media_type)) => {
                    return Ok(Some(Upload {
                        sha256: queued.sha256,
                        media_type,
                        bytes,
                    }));
                }
                // The queue references the blobs table, so this cannot happen; drop it if it does.
                None => store
                    .upload_done(&queued.sha256)
                    .map_err(|e| error("updating the upload queue", e))?,
            }
        }
        Ok(None)
    }

    /// The relay has stored and verified `sha256`.
    #[wasm_bindgen(js_name = uploadDone)]
    pub fn upload_done(&self, sha256: String) -> Result<(), JsError> {
        self.store()
            .upload_done(&sha256)
            .map_err(|e| error("updating the upload queue", e))
    }

    /// An attempt at `sha256` failed with `reason` at `now`: counted, retried after a backoff.
    #[wasm_bindgen(js_name = uploadFailed)]
    pub fn upload_failed(&self, sha256: String, reason: String, now: f64) -> Result<(), JsError> {
        let store = self.store();
        let queued = store
            .queued_uploads()
            .map_err(|e| error("reading the upload queue", e))?;
        if let Some(upload) = queued.iter().find(|q| q.sha256 == sha256) {
            blob_transfer::upload_failed(store, upload, &reason, now as i64)
                .map_err(|e| error("updating the upload queue", e))?;
        }
        Ok(())
    }

    /// How many attachments wait to be uploaded.
    #[wasm_bindgen(js_name = queuedUploads)]
    pub fn queued_uploads(&self) -> Result<u32, JsError> {
        let count = self
            .store()
            .queued_upload_count()
            .map_err(|e| error("reading the upload queue", e))?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Keeps bytes downloaded from the relay under `sha256` once they hash to it; refuses them
    /// (keeping nothing) otherwise.
    #[wasm_bindgen(js_name = keepDownloaded)]
    pub fn keep_downloaded(
        &self,
        sha256: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<(), JsError> {
        blob_transfer::keep_downloaded(self.store(), &sha256, &media_type, &bytes).map_err(|e| {
            match e {
                KeepError::Corrupt(_) => JsError::new(&e.to_string()),
                KeepError::Store(err) => error("keeping a downloaded attachment", err),
            }
        })
    }
}
