//! `larder-server token create/list/revoke` as operators use them: the token is printed once
//! (and never listed), it opens the grocery API of its user, its use is recorded, revoking it
//! by id makes it 401, and mistakes get clear errors.

mod common;

use common::{TestServer, cli, config, expect_error, stderr, stdout};
use serde_json::Value;

fn add(data: &std::path::Path, name: &str) {
    let out = cli(
        data,
        &["user", "add", name],
        "correct horse\ncorrect horse\n",
    );
    assert!(out.status.success(), "user add: {}", stderr(&out));
}

fn tokens(data: &std::path::Path, name: &str) -> Vec<Value> {
    let out = cli(data, &["token", "list", name, "--json"], "");
    assert!(out.status.success(), "token list: {}", stderr(&out));
    serde_json::from_str::<Value>(&stdout(&out))
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

async fn grocery(server: &TestServer, token: &str) -> reqwest::Response {
    server
        .client
        .get(server.url("/api/v1/grocery"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn tokens_are_created_listed_used_and_revoked() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "alice");

    let out = cli(
        &data,
        &["token", "create", "alice", "--label", "shopping app"],
        "",
    );
    assert!(out.status.success(), "token create: {}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(token.starts_with("lgt_") && token.len() == 47, "{token:?}");
    assert!(stderr(&out).contains("shown only once"), "{}", stderr(&out));

    let listed = tokens(&data, "alice");
    assert_eq!(listed.len(), 1);
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed[0]["label"], "shopping app");
    assert_eq!(listed[0]["last_used"], Value::Null);
    let table = cli(&data, &["token", "list", "alice"], "");
    let table = stdout(&table);
    assert!(table.contains(&id) && table.contains("shopping app") && table.contains("never"));
    for out in [
        stdout(&cli(&data, &["token", "list", "alice", "--json"], "")),
        table,
    ] {
        assert!(!out.contains(&token), "the token is never shown again");
    }

    let server = TestServer::start(config(&data)).await;
    assert_eq!(grocery(&server, &token).await.status(), 200);
    server.stop().await;
    let listed = tokens(&data, "alice");
    assert!(listed[0]["last_used"].is_i64(), "use recorded: {listed:?}");

    let out = cli(&data, &["token", "revoke", "alice", &id], "");
    assert!(out.status.success(), "token revoke: {}", stderr(&out));
    assert!(stdout(&out).contains("revoked"));
    assert!(tokens(&data, "alice").is_empty());
    let server = TestServer::start(config(&data)).await;
    expect_error(grocery(&server, &token).await, 401, "unauthorized").await;
    server.stop().await;
}

#[test]
fn token_commands_fail_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    add(&data, "alice");
    add(&data, "bob");
    let out = cli(&data, &["token", "create", "bob"], "");
    assert!(out.status.success());
    let bobs = tokens(&data, "bob");
    let bobs_id = bobs[0]["id"].as_str().unwrap();

    let cases: &[(&[&str], &str)] = &[
        (&["token", "create", "nobody"], "user nobody does not exist"),
        (&["token", "list", "nobody"], "user nobody does not exist"),
        (
            &["token", "revoke", "alice", "0123456789abcdef"],
            "has no API token",
        ),
        // Another user's token id is not alice's to revoke.
        (&["token", "revoke", "alice", bobs_id], "has no API token"),
        (
            &["token", "create", "alice", "--label", "a\u{7}b"],
            "invalid label",
        ),
    ];
    for (args, expected) in cases {
        let out = cli(&data, args, "");
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(tokens(&data, "bob").len(), 1, "bob's token untouched");
    assert_eq!(
        stdout(&cli(&data, &["token", "list", "alice"], "")).trim(),
        "alice has no API tokens (create one with: larder-server token create alice)"
    );
}
