//! The grocery hook across a SIGKILL of the relay process: items the REST API answered 201 for
//! right before the kill (maybe not yet noticed by the hook, maybe not yet tried against the
//! webhook, which is refusing them with 503) are all delivered after a restart, each under its
//! own delivery id.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::relay_proc::RelayProcess;
use common::{CHEAP_TOML, cli, stderr, stdout};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const SECRET: &str = "another webhook secret, long enough";

#[derive(Clone, Default)]
struct Receiver {
    up: Arc<AtomicBool>,
    /// (delivery header, body) of every accepted, correctly signed delivery.
    accepted: Arc<Mutex<Vec<(String, Value)>>>,
    refused: Arc<Mutex<usize>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !r.up.load(Ordering::SeqCst) {
        *r.refused.lock().unwrap() += 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    if header("x-larder-signature") != expected {
        return StatusCode::UNAUTHORIZED;
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    r.accepted
        .lock()
        .unwrap()
        .push((header("x-larder-delivery"), body));
    StatusCode::OK
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_acknowledged_before_a_sigkill_are_delivered_after_the_restart() {
    let receiver = Receiver::default();
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_addr = listener.local_addr().unwrap();
    let hook_task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "webhook_url = \"http://{hook_addr}/hook\"\nwebhook_secret = \"{SECRET}\"\nwebhook_retry_max_secs = 1\n{CHEAP_TOML}"
        ),
    )
    .unwrap();
    let out = cli(
        &data,
        &["user", "add", "alice"],
        "correct horse\ncorrect horse\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&data, &["token", "create", "alice"], "");
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();

    let server = RelayProcess::start_with_config(&data, &config).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let names = ["milk", "eggs", "flour", "butter", "sugar"];
    for name in names {
        let res = client
            .post(format!("{base}/api/v1/grocery/items"))
            .bearer_auth(&token)
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{name}");
    }
    server.kill();

    receiver.up.store(true, Ordering::SeqCst);
    let server = RelayProcess::start_with_config(&data, &config).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let accepted = loop {
        let accepted = receiver.accepted.lock().unwrap().clone();
        let got: BTreeSet<&str> = accepted
            .iter()
            .filter_map(|(_, b)| b["item"]["name"].as_str())
            .collect();
        if got == BTreeSet::from(names) {
            break accepted;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; delivered {got:?} (refused before the kill: {})",
            receiver.refused.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // At least once, possibly more often, but one delivery id per item and vice versa.
    let mut ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, body) in &accepted {
        assert_eq!(body["delivery_id"], id.as_str());
        ids.entry(id.clone())
            .or_default()
            .insert(body["item"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), names.len(), "{accepted:#?}");
    assert!(ids.values().all(|items| items.len() == 1));

    server.kill();
    hook_task.abort();
}
