//! `/healthz` (the process answers) and `/readyz` (and its storage is usable).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;

use crate::http::state::AppState;

#[utoipa::path(get, path = "/healthz", tag = "health",
    summary = "The process answers",
    responses((status = 200, description = "Alive", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "health",
    summary = "The process answers and its storage is usable",
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, description = "Storage unavailable", body = String, content_type = "text/plain"),
    ))]
pub async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    if state.store.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "storage unavailable")
    }
}
