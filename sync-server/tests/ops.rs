//! Operations: `/metrics` after real traffic, HTTPS from PEM files (with graceful shutdown),
//! and the OpenAPI document (served = committed copy).

mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ROOT};
use common::sync_client::Device;
use common::{TestServer, config};
use larder_sync_server::config::TlsFiles;
use serde_json::Value;

const PW: &str = "correct horse";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_expose_http_latency_sync_traffic_and_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let user = server.add_user("alice", PW);
    let token = server.token("alice", PW).await;
    let device = Device::connect(&server.base(), &token, user.id.as_str()).await;
    let mut doc = automerge::Automerge::new();
    doc.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, "title", "Stew")?;
        Ok(())
    })
    .unwrap();
    let handle = device.repo.create(doc).await.unwrap();
    device.pushed(&handle).await;

    let res = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = res.text().await.unwrap();
    for needle in [
        // The login above, under its route template.
        r#"larder_http_request_duration_seconds_bucket{method="POST",route="/api/v1/session",status="200""#,
        r#"route="/api/v1/sync/ticket""#,
        "larder_sync_connections ",
        r#"larder_sync_messages_total{direction="in"}"#,
        r#"larder_sync_messages_total{direction="out"}"#,
        r#"larder_sync_bytes_total{direction="in"}"#,
        "larder_documents ",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
    // This process's relays all count into one registry; at least this device is connected.
    let connections: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("larder_sync_connections "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(connections >= 1.0, "{connections}");
    let documents: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("larder_documents "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(documents >= 1.0, "{documents}");

    device.stop().await;
    server.stop().await;
}

/// A self-signed certificate for `localhost` written to `dir`; returns the files and the PEM.
fn self_signed(dir: &std::path::Path) -> (TlsFiles, String) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = key.cert.pem();
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, &cert_pem).unwrap();
    std::fs::write(&files.key, key.signing_key.serialize_pem()).unwrap();
    (files, cert_pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_health_and_login_and_shuts_down_gracefully() {
    let tmp = tempfile::tempdir().unwrap();
    let (files, cert_pem) = self_signed(tmp.path());
    let mut cfg = config(&tmp.path().join("data"));
    cfg.tls = Some(files);
    let server = TestServer::start(cfg).await;
    server.add_user("alice", PW);

    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve("localhost", server.addr)
        .build()
        .unwrap();
    let base = format!("https://localhost:{}", server.addr.port());
    let res = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = common::login_with(&client, &format!("{base}/api/v1/session"), "alice", PW).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // Plain HTTP gets no answer from a TLS port.
    let plain = reqwest::Client::new()
        .get(format!("http://{}/healthz", server.addr))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    // A client that never finishes its handshake holds nothing up.
    let _silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let res = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    let started = Instant::now();
    server.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_missing_or_mismatched_certificate_fails_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    let (files, _) = self_signed(tmp.path());
    assert!(larder_sync_server::server::tls::server_config(&files).is_ok());
    let missing = TlsFiles {
        cert: tmp.path().join("nope.pem"),
        key: files.key.clone(),
    };
    let err = larder_sync_server::server::tls::server_config(&missing).unwrap_err();
    assert!(err.to_string().contains("nope.pem"), "{err}");
    let dir2 = tempfile::tempdir().unwrap();
    let (second, _) = self_signed(dir2.path());
    let mismatched = TlsFiles {
        cert: files.cert.clone(),
        key: second.key,
    };
    assert!(larder_sync_server::server::tls::server_config(&mismatched).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_openapi_document_is_the_committed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let res = server
        .client
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let served = res.text().await.unwrap();
    server.stop().await;

    let committed_path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("LARDER_UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path, &served).unwrap();
    }
    let committed = std::fs::read_to_string(committed_path).unwrap_or_default();
    assert!(
        served == committed,
        "sync-server/openapi.json is out of date with the handlers; regenerate it with\n  \
         cargo run -p larder-sync-server -- openapi > sync-server/openapi.json\n\
         (or run this test with LARDER_UPDATE_OPENAPI=1) and commit it"
    );

    let doc: Value = serde_json::from_str(&served).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/sync/ticket",
        "/api/v1/changes",
        "/api/v1/changes/live",
        "/healthz",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} undocumented");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["paths"]["/api/v1/me"]["get"]["responses"]["401"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/ApiError"
    );
}
