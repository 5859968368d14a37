//! Prometheus metrics: the process-wide recorder behind the `metrics` facade and the metric
//! names (the `/metrics` handler and the request-latency layer are `http/metrics.rs`).
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

use std::sync::OnceLock;

use axum::http::StatusCode;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

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

pub fn record_request(method: String, route: String, status: StatusCode, secs: f64) {
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
