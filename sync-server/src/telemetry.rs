//! Prometheus metrics: the process-wide recorder behind the `metrics` facade, the `/metrics`
//! handler, and the request-latency layer.
//!
//! **One recorder per process.** Every module records through the `metrics` macros
//! (`metrics::counter!("larder_blob_bytes_uploaded_total")`, …), which go to the one global
//! recorder; a per-state registry would not see them. So [`handle`] installs the Prometheus
//! recorder the first time any relay starts in this process and every relay (tests run many in
//! one process) renders the same registry: values are process totals. If another recorder was
//! installed first (an embedding application's), `/metrics` still answers, from a recorder of its
//! own that only the relay's scrape-time gauges reach.
//!
//! **Who may scrape.** `/metrics` is open to loopback clients only, unless `metrics_token` is
//! configured: then any client presenting `Authorization: Bearer <metrics_token>` may scrape
//! (and loopback still may). A reverse proxy on the same host therefore exposes it only if it
//! forwards the path; the docs tell operators not to.
//!
//! Names: `larder_http_request_duration_seconds{method,route,status}` (histogram),
//! `larder_sync_connections` and `larder_documents` (gauges),
//! `larder_sync_messages_total{direction}` and `larder_sync_bytes_total{direction}` (counters,
//! `direction` = `in` | `out`), plus the blob and webhook counters their modules record.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::http::{ApiError, ClientAddr};
use crate::state::AppState;

pub const HTTP_DURATION: &str = "larder_http_request_duration_seconds";
pub const SYNC_CONNECTIONS: &str = "larder_sync_connections";
pub const SYNC_MESSAGES: &str = "larder_sync_messages_total";
pub const SYNC_BYTES: &str = "larder_sync_bytes_total";
pub const DOCUMENTS: &str = "larder_documents";

/// Latency buckets (seconds): from a cached lookup to a slow argon2 login.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus handle, installing the global recorder on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.to_owned()), LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics shows only its own");
        }
        handle
    })
}

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

fn record_request(method: String, route: String, status: StatusCode, secs: f64) {
    metrics::histogram!(
        HTTP_DURATION,
        "method" => method,
        "route" => route,
        "status" => status.as_u16().to_string()
    )
    .record(secs);
}

/// One open sync connection, counted in [`SYNC_CONNECTIONS`] while it lives.
pub struct ConnectionGauge(());

impl ConnectionGauge {
    pub fn open() -> Self {
        metrics::gauge!(SYNC_CONNECTIONS).increment(1.0);
        ConnectionGauge(())
    }
}

impl Drop for ConnectionGauge {
    fn drop(&mut self) {
        metrics::gauge!(SYNC_CONNECTIONS).decrement(1.0);
    }
}

/// Which way a sync message went.
#[derive(Debug, Clone, Copy)]
pub enum Direction {
    In,
    Out,
}

/// Counts one sync message of `bytes` bytes.
pub fn sync_message(direction: Direction, bytes: usize) {
    let dir = match direction {
        Direction::In => "in",
        Direction::Out => "out",
    };
    metrics::counter!(SYNC_MESSAGES, "direction" => dir).increment(1);
    metrics::counter!(SYNC_BYTES, "direction" => dir).increment(bytes as u64);
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
