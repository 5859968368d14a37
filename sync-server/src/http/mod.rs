//! The HTTP surface: [`router`] puts every route, the body limit, CORS, request tracing and a
//! panic guard together. API routes live under `/api/v1` and answer errors as JSON
//! ([`ApiError`]); add new ones in [`api_routes`]. The sync websocket is `/sync` (see
//! [`sync`]).

pub mod blobs;
pub mod docs;
mod error;
mod extract;
pub mod grocery;
pub mod health;
pub mod import;
mod metrics;
pub mod openapi;
pub mod plan;
pub mod session;
pub mod shares;
pub mod state;
pub mod sync;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::{ApiError, ApiErrorBody};
pub use extract::{ApiJson, ClientAddr};

use crate::http::state::AppState;

/// Routes under `/api/v1`, each with its OpenAPI path: add handlers annotated with
/// `#[utoipa::path]` through `.routes(routes!(handler))`, or a module's router with
/// `.merge(module::routes())`.
pub fn api_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(sync::ticket))
        .routes(routes!(sync::changes))
        .routes(routes!(sync::live))
        .routes(routes!(import::import_url))
        .merge(blobs::routes())
        .merge(docs::routes())
        .merge(grocery::routes())
        .merge(plan::routes())
        .merge(shares::routes())
}

/// The OpenAPI document of every documented route.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::document(&api_routes())
}

/// `/api/v1` as served: [`api_routes`], `GET /openapi.json`, JSON errors for unknown paths
/// and methods, and `Cache-Control: no-store` unless a handler sets its own.
fn api_router() -> Router<Arc<AppState>> {
    let api = api_routes();
    let json: Arc<str> = openapi::to_json(&openapi::document(&api)).into();
    let (router, _) = api.split_for_parts();
    router
        .route(
            "/openapi.json",
            get(move || {
                let json = Arc::clone(&json);
                async move {
                    (
                        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
                        json.to_string(),
                    )
                }
            }),
        )
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
    // Installs the process's recorder before the first request or sync message is counted.
    crate::telemetry::handle();
    let mut app = Router::new()
        .nest("/api/v1", api_router())
        .route("/sync", get(sync::socket))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::scrape))
        // After every route (nested ones included), so the matched route template is known.
        .route_layer(axum::middleware::from_fn(metrics::track));
    if let Some(dir) = &state.config.web_dir {
        app = web::mount(app, dir);
    }
    let mut app = app
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
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

/// The span every request is logged in: method, address and version, as tower-http's
/// default one has them, but with a calendar feed's token left out of the address (it is the
/// feed's credential; see [`plan::redacted_path`]).
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let uri = match plan::redacted_path(request.uri().path()) {
        std::borrow::Cow::Borrowed(_) => request.uri().to_string(),
        // A feed's query means nothing to it: left out too.
        std::borrow::Cow::Owned(redacted) => redacted,
    };
    tracing::info_span!(
        "request",
        method = %request.method(),
        uri = %uri,
        version = ?request.version(),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal(&"a request handler panicked").into_response()
}
