//! Households on a running relay, managed through its admin socket as operators do: two
//! members' devices (samod, over the websocket) both write the household's grocery list and see
//! each other's changes; a user outside the household asking for the list by id over the
//! websocket, the change feed, the bulk fetch and the grocery API gets exactly what a missing
//! document gets; `household remove` drops the list from the removed member's feed and a later
//! edit never reaches their open connection.

mod common;

use automerge::ReadDoc;
use common::docs::{create, set};
use common::sync_client::{Device, within};
use common::{SignedIn, TestServer, config, expect_error};
use futures::StreamExt;
use larder_core::bulk_wire::{self, Frame, Limits};
use larder_sync_server::admin_commands::AdminCommand;
use serde_json::{Value, json};

const PW: &str = "correct horse";

fn get(handle: &samod::DocHandle, key: &str) -> Option<String> {
    handle.with_document(|d| {
        d.get(automerge::ROOT, key)
            .ok()
            .flatten()
            .and_then(|(v, _)| v.as_str().map(str::to_owned))
    })
}

/// Waits until `handle`'s root `key` reads `value`.
async fn until_value(handle: &samod::DocHandle, key: &str, value: &str) {
    let mut changes = handle.changes();
    within(
        async {
            while get(handle, key).as_deref() != Some(value) {
                changes.next().await;
            }
        },
        &format!("{key} = {value}"),
    )
    .await;
}

async fn me(server: &TestServer, user: &SignedIn) -> Value {
    let res = server.me(&user.token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn feed_lists(feed: &Value, doc: &str) -> bool {
    feed["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .any(|e| e["doc_id"] == doc)
}

/// `POST /api/v1/docs/fetch` of one id: its frame.
async fn fetch(server: &TestServer, user: &SignedIn, doc: &str) -> Frame {
    let res = server
        .client
        .post(server.url("/api/v1/docs/fetch"))
        .bearer_auth(&user.token)
        .json(&json!({ "docs": [doc] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let limits = Limits {
        max_document_bytes: 64 * 1024 * 1024,
        max_frames: 10,
    };
    let mut frames = bulk_wire::decode_all(&res.bytes().await.unwrap(), limits).unwrap();
    assert_eq!(frames.len(), 1);
    frames.pop().unwrap()
}

/// `GET /api/v1/grocery?list=…`.
async fn grocery(server: &TestServer, user: &SignedIn, list: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(&format!("/api/v1/grocery?list={list}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap()
}

/// A relay with alice and bob in household "home" and carol outside it; the household list.
async fn household(
    tmp: &std::path::Path,
) -> (TestServer, common::AdminSocket, [SignedIn; 3], String) {
    let server = TestServer::start(config(tmp)).await;
    let admin = server.admin_socket(tmp).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    let carol = server.signed_in("carol", PW).await;
    let out = admin
        .run(AdminCommand::HouseholdCreate {
            name: "home".into(),
        })
        .await
        .expect("household create");
    assert!(out.stdout.starts_with("created household home"), "{out:?}");
    // Before anyone is in it, nobody has a household.
    assert_eq!(me(&server, &alice).await["household"], Value::Null);
    for user in ["alice", "bob"] {
        admin
            .run(AdminCommand::HouseholdAdd {
                name: "home".into(),
                user: user.into(),
            })
            .await
            .expect("household add");
    }
    let a = me(&server, &alice).await;
    let b = me(&server, &bob).await;
    assert_eq!(a["household"]["name"], "home");
    let list = a["household"]["grocery_list_id"]
        .as_str()
        .expect("a household list")
        .to_owned();
    assert_eq!(
        b["household"], a["household"],
        "one list and one plan for both"
    );
    assert_ne!(a["grocery_list_id"].as_str(), Some(list.as_str()));
    let plan = a["household"]["meal_plan_id"]
        .as_str()
        .expect("a household plan");
    assert_ne!(a["meal_plan_id"].as_str(), Some(plan));
    assert_ne!(plan, list);
    assert_eq!(me(&server, &carol).await["household"], Value::Null);
    (server, admin, [alice, bob, carol], list)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_share_the_household_list_and_no_one_else_can_tell_it_exists() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, admin, [alice, bob, carol], list) = household(tmp.path()).await;

    // Both members write the list from their devices, and each sees the other's change.
    let on_alice = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let on_bob = Device::connect(&server.base(), &bob.token, &bob.id).await;
    let a = on_alice.find(&list).await.expect("alice finds the list");
    let b = on_bob.find(&list).await.expect("bob finds the list");
    set(&a, "note", "from alice");
    on_alice.pushed(&a).await;
    until_value(&b, "note", "from alice").await;
    set(&b, "note2", "from bob");
    on_bob.pushed(&b).await;
    until_value(&a, "note2", "from bob").await;
    // And the grocery API works on it for members.
    let res = grocery(&server, &alice, &list).await;
    assert_eq!(res.status(), 200);

    // Both members' feeds list it.
    server.hub().feed_settled().await.unwrap();
    for user in [&alice, &bob] {
        assert!(feed_lists(&server.changes(&user.token, 0).await, &list));
    }

    // Carol, outside: exactly what a document that does not exist gets, on every path. The
    // websocket: unavailable (and her probe claims nothing).
    let missing = larder_sync_server::sync::DocId::random().to_string();
    on_alice.stop().await;
    let on_carol = Device::connect(&server.base(), &carol.token, &carol.id).await;
    assert!(on_carol.find(&list).await.is_none());
    // Her own document syncs, so the socket itself works.
    let hers = create(&on_carol, "carol's").await;
    on_carol.pushed(&hers).await;
    assert!(on_carol.find(&missing).await.is_none());
    assert!(matches!(
        server.hub().doc_principal(&list).unwrap(),
        Some(larder_sync_server::store::Principal::Household(_))
    ));
    // The feed.
    server.hub().feed_settled().await.unwrap();
    assert!(!feed_lists(&server.changes(&carol.token, 0).await, &list));
    // The bulk fetch: the same frame as for a missing id.
    assert_eq!(
        fetch(&server, &carol, &list).await,
        Frame::Unavailable { id: list.clone() }
    );
    assert_eq!(
        fetch(&server, &carol, &missing).await,
        Frame::Unavailable {
            id: missing.clone()
        }
    );
    assert!(matches!(
        fetch(&server, &bob, &list).await,
        Frame::Document { .. }
    ));
    // The grocery API: the same error as for a missing list, nothing written.
    let probe = expect_error(grocery(&server, &carol, &list).await, 404, "list_not_found").await;
    let none = expect_error(
        grocery(&server, &carol, &missing).await,
        404,
        "list_not_found",
    )
    .await;
    assert_eq!(probe, none);
    let add = server
        .client
        .post(server.url(&format!("/api/v1/grocery/items?list={list}")))
        .bearer_auth(&carol.token)
        .json(&json!({ "name": "crisps" }))
        .send()
        .await
        .unwrap();
    expect_error(add, 404, "list_not_found").await;
    let items = server
        .hub()
        .read_document(&list, |am| {
            larder_sync_server::hook::doc::read(am).map(|l| l.items.len())
        })
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(items, 0);

    on_bob.stop().await;
    on_carol.stop().await;
    admin.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_loses_the_list_from_their_feed_and_their_open_socket_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (server, admin, [alice, bob, _carol], list) = household(tmp.path()).await;
    let on_alice = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let on_bob = Device::connect(&server.base(), &bob.token, &bob.id).await;
    let a = on_alice.find(&list).await.expect("alice finds the list");
    let b = on_bob.find(&list).await.expect("bob finds the list");
    set(&a, "note", "before");
    on_alice.pushed(&a).await;
    until_value(&b, "note", "before").await;
    server.hub().feed_settled().await.unwrap();
    assert!(feed_lists(&server.changes(&bob.token, 0).await, &list));

    let out = admin
        .run(AdminCommand::HouseholdRemove {
            name: "home".into(),
            user: "bob".into(),
        })
        .await
        .expect("household remove");
    assert!(
        out.stdout.contains("user bob removed from household home"),
        "{out:?}"
    );

    // Gone from his feed and his /me; the grocery API answers as for a missing list.
    assert!(!feed_lists(&server.changes(&bob.token, 0).await, &list));
    assert_eq!(me(&server, &bob).await["household"], Value::Null);
    expect_error(grocery(&server, &bob, &list).await, 404, "list_not_found").await;

    // Alice edits; it reaches her device, not bob's still-open socket.
    set(&a, "note", "after");
    on_alice.pushed(&a).await;
    server.hub().feed_settled().await.unwrap();
    // A round trip on bob's socket after the edit was stored and sent to the list's peers:
    // anything the relay had sent him about the list arrives before this answer.
    let mine = create(&on_bob, "bob's own").await;
    on_bob.pushed(&mine).await;
    assert_eq!(get(&b, "note").as_deref(), Some("before"));
    assert!(!feed_lists(&server.changes(&bob.token, 0).await, &list));
    assert!(feed_lists(&server.changes(&alice.token, 0).await, &list));
    // The relay's copy has alice's edit.
    let relay_note = |server: &TestServer| {
        let hub = std::sync::Arc::clone(server.hub());
        let list = list.clone();
        async move {
            hub.read_document(&list, |am| {
                am.get(automerge::ROOT, "note")
                    .ok()
                    .flatten()
                    .and_then(|(v, _)| v.as_str().map(str::to_owned))
            })
            .await
            .unwrap()
            .unwrap()
        }
    };
    assert_eq!(relay_note(&server).await.as_deref(), Some("after"));

    // Added again: the list is back in his feed (the backlog on joining).
    admin
        .run(AdminCommand::HouseholdAdd {
            name: "home".into(),
            user: "bob".into(),
        })
        .await
        .expect("household add again");
    assert!(feed_lists(&server.changes(&bob.token, 0).await, &list));

    on_alice.stop().await;
    on_bob.stop().await;
    admin.stop().await;
    server.stop().await;
}
