//! The built web app (web/dist) at `/`, same origin as the API: files as they are (ServeDir:
//! content types, ETag/Last-Modified, ranges, no path escapes), and `index.html` for app routes
//! (paths whose last segment has no extension, e.g. `/recipes/abc`), so a deep link or a reload
//! opens the app. A missing file with an extension is a plain 404. `/api/v1/*` and `/sync` are
//! routes of their own and never reach this.

use std::path::Path;

use axum::Router;

use axum::handler::HandlerWithoutStateExt;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tower_http::services::ServeDir;

/// The app shell every app route gets.
pub const INDEX: &str = "index.html";

/// `router` with `dir` served for every path it does not route itself.
pub fn mount<S: Clone + Send + Sync + 'static>(router: Router<S>, dir: &Path) -> Router<S> {
    let index = dir.join(INDEX);
    let shell = move |uri: Uri| {
        let index = index.clone();
        async move { app_shell(&index, &uri).await }
    };
    router.fallback_service(ServeDir::new(dir).fallback(shell.into_service()))
}

async fn app_shell(index: &Path, uri: &Uri) -> Response {
    let last = uri.path().rsplit('/').next().unwrap_or_default();
    if last.contains('.') {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match tokio::fs::read(index).await {
        Ok(html) => (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                // The shell names the current hashed assets: always revalidate it.
                (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            html,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, path = %index.display(), "the web app's index.html is unreadable");
            (StatusCode::NOT_FOUND, "the web app is not built").into_response()
        }
    }
}
