//! A document leaves the relay's memory once no device has synced it for
//! `sync_idle_unload_secs`, and loads again from storage when a device asks for it; an open
//! connection that syncs it keeps it loaded.

mod common;

use std::time::{Duration, Instant};

use common::docs::{create, heads, set};
use common::sync_client::Device;
use common::{TestServer, config};

/// Waits (bounded) until the relay has `n` documents loaded.
async fn until_loaded(server: &TestServer, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let loaded = server.hub().loaded_documents().await.unwrap();
        if loaded == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {n} loaded documents (have {loaded})"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_document_is_unloaded_and_loads_again() {
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
    assert_eq!(server.hub().unload_idle(Duration::ZERO).await.unwrap(), 0);
    assert_eq!(server.hub().loaded_documents().await.unwrap(), 1);

    // Once the laptop is gone, the relay lets go of it by itself.
    laptop.stop().await;
    until_loaded(&server, 0).await;

    // A phone connects: the document loads from storage, with the laptop's change in it.
    let phone = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let on_phone = phone
        .find(&id)
        .await
        .expect("the relay still has the document");
    assert_eq!(heads(&on_phone), heads(&recipe));
    assert_eq!(server.hub().loaded_documents().await.unwrap(), 1);
    set(&on_phone, "title", "leek soup");
    phone.pushed(&on_phone).await;
    // The change feed records the edit made on the reloaded document.
    let want = heads(&on_phone);
    let user = larder_sync_server::store::UserId::parse(&alice.id).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server
        .store()
        .feed_since(&user, 0, 10)
        .unwrap()
        .iter()
        .any(|e| e.doc_id == id && e.heads == want)
    {
        assert!(
            Instant::now() < deadline,
            "the feed never recorded the phone's edit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    phone.stop().await;
    server.stop().await;
}
