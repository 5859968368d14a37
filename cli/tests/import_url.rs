//! `larder import-url` end to end: a recipe page served on loopback (which the test relay's
//! `[import_url] allow_private_networks` lets it fetch), fetched by a real relay for the
//! signed-in CLI profile, becomes a local recipe with its image attached. Offline, the command
//! says the relay is needed and `--link-only` keeps the address as a recipe; signed out, it
//! says to sign in; a private address is refused by the relay with its reason.

use std::net::SocketAddr;

use axum::Router;
use axum::http::header;
use axum::routing::get;

mod common;

use common::{Relay, json, larder, login, ok};

const PW: &str = "correct horse battery";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-a-test-image";
const PAGE: &str = r#"<!doctype html><html><head>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Recipe",
"name":"Plum cake","image":"/plum.png","recipeYield":"8 slices",
"recipeIngredient":["250 g plums","100 g sugar"],
"recipeInstructions":"Bake 40 minutes."}</script></head><body></body></html>"#;

async fn page_server() -> SocketAddr {
    let app = Router::new()
        .route(
            "/plum-cake",
            get(|| async { ([(header::CONTENT_TYPE, "text/html")], PAGE) }),
        )
        .route(
            "/plum.png",
            get(|| async { ([(header::CONTENT_TYPE, "image/png")], PNG) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_imported_by_address_becomes_a_local_recipe_with_its_image() {
    let pages = page_server().await;
    let relay_dir = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(relay_dir.path(), 0, |config| {
        config.import_url.allow_private_networks = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    relay.add_user("alice", PW);
    let profile = tempfile::tempdir().unwrap();
    let data = profile.path();
    let url = format!("http://{pages}/plum-cake");

    // Signed out: the command says what is needed.
    let out = larder(data, &["import-url", &url], None).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sign in"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    login(data, &relay, "alice", PW).await;
    let id = ok(data, &["import-url", &url]).await.trim().to_owned();
    let recipe = json(data, &["show", &id, "--json"]).await;
    assert_eq!(recipe["title"], "Plum cake");
    assert_eq!(recipe["source_url"], url);
    assert_eq!(recipe["ingredients"][0]["name"], "plums");
    let attachments = json(data, &["attachment", "list", &id, "--json"]).await;
    assert_eq!(attachments[0]["file_name"], "plum.png", "{attachments}");
    assert_eq!(attachments[0]["media_type"], "image/png");
    assert_eq!(attachments[0]["size"], PNG.len());

    // The relay refuses a private address, and the CLI says why.
    let out = larder(data, &["import-url", "http://10.1.2.3/recipe"], None).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("non-public address"), "{stderr}");

    // Offline: the relay is needed; --link-only keeps the address.
    relay.stop().await;
    let out = larder(data, &["import-url", &url], None).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--link-only"), "{stderr}");
    let link = ok(
        data,
        &[
            "import-url",
            "--link-only",
            "https://example.org/recipes/pea-soup/",
        ],
    )
    .await
    .trim()
    .to_owned();
    let kept = json(data, &["show", &link, "--json"]).await;
    assert_eq!(kept["title"], "Pea soup (example.org)");
    assert_eq!(kept["source_url"], "https://example.org/recipes/pea-soup/");
    let all = ok(data, &["search", ""]).await;
    assert_eq!(all.lines().count(), 2, "{all}");
}
