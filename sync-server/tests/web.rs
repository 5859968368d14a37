//! The relay serving the built web app at `/` (`Config::web_dir`): files with their types, the
//! app shell for app routes, 404 for missing files, nothing outside the directory, and the API
//! and health routes unchanged.

mod common;

use common::{TestServer, config};

#[tokio::test]
async fn serves_the_web_app_beside_the_api() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let web = tmp.path().join("dist");
    std::fs::create_dir_all(web.join("assets")).expect("mkdir");
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>shell</title>",
    )
    .expect("index");
    std::fs::write(web.join("assets/app-1234.js"), "console.log(1)").expect("asset");
    std::fs::write(tmp.path().join("secret.txt"), "top secret").expect("secret");
    let mut cfg = config(&tmp.path().join("data"));
    cfg.web_dir = Some(web);
    let server = TestServer::start(cfg).await;
    let base = format!("http://{}", server.addr);
    let get = |path: &str| server.client.get(format!("{base}{path}")).send();

    let root = get("/").await.expect("GET /");
    assert_eq!(root.status(), 200);
    assert!(
        root.text()
            .await
            .expect("body")
            .contains("<title>shell</title>")
    );

    let asset = get("/assets/app-1234.js").await.expect("GET asset");
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["content-type"], "text/javascript");
    assert_eq!(asset.text().await.expect("body"), "console.log(1)");

    let route = get("/recipes/abc").await.expect("GET app route");
    assert_eq!(route.status(), 200);
    assert_eq!(route.headers()["cache-control"], "no-cache");
    assert!(
        route
            .text()
            .await
            .expect("body")
            .contains("<title>shell</title>")
    );

    let missing = get("/assets/gone-5678.js").await.expect("GET missing");
    assert_eq!(missing.status(), 404);

    for escape in [
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%2e%2e/secret",
    ] {
        let response = get(escape).await.expect("GET escape");
        let status = response.status();
        let body = response.text().await.expect("body");
        assert!(
            !body.contains("top secret"),
            "{escape} escaped the web dir ({status})"
        );
    }

    let api = get("/api/v1/nope").await.expect("GET api 404");
    assert_eq!(api.status(), 404);
    assert_eq!(api.headers()["content-type"], "application/json");
    assert_eq!(get("/api/v1/me").await.expect("GET me").status(), 401);
    assert_eq!(get("/healthz").await.expect("GET healthz").status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn without_a_web_dir_other_paths_are_not_found() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start(config(tmp.path())).await;
    let response = server
        .client
        .get(format!("http://{}/recipes/abc", server.addr))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    server.stop().await;
}

#[test]
fn serve_refuses_a_web_dir_without_an_index() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let empty = empty.to_str().expect("utf-8 path");
    let out = common::cli(
        &tmp.path().join("data"),
        &["serve", "--bind", "127.0.0.1:0", "--web", empty],
        "",
    );
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("has no index.html"),
        "{}",
        common::stderr(&out)
    );
}
