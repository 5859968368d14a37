//! The grocery REST API against a real relay: API tokens (and session tokens) authorise it
//! for their own user only, items are added (merged by core's rules), checked and removed in
//! the user's grocery document, which a device then sees by sync and the change feed reports;
//! bad input gets 4xx JSON errors and changes nothing; a revoked token gets 401.

mod common;

use std::time::{Duration, Instant};

use common::sync_client::{Device, within};
use common::{TestServer, config, expect_error};
use larder_sync_server::hook::tokens;
use reqwest::Response;
use serde_json::{Value, json};

const PW: &str = "correct horse";

struct Api<'a> {
    server: &'a TestServer,
    token: String,
}

impl Api<'_> {
    async fn get(&self) -> Response {
        self.server
            .client
            .get(self.server.url("/api/v1/grocery"))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    async fn items(&self) -> Vec<Value> {
        let res = self.get().await;
        assert_eq!(res.status(), 200, "GET /grocery");
        let body: Value = res.json().await.expect("json");
        body["items"].as_array().expect("items").clone()
    }

    async fn add(&self, body: Value) -> Response {
        self.server
            .client
            .post(self.server.url("/api/v1/grocery/items"))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    async fn added(&self, body: Value) -> Value {
        let res = self.add(body).await;
        assert_eq!(res.status(), 201, "POST /grocery/items");
        res.json().await.expect("json")
    }

    async fn patch(&self, id: &str, body: Value) -> Response {
        self.server
            .client
            .patch(self.server.url(&format!("/api/v1/grocery/items/{id}")))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    async fn delete(&self, id: &str) -> Response {
        self.server
            .client
            .delete(self.server.url(&format!("/api/v1/grocery/items/{id}")))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }
}

fn api_token(server: &TestServer, name: &str) -> (String, String) {
    let (secret, record) =
        tokens::create(server.store(), name, "test app", server.clock_now()).expect("token");
    (secret, record.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_round_trip_through_the_document_and_reach_a_device() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.add_user("alice", PW);
    let session = server.token("alice", PW).await;
    let (secret, token_id) = api_token(&server, "alice");
    let api = Api {
        server: &server,
        token: secret.clone(),
    };

    assert_eq!(api.items().await, Vec::<Value>::new());
    let milk = api
        .added(json!({"name": "Milk", "quantity": 1, "unit": "l"}))
        .await;
    assert_eq!(milk["name"], "Milk");
    assert_eq!(milk["quantity"], 1.0);
    assert_eq!(milk["unit"], "l");
    assert_eq!(milk["checked"], false);
    let milk_id = milk["id"].as_str().unwrap().to_owned();
    // Same name, compatible unit: merged (500 ml into litres), same item.
    let merged = api
        .added(json!({"name": " milk ", "quantity": 500, "unit": "millilitres"}))
        .await;
    assert_eq!(merged["id"], milk_id.as_str());
    assert_eq!(merged["quantity"], 1.5);
    server.clock.advance(Duration::from_secs(1));
    let bread = api.added(json!({"name": "bread"})).await;
    assert_eq!(bread["quantity"], Value::Null);
    assert_eq!(bread["unit"], "");
    let items = api.items().await;
    assert_eq!(items, vec![merged.clone(), bread.clone()]);

    // Checking, and removing.
    let res = api.patch(&milk_id, json!({"checked": true})).await;
    assert_eq!(res.status(), 200);
    let checked: Value = res.json().await.unwrap();
    assert_eq!(checked["checked"], true);
    // A checked item is not merged into: a new milk item.
    let fresh = api
        .added(json!({"name": "milk", "quantity": 1, "unit": "l"}))
        .await;
    assert_ne!(fresh["id"], milk_id.as_str());
    let bread_id = bread["id"].as_str().unwrap();
    assert_eq!(api.delete(bread_id).await.status(), 204);
    expect_error(api.delete(bread_id).await, 404, "item_not_found").await;
    let mut names: Vec<(String, bool)> = api
        .items()
        .await
        .iter()
        .map(|i| {
            (
                i["name"].as_str().unwrap().to_owned(),
                i["checked"].as_bool().unwrap(),
            )
        })
        .collect();
    // (Added at the same test-clock time, so ordered by id.)
    names.sort();
    assert_eq!(
        names,
        [("Milk".to_owned(), true), ("milk".to_owned(), false)]
    );

    // A device of alice's gets the same list by sync.
    let me: Value = server.me(&session).await.json().await.unwrap();
    let list_id = me["grocery_list_id"].as_str().unwrap().to_owned();
    let device = Device::connect(&server.base(), &session, alice.id.as_str()).await;
    let on_device = device.find(&list_id).await.expect("list on the device");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = on_device.with_document(|am| {
            autosurgeon::hydrate::<_, larder_core::model::GroceryDoc>(am).expect("grocery doc")
        });
        if list.items.len() == 2 && list.items.get(&milk_id).is_some_and(|i| i.checked) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "device never saw the API's edits"
        );
        let mut changes = on_device.changes();
        let _ = tokio::time::timeout(
            Duration::from_millis(200),
            futures::StreamExt::next(&mut changes),
        )
        .await;
    }
    // The device's edit shows through the API.
    on_device.with_document(|am| {
        let mut list: larder_core::model::GroceryDoc = autosurgeon::hydrate(am).unwrap();
        list.items.get_mut(&milk_id).unwrap().checked = false;
        am.transact(|tx| autosurgeon::reconcile(tx, &list)).unwrap();
    });
    device.pushed(&on_device).await;
    let item = api
        .items()
        .await
        .into_iter()
        .find(|i| i["id"] == milk_id.as_str())
        .unwrap();
    assert_eq!(item["checked"], false);
    device.stop().await;

    // The change feed names the list, like any device edit.
    let feed = server.changes(&session, 0).await;
    assert!(
        feed["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["doc_id"] == list_id.as_str()),
        "{feed}"
    );

    // Revoked: 401, and nothing else about the list changes.
    tokens::revoke(server.store(), "alice", &token_id).unwrap();
    expect_error(api.get().await, 401, "unauthorized").await;
    expect_error(api.add(json!({"name": "x"})).await, 401, "unauthorized").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_authorise_their_own_user_and_only_the_grocery_api() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    server.add_user("alice", PW);
    server.add_user("bob", PW);
    let (alice_token, _) = api_token(&server, "alice");
    let (bob_token, _) = api_token(&server, "bob");
    let alice = Api {
        server: &server,
        token: alice_token.clone(),
    };
    let bob = Api {
        server: &server,
        token: bob_token,
    };
    let item = alice.added(json!({"name": "leeks"})).await;
    let id = item["id"].as_str().unwrap();
    assert_eq!(bob.items().await, Vec::<Value>::new(), "bob's own list");
    expect_error(
        bob.patch(id, json!({"checked": true})).await,
        404,
        "item_not_found",
    )
    .await;
    expect_error(bob.delete(id).await, 404, "item_not_found").await;
    assert_eq!(alice.items().await, vec![item.clone()]);

    // A session token of the user works here too; an API token nowhere else.
    let session = server.token("alice", PW).await;
    let via_session = Api {
        server: &server,
        token: session,
    };
    assert_eq!(via_session.items().await, vec![item.clone()]);
    expect_error(server.me(&alice_token).await, 401, "unauthorized").await;

    // Missing, malformed and unknown tokens.
    let res = server
        .client
        .get(server.url("/api/v1/grocery"))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    for bad in [
        "lgt_short",
        &format!("lgt_{}", "A".repeat(43)),
        &format!("{}x", &alice_token[..alice_token.len() - 1]),
    ] {
        let api = Api {
            server: &server,
            token: bad.to_owned(),
        };
        expect_error(api.get().await, 401, "unauthorized").await;
    }

    // A disabled user's token stops working; removing the user removes the token.
    larder_sync_server::accounts::admin::disable_user(server.store(), "alice").unwrap();
    expect_error(alice.get().await, 401, "unauthorized").await;
    let alice_id = server.store().user_by_name("alice").unwrap().unwrap().id;
    server.remove_user("alice").await;
    assert!(
        server
            .store()
            .list_api_tokens(&alice_id)
            .unwrap()
            .is_empty()
    );
    expect_error(alice.get().await, 401, "unauthorized").await;
    assert_eq!(bob.items().await, Vec::<Value>::new(), "bob unaffected");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_clear_4xx_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    server.add_user("alice", PW);
    let (token, _) = api_token(&server, "alice");
    let api = Api {
        server: &server,
        token: token.clone(),
    };
    let item = api
        .added(json!({"name": "rice", "quantity": 1, "unit": "kg"}))
        .await;
    let id = item["id"].as_str().unwrap();

    for (body, status, code) in [
        (json!({"name": "  "}), 422, "invalid_item"),
        (json!({"name": "x".repeat(201)}), 422, "invalid_item"),
        (json!({"name": "x", "quantity": -1}), 422, "invalid_item"),
        (
            json!({"name": "x", "unit": "u".repeat(33)}),
            422,
            "invalid_item",
        ),
        (json!({"quantity": 1}), 400, "invalid_body"),
        (json!({"name": 5}), 400, "invalid_body"),
        (json!(["name"]), 400, "invalid_body"),
    ] {
        expect_error(api.add(body.clone()).await, status, code).await;
    }
    let res = server
        .client
        .post(server.url("/api/v1/grocery/items"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(res, 400, "invalid_json").await;
    let res = server
        .client
        .post(server.url("/api/v1/grocery/items"))
        .bearer_auth(&token)
        .body("name=x")
        .send()
        .await
        .unwrap();
    expect_error(res, 415, "unsupported_media_type").await;

    expect_error(
        api.patch(id, json!({"checked": "yes"})).await,
        400,
        "invalid_body",
    )
    .await;
    expect_error(api.patch(id, json!({})).await, 400, "invalid_body").await;
    for unknown in [
        "0123456789abcdef0123456789abcdef",
        "..%2F..%2Fetc",
        &"a".repeat(65),
    ] {
        expect_error(
            api.patch(unknown, json!({"checked": true})).await,
            404,
            "item_not_found",
        )
        .await;
        expect_error(api.delete(unknown).await, 404, "item_not_found").await;
    }
    let res = server
        .client
        .put(server.url("/api/v1/grocery"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(res, 405, "method_not_allowed").await;

    assert_eq!(api.items().await, vec![item], "nothing changed");
    within(server.stop(), "the relay to stop").await;
}
