//! Attachments on a real relay on loopback: upload and byte-identical download, HEAD, Range,
//! ETag / 304 and the response headers; wrong hashes, oversized bodies and path-like or
//! malformed hashes rejected with nothing written; per-user access (404 exactly like an absent
//! blob, and only a full verified upload grants access); an upload cut off mid-body leaves
//! nothing behind and a retry succeeds; signed URLs work without a session until they expire
//! (manual clock).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{TestServer, config, expect_error};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Deterministic, non-repeating-looking bytes.
fn payload(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xff) as u8
        })
        .collect()
}

/// Every regular file under `dir` (recursively).
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

async fn put(
    server: &TestServer,
    token: &str,
    hash: &str,
    body: Vec<u8>,
    media: &str,
) -> reqwest::Response {
    server.put_blob(token, hash, body, media).await
}

async fn get(server: &TestServer, token: &str, path: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

async fn setup(max_blob_bytes: Option<u64>) -> (tempfile::TempDir, TestServer) {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    if let Some(max) = max_blob_bytes {
        cfg.max_blob_bytes = max;
    }
    let server = TestServer::start(cfg).await;
    (tmp, server)
}

#[tokio::test]
async fn upload_download_range_etag_and_headers() {
    let (tmp, server) = setup(None).await;
    server.add_user("alice", "correct horse");
    let token = server.token("alice", "correct horse").await;
    let data = payload(300_000, 1);
    let hash = sha(&data);

    let res = put(&server, &token, &hash, data.clone(), "image/PNG").await;
    assert_eq!(res.status(), 201);
    let info: Value = res.json().await.unwrap();
    assert_eq!(
        info,
        serde_json::json!({"sha256": hash, "size": 300_000, "media_type": "image/png"})
    );
    // Stored where the layout says, and nothing left in tmp/.
    let on_disk = tmp.path().join("blobs").join(&hash[..2]).join(&hash);
    assert_eq!(std::fs::read(&on_disk).unwrap(), data);
    assert!(files_under(&tmp.path().join("blobs/tmp")).is_empty());

    // Idempotent.
    let res = put(&server, &token, &hash, data.clone(), "image/png").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        files_under(&tmp.path().join("blobs")),
        vec![on_disk.clone()]
    );

    // Two uploads of the same new bytes at once: both succeed, one file, one grant.
    let twin = payload(100_000, 9);
    let twin_hash = sha(&twin);
    let (first, second) = tokio::join!(
        put(&server, &token, &twin_hash, twin.clone(), "image/png"),
        put(&server, &token, &twin_hash, twin.clone(), "image/png"),
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 201]);
    let twin_path = tmp
        .path()
        .join("blobs")
        .join(&twin_hash[..2])
        .join(&twin_hash);
    assert_eq!(std::fs::read(&twin_path).unwrap(), twin);
    assert!(files_under(&tmp.path().join("blobs/tmp")).is_empty());

    let path = format!("/api/v1/blobs/{hash}");
    let res = get(&server, &token, &path).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["etag"], format!("\"{hash}\"").as_str());
    assert_eq!(h["cache-control"], "private, max-age=31536000, immutable");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(
        h["content-disposition"],
        format!("attachment; filename=\"{hash}\"").as_str()
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());

    // A sanitised name; inline only when asked and safe.
    let res = get(
        &server,
        &token,
        &format!("{path}?name=..%2F..%2Fphoto%22.png&disposition=inline"),
    )
    .await;
    assert_eq!(
        res.headers()["content-disposition"],
        "inline; filename=\"_.._photo_.png\""
    );

    // HEAD: headers only.
    let res = server
        .client
        .head(server.url(&path))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], "300000");
    assert!(res.bytes().await.unwrap().is_empty());

    // Ranges.
    let ranged = |range: &'static str| {
        server
            .client
            .get(server.url(&path))
            .bearer_auth(&token)
            .header("range", range)
            .send()
    };
    let res = ranged("bytes=1000-1999").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], "bytes 1000-1999/300000");
    assert_eq!(res.bytes().await.unwrap().as_ref(), &data[1000..2000]);
    let res = ranged("bytes=-10").await.unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        &data[data.len() - 10..]
    );
    // Several ranges: the whole blob.
    let res = ranged("bytes=0-1,5-6").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().len(), data.len());
    let res = ranged("bytes=300000-").await.unwrap();
    assert_eq!(res.headers()["content-range"], "bytes */300000");
    expect_error(res, 416, "range_not_satisfiable").await;

    // ETag revalidation.
    let res = server
        .client
        .get(server.url(&path))
        .bearer_auth(&token)
        .header("if-none-match", format!("\"{hash}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert_eq!(res.headers()["etag"], format!("\"{hash}\"").as_str());
    assert!(res.bytes().await.unwrap().is_empty());
    let res = server
        .client
        .get(server.url(&path))
        .bearer_auth(&token)
        .header("if-none-match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // No session, no blob.
    let res = server.client.get(server.url(&path)).send().await.unwrap();
    expect_error(res, 401, "unauthorized").await;
    let res = server
        .client
        .put(server.url(&path))
        .body(data.clone())
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;

    // Survives a restart.
    let cfg = server.state.config.clone();
    server.stop().await;
    let server = TestServer::start(cfg).await;
    let token = server.token("alice", "correct horse").await;
    let res = get(&server, &token, &path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    server.stop().await;
}

#[tokio::test]
async fn bad_uploads_are_refused_and_write_nothing() {
    let (tmp, server) = setup(Some(4096)).await;
    server.add_user("alice", "correct horse");
    let token = server.token("alice", "correct horse").await;
    let blobs = tmp.path().join("blobs");
    let data = payload(2000, 2);
    let hash = sha(&data);

    // The body does not hash to the URL.
    let wrong = sha(b"something else");
    let res = put(&server, &token, &wrong, data.clone(), "image/png").await;
    expect_error(res, 400, "hash_mismatch").await;
    assert!(files_under(&blobs).is_empty());
    let res = get(&server, &token, &format!("/api/v1/blobs/{wrong}")).await;
    expect_error(res, 404, "not_found").await;

    // Too large, declared up front.
    let big = payload(5000, 3);
    let res = put(&server, &token, &sha(&big), big.clone(), "image/png").await;
    expect_error(res, 413, "too_large").await;
    // Too large, found while streaming (chunked: no Content-Length).
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.chunks(1000).map(|c| Ok(c.to_vec())).collect();
    let res = server
        .client
        .put(server.url(&format!("/api/v1/blobs/{}", sha(&big))))
        .bearer_auth(&token)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    expect_error(res, 413, "too_large").await;
    assert!(files_under(&blobs).is_empty());

    // Malformed and path-like hashes.
    for bad in [
        "..%2f..".to_owned(),
        "..%2F..%2Fdb".to_owned(),
        "abc".to_owned(),
        hash.to_uppercase(),
        hash[..63].to_owned(),
        format!("{hash}0"),
        format!("{}g", &hash[..63]),
        "%2e%2e".to_owned(),
    ] {
        let res = server
            .client
            .put(server.url(&format!("/api/v1/blobs/{bad}")))
            .bearer_auth(&token)
            .body(data.clone())
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!((400..500).contains(&status), "{bad}: {status}");
        let res = get(&server, &token, &format!("/api/v1/blobs/{bad}")).await;
        let status = res.status().as_u16();
        assert!((400..500).contains(&status), "{bad}: {status}");
    }
    let res = put(&server, &token, "abc", data.clone(), "image/png").await;
    expect_error(res, 400, "bad_hash").await;
    // Other methods: a JSON 405.
    let res = server
        .client
        .delete(server.url(&format!("/api/v1/blobs/{hash}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(res, 405, "method_not_allowed").await;
    // A bad media type.
    let res = put(&server, &token, &hash, data.clone(), "not a type").await;
    expect_error(res, 400, "bad_media_type").await;
    assert!(files_under(&blobs).is_empty());

    // And the real thing still works at the limit's edge.
    let edge = payload(4096, 4);
    let res = put(&server, &token, &sha(&edge), edge, "application/pdf").await;
    assert_eq!(res.status(), 201);
    server.stop().await;
}

#[tokio::test]
async fn only_uploaders_can_read_and_knowing_the_hash_is_not_enough() {
    let (_tmp, server) = setup(None).await;
    server.add_user("xavier", "correct horse");
    server.add_user("yvonne", "battery staple");
    let x = server.token("xavier", "correct horse").await;
    let y = server.token("yvonne", "battery staple").await;
    let data = payload(10_000, 5);
    let hash = sha(&data);
    assert_eq!(
        put(&server, &x, &hash, data.clone(), "image/jpeg")
            .await
            .status(),
        201
    );

    let path = format!("/api/v1/blobs/{hash}");
    let denied = get(&server, &y, &path).await;
    assert_eq!(denied.status(), 404);
    let denied_headers = denied.headers().clone();
    let denied: Value = denied.json().await.unwrap();
    let absent = get(&server, &y, &format!("/api/v1/blobs/{}", sha(b"absent"))).await;
    assert_eq!(absent.status(), 404);
    assert_eq!(
        absent.headers()["content-type"],
        denied_headers["content-type"]
    );
    let absent: Value = absent.json().await.unwrap();
    assert_eq!(denied, absent, "a blob someone else has looks absent");
    assert_eq!(denied["error"], "not_found");
    // Not by HEAD, nor a signed URL, nor a range.
    let res = server
        .client
        .head(server.url(&path))
        .bearer_auth(&y)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = server
        .client
        .post(server.url(&format!("{path}/url")))
        .bearer_auth(&y)
        .send()
        .await
        .unwrap();
    expect_error(res, 404, "not_found").await;

    // Claiming it with other bytes fails, and grants nothing.
    let res = put(&server, &y, &hash, payload(10_000, 6), "image/jpeg").await;
    expect_error(res, 400, "hash_mismatch").await;
    let res = put(&server, &y, &hash, Vec::new(), "image/jpeg").await;
    expect_error(res, 400, "hash_mismatch").await;
    let res = put(&server, &y, &hash, data[..5000].to_vec(), "image/jpeg").await;
    expect_error(res, 400, "hash_mismatch").await;
    assert_eq!(get(&server, &y, &path).await.status(), 404);

    // The full bytes grant access (the file is already there: idempotent).
    assert_eq!(
        put(&server, &y, &hash, data.clone(), "image/jpeg")
            .await
            .status(),
        201
    );
    let res = get(&server, &y, &path).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    // X is unaffected.
    assert_eq!(get(&server, &x, &path).await.status(), 200);
    server.stop().await;
}

/// Polls `cond` until it holds or `deadline` passes.
async fn eventually(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_interrupted_upload_leaves_nothing_and_a_retry_succeeds() {
    let (tmp, server) = setup(None).await;
    server.add_user("alice", "correct horse");
    let token = server.token("alice", "correct horse").await;
    let data = payload(200_000, 7);
    let hash = sha(&data);
    let tmp_dir = tmp.path().join("blobs/tmp");
    let target = tmp.path().join("blobs").join(&hash[..2]).join(&hash);

    // A client that sends half the body and then drops the connection.
    let mut socket = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "PUT /api/v1/blobs/{hash} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        server.addr,
        data.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&data[..100_000]).await.unwrap();
    socket.flush().await.unwrap();
    // The relay is writing it to a temp file...
    eventually("a temp file", Duration::from_secs(10), || {
        !files_under(&tmp_dir).is_empty()
    })
    .await;
    drop(socket);
    // ...which goes once the connection does.
    eventually("no temp file", Duration::from_secs(10), || {
        files_under(&tmp_dir).is_empty()
    })
    .await;
    assert!(!target.exists());
    assert_eq!(
        get(&server, &token, &format!("/api/v1/blobs/{hash}"))
            .await
            .status(),
        404
    );

    // A retry succeeds.
    let res = put(&server, &token, &hash, data.clone(), "image/png").await;
    assert_eq!(res.status(), 201);
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert!(files_under(&tmp_dir).is_empty());
    server.stop().await;
}

#[tokio::test]
async fn signed_urls_work_without_a_session_until_they_expire() {
    let (_tmp, server) = setup(None).await;
    server.add_user("alice", "correct horse");
    let token = server.token("alice", "correct horse").await;
    let data = payload(5000, 8);
    let hash = sha(&data);
    assert_eq!(
        put(&server, &token, &hash, data.clone(), "image/webp")
            .await
            .status(),
        201
    );

    let res = server
        .client
        .post(server.url(&format!("/api/v1/blobs/{hash}/url")))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    let res = server
        .client
        .post(server.url(&format!("/api/v1/blobs/{hash}/url")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let signed: Value = res.json().await.unwrap();
    let url = signed["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("/api/v1/blobs/signed/{hash}?")),
        "{url}"
    );
    assert!(!url.contains(&token));
    let expires_at = signed["expires_at"].as_i64().unwrap();
    assert_eq!(expires_at, server.clock_now() + 3600 * 1000);

    // No session needed.
    let res = server.client.get(server.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/webp");
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=3600, immutable"
    );
    assert_eq!(res.headers()["etag"], format!("\"{hash}\"").as_str());
    assert_eq!(res.bytes().await.unwrap().as_ref(), data.as_slice());
    let res = server
        .client
        .get(server.url(&url))
        .header("range", "bytes=0-9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &data[..10]);

    // Tampering: another hash, another expiry, a changed signature, no signature.
    let other = sha(b"other");
    for bad in [
        url.replace(&hash, &other),
        url.replace(
            &format!("expires={expires_at}"),
            &format!("expires={}", expires_at + 1),
        ),
        {
            let (head, sig) = url.split_once("sig=").unwrap();
            let mut sig = sig.to_owned();
            let flipped = if sig.starts_with('A') { "B" } else { "A" };
            sig.replace_range(..1, flipped);
            format!("{head}sig={sig}")
        },
        url.split_once("&sig=").unwrap().0.to_owned(),
    ] {
        let res = server.client.get(server.url(&bad)).send().await.unwrap();
        expect_error(res, 403, "forbidden").await;
    }

    // Shortly before expiry the CDN may cache only for what is left; after it, refused.
    server.clock.advance(Duration::from_secs(3000));
    let res = server.client.get(server.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=600, immutable"
    );
    server.clock.advance(Duration::from_secs(601));
    let res = server.client.get(server.url(&url)).send().await.unwrap();
    expect_error(res, 403, "forbidden").await;
    server.stop().await;
}
