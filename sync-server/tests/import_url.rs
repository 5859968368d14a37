//! `POST /api/v1/import/url` against a real relay and a page server on loopback, which the
//! test relay's `[import_url] allow_private_networks` lets it reach (127.0.0.1 only): pages
//! with JSON-LD or microdata and their images, redirects (followed up to 5, each checked
//! again), and every refusal with its own 4xx: bad addresses, private and loopback addresses
//! (as literals, after DNS resolution, and behind a redirect), pages too large, too slow, not
//! pages, without a recipe, and too many imports per user.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use common::{TestServer, config, expect_error};
use larder_sync_server::config::{Config, ImportUrlConfig};
use serde_json::{Value, json};

const PW: &str = "correct horse";
/// A PNG signature and a little more: the fetcher judges images by their first bytes.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-not-really-but-signed";
const PAGE_CAP: u64 = 64 * 1024;

fn json_ld_page(image: &str) -> String {
    format!(
        r#"<!doctype html><html><head><title>Tart</title>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"Recipe",
"name":"Lemon tart","image":"{image}",
"recipeIngredient":["200 g flour","3 lemons"],
"recipeInstructions":[{{"@type":"HowToStep","text":"Bake 25 minutes."}}]}}</script>
</head><body><h1>Lemon tart</h1></body></html>"#
    )
}

const MICRODATA_PAGE: &str = r#"<!doctype html><html><body>
<div itemscope itemtype="https://schema.org/Recipe">
  <h1 itemprop="name">Pea soup</h1>
  <ul><li itemprop="recipeIngredient">500 g peas<li itemprop="recipeIngredient">1 l stock</ul>
  <div itemprop="recipeInstructions">Simmer, then blend.</div>
</div></body></html>"#;

#[derive(serde::Deserialize)]
struct To {
    to: String,
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

/// The page server: every shape the tests need, on 127.0.0.1.
async fn page_server() -> SocketAddr {
    let app = Router::new()
        .route(
            "/tart",
            get(|| async { html(json_ld_page("img/tart.png")) }),
        )
        .route(
            "/img/tart.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
        )
        .route("/microdata", get(|| async { html(MICRODATA_PAGE.into()) }))
        .route(
            "/hop/{n}",
            get(|Path(n): Path<u32>| async move {
                if n == 0 {
                    Redirect::permanent("/microdata")
                } else {
                    Redirect::to(&format!("/hop/{}", n - 1))
                }
            }),
        )
        .route(
            "/redirect",
            get(|Query(To { to }): Query<To>| async move { Redirect::to(&to) }),
        )
        .route(
            "/fake-image",
            get(|| async { html(json_ld_page("/img/not-an-image")) }),
        )
        .route(
            "/img/not-an-image",
            get(|| async { "hello, not a picture" }),
        )
        .route(
            "/big",
            get(|| async { html("x".repeat(PAGE_CAP as usize + 1)) }),
        )
        .route(
            "/big-chunked",
            get(|| async {
                let chunks = (0..100).map(|_| Ok::<_, Infallible>(Bytes::from(vec![b'y'; 4096])));
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/html")
                    .body(Body::from_stream(futures::stream::iter(chunks)))
                    .unwrap()
            }),
        )
        .route(
            "/stall",
            get(|| async {
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/html")
                    .body(Body::from_stream(futures::stream::pending::<
                        Result<Bytes, Infallible>,
                    >()))
                    .unwrap()
            }),
        )
        .route(
            "/no-recipe",
            get(|| async { html("<html><body><p>Just words.</p></body></html>".into()) }),
        )
        .route(
            "/missing",
            get(|| async { (StatusCode::NOT_FOUND, "gone") }),
        )
        .route(
            "/pdf",
            get(|| async { ([(header::CONTENT_TYPE, "application/pdf")], "%PDF-1.7") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn relay_config(data: &std::path::Path, import_url: ImportUrlConfig) -> Config {
    Config {
        import_url,
        ..config(data)
    }
}

fn loopback_allowed() -> ImportUrlConfig {
    ImportUrlConfig {
        allow_private_networks: vec!["127.0.0.1/32".parse().unwrap()],
        max_page_bytes: PAGE_CAP,
        timeout: std::time::Duration::from_secs(3),
        burst: 1000,
        ..ImportUrlConfig::default()
    }
}

async fn import(server: &TestServer, token: &str, url: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/v1/import/url"))
        .bearer_auth(token)
        .json(&json!({ "url": url }))
        .send()
        .await
        .expect("request")
}

async fn imported(server: &TestServer, token: &str, url: &str) -> Value {
    let res = import(server, token, url).await;
    assert_eq!(res.status(), 200, "import of {url}");
    res.json().await.expect("json")
}

#[tokio::test]
async fn a_json_ld_page_comes_back_as_drafts_with_its_image() {
    let pages = page_server().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(relay_config(tmp.path(), loopback_allowed())).await;
    let me = server.signed_in("ann", PW).await;

    let page = imported(&server, &me.token, &format!("http://{pages}/tart")).await;
    assert_eq!(page["page_url"], format!("http://{pages}/tart"));
    let recipes = page["recipes"].as_array().unwrap();
    assert_eq!(recipes.len(), 1);
    let recipe = &recipes[0];
    assert_eq!(recipe["draft"]["title"], "Lemon tart");
    let names: Vec<&str> = recipe["draft"]["ingredients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["flour", "lemons"]);
    assert_eq!(
        recipe["image_urls"],
        json!([format!("http://{pages}/img/tart.png")])
    );
    let image = &recipe["image"];
    assert_eq!(image["media_type"], "image/png");
    assert_eq!(image["file_name"], "tart.png");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(image["bytes_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes, PNG);
}

#[tokio::test]
async fn redirects_are_followed_up_to_five_and_microdata_pages_are_read() {
    let pages = page_server().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(relay_config(tmp.path(), loopback_allowed())).await;
    let me = server.signed_in("ann", PW).await;

    // /hop/4 → 3 → 2 → 1 → 0 → /microdata: five redirects.
    let page = imported(&server, &me.token, &format!("http://{pages}/hop/4")).await;
    assert_eq!(page["page_url"], format!("http://{pages}/microdata"));
    assert_eq!(page["recipes"][0]["draft"]["title"], "Pea soup");
    assert_eq!(
        page["recipes"][0]["draft"]["ingredients"][0]["name"],
        "peas"
    );
    assert!(page["recipes"][0]["image"].is_null());

    // Six redirects are refused.
    let res = import(&server, &me.token, &format!("http://{pages}/hop/5")).await;
    expect_error(res, 422, "too_many_redirects").await;
}

#[tokio::test]
async fn private_and_loopback_addresses_are_refused_directly_after_dns_and_behind_redirects() {
    let pages = page_server().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(relay_config(tmp.path(), loopback_allowed())).await;
    let me = server.signed_in("ann", PW).await;
    let port = pages.port();

    for literal in [
        format!("http://127.0.0.2:{port}/tart"),
        format!("http://[::1]:{port}/tart"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.1.2.3/".to_owned(),
        "http://192.168.0.1/".to_owned(),
        format!("http://[::ffff:127.0.0.2]:{port}/tart"),
        format!("http://0.0.0.0:{port}/tart"),
    ] {
        let res = import(&server, &me.token, &literal).await;
        expect_error(res, 403, "address_not_allowed").await;
    }

    // Behind a redirect from an allowed page: refused again at the hop.
    for target in [
        format!("http://127.0.0.2:{port}/tart"),
        "http://169.254.169.254/".to_owned(),
    ] {
        let url = format!("http://{pages}/redirect?to={target}");
        let res = import(&server, &me.token, &url).await;
        expect_error(res, 403, "address_not_allowed").await;
    }
    // A redirect to another scheme is a bad address, not a fetch.
    let url = format!("http://{pages}/redirect?to=file:///etc/passwd");
    expect_error(import(&server, &me.token, &url).await, 400, "bad_address").await;

    // A relay without the test allowance refuses a name that resolves to loopback.
    let tmp2 = tempfile::tempdir().unwrap();
    let closed = TestServer::start(relay_config(tmp2.path(), ImportUrlConfig::default())).await;
    let bob = closed.signed_in("bob", PW).await;
    let res = import(
        &closed,
        &bob.token,
        &format!("http://localhost:{port}/tart"),
    )
    .await;
    let body = expect_error(res, 403, "address_not_allowed").await;
    assert!(
        body["message"].as_str().unwrap().contains("localhost"),
        "{body}"
    );
    let res = import(&closed, &bob.token, &format!("http://{pages}/tart")).await;
    expect_error(res, 403, "address_not_allowed").await;
}

#[tokio::test]
async fn bad_addresses_get_400_and_no_session_gets_401() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(relay_config(tmp.path(), loopback_allowed())).await;
    let me = server.signed_in("ann", PW).await;
    for address in [
        "ftp://example.org/recipe",
        "file:///etc/passwd",
        "https://user:secret@example.org/",
        "example.org/recipe",
        "",
    ] {
        let res = import(&server, &me.token, address).await;
        expect_error(res, 400, "bad_address").await;
    }
    let long = format!("https://example.org/{}", "a".repeat(3000));
    expect_error(import(&server, &me.token, &long).await, 400, "bad_address").await;

    let res = server
        .client
        .post(server.url("/api/v1/import/url"))
        .json(&json!({ "url": "https://example.org/" }))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn pages_too_large_too_slow_missing_not_html_or_without_a_recipe_get_422() {
    let pages = page_server().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(relay_config(tmp.path(), loopback_allowed())).await;
    let me = server.signed_in("ann", PW).await;

    for (path, code) in [
        ("/big", "page_too_large"),
        ("/big-chunked", "page_too_large"),
        ("/stall", "page_timeout"),
        ("/missing", "page_status"),
        ("/pdf", "not_a_page"),
        ("/no-recipe", "no_recipe"),
    ] {
        let res = import(&server, &me.token, &format!("http://{pages}{path}")).await;
        expect_error(res, 422, code).await;
    }
    // Nothing listens on port 9 of 127.0.0.1 (discard): unreachable.
    let res = import(&server, &me.token, "http://127.0.0.1:9/").await;
    expect_error(res, 422, "page_unreachable").await;
}

#[tokio::test]
async fn an_image_that_is_not_one_is_left_out_with_a_warning() {
    let pages = page_server().await;
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(relay_config(tmp.path(), loopback_allowed())).await;
    let me = server.signed_in("ann", PW).await;
    let page = imported(&server, &me.token, &format!("http://{pages}/fake-image")).await;
    let recipe = &page["recipes"][0];
    assert_eq!(recipe["draft"]["title"], "Lemon tart");
    assert!(recipe["image"].is_null());
    let warnings = recipe["warnings"].to_string();
    assert!(warnings.contains("not an image"), "{warnings}");
}

#[tokio::test]
async fn imports_are_limited_per_user() {
    let pages = page_server().await;
    let tmp = tempfile::tempdir().unwrap();
    let limits = ImportUrlConfig {
        requests_per_minute: 1,
        burst: 2,
        ..loopback_allowed()
    };
    let server = TestServer::start(relay_config(tmp.path(), limits)).await;
    let ann = server.signed_in("ann", PW).await;
    let bob = server.signed_in("bob", PW).await;
    let url = format!("http://{pages}/tart");
    for _ in 0..2 {
        imported(&server, &ann.token, &url).await;
    }
    let res = import(&server, &ann.token, &url).await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    expect_error(res, 429, "rate_limited").await;
    // Another user has their own allowance; and time refills ann's.
    imported(&server, &bob.token, &url).await;
    server.clock.advance(std::time::Duration::from_secs(60));
    imported(&server, &ann.token, &url).await;
}
