//! The HTTP surface: [`router`] puts every route, the body limit, CORS, request tracing and a
//! panic guard together. API routes live under `/api/v1` and answer errors as JSON
//! ([`ApiError`]); add new ones in [`api_routes`]. The sync websocket is `/sync` (see
//! [`sync`]).

mod error;
mod extract;
pub mod health;
pub mod session;
pub mod sync;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::ApiError;
pub use extract::{ApiJson, ClientAddr};

use crate::state::AppState;

/// Routes under `/api/v1` (all errors JSON, responses `Cache-Control: no-store` unless a
/// handler sets its own).
pub fn api_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/session", post(session::login).delete(session::logout))
        .route("/me", get(session::me))
        .route("/sync/ticket", post(sync::ticket))
        .route("/changes", get(sync::changes))
        .route("/changes/live", get(sync::live))
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this endpoint",
            )
        })
        .layer(SetResponseHeaderLayer::if_not_present(
            CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// The whole application.
pub fn router(state: Arc<AppState>) -> Router {
    let mut app = Router::new()
        .nest("/api/v1", api_routes())
        .route("/sync", get(sync::socket))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz));
    if let Some(dir) = &state.config.web_dir {
        app = web::mount(app, dir);
    }
    let mut app = app
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    if let Some(cors) = cors_layer(&state.config.allowed_origins) {
        app = app.layer(cors);
    }
    app.with_state(state)
}

/// CORS for exactly the configured origins; `None` (no CORS headers at all) when there are
/// none.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([AUTHORIZATION, CONTENT_TYPE])
            .expose_headers([axum::http::header::RETRY_AFTER])
            .max_age(Duration::from_secs(3600)),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal(&"a request handler panicked").into_response()
}
