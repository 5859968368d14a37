//! Bulk document transfer beside the sync websocket (format: `larder_core::bulk_wire`):
//!
//! - `POST /api/v1/docs/fetch` {docs: [id…]} (at most 500) → the documents' saved bytes, one
//!   frame each, in the order asked, streamed as they are read. An unknown id, a malformed one
//!   and another user's document all get the same `unavailable` frame.
//! - `POST /api/v1/docs/upload`, a body of document frames (at most 500, 32 MiB, each at most
//!   `sync_max_frame_bytes`) → {stored: [{doc_id, heads}], unavailable: [id], invalid:
//!   [{doc_id, reason}]} once every stored document is durable and in the change feed. A body
//!   that is not well-formed frames is refused whole (400) before anything is written; after
//!   that each document stands alone. Each document received counts in
//!   `larder_bulk_upload_documents_total{result}` (stored, unavailable, invalid).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use larder_core::bulk_wire::{self, Frame, FrameReader, Limits, MAX_BATCH_DOCS};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ApiError, ApiErrorBody, ApiJson};
use crate::accounts::auth::AuthUser;
use crate::http::state::AppState;
use crate::sync::ImportOutcome;

/// The media type of a body of frames.
pub const DOCS_MEDIA_TYPE: &str = bulk_wire::MEDIA_TYPE;
/// Largest upload body.
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;
/// Documents received through the upload route, by what became of them.
pub const BULK_UPLOADED: &str = "larder_bulk_upload_documents_total";
/// Frames queued between the store reader and the response.
const STREAM_AHEAD: usize = 16;

/// The bulk routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(fetch_documents))
        .routes(routes!(upload_documents))
        // Uploads are bounded in the handler (MAX_UPLOAD_BYTES), not by the JSON body limit.
        .layer(axum::extract::DefaultBodyLimit::disable())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchRequest {
    /// Document ids, at most 500.
    pub docs: Vec<String>,
}

#[utoipa::path(post, path = "/docs/fetch", tag = "sync",
    summary = "Many documents' saved bytes at once (a new device catching up)",
    description = "Answers one frame per id, in order: kind (0 document, 1 unavailable), id \
        length, id, body length (u32 big-endian), the document's saved automerge bytes. \
        Unknown ids and other users' documents are both `unavailable`.",
    security(("bearer" = [])),
    request_body = FetchRequest,
    responses(
        (status = 200, description = "The frames, streamed", content_type = "application/vnd.larder.docs", body = Vec<u8>),
        (status = 400, description = "Malformed body, or more than 500 ids (too_many)", body = ApiErrorBody),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 413, description = "Body too large", body = ApiErrorBody),
        (status = 415, description = "Not JSON", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn fetch_documents(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    ApiJson(request): ApiJson<FetchRequest>,
) -> Result<Response, ApiError> {
    if request.docs.len() > MAX_BATCH_DOCS {
        return Err(ApiError::bad_request(
            "too_many",
            format!("at most {MAX_BATCH_DOCS} documents per request"),
        ));
    }
    let hub = Arc::clone(state.sync()?);
    let user = auth.user.id.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(STREAM_AHEAD);
    // The store is read on a blocking thread, a frame at a time: the answer is never held
    // whole, and a reader that stops reading stops the reads.
    tokio::task::spawn_blocking(move || {
        // An id no frame can carry is not a document id: nothing to answer for it.
        for id in request.docs.into_iter().filter(|id| bulk_wire_id_ok(id)) {
            let mut frame = Vec::new();
            match hub.saved_document(&user, &id) {
                Ok(Some(chunks)) => {
                    let parts: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
                    bulk_wire::encode_document_parts(&mut frame, &id, &parts);
                }
                Ok(None) => bulk_wire::encode_unavailable(&mut frame, &id),
                Err(e) => {
                    tracing::error!(error = %e, "reading a document for a bulk fetch failed");
                    let _ = tx.blocking_send(Err(std::io::Error::other("storage error")));
                    return;
                }
            }
            if tx.blocking_send(Ok(Bytes::from(frame))).is_err() {
                return;
            }
        }
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(DOCS_MEDIA_TYPE));
    Ok(response)
}

fn bulk_wire_id_ok(id: &str) -> bool {
    !id.is_empty() && id.len() <= bulk_wire::MAX_ID_BYTES
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadResponse {
    /// Stored, durable and in the change feed, with the relay's heads now.
    pub stored: Vec<StoredDocument>,
    /// Not the user's, or not a document id: nothing written.
    pub unavailable: Vec<String>,
    /// Not an automerge document: nothing written.
    pub invalid: Vec<InvalidDocument>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredDocument {
    pub doc_id: String,
    /// Sorted hex change hashes.
    pub heads: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvalidDocument {
    pub doc_id: String,
    pub reason: String,
}

#[utoipa::path(post, path = "/docs/upload", tag = "sync",
    summary = "Many documents at once (a big import, a long offline stretch)",
    description = "The body is frames of kind 0 (see /docs/fetch), at most 500 and 32 MiB. Each \
        document is merged into the relay's copy (an id nobody owns becomes the user's), and \
        the answer comes once every stored document is durable and in the change feed.",
    security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/vnd.larder.docs"),
    responses(
        (status = 200, description = "What became of each document", body = UploadResponse),
        (status = 400, description = "Not well-formed frames (bad_frames); nothing was written", body = ApiErrorBody),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 413, description = "Body too large", body = ApiErrorBody),
        (status = 415, description = "Not application/vnd.larder.docs", body = ApiErrorBody),
        (status = 503, description = "The relay is shutting down", body = ApiErrorBody),
    ))]
pub async fn upload_documents(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    request: Request,
) -> Result<ApiJson<UploadResponse>, ApiError> {
    let media_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim);
    if media_type != Some(DOCS_MEDIA_TYPE) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the documents as {DOCS_MEDIA_TYPE}"),
        ));
    }
    let hub = state.sync()?;
    let mut reader = FrameReader::new(Limits {
        max_document_bytes: state.config.sync_max_frame_bytes,
        max_frames: MAX_BATCH_DOCS,
    });
    let bad = |e: bulk_wire::FrameError| ApiError::bad_request("bad_frames", e.to_string());
    let mut docs = Vec::new();
    let mut received = 0usize;
    let mut body = request.into_body();
    while let Some(piece) = body.frame().await {
        let piece = piece.map_err(|e| ApiError::bad_request("bad_body", e.to_string()))?;
        let Some(data) = piece.data_ref() else {
            continue;
        };
        received += data.len();
        if received > MAX_UPLOAD_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("at most {MAX_UPLOAD_BYTES} bytes per upload"),
            ));
        }
        reader.push(data);
        while let Some(frame) = reader.next_frame().map_err(bad)? {
            match frame {
                Frame::Document { id, bytes } => docs.push((id, bytes)),
                Frame::Unavailable { id } => {
                    return Err(ApiError::bad_request(
                        "bad_frames",
                        format!("{id}: an upload carries documents only"),
                    ));
                }
            }
        }
    }
    reader.finish().map_err(bad)?;
    let outcomes = hub.import_documents(&auth.user.id, docs).await?;
    let mut answer = UploadResponse {
        stored: Vec::new(),
        unavailable: Vec::new(),
        invalid: Vec::new(),
    };
    for (doc_id, outcome) in outcomes {
        let result = match &outcome {
            ImportOutcome::Stored { .. } => "stored",
            ImportOutcome::Unavailable => "unavailable",
            ImportOutcome::Invalid(_) => "invalid",
        };
        metrics::counter!(BULK_UPLOADED, "result" => result).increment(1);
        match outcome {
            ImportOutcome::Stored { heads } => answer.stored.push(StoredDocument { doc_id, heads }),
            ImportOutcome::Unavailable => answer.unavailable.push(doc_id),
            ImportOutcome::Invalid(reason) => {
                answer.invalid.push(InvalidDocument { doc_id, reason })
            }
        }
    }
    Ok(ApiJson(answer))
}
