//! A user's samod repo leaves memory once nothing uses it (`sync_idle_unload_secs`) and comes
//! back from storage when a device connects again; an open connection keeps it loaded.

mod common;

use std::time::{Duration, Instant};

use common::docs::{create, heads, set};
use common::sync_client::Device;
use common::{TestServer, config};

async fn until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_users_repo_is_unloaded_and_loads_again() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path());
    cfg.sync_idle_unload = Duration::from_secs(1);
    let server = TestServer::start(cfg).await;
    let alice = server.signed_in("alice", "correct horse").await;

    let laptop = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let recipe = create(&laptop, "soup").await;
    laptop.pushed(&recipe).await;
    let id = recipe.document_id().to_string();
    // The open connection holds it: not unloaded, however long it has been idle.
    assert_eq!(server.hub().unload_idle(Duration::ZERO).await, 0);
    assert_eq!(server.hub().loaded_shards(), 1);

    // Once the laptop is gone, the relay lets go of the repo by itself.
    laptop.stop().await;
    until("the idle repo to be unloaded", || {
        server.hub().loaded_shards() == 0
    })
    .await;

    // A phone connects: the repo loads from storage, with the laptop's document in it.
    let phone = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let on_phone = phone
        .find(&id)
        .await
        .expect("the relay still has the document");
    assert_eq!(heads(&on_phone), heads(&recipe));
    assert_eq!(server.hub().loaded_shards(), 1);
    set(&on_phone, "title", "leek soup");
    phone.pushed(&on_phone).await;
    // The change feed records the edit made on the reloaded repo.
    let want = heads(&on_phone);
    until("the feed to record the phone's edit", || {
        server
            .store()
            .feed_since(
                &larder_sync_server::store::UserId::parse(&alice.id).unwrap(),
                0,
                10,
            )
            .unwrap()
            .iter()
            .any(|e| e.doc_id == id && e.heads == want)
    })
    .await;
    phone.stop().await;
    server.stop().await;
}
