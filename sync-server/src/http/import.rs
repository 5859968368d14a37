//! `POST /api/v1/import/url` {url} → 200 with the page's recipes as core's `PageImport`: the
//! relay fetches the page for the signed-in user (see [`crate::import_url`]); the device makes
//! the recipes. Each refusal has its own 4xx code; requests are limited per user.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use larder_core::page_import::{PageImport, UrlImportRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ApiError, ApiErrorBody, ApiJson};
use crate::accounts::auth::AuthUser;
use crate::http::state::AppState;
use crate::import_url::FetchError;

/// The request body, as the OpenAPI document describes it (the handler reads core's
/// `UrlImportRequest`, of the same shape).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = UrlImportRequest)]
pub struct UrlImportRequestDoc {
    /// The page's address, `http://` or `https://`.
    pub url: String,
}

/// The answer, as the OpenAPI document describes it (the handler answers core's
/// `PageImport`: its recipes are core's drafts, described by the TypeScript types generated
/// from core).
#[derive(Debug, ToSchema)]
#[schema(as = PageImport)]
pub struct PageImportDoc {
    /// The address the page was finally read from, after redirects.
    pub page_url: String,
    /// `{draft, warnings, image_urls, image: {url, file_name, media_type, bytes_base64}?}`.
    pub recipes: Vec<serde_json::Value>,
}

#[utoipa::path(post, path = "/import/url", tag = "import",
    summary = "Fetch a recipe page by its address and answer its recipes",
    description = "The relay fetches the page for the signed-in user (public addresses only, \
        at most 5 redirects, size and time limits) and answers its schema.org recipes \
        (JSON-LD or microdata) with each recipe's first image; the device creates them.",
    security(("bearer" = [])),
    request_body = UrlImportRequestDoc,
    responses(
        (status = 200, description = "The page's recipes", body = PageImportDoc),
        (status = 400, description = "Not an http(s) address, or credentials in it (bad_address); malformed body", body = ApiErrorBody),
        (status = 401, description = "No valid session", body = ApiErrorBody),
        (status = 403, description = "The address is private, loopback, link-local or otherwise not public (address_not_allowed)", body = ApiErrorBody),
        (status = 413, description = "Body too large", body = ApiErrorBody),
        (status = 415, description = "Not JSON", body = ApiErrorBody),
        (status = 422, description = "The page could not be imported: unreachable, an error status, too large, too slow, \
            too many redirects, not a web page, or no recipe on it", body = ApiErrorBody),
        (status = 429, description = "Too many imports; see Retry-After", body = ApiErrorBody),
    ))]
pub async fn import_url(
    State(state): State<Arc<AppState>>,
    auth: AuthUser,
    ApiJson(request): ApiJson<UrlImportRequest>,
) -> Result<ApiJson<PageImport>, ApiError> {
    state
        .import_limiter
        .try_take(auth.user.id.as_str(), state.clock.now_ms())
        .map_err(|wait| {
            ApiError::rate_limited_because(wait, "too many imports from addresses; try again later")
        })?;
    let page = state
        .page_fetcher
        .fetch_page(&request.url)
        .await
        .map_err(fetch_error)?;
    tracing::info!(user = %auth.user.id, page = %page.page_url, recipes = page.recipes.len(), "imported a page");
    Ok(ApiJson(page))
}

fn fetch_error(err: FetchError) -> ApiError {
    let message = err.to_string();
    let (status, code) = match err {
        FetchError::BadAddress(_) => (StatusCode::BAD_REQUEST, "bad_address"),
        FetchError::Refused(_) => (StatusCode::FORBIDDEN, "address_not_allowed"),
        FetchError::TooManyRedirects => (StatusCode::UNPROCESSABLE_ENTITY, "too_many_redirects"),
        FetchError::Unreachable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "page_unreachable"),
        FetchError::Status { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "page_status"),
        FetchError::TooLarge { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "page_too_large"),
        FetchError::TimedOut { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "page_timeout"),
        FetchError::NotAPage { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "not_a_page"),
        FetchError::NoRecipe => (StatusCode::UNPROCESSABLE_ENTITY, "no_recipe"),
    };
    ApiError::new(status, code, message)
}
