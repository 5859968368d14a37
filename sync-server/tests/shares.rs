//! Sharing recipes on a running relay, with samod devices on the websocket as clients are:
//! a read-only share reaches the grantee's feed and device, and what the grantee's device
//! sends for it changes nothing anywhere; an editable share merges both users' edits;
//! revoking drops the recipe from the grantee's feed and their open socket gets no later edit;
//! "all my recipes" for a household covers recipes made after the share; a shared recipe's
//! attachment is readable through the recipe (also by a signed URL, which stops working once
//! the share is revoked) and by no one else; bad requests change nothing.

mod common;

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjType, ROOT, ReadDoc};
use common::docs::set;
use common::sync_client::{Device, within};
use common::{SignedIn, TestServer, config, expect_error};
use futures::StreamExt;
use larder_sync_server::admin_commands::AdminCommand;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PW: &str = "correct horse";

fn title(handle: &samod::DocHandle) -> Option<String> {
    handle.with_document(|d| {
        d.get(ROOT, "title")
            .ok()
            .flatten()
            .and_then(|(v, _)| v.as_str().map(str::to_owned))
    })
}

async fn until_title(handle: &samod::DocHandle, value: &str) {
    let mut changes = handle.changes();
    within(
        async {
            while title(handle).as_deref() != Some(value) {
                changes.next().await;
            }
        },
        &format!("title = {value}"),
    )
    .await;
}

/// A document of `kind` with `title` (and, given, an attachment with that hash), pushed.
async fn document(device: &Device, kind: &str, name: &str, attachment: Option<&str>) -> String {
    let mut doc = automerge::Automerge::new();
    doc.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, "kind", kind)?;
        tx.put(ROOT, "title", name)?;
        let list = tx.put_object(ROOT, "attachments", ObjType::List)?;
        if let Some(sha) = attachment {
            let a = tx.insert_object(&list, 0, ObjType::Map)?;
            tx.put(&a, "sha256", sha)?;
            tx.put(&a, "file_name", "card.txt")?;
            tx.put(&a, "media_type", "text/plain")?;
            tx.put(&a, "size", 4_u64)?;
        }
        Ok(())
    })
    .unwrap();
    let handle = device.repo.create(doc).await.expect("create");
    device.pushed(&handle).await;
    handle.document_id().to_string()
}

async fn share(server: &TestServer, user: &SignedIn, body: Value) -> reqwest::Response {
    server
        .client
        .post(server.url("/api/v1/shares"))
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn get(server: &TestServer, user: &SignedIn, path: &str) -> reqwest::Response {
    server
        .client
        .get(server.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap()
}

async fn revoke(server: &TestServer, user: &SignedIn, id: &str) -> reqwest::Response {
    server
        .client
        .delete(server.url(&format!("/api/v1/shares/{id}")))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap()
}

async fn feed_lists(server: &TestServer, user: &SignedIn, doc: &str) -> bool {
    server.hub().feed_settled().await.unwrap();
    server.changes(&user.token, 0).await["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .any(|e| e["doc_id"] == doc)
}

async fn relay_title(server: &TestServer, doc: &str) -> Option<String> {
    server
        .hub()
        .read_document(doc, |am| {
            am.get(ROOT, "title")
                .ok()
                .flatten()
                .and_then(|(v, _)| v.as_str().map(str::to_owned))
        })
        .await
        .unwrap()
        .flatten()
}

/// A round trip on `device`'s socket: anything the relay sent it (or did with what it sent)
/// before this is done once it returns.
async fn round_trip(device: &Device) {
    let mine = common::docs::create(device, "probe").await;
    device.pushed(&mine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_editable_shares_and_revocation() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    let carol = server.signed_in("carol", PW).await;
    let on_alice = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let soup = document(&on_alice, "larder.recipe", "Soup", None).await;
    let secret = document(&on_alice, "larder.recipe", "Secret stew", None).await;
    let list = document(&on_alice, "larder.grocery", "not a recipe", None).await;

    // Bad requests: clear 4xx, nothing shared.
    for (body, status, code) in [
        (
            json!({"with": {"user": "bob"}, "mode": "read"}),
            400,
            "bad_share",
        ),
        (
            json!({"recipes": [&soup], "all_recipes": true, "with": {"user": "bob"}, "mode": "read"}),
            400,
            "bad_share",
        ),
        (
            json!({"recipes": [], "with": {"user": "bob"}, "mode": "read"}),
            400,
            "bad_share",
        ),
        (
            json!({"recipes": ["../x"], "with": {"user": "bob"}, "mode": "read"}),
            400,
            "bad_doc_id",
        ),
        (
            json!({"recipes": [&soup], "with": {"user": "alice"}, "mode": "read"}),
            400,
            "share_with_self",
        ),
        (
            json!({"recipes": [&soup], "with": {"user": "nobody"}, "mode": "read"}),
            404,
            "no_such_grantee",
        ),
        (
            json!({"recipes": [&list], "with": {"user": "bob"}, "mode": "read"}),
            404,
            "recipe_not_found",
        ),
    ] {
        expect_error(share(&server, &alice, body).await, status, code).await;
    }
    // Bob cannot share alice's recipe: answered as for one that does not exist.
    let theirs = share(
        &server,
        &bob,
        json!({"recipes": [&soup], "with": {"user": "carol"}, "mode": "edit"}),
    )
    .await;
    let missing = larder_sync_server::sync::DocId::random().to_string();
    let none = share(
        &server,
        &bob,
        json!({"recipes": [&missing], "with": {"user": "carol"}, "mode": "edit"}),
    )
    .await;
    let (a, b) = (
        expect_error(theirs, 404, "recipe_not_found").await,
        expect_error(none, 404, "recipe_not_found").await,
    );
    assert_eq!(a["error"], b["error"]);
    assert!(!feed_lists(&server, &bob, &soup).await);
    let listed: Value = get(&server, &alice, "/api/v1/shares")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["shares"], json!([]));

    // Read-only to bob: his feed, his incoming list and his device get the soup only.
    let res = share(
        &server,
        &alice,
        json!({"recipes": [&soup], "with": {"user": "bob"}, "mode": "read"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let to_bob: Value = res.json().await.unwrap();
    assert_eq!(
        to_bob["with"],
        json!({"kind": "user", "id": bob.id, "name": "bob"})
    );
    assert_eq!(to_bob["mode"], "read");
    assert!(feed_lists(&server, &bob, &soup).await);
    assert!(!feed_lists(&server, &bob, &secret).await);
    let incoming: Value = get(&server, &bob, "/api/v1/shares/incoming")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        incoming["recipes"],
        json!([{"doc_id": soup, "owner": {"id": alice.id, "name": "alice"}, "mode": "read"}])
    );
    let on_bob = Device::connect(&server.base(), &bob.token, &bob.id).await;
    let bobs = on_bob.find(&soup).await.expect("bob reads the shared soup");
    assert_eq!(title(&bobs).as_deref(), Some("Soup"));
    assert!(on_bob.find(&secret).await.is_none(), "not shared");

    // A change from bob's device is dropped: the relay and alice keep the soup as it was.
    set(&bobs, "title", "Bob was here");
    round_trip(&on_bob).await;
    assert_eq!(relay_title(&server, &soup).await.as_deref(), Some("Soup"));
    // Alice's edits reach bob.
    let alices = on_alice.find(&soup).await.expect("alice's soup");
    set(&alices, "title", "Leek soup");
    on_alice.pushed(&alices).await;
    assert_eq!(
        relay_title(&server, &soup).await.as_deref(),
        Some("Leek soup")
    );

    // Editable to carol: her edit reaches the relay and alice.
    let res = share(
        &server,
        &alice,
        json!({"recipes": [&soup], "with": {"user": "carol"}, "mode": "edit"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let on_carol = Device::connect(&server.base(), &carol.token, &carol.id).await;
    let carols = on_carol.find(&soup).await.expect("carol reads the soup");
    until_title(&carols, "Leek soup").await;
    set(&carols, "note", "more pepper");
    on_carol.pushed(&carols).await;
    let note = |h: &samod::DocHandle| {
        h.with_document(|d| {
            d.get(ROOT, "note")
                .ok()
                .flatten()
                .and_then(|(v, _)| v.as_str().map(str::to_owned))
        })
    };
    within(
        async {
            let mut changes = alices.changes();
            while note(&alices).as_deref() != Some("more pepper") {
                changes.next().await;
            }
        },
        "carol's note on alice's device",
    )
    .await;

    // Alice sees both shares; bob cannot revoke hers.
    let listed: Value = get(&server, &alice, "/api/v1/shares")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["shares"].as_array().unwrap().len(), 2);
    let id = to_bob["id"].as_str().unwrap();
    expect_error(revoke(&server, &bob, id).await, 404, "share_not_found").await;

    // Revoked: gone from bob's feed and incoming list; a later edit never reaches his socket.
    assert_eq!(revoke(&server, &alice, id).await.status(), 204);
    assert!(!feed_lists(&server, &bob, &soup).await);
    let incoming: Value = get(&server, &bob, "/api/v1/shares/incoming")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(incoming["recipes"], json!([]));
    set(&alices, "title", "Potato soup");
    on_alice.pushed(&alices).await;
    until_title(&carols, "Potato soup").await;
    round_trip(&on_bob).await;
    assert_ne!(title(&bobs).as_deref(), Some("Potato soup"));
    assert!(
        feed_lists(&server, &carol, &soup).await,
        "carol's share stands"
    );
    expect_error(revoke(&server, &alice, id).await, 404, "share_not_found").await;

    for device in [on_alice, on_bob, on_carol] {
        device.stop().await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_recipes_for_a_household_with_attachments_and_signed_urls() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let admin = server.admin_socket(tmp.path()).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    let carol = server.signed_in("carol", PW).await;
    admin
        .run(AdminCommand::HouseholdCreate {
            name: "home".into(),
        })
        .await
        .expect("household");
    admin
        .run(AdminCommand::HouseholdAdd {
            name: "home".into(),
            user: "bob".into(),
        })
        .await
        .expect("bob in home");

    let card = b"card".to_vec();
    let sha = hex::encode(Sha256::digest(&card));
    let res = server
        .put_blob(&alice.token, &sha, card.clone(), "text/plain")
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let on_alice = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let cake = document(&on_alice, "larder.recipe", "Cake", Some(&sha)).await;
    let list = document(&on_alice, "larder.grocery", "a list", None).await;

    let res = share(
        &server,
        &alice,
        json!({"all_recipes": true, "with": {"household": "home"}, "mode": "read"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let shared: Value = res.json().await.unwrap();
    assert_eq!(shared["all_recipes"], true);
    assert!(feed_lists(&server, &bob, &cake).await);
    assert!(!feed_lists(&server, &bob, &list).await, "only recipes");
    assert!(
        !feed_lists(&server, &carol, &cake).await,
        "carol is not in home"
    );
    // A recipe made after the share is shared too.
    let pie = document(&on_alice, "larder.recipe", "Pie", None).await;
    assert!(feed_lists(&server, &bob, &pie).await);

    // The attachment: bob reads it through the recipe; not without it; carol not at all.
    let blob = |doc: Option<&str>| {
        let doc = doc.map(|d| format!("?doc={d}")).unwrap_or_default();
        format!("/api/v1/blobs/{sha}{doc}")
    };
    let res = get(&server, &bob, &blob(Some(&cake))).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), card);
    expect_error(get(&server, &bob, &blob(None)).await, 404, "not_found").await;
    expect_error(
        get(&server, &bob, &blob(Some(&pie))).await,
        404,
        "not_found",
    )
    .await;
    expect_error(
        get(&server, &carol, &blob(Some(&cake))).await,
        404,
        "not_found",
    )
    .await;
    // A signed URL made through the share works until the share is revoked.
    let res = server
        .client
        .post(server.url(&format!("/api/v1/blobs/{sha}/url?doc={cake}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let url = res.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let signed = || server.client.get(server.url(&url)).send();
    assert_eq!(signed().await.unwrap().status(), 200);
    let id = shared["id"].as_str().unwrap();
    assert_eq!(revoke(&server, &alice, id).await.status(), 204);
    expect_error(signed().await.unwrap(), 404, "not_found").await;
    expect_error(
        get(&server, &bob, &blob(Some(&cake))).await,
        404,
        "not_found",
    )
    .await;
    assert!(!feed_lists(&server, &bob, &cake).await);
    assert!(!feed_lists(&server, &bob, &pie).await);
    // Alice still reads her own file.
    assert_eq!(get(&server, &alice, &blob(None)).await.status(), 200);

    on_alice.stop().await;
    admin.stop().await;
    server.stop().await;
}
