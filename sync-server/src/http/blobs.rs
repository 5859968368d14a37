//! `/api/v1/blobs`: attachments by SHA-256.
//!
//! - `PUT /blobs/{sha256}` (session): the body is streamed to disk and verified against the
//!   hash (400 `hash_mismatch`), at most `max_blob_bytes` (413 `too_large`, from
//!   `Content-Length` up front and by counting while streaming). The global JSON body limit does
//!   not apply here. Only a complete, verified upload grants the uploader read access, so
//!   knowing a hash is never enough.
//! - `GET`/`HEAD /blobs/{sha256}` (session, uploaders only; 404 `not_found` otherwise, the same
//!   as for an absent blob): the bytes with a strong ETag (the hash), `If-None-Match` → 304,
//!   single `Range`s (416 when unsatisfiable), immutable private caching, the recorded
//!   `Content-Type`, `X-Content-Type-Options: nosniff` and a sanitised `Content-Disposition`.
//! - `POST /blobs/{sha256}/url` (session, uploaders only): a signed URL that expires
//!   (`blob_url_ttl_secs`); `GET /blobs/signed/{sha256}?u=&expires=&sig=` serves it without a
//!   session (public caching for a CDN, never past the expiry); a bad or expired signature → 403.
//!
//! Range and HEAD handling is tower-http's `ServeFile` (it streams the file, answers single
//! ranges and 416s); this module adds what `ServeFile` lacks — ETag / `If-None-Match` — and the
//! headers above, and turns its plain-text 416 into a JSON error.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, LAST_MODIFIED, RANGE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use tower_http::services::ServeFile;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ApiError;
use crate::accounts::auth::AuthUser;
use crate::blobs::{BlobHash, BlobRecord, ReceiveError};
use crate::clock::UnixMs;
use crate::http::state::AppState;
use crate::store::UserId;
use crate::sync::access::{self, Access};
use crate::sync::doc_id::DocId;

const PRIVATE_CACHE: &str = "private, max-age=31536000, immutable";
const MAX_NAME_CHARS: usize = 120;

/// The blob routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(put_blob, get_blob))
        .routes(routes!(sign_url))
        .routes(routes!(get_signed))
        // Uploads are bounded by `max_blob_bytes` in the handler, not by the JSON body limit.
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// A stored blob, as the uploader sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BlobInfo {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
}

/// A signed URL for a CDN (relative to the relay's base URL).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignedUrl {
    pub url: String,
    /// Unix milliseconds.
    pub expires_at: UnixMs,
}

/// The raw bytes of an upload.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct BlobBytes(Vec<u8>);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServeParams {
    /// File name for `Content-Disposition` (sanitised; default: the hash).
    pub name: Option<String>,
    /// `inline` to show images, PDFs and plain text in the browser; anything else downloads.
    pub disposition: Option<String>,
    /// A recipe shared with you that lists this attachment (to read a file another user
    /// uploaded).
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignParams {
    /// A recipe shared with you that lists this attachment (see the download's `doc`).
    pub doc: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignedParams {
    /// The owner the URL was signed for.
    pub u: String,
    /// Expiry, Unix milliseconds.
    pub expires: UnixMs,
    /// Base64url HMAC-SHA256.
    pub sig: String,
    pub name: Option<String>,
    pub disposition: Option<String>,
    /// The shared recipe the URL was made through, checked again when it is used.
    pub doc: Option<String>,
}

/// The record that lets `user` read blob `hash`: their own upload; or, through `doc` (a
/// recipe shared with them that lists the blob), its owner's. Asked at every download, so a
/// share revoked since a signed URL was made stops the URL too.
async fn readable(
    state: &AppState,
    hash: &BlobHash,
    user: &UserId,
    doc: Option<&str>,
) -> Result<Option<BlobRecord>, ApiError> {
    if let Some(record) = state.store.blob_record(hash, user)? {
        return Ok(Some(record));
    }
    let Some(doc) = doc else {
        return Ok(None);
    };
    let Access::Shared { owner, .. } = access::decide(state.store.as_ref(), doc, user, false)?
    else {
        return Ok(None);
    };
    let Some(record) = state.store.blob_record(hash, &owner)? else {
        return Ok(None);
    };
    let sha256 = hash.as_str().to_owned();
    let listed = state
        .sync()?
        .read_document(doc, move |am| {
            larder_core::model::has_attachment(am, &sha256)
        })
        .await?
        .unwrap_or(false);
    Ok(listed.then_some(record))
}

fn blob_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such blob")
}

fn parse_hash(path: Result<Path<String>, PathRejection>) -> Result<BlobHash, ApiError> {
    let Ok(Path(raw)) = path else {
        return Err(bad_hash());
    };
    BlobHash::parse(&raw).ok_or_else(bad_hash)
}

fn bad_hash() -> ApiError {
    ApiError::bad_request(
        "bad_hash",
        "a blob is named by its SHA-256: 64 lower-case hex digits",
    )
}

/// The media type of an upload: `Content-Type` as `type/subtype` (lower case, parameters
/// dropped), `application/octet-stream` when absent.
fn media_type(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(mime::APPLICATION_OCTET_STREAM.essence_str().to_owned());
    };
    let bad = || {
        ApiError::bad_request(
            "bad_media_type",
            "Content-Type must be a media type such as image/png",
        )
    };
    let parsed: mime::Mime = value
        .to_str()
        .map_err(|_| bad())?
        .parse()
        .map_err(|_| bad())?;
    let essence = parsed.essence_str().to_ascii_lowercase();
    if essence.len() > 127 || essence.contains('*') {
        return Err(bad());
    }
    Ok(essence)
}

fn upload_result(result: &'static str) {
    metrics::counter!("larder_blob_uploads_total", "result" => result).increment(1);
}

/// Upload a blob.
#[utoipa::path(
    put,
    path = "/blobs/{sha256}",
    tag = "blobs",
    params(("sha256" = String, Path, description = "SHA-256 of the body, 64 lower-case hex digits")),
    request_body(content = BlobBytes, content_type = "application/octet-stream",
        description = "The bytes; Content-Type is recorded as the blob's media type"),
    responses(
        (status = 201, description = "Stored (new for this user)", body = BlobInfo),
        (status = 200, description = "This user already had it", body = BlobInfo),
        (status = 400, description = "Bad hash, media type, hash mismatch or interrupted body", body = crate::http::ApiErrorBody),
        (status = 401, description = "No valid session", body = crate::http::ApiErrorBody),
        (status = 413, description = "Larger than max_blob_bytes", body = crate::http::ApiErrorBody),
    ),
    security(("bearer" = []))
)]
async fn put_blob(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<BlobInfo>), ApiError> {
    let hash = parse_hash(path)?;
    let media_type = media_type(&headers)?;
    let max = state.blobs.max_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("a blob may be at most {max} bytes"),
        )
    };
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        upload_result("too_large");
        return Err(too_large());
    }
    let size = match state
        .blobs
        .files
        .receive(&hash, max, body.into_data_stream())
        .await
    {
        Ok(size) => size,
        Err(ReceiveError::TooLarge { .. }) => {
            upload_result("too_large");
            return Err(too_large());
        }
        Err(ReceiveError::HashMismatch { .. }) => {
            upload_result("hash_mismatch");
            return Err(ApiError::bad_request(
                "hash_mismatch",
                "the body's SHA-256 does not match the URL",
            ));
        }
        Err(ReceiveError::Body(e)) => {
            upload_result("interrupted");
            tracing::info!(user = %auth.user.name, error = %e, "blob upload interrupted");
            return Err(ApiError::bad_request(
                "interrupted",
                "the upload ended before the whole body arrived",
            ));
        }
        Err(e @ ReceiveError::Io(_)) => {
            upload_result("error");
            return Err(ApiError::internal(&e));
        }
    };
    let record = BlobRecord {
        size,
        media_type,
        uploaded_at: state.clock.now_ms(),
    };
    let new = state.store.put_blob_record(&hash, &auth.user.id, &record)?;
    state.store.flush_async().await?;
    upload_result("ok");
    metrics::counter!("larder_blob_bytes_uploaded_total").increment(size);
    tracing::info!(user = %auth.user.name, %hash, size, new, "blob stored");
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(BlobInfo {
            sha256: hash.to_string(),
            size,
            media_type: record.media_type,
        }),
    ))
}

/// Download a blob (uploaders only).
#[utoipa::path(
    get,
    path = "/blobs/{sha256}",
    tag = "blobs",
    params(("sha256" = String, Path, description = "SHA-256, 64 lower-case hex digits"), ServeParams),
    responses(
        (status = 200, description = "The bytes", body = BlobBytes, content_type = "application/octet-stream"),
        (status = 206, description = "The requested range", body = BlobBytes, content_type = "application/octet-stream"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Bad hash", body = crate::http::ApiErrorBody),
        (status = 401, description = "No valid session", body = crate::http::ApiErrorBody),
        (status = 404, description = "Absent, or not uploaded by this user", body = crate::http::ApiErrorBody),
        (status = 416, description = "Range not satisfiable", body = crate::http::ApiErrorBody),
    ),
    security(("bearer" = []))
)]
async fn get_blob(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<ServeParams>, QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let hash = parse_hash(path)?;
    let Query(params) = params
        .map_err(|_| ApiError::bad_request("bad_query", "name and disposition must be text"))?;
    let record = readable(&state, &hash, &auth.user.id, params.doc.as_deref())
        .await?
        .ok_or_else(blob_not_found)?;
    let cache = HeaderValue::from_static(PRIVATE_CACHE);
    serve(
        &state,
        &hash,
        &record,
        &params.name,
        &params.disposition,
        cache,
        request,
    )
    .await
}

/// A signed URL for a CDN (uploaders only).
#[utoipa::path(
    post,
    path = "/blobs/{sha256}/url",
    tag = "blobs",
    params(("sha256" = String, Path, description = "SHA-256, 64 lower-case hex digits"), SignParams),
    responses(
        (status = 200, description = "A URL that works without a session until expires_at", body = SignedUrl),
        (status = 400, description = "Bad hash", body = crate::http::ApiErrorBody),
        (status = 401, description = "No valid session", body = crate::http::ApiErrorBody),
        (status = 404, description = "Absent, or not uploaded by this user", body = crate::http::ApiErrorBody),
    ),
    security(("bearer" = []))
)]
async fn sign_url(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<SignParams>, QueryRejection>,
) -> Result<Json<SignedUrl>, ApiError> {
    let hash = parse_hash(path)?;
    let Query(params) =
        params.map_err(|_| ApiError::bad_request("bad_query", "doc must be text"))?;
    let doc = params.doc.filter(|d| d.parse::<DocId>().is_ok());
    readable(&state, &hash, &auth.user.id, doc.as_deref())
        .await?
        .ok_or_else(blob_not_found)?;
    let (expires, sig) = state
        .blobs
        .signer
        .sign(&hash, &auth.user.id, state.clock.now_ms())
        .await
        .map_err(|e| ApiError::internal(&e))?;
    Ok(Json(SignedUrl {
        url: format!(
            "/api/v1/blobs/signed/{hash}?u={}&expires={expires}&sig={sig}{}",
            auth.user.id,
            doc.map(|d| format!("&doc={d}")).unwrap_or_default()
        ),
        expires_at: expires,
    }))
}

/// Download a blob through a signed URL (no session).
#[utoipa::path(
    get,
    path = "/blobs/signed/{sha256}",
    tag = "blobs",
    params(("sha256" = String, Path, description = "SHA-256, 64 lower-case hex digits"), SignedParams),
    responses(
        (status = 200, description = "The bytes", body = BlobBytes, content_type = "application/octet-stream"),
        (status = 206, description = "The requested range", body = BlobBytes, content_type = "application/octet-stream"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Bad hash", body = crate::http::ApiErrorBody),
        (status = 403, description = "Bad or expired signature", body = crate::http::ApiErrorBody),
        (status = 404, description = "The blob is gone", body = crate::http::ApiErrorBody),
        (status = 416, description = "Range not satisfiable", body = crate::http::ApiErrorBody),
    )
)]
async fn get_signed(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
    params: Result<Query<SignedParams>, QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let forbidden = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the link is invalid or has expired",
        )
    };
    let hash = parse_hash(path)?;
    let Ok(Query(params)) = params else {
        return Err(forbidden());
    };
    let user = UserId::parse(&params.u).ok_or_else(forbidden)?;
    let now = state.clock.now_ms();
    let valid = state
        .blobs
        .signer
        .verify(&hash, &user, params.expires, &params.sig, now)
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if !valid {
        return Err(forbidden());
    }
    let record = readable(&state, &hash, &user, params.doc.as_deref())
        .await?
        .ok_or_else(blob_not_found)?;
    // A CDN may keep it, but never past the link's expiry.
    let remaining = (params.expires.saturating_sub(now) / 1000).clamp(0, 31_536_000);
    let cache = HeaderValue::from_str(&format!("public, max-age={remaining}, immutable"))
        .map_err(|e| ApiError::internal(&e))?;
    serve(
        &state,
        &hash,
        &record,
        &params.name,
        &params.disposition,
        cache,
        request,
    )
    .await
}

/// Serves a stored blob: 304 for a matching `If-None-Match`, else the file (or a range of it)
/// through `ServeFile`, with this module's headers.
async fn serve(
    state: &AppState,
    hash: &BlobHash,
    record: &BlobRecord,
    name: &Option<String>,
    disposition: &Option<String>,
    cache: HeaderValue,
    request: Request,
) -> Result<Response, ApiError> {
    let etag = HeaderValue::from_str(&format!("\"{hash}\"")).map_err(|e| ApiError::internal(&e))?;
    let mut headers = HeaderMap::new();
    headers.insert(ETAG, etag);
    headers.insert(CACHE_CONTROL, cache);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));

    if if_none_match(request.headers(), hash) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        response.headers_mut().extend(headers);
        return Ok(response);
    }

    let path = state.blobs.files.path(hash);
    let mime: mime::Mime = record
        .media_type
        .parse()
        .unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let mut request = request;
    // Several ranges would need a multipart answer, which ServeFile refuses with a 416;
    // ignoring the header (a full 200) is allowed by RFC 9110 and friendlier.
    if request
        .headers()
        .get(RANGE)
        .is_some_and(|r| r.as_bytes().contains(&b','))
    {
        request.headers_mut().remove(RANGE);
    }
    let is_get = request.method() == Method::GET;
    let response = match ServeFile::new_with_mime(&path, &mime)
        .oneshot(request)
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let (mut parts, body) = response.into_parts();
    match parts.status {
        StatusCode::OK | StatusCode::PARTIAL_CONTENT => {}
        StatusCode::NOT_FOUND => {
            tracing::warn!(%hash, "a recorded blob has no file");
            return Err(blob_not_found());
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                "the range is outside the blob",
            )
            .into_response();
            response.headers_mut().insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{}", record.size))
                    .map_err(|e| ApiError::internal(&e))?,
            );
            return Ok(response);
        }
        // 304 from If-Modified-Since: the bytes never change.
        StatusCode::NOT_MODIFIED => {
            parts.headers.extend(headers);
            return Ok(Response::from_parts(parts, Body::empty()));
        }
        other => {
            return Err(ApiError::internal(&format!(
                "serving blob {hash} answered {other}"
            )));
        }
    }
    if is_get
        && let Some(len) = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
    {
        metrics::counter!("larder_blob_bytes_served_total").increment(len);
    }
    parts.headers.remove(LAST_MODIFIED);
    parts.headers.extend(headers);
    parts.headers.insert(
        CONTENT_DISPOSITION,
        content_disposition(
            hash,
            &record.media_type,
            name.as_deref(),
            disposition.as_deref(),
        ),
    );
    Ok(Response::from_parts(parts, Body::new(body)))
}

/// Whether `If-None-Match` names this blob's ETag (or `*`); weak comparison, as RFC 9110 asks
/// for `If-None-Match`.
fn if_none_match(headers: &HeaderMap, hash: &BlobHash) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || tag.trim_matches('"') == hash.as_str() && tag.starts_with('"')
        })
}

/// Media types a browser may show inline without risk to the relay's origin (no HTML, SVG or
/// scripts).
fn inline_safe(media_type: &str) -> bool {
    matches!(
        media_type,
        "image/png"
            | "image/jpeg"
            | "image/gif"
            | "image/webp"
            | "image/avif"
            | "application/pdf"
            | "text/plain"
    )
}

/// `attachment` (or `inline` for safe types when asked) with an ASCII file name: letters,
/// digits, `.`, `-`, `_` and spaces; anything else becomes `_`; no leading dots; at most
/// [`MAX_NAME_CHARS`]; the hash when no letter or digit is left.
fn content_disposition(
    hash: &BlobHash,
    media_type: &str,
    name: Option<&str>,
    disposition: Option<&str>,
) -> HeaderValue {
    let kind = if disposition == Some("inline") && inline_safe(media_type) {
        "inline"
    } else {
        "attachment"
    };
    let file_name = name.map(sanitise_file_name).unwrap_or_default();
    let file_name = if file_name.is_empty() {
        hash.to_string()
    } else {
        file_name
    };
    HeaderValue::from_str(&format!("{kind}; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

fn sanitise_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.bytes().any(|b| b.is_ascii_alphanumeric()) {
        cleaned.to_owned()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitise_file_name("photo.jpg"), "photo.jpg");
        assert_eq!(sanitise_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitise_file_name("a\"b\r\nc;d"), "a_b__c_d");
        assert_eq!(sanitise_file_name("crème.png"), "cr_me.png");
        assert_eq!(sanitise_file_name("...hidden"), "hidden");
        assert_eq!(sanitise_file_name(&"x".repeat(500)).len(), MAX_NAME_CHARS);
        let hash = BlobHash::parse(&"ab".repeat(32)).unwrap();
        assert_eq!(
            content_disposition(&hash, "text/html", Some("x.html"), Some("inline")),
            "attachment; filename=\"x.html\""
        );
        assert_eq!(
            content_disposition(&hash, "image/png", Some("p.png"), Some("inline")),
            "inline; filename=\"p.png\""
        );
        assert_eq!(
            content_disposition(&hash, "image/png", Some("\u{e9}"), None),
            format!("attachment; filename=\"{hash}\"")
        );
    }

    #[test]
    fn the_openapi_document_describes_every_blob_route() {
        let (_, api) = routes().split_for_parts();
        let paths = &api.paths.paths;
        let item = |p: &str| {
            paths
                .get(p)
                .unwrap_or_else(|| panic!("{p} in {:?}", paths.keys().collect::<Vec<_>>()))
        };
        let blob = item("/blobs/{sha256}");
        assert!(blob.get.is_some() && blob.put.is_some());
        assert!(item("/blobs/{sha256}/url").post.is_some());
        assert!(item("/blobs/signed/{sha256}").get.is_some());
        let put = blob.put.as_ref().map(|op| &op.responses.responses);
        for status in ["201", "400", "401", "413"] {
            assert!(put.is_some_and(|r| r.contains_key(status)), "PUT {status}");
        }
    }

    #[test]
    fn if_none_match_forms() {
        let hash = BlobHash::parse(&"ab".repeat(32)).unwrap();
        let check = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            if_none_match(&h, &hash)
        };
        assert!(check(&format!("\"{hash}\"")));
        assert!(check(&format!("W/\"{hash}\"")));
        assert!(check(&format!("\"x\", \"{hash}\"")));
        assert!(check("*"));
        assert!(!check("\"other\""));
        assert!(!check(hash.as_str()));
    }
}
