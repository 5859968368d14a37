//! A webhook receiver on 127.0.0.1 for the grocery-hook tests: it checks every request's
//! `X-Larder-Signature` with its own secret (answering 401 when it is wrong), keeps what
//! arrived for the test to wait on, and refuses items named "poison" for good (422), so a
//! test can see one refused delivery not hold up the others. Its port can be reserved before
//! it listens, so the relay first finds it down.
#![allow(dead_code)] // each test file uses its own part

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpSocket;
use tokio::sync::Notify;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub header_id: String,
    pub signature_ok: bool,
    pub body: Value,
}

/// What a receiver got, checked against its secret.
#[derive(Clone)]
pub struct Inbox {
    secret: &'static str,
    got: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
}

impl Inbox {
    pub fn new(secret: &'static str) -> Self {
        Inbox {
            secret,
            got: Arc::default(),
            arrived: Arc::default(),
        }
    }

    pub fn all(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (10 s at most) until `done` holds for what has arrived.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let arrived = self.arrived.notified();
            let all = self.all();
            if done(&all) {
                return all;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {what}; got {all:#?}"
            );
            let _ = tokio::time::timeout(left, arrived).await;
        }
    }
}

async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(inbox.secret.as_bytes()).unwrap();
    mac.update(&body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let signature_ok = header("x-larder-signature") == expected;
    let received = Received {
        header_id: header("x-larder-delivery"),
        signature_ok,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let poison = received.body["item"]["name"] == "poison";
    inbox.got.lock().unwrap().push(received);
    inbox.arrived.notify_waiters();
    if !signature_ok {
        StatusCode::UNAUTHORIZED
    } else if poison {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::NO_CONTENT
    }
}

/// A port bound but not listening: connections to it are refused (the receiver is down) until
/// [`start_receiver`] listens on it, and nothing else can take it meanwhile.
pub fn reserve_port() -> (TcpSocket, u16) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    (socket, port)
}

/// Starts the receiver on the reserved port, at `/hook`.
pub fn start_receiver(socket: TcpSocket, inbox: Inbox) -> tokio::task::JoinHandle<()> {
    let app = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(inbox);
    let listener = socket.listen(128).expect("listen");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("receiver");
    })
}
