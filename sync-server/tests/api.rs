//! The HTTP API against a real relay on loopback: login, /me, logout, expiry and sliding
//! renewal on a manual clock, disabled users, login rate limits, malformed bodies, CORS,
//! health endpoints, and data surviving a restart.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{TestServer, config, expect_error, login_with};
use larder_sync_server::accounts::admin;
use larder_sync_server::config::RateLimit;
use larder_sync_server::secret::hash_token;
use serde_json::Value;

#[tokio::test]
async fn login_me_logout() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.add_user("Alice", "correct horse");

    // Names are case-insensitive at login.
    let res = server.login("alice", "correct horse").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43);
    assert_eq!(body["user"]["id"], alice.id.as_str());
    assert_eq!(body["user"]["name"], "Alice");
    let ttl_ms = 720 * 3600 * 1000;
    assert_eq!(
        body["expires_at"].as_i64().unwrap(),
        server.clock_now() + ttl_ms
    );

    // Only the hash of the token is stored.
    assert!(
        server
            .store()
            .session(&hash_token(&token))
            .unwrap()
            .is_some()
    );

    let res = server.me(&token).await;
    assert_eq!(res.status(), 200);
    let me: Value = res.json().await.unwrap();
    // The grocery list is created on first use (its syncing is covered in tests/sync.rs).
    let grocery = me["grocery_list_id"]
        .as_str()
        .expect("a grocery list id")
        .to_owned();
    // So is the meal plan (tests/plan_calendar.rs).
    let plan = me["meal_plan_id"]
        .as_str()
        .expect("a meal plan id")
        .to_owned();
    assert_eq!(
        me,
        serde_json::json!({
            "id": alice.id.as_str(),
            "name": "Alice",
            "grocery_list_id": grocery,
            "meal_plan_id": plan,
            // Not in a household.
            "household": null,
        })
    );
    let me: Value = server.me(&token).await.json().await.unwrap();
    assert_eq!(me["grocery_list_id"], grocery.as_str());
    assert_eq!(me["meal_plan_id"], plan.as_str());

    // Logout revokes this token only.
    let other = server.token("alice", "correct horse").await;
    let res = server
        .client
        .delete(server.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = server.me(&token).await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    expect_error(res, 401, "unauthorized").await;
    let res = server
        .client
        .delete(server.url("/api/v1/session"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    assert_eq!(server.me(&other).await.status(), 200);

    server.stop().await;
}

#[tokio::test]
async fn bad_credentials_and_missing_or_bad_tokens_get_401() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    server.add_user("alice", "correct horse");

    let wrong = server.login("alice", "wrong horse").await;
    let wrong = expect_error(wrong, 401, "invalid_credentials").await;
    let unknown = server.login("mallory", "correct horse").await;
    let unknown = expect_error(unknown, 401, "invalid_credentials").await;
    // Same answer either way: nothing tells which names exist.
    assert_eq!(wrong, unknown);
    let invalid_name = server.login("not a valid/name", "x").await;
    expect_error(invalid_name, 401, "invalid_credentials").await;

    // No header, wrong scheme, garbage token, well-formed but unknown token.
    let res = server
        .client
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    expect_error(res, 401, "unauthorized").await;
    let res = server
        .client
        .get(server.url("/api/v1/me"))
        .basic_auth("alice", Some("correct horse"))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    expect_error(server.me("garbage").await, 401, "unauthorized").await;
    let (forged, _) = larder_sync_server::secret::new_token();
    expect_error(server.me(&forged).await, 401, "unauthorized").await;

    server.stop().await;
}

#[tokio::test]
async fn sessions_expire_and_slide() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    cfg.session_ttl = Duration::from_secs(3600);
    let server = TestServer::start(cfg).await;
    server.add_user("alice", "correct horse");
    let minutes = |m: u64| Duration::from_secs(m * 60);

    // Unused, a session dies after the TTL.
    let idle = server.token("alice", "correct horse").await;
    server.clock.advance(minutes(60));
    expect_error(server.me(&idle).await, 401, "unauthorized").await;
    assert!(
        server
            .store()
            .session(&hash_token(&idle))
            .unwrap()
            .is_none()
    );

    // Used, it lives on: each use pushes expiry to now + TTL.
    let used = server.token("alice", "correct horse").await;
    let hash = hash_token(&used);
    let created = server.store().session(&hash).unwrap().unwrap();

    // Within a minute of the last write nothing is written.
    server.clock.advance(Duration::from_secs(30));
    assert_eq!(server.me(&used).await.status(), 200);
    assert_eq!(server.store().session(&hash).unwrap().unwrap(), created);

    server.clock.advance(minutes(50));
    assert_eq!(server.me(&used).await.status(), 200);
    let touched = server.store().session(&hash).unwrap().unwrap();
    assert_eq!(touched.last_seen, server.clock_now());
    assert_eq!(touched.expires_at, server.clock_now() + 3_600_000);

    server.clock.advance(minutes(59));
    assert_eq!(server.me(&used).await.status(), 200);
    server.clock.advance(minutes(61));
    expect_error(server.me(&used).await, 401, "unauthorized").await;

    server.stop().await;
}

#[tokio::test]
async fn disabled_users_cannot_log_in_and_their_sessions_die() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    server.add_user("alice", "correct horse");
    server.add_user("bob", "battery staple");
    let alice = server.token("alice", "correct horse").await;
    let bob = server.token("bob", "battery staple").await;

    assert_eq!(admin::disable_user(server.store(), "alice").unwrap(), 1);
    expect_error(server.me(&alice).await, 401, "unauthorized").await;
    let res = server.login("alice", "correct horse").await;
    expect_error(res, 401, "invalid_credentials").await;
    assert_eq!(server.me(&bob).await.status(), 200);

    admin::enable_user(server.store(), "alice").unwrap();
    // The old session stays dead; a new login works.
    expect_error(server.me(&alice).await, 401, "unauthorized").await;
    let again = server.token("alice", "correct horse").await;
    assert_eq!(server.me(&again).await.status(), 200);

    // Removal kills sessions too.
    server.remove_user("alice").await;
    expect_error(server.me(&again).await, 401, "unauthorized").await;

    server.stop().await;
}

fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_user() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    cfg.login_rate_limit = RateLimit {
        failures_per_minute: 5,
        burst: 3,
    };
    let server = TestServer::start(cfg).await;
    server.add_user("alice", "correct horse");
    server.add_user("bob", "battery staple");
    let url = server.url("/api/v1/session");
    let from_1 = client_from("127.0.0.1");
    let from_2 = client_from("127.0.0.2");

    // A success costs nothing.
    for _ in 0..5 {
        assert_eq!(
            login_with(&from_1, &url, "alice", "correct horse")
                .await
                .status(),
            200
        );
    }
    for _ in 0..3 {
        let res = login_with(&from_1, &url, "alice", "wrong").await;
        expect_error(res, 401, "invalid_credentials").await;
    }
    // Alice's name is spent, from any address, even with the right password.
    let res = login_with(&from_2, &url, "ALICE", "correct horse").await;
    assert_eq!(res.headers()["retry-after"], "12");
    expect_error(res, 429, "rate_limited").await;
    // Bob, from a fresh address, is unaffected.
    assert_eq!(
        login_with(&from_2, &url, "bob", "battery staple")
            .await
            .status(),
        200
    );

    // 12 s later (5 per minute) one more attempt is allowed.
    server.clock.advance(Duration::from_secs(12));
    assert_eq!(
        login_with(&from_2, &url, "alice", "correct horse")
            .await
            .status(),
        200
    );

    server.stop().await;
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_address() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    cfg.login_rate_limit = RateLimit {
        failures_per_minute: 5,
        burst: 3,
    };
    let server = TestServer::start(cfg).await;
    server.add_user("alice", "correct horse");
    let url = server.url("/api/v1/session");
    let attacker = client_from("127.0.0.3");

    for name in ["u1", "u2", "u3"] {
        let res = login_with(&attacker, &url, name, "guess").await;
        expect_error(res, 401, "invalid_credentials").await;
    }
    let res = login_with(&attacker, &url, "alice", "correct horse").await;
    assert!(res.headers().contains_key("retry-after"));
    expect_error(res, 429, "rate_limited").await;
    // Another address logs in as alice fine.
    let res = login_with(&client_from("127.0.0.4"), &url, "alice", "correct horse").await;
    assert_eq!(res.status(), 200);

    server.stop().await;
}

#[tokio::test]
async fn concurrent_guesses_cannot_overrun_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    cfg.login_rate_limit = RateLimit {
        failures_per_minute: 5,
        burst: 3,
    };
    let server = TestServer::start(cfg).await;
    server.add_user("alice", "correct horse");
    let url = server.url("/api/v1/session");
    let guesses = (0..12).map(|i| {
        let client = server.client.clone();
        let url = url.clone();
        tokio::spawn(async move {
            login_with(&client, &url, "alice", &format!("guess {i}"))
                .await
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for g in guesses {
        statuses.push(g.await.unwrap());
    }
    statuses.sort_unstable();
    let expected: Vec<u16> = [401; 3].into_iter().chain([429; 9]).collect();
    assert_eq!(statuses, expected);
    server.stop().await;
}

#[tokio::test]
async fn malformed_bodies_get_4xx_json_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    server.add_user("alice", "correct horse");
    let url = server.url("/api/v1/session");
    let post = |body: Vec<u8>, content_type: Option<&str>| {
        let mut req = server.client.post(&url).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    let json = Some("application/json");

    expect_error(
        post(b"{\"username\":".to_vec(), json).await.unwrap(),
        400,
        "invalid_json",
    )
    .await;
    expect_error(
        post(b"\xff\xfe".to_vec(), json).await.unwrap(),
        400,
        "invalid_json",
    )
    .await;
    let res = post(br#"{"username": 5, "password": "x"}"#.to_vec(), json)
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;
    let res = post(br#"{"username": "alice"}"#.to_vec(), json)
        .await
        .unwrap();
    expect_error(res, 400, "invalid_body").await;
    let res = post(
        br#"{"username":"alice","password":"correct horse"}"#.to_vec(),
        Some("text/plain"),
    )
    .await
    .unwrap();
    expect_error(res, 415, "unsupported_media_type").await;
    let res = post(
        br#"{"username":"alice","password":"correct horse"}"#.to_vec(),
        None,
    )
    .await
    .unwrap();
    expect_error(res, 415, "unsupported_media_type").await;

    // Over the 1 MiB default: a JSON string of 2 MiB.
    let mut big = br#"{"username":"alice","password":""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    big.extend(br#""}"#);
    expect_error(post(big, json).await.unwrap(), 413, "payload_too_large").await;

    // Unknown API paths and methods are JSON errors too.
    let res = server
        .client
        .get(server.url("/api/v1/nope"))
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;
    let res = server
        .client
        .put(server.url("/api/v1/session"))
        .send()
        .await
        .unwrap();
    expect_error(res, 405, "method_not_allowed").await;

    // The server is still fine.
    assert_eq!(server.login("alice", "correct horse").await.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn cors_only_for_configured_origins() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    cfg.allowed_origins = vec!["https://app.example".into()];
    let server = TestServer::start(cfg).await;
    let acao = "access-control-allow-origin";

    let res = server
        .client
        .get(server.url("/api/v1/me"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()[acao], "https://app.example");
    assert_eq!(res.status(), 401);

    let res = server
        .client
        .get(server.url("/healthz"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(acao).is_none());

    // Preflight for a login from the app.
    let res = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/api/v1/session"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(res.headers()[acao], "https://app.example");
    let methods = res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(
        methods.contains("POST") && methods.contains("DELETE"),
        "{methods}"
    );
    let res = server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/api/v1/session"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(acao).is_none());
    server.stop().await;

    // No origins configured: no CORS headers for anyone.
    let server = TestServer::start(config(tmp.path())).await;
    let res = server
        .client
        .get(server.url("/healthz"))
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get(acao).is_none());
    server.stop().await;
}

#[tokio::test]
async fn health_and_readiness() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let res = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "ok");
    let res = server
        .client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn users_and_sessions_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.add_user("alice", "correct horse");
    let token = server.token("alice", "correct horse").await;
    let clock = server.clock.clone();
    server.stop().await;

    let server = TestServer::start_with_clock(config(tmp.path()), clock).await;
    let me: Value = server.me(&token).await.json().await.unwrap();
    assert_eq!(me["id"], alice.id.as_str());
    assert_eq!(server.login("alice", "correct horse").await.status(), 200);
    server.stop().await;
}
