//! Protocol conformance: the relay as the two real automerge-repo clients Larder ships see it —
//! the JS `@automerge/automerge-repo` with its websocket client adapter (a Node child process,
//! tests/js/client.mjs, with the ticket flow the browser uses) and a samod repo — each over the
//! relay's own websocket, one user's devices sharing documents:
//! - a document created on either side reaches the other, and so do edits, both ways;
//! - an unknown document id is unavailable to both (the JS side is told `doc-unavailable`);
//! - another user's document is unavailable to both, nothing of it reaches them, and a JS
//!   device forging a document under its id changes nothing of the owner's;
//! - both go offline, edit the same document, reconnect, and end with identical heads, equal
//!   to the relay's (its change feed, and what it serves a fresh device).
//!
//! Only the wire is used (HTTP, the websocket, the feed), so these hold for any relay that
//! speaks the protocol.

mod common;

use std::time::Duration;

use automerge::ReadDoc;
use common::docs::{create, heads, set};
use common::js_client::{JsDevice, heads_of};
use common::raw_peer::{fetch, new_doc_id};
use common::scene::{PW, eventually, feed};
use common::switched::{RelayAddr, SwitchedDevice};
use common::sync_client::{Device, within};
use common::{SignedIn, TestServer, config};
use futures::StreamExt;
use samod::DocHandle;
use serde_json::{Value, json};

/// Waits until the relay's feed lists `doc` with exactly `want` (sorted) as its heads.
async fn feed_shows(server: &TestServer, user: &SignedIn, doc: &str, want: &[String]) {
    eventually(&format!("the feed to show {doc} at {want:?}"), || async {
        feed(server, &user.token).await.get(doc).map(Vec::as_slice) == Some(want)
    })
    .await;
}

/// Waits until a samod document has exactly `want` (sorted) as its heads.
async fn samod_reaches(handle: &DocHandle, want: &[String]) {
    let mut changes = handle.changes();
    within(
        async {
            while heads(handle) != want {
                changes.next().await;
            }
        },
        &format!("the samod device to reach {want:?}"),
    )
    .await;
}

/// A string at the root of a samod document: a scalar string (as samod and Rust write them)
/// or a text object (as the JS automerge writes strings).
fn text(handle: &DocHandle, key: &str) -> Option<String> {
    handle.with_document(|d| match d.get(automerge::ROOT, key).unwrap() {
        Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
            automerge::ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Some((automerge::Value::Object(automerge::ObjType::Text), id)) => d.text(&id).ok(),
        _ => None,
    })
}

/// What the relay serves a fresh device of `user` for `doc`: its sorted heads.
async fn relay_heads(server: &TestServer, user: &SignedIn, doc: &str) -> Vec<String> {
    let (served, _) = fetch(
        &reqwest::Client::new(),
        &server.base(),
        &user.token,
        &user.id,
        doc,
    )
    .await;
    let served = served.unwrap_or_else(|| panic!("the relay does not serve {doc}"));
    let mut h: Vec<String> = served.get_heads().iter().map(|h| h.to_string()).collect();
    h.sort();
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn js_and_samod_share_documents_and_edits() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    let mut js = JsDevice::connect(&server.base(), &alice.token, &alice.id).await;
    let samod = Device::connect(&server.base(), &alice.token, &alice.id).await;

    // Created and edited in JS; the relay stores it; samod finds it as it is.
    let (soup, _) = js.create("Soup").await;
    let after_js = js.edit(&soup, "serves", "4").await;
    feed_shows(&server, &alice, &soup, &after_js).await;
    let on_samod = samod
        .find(&soup)
        .await
        .expect("samod finds the JS document");
    samod_reaches(&on_samod, &after_js).await;
    assert_eq!(text(&on_samod, "title").as_deref(), Some("Soup"));
    assert_eq!(text(&on_samod, "serves").as_deref(), Some("4"));

    // Edited in samod; the JS device sees it.
    set(&on_samod, "serves", "6");
    samod.pushed(&on_samod).await;
    let seen = js.wait_heads(&soup, &heads(&on_samod)).await;
    assert_eq!(seen["content"], json!({"title": "Soup", "serves": "6"}));

    // Created in samod; JS finds it and edits it; samod sees that.
    let stew = create(&samod, "Stew").await;
    samod.pushed(&stew).await;
    let stew_id = stew.document_id().to_string();
    let found = js.find(&stew_id).await;
    assert_eq!(found["found"], true, "{found}");
    assert_eq!(heads_of(&found), heads(&stew));
    assert_eq!(found["content"], json!({"title": "Stew"}));
    let after_js = js.edit(&stew_id, "notes", "more pepper").await;
    samod_reaches(&stew, &after_js).await;
    assert_eq!(text(&stew, "notes").as_deref(), Some("more pepper"));

    // The relay agrees with both.
    feed_shows(&server, &alice, &soup, &heads(&on_samod)).await;
    feed_shows(&server, &alice, &stew_id, &after_js).await;
    assert_eq!(relay_heads(&server, &alice, &stew_id).await, after_js);

    js.quit().await;
    samod.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_unavailable() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    let mut js = JsDevice::connect(&server.base(), &alice.token, &alice.id).await;
    let samod = Device::connect(&server.base(), &alice.token, &alice.id).await;

    let unknown = new_doc_id();
    let found = js.find(&unknown).await;
    assert_eq!(found["found"], false, "{found}");
    assert_eq!(found["state"], "unavailable", "{found}");
    let told = js.inbound(&unknown).await;
    assert!(
        told.iter().any(|m| m["type"] == "doc-unavailable"),
        "the relay told the JS device nothing: {told:?}"
    );
    assert!(
        told.iter().all(|m| m["type"] == "doc-unavailable"),
        "{told:?}"
    );

    assert!(samod.find(&new_doc_id()).await.is_none());
    // Asking made no document.
    assert!(feed(&server, &alice.token).await.is_empty());

    js.quit().await;
    samod.stop().await;
    server.stop().await;
}

/// Every message `js` got about `doc` says it is unavailable, or carries neither changes nor
/// heads of it.
async fn told_nothing(js: &mut JsDevice, doc: &str) -> Vec<Value> {
    let told = js.inbound(doc).await;
    for m in &told {
        let empty = m["changes"] == 0 && m["heads"] == 0;
        assert!(
            m["type"] == "doc-unavailable" || (m["type"] == "sync" && empty),
            "the relay leaked {doc} to another user: {m}"
        );
    }
    told
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_document_is_unavailable_and_stays_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    let owner = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let secret = create(&owner, "Grandma's secret").await;
    set(&secret, "method", "slowly");
    owner.pushed(&secret).await;
    let secret_id = secret.document_id().to_string();
    let original = heads(&secret);
    feed_shows(&server, &alice, &secret_id, &original).await;

    // Asked for by id: unavailable to bob's JS and samod devices, nothing of it sent.
    let mut js = JsDevice::connect(&server.base(), &bob.token, &bob.id).await;
    let found = js.find(&secret_id).await;
    assert_eq!(found["found"], false, "{found}");
    assert_eq!(found["state"], "unavailable", "{found}");
    let told = told_nothing(&mut js, &secret_id).await;
    assert!(
        told.iter().any(|m| m["type"] == "doc-unavailable"),
        "{told:?}"
    );
    let samod = Device::connect(&server.base(), &bob.token, &bob.id).await;
    assert!(samod.find(&secret_id).await.is_none());

    // Bob's JS device forges a document under that id and syncs it: the relay reacts (a
    // further doc-unavailable, or a closed connection) and keeps alice's as it was.
    let before = (js.inbound(&secret_id).await.len(), js.connections().await);
    let forged = js
        .call(json!({"op": "import", "doc": secret_id, "title": "pwned", "key": "evil", "value": "yes"}))
        .await;
    assert_eq!(forged["content"]["evil"], "yes");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if (js.inbound(&secret_id).await.len(), js.connections().await) != before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the relay never answered the forged sync"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    told_nothing(&mut js, &secret_id).await;
    assert_eq!(js.get(&secret_id).await["content"], forged["content"]);

    assert_eq!(relay_heads(&server, &alice, &secret_id).await, original);
    feed_shows(&server, &alice, &secret_id, &original).await;
    assert!(!feed(&server, &bob.token).await.contains_key(&secret_id));
    assert_eq!(heads(&secret), original);
    assert_eq!(text(&secret, "evil"), None);
    // A JS device of alice's gets her document, without the forgery.
    let mut alices_js = JsDevice::connect(&server.base(), &alice.token, &alice.id).await;
    let hers = alices_js.find(&secret_id).await;
    assert_eq!(hers["found"], true, "{hers}");
    assert_eq!(
        hers["content"],
        json!({"title": "Grandma's secret", "method": "slowly"})
    );

    js.quit().await;
    alices_js.quit().await;
    samod.stop().await;
    owner.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_on_js_and_samod_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    let addr = RelayAddr::new(Some(server.base()));
    let samod = SwitchedDevice::start(&addr, &alice.token, &alice.id).await;
    let mut js = JsDevice::connect(&server.base(), &alice.token, &alice.id).await;

    let on_samod = {
        let mut doc = automerge::Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| {
            automerge::transaction::Transactable::put(tx, automerge::ROOT, "title", "Pie")
        })
        .unwrap();
        samod.repo.create(doc).await.unwrap()
    };
    samod.pushed(&on_samod).await;
    let id = on_samod.document_id().to_string();
    assert_eq!(js.find(&id).await["found"], true);

    js.offline().await;
    samod.offline().await;
    js.edit(&id, "crust", "butter").await;
    let js_heads = js.edit(&id, "oven", "200 from js").await;
    set(&on_samod, "filling", "apple");
    set(&on_samod, "oven", "180 from samod");
    let samod_heads = heads(&on_samod);
    assert_ne!(js_heads, samod_heads);

    samod.online().await;
    js.online().await;
    // The two offline branches are concurrent: the merged heads are both branches' heads.
    let mut merged: Vec<String> = js_heads.iter().chain(&samod_heads).cloned().collect();
    merged.sort();
    merged.dedup();
    let on_js = js.wait_heads(&id, &merged).await;
    samod_reaches(&on_samod, &merged).await;
    feed_shows(&server, &alice, &id, &merged).await;
    assert_eq!(relay_heads(&server, &alice, &id).await, merged);

    // Same heads, same content: every edit kept, the conflicting key resolved alike.
    let content = &on_js["content"];
    assert_eq!(content["title"], "Pie");
    assert_eq!(content["crust"], "butter");
    assert_eq!(content["filling"], "apple");
    assert_eq!(
        content["oven"].as_str(),
        text(&on_samod, "oven").as_deref(),
        "{content}"
    );

    js.quit().await;
    samod.stop().await;
    server.stop().await;
}
