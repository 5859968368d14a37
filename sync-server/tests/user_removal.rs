//! `larder-server user remove` on a running relay, through its admin socket as operators run
//! it: the user's sessions, sync connection, repo, documents (chunks, ownership, change feed),
//! grocery list, meal plan, calendar feed token and the bytes of files only they held all go;
//! another user's documents and a file both of them uploaded stay.

mod common;

use common::docs::create;
use common::sync_client::{Device, within};
use common::{TestServer, config};
use larder_sync_server::admin_commands::AdminCommand;
use larder_sync_server::blobs::BlobHash;
use larder_sync_server::store::UserId;
use serde_json::Value;
use sha2::{Digest, Sha256};

const PW: &str = "correct horse";

fn hash_of(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn blob_path(server: &TestServer, hash: &str) -> std::path::PathBuf {
    server
        .state
        .blobs
        .files
        .path(&BlobHash::parse(hash).expect("a hash"))
}

/// The user's grocery list and meal plan (made by the relay on the first `/me`).
async fn lists_of(server: &TestServer, token: &str) -> (String, String) {
    let me: Value = server.me(token).await.json().await.expect("json");
    let id = |field: &str| me[field].as_str().expect(field).to_owned();
    (id("grocery_list_id"), id("meal_plan_id"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_user_deletes_their_data_and_nobody_elses() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let admin = server.admin_socket(tmp.path()).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    let alice_id = UserId::parse(&alice.id).unwrap();
    let bob_id = UserId::parse(&bob.id).unwrap();

    // Alice: a recipe synced from her laptop (which stays connected), her grocery list, a
    // photo only she uploaded and one bob uploaded too. Bob: a recipe of his own.
    let laptop = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let recipe = create(&laptop, "alice's soup").await;
    laptop.pushed(&recipe).await;
    let recipe_id = recipe.document_id().to_string();
    let (list, plan) = lists_of(&server, &alice.token).await;
    // And a calendar feed address for her plan.
    let feed = server
        .client
        .post(server.url("/api/v1/plan/calendar"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 201);
    let bobs_device = Device::connect(&server.base(), &bob.token, &bob.id).await;
    let bobs_recipe = create(&bobs_device, "bob's bread").await;
    bobs_device.pushed(&bobs_recipe).await;
    let bobs_recipe_id = bobs_recipe.document_id().to_string();
    let (own, shared) = (b"only alice has this".to_vec(), b"both have this".to_vec());
    let (own_hash, shared_hash) = (hash_of(&own), hash_of(&shared));
    for (token, hash, bytes) in [
        (&alice.token, &own_hash, &own),
        (&alice.token, &shared_hash, &shared),
        (&bob.token, &shared_hash, &shared),
    ] {
        let res = server
            .put_blob(token, hash, bytes.clone(), "image/jpeg")
            .await;
        assert!(res.status().is_success(), "upload: {}", res.status());
    }
    let store = server.store();
    assert!(!store.chunks_under(&recipe_id).unwrap().is_empty());
    assert!(blob_path(&server, &own_hash).exists());

    let out = admin
        .run(AdminCommand::UserRemove {
            name: "alice".into(),
        })
        .await
        .expect("remove through the admin socket");
    assert!(
        out.stdout
            .contains("removed with 3 document(s) and 1 attached file(s)"),
        "{out:?}"
    );

    // Her documents, their ownership and her feed are gone; so are her only file's bytes.
    for doc in [&recipe_id, &list, &plan] {
        assert!(
            store.chunks_under(doc).unwrap().is_empty(),
            "chunks of {doc}"
        );
        assert_eq!(store.doc_owner(doc).unwrap(), None, "owner of {doc}");
        assert_eq!(store.feed_mark(doc).unwrap(), None, "mark of {doc}");
    }
    assert!(store.feed_since(&alice_id, 0, 100).unwrap().is_empty());
    assert!(!blob_path(&server, &own_hash).exists());
    assert!(store.user(&alice_id).unwrap().is_none());
    assert_eq!(store.user_calendar_token(&alice_id).unwrap(), None);
    // Her session is dead, and nothing is made for her again by anyone holding her id.
    assert_eq!(server.me(&alice.token).await.status(), 401);
    assert!(
        server
            .hub()
            .create_owned_document(&alice_id, automerge::Automerge::new())
            .await
            .is_err()
    );
    assert!(
        store.chunks_under(&recipe_id).unwrap().is_empty(),
        "nothing of hers was written back"
    );

    // Bob keeps everything: his recipe, his feed, the file they both uploaded.
    assert!(!store.chunks_under(&bobs_recipe_id).unwrap().is_empty());
    assert_eq!(
        store.doc_owner(&bobs_recipe_id).unwrap(),
        Some(bob_id.clone())
    );
    assert!(
        store
            .feed_since(&bob_id, 0, 100)
            .unwrap()
            .iter()
            .any(|e| e.doc_id == bobs_recipe_id)
    );
    let res = server
        .client
        .get(server.url(&format!("/api/v1/blobs/{shared_hash}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), shared.as_slice());

    // Removing her again says she does not exist and changes nothing.
    let again = admin
        .run(AdminCommand::UserRemove {
            name: "alice".into(),
        })
        .await;
    assert!(
        again
            .as_ref()
            .is_err_and(|e| e.to_string().contains("does not exist")),
        "{again:?}"
    );

    within(laptop.stop(), "alice's laptop to stop").await;
    bobs_device.stop().await;
    admin.stop().await;
    server.stop().await;
}
