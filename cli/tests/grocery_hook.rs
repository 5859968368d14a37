//! The relay's grocery REST API (as another grocery app uses it, with an API token) against a
//! `larder` CLI profile of the same user, through a real relay started in this test on
//! 127.0.0.1:0: an item added over REST shows in `larder grocery list` after a sync; items the
//! CLI adds and checks show over REST; a revoked token gets 401.

use std::path::Path;
use std::time::{Duration, Instant};

use larder_sync_server::accounts::admin;
use larder_sync_server::clock::{Clock, SystemClock};
use larder_sync_server::hook::tokens;
use serde_json::{Value, json};

const PW: &str = "correct horse battery";

mod common;

use common::{Relay, larder, ok};

async fn cli_items(data: &Path) -> Vec<Value> {
    let out = ok(data, &["grocery", "list", "--json"]).await;
    serde_json::from_str::<Value>(&out)
        .expect("json")
        .as_array()
        .expect("array")
        .clone()
}

struct Rest {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Rest {
    async fn get(&self) -> reqwest::Response {
        self.http
            .get(format!("{}/api/v1/grocery", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    async fn items(&self) -> Vec<Value> {
        let res = self.get().await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        body["items"].as_array().expect("items").clone()
    }

    /// Polls the REST list until `cond` holds (10 s at most).
    async fn until(&self, what: &str, cond: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let items = self.items().await;
            if cond(&items) {
                return items;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {items:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn find<'a>(items: &'a [Value], name: &str) -> Option<&'a Value> {
    items.iter().find(|i| i["name"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_api_and_cli_profile_see_each_others_grocery_edits() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    admin::add_user(
        &*relay.state.store,
        &relay.state.passwords,
        "alice",
        PW,
        SystemClock.now_ms(),
    )
    .expect("add user");
    let (token, token_id) = tokens::create(&*relay.state.store, "alice", "other app", 0)
        .map(|(t, r)| (t, r.id))
        .expect("token");
    let rest = Rest {
        http: reqwest::Client::new(),
        base: relay.url(),
        token,
    };

    let profile = tempfile::tempdir().expect("profile");
    let a = profile.path();
    let out = larder(
        a,
        &["login", "--server", &relay.url(), "--user", "alice"],
        Some(PW),
    )
    .await;
    assert!(
        out.status.success(),
        "login: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(a, &["sync", "--once"]).await;

    // REST → CLI.
    let res = rest
        .http
        .post(format!("{}/api/v1/grocery/items", rest.base))
        .bearer_auth(&rest.token)
        .json(&json!({"name": "olive oil", "quantity": 1, "unit": "l"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), 201);
    let added: Value = res.json().await.expect("json");
    ok(a, &["sync", "--once"]).await;
    let items = cli_items(a).await;
    let oil = find(&items, "olive oil").expect("the REST item on the CLI");
    assert_eq!(oil["id"], added["id"]);
    assert_eq!(oil["quantity"], 1.0);
    assert_eq!(oil["unit"], "l");
    assert_eq!(oil["checked"], false);

    // CLI → REST: an item added and one checked.
    ok(a, &["grocery", "add", "2 leeks"]).await;
    ok(a, &["grocery", "check", "olive oil"]).await;
    ok(a, &["sync", "--once"]).await;
    let items = rest
        .until("the CLI's edits over REST", |items| {
            find(items, "leeks").is_some()
                && find(items, "olive oil").is_some_and(|i| i["checked"] == true)
        })
        .await;
    assert_eq!(find(&items, "leeks").unwrap()["quantity"], 2.0);

    // Revoked: 401 with a JSON error.
    tokens::revoke(&*relay.state.store, "alice", &token_id).expect("revoke");
    let res = rest.get().await;
    assert_eq!(res.status(), 401);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "unauthorized");
    relay.stop().await;
}
