//! `GET /metrics` (who may scrape: see [`crate::telemetry`]) and the route layer that records
//! every request's latency.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::AppState;
use super::{ApiError, ClientAddr};
use crate::telemetry::{DOCUMENTS, handle, record_request};

/// `GET /metrics`: Prometheus text format (see the module docs for who may scrape).
pub async fn scrape(
    State(state): State<Arc<AppState>>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
) -> Response {
    let loopback = addr.is_some_and(|a| a.to_canonical().is_loopback());
    if !may_scrape(&state, loopback, &headers) {
        return ApiError::unauthorized(
            "metrics are served to loopback clients or with the metrics token",
        )
        .into_response();
    }
    // Gauges that are cheaper to read at scrape time than to keep up to date on every write.
    match state.store.document_count() {
        Ok(n) => metrics::gauge!(DOCUMENTS).set(n as f64),
        Err(e) => tracing::warn!(error = %e, "counting documents failed"),
    }
    let h = handle();
    h.run_upkeep();
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        h.render(),
    )
        .into_response()
}

fn may_scrape(state: &AppState, loopback: bool, headers: &HeaderMap) -> bool {
    if loopback {
        return true;
    }
    let Some(expected) = state.config.metrics_token.as_ref().map(|s| s.0.as_str()) else {
        return false;
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    presented.is_some_and(|p| constant_time_eq(p.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Route layer: records every matched request's latency under its route template (never the
/// raw path, so ids don't explode the label space).
pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status();
    record_request(method, route, status, start.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::store::SledStore;

    fn state(token: Option<&str>) -> Arc<AppState> {
        let config = Config {
            metrics_token: token.map(|t| crate::config::Secret(t.to_owned())),
            ..Config::default()
        };
        AppState::new(config, Arc::new(SledStore::temporary().unwrap())).unwrap()
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        h
    }

    #[test]
    fn loopback_may_scrape_others_only_with_the_token() {
        let open = state(None);
        assert!(may_scrape(&open, true, &HeaderMap::new()));
        assert!(!may_scrape(&open, false, &HeaderMap::new()));
        assert!(!may_scrape(&open, false, &bearer("")));

        let guarded = state(Some("0123456789abcdef-scrape"));
        assert!(may_scrape(&guarded, true, &HeaderMap::new()));
        assert!(!may_scrape(&guarded, false, &HeaderMap::new()));
        assert!(!may_scrape(
            &guarded,
            false,
            &bearer("0123456789abcdef-scrapX")
        ));
        assert!(may_scrape(
            &guarded,
            false,
            &bearer("0123456789abcdef-scrape")
        ));
    }
}
