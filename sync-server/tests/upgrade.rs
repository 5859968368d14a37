//! A data directory written by the samod-based relay (fixtures/samod-relay-data.tar.gz, made by
//! fixtures/make-samod-relay-data.sh from the last commit before the sync core) opens in this
//! relay and syncs to a new device with nothing lost: every recipe and the grocery list, with
//! the heads and content the old relay stored, whether samod kept them as incremental chunks
//! or folded into a snapshot; and the upgraded relay goes on storing new edits.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use autosurgeon::hydrate;
use common::docs::{heads, set};
use common::sync_client::Device;
use common::{TestServer, config};
use larder_core::model::{GroceryDoc, RecipeDoc};
use serde_json::Value;

fn unpack_fixture(into: &std::path::Path) -> std::path::PathBuf {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/samod-relay-data.tar.gz"
    );
    let file = std::fs::File::open(path).expect("the fixture");
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(into)
        .expect("unpacking the fixture");
    into.join("larder-data")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_samod_relays_data_directory_syncs_to_a_new_device() {
    let tmp = tempfile::tempdir().unwrap();
    let data = unpack_fixture(tmp.path());
    let expected: Value =
        serde_json::from_str(include_str!("fixtures/samod-relay-data.json")).unwrap();
    let server = TestServer::start(config(&data)).await;
    let token = server
        .token(
            expected["user"].as_str().unwrap(),
            expected["password"].as_str().unwrap(),
        )
        .await;
    let me: Value = server.me(&token).await.json().await.unwrap();
    let user_id = me["id"].as_str().unwrap().to_owned();
    let list_id = me["grocery_list_id"].as_str().unwrap().to_owned();

    // Both of samod's chunk kinds are in the fixture, so both load paths are exercised.
    let recipes = expected["recipes"].as_array().unwrap();
    let keys: Vec<String> = recipes
        .iter()
        .flat_map(|r| {
            server
                .store()
                .chunks_under(r["id"].as_str().unwrap())
                .unwrap()
        })
        .map(|(k, _)| k)
        .collect();
    assert!(keys.iter().any(|k| k.contains("/snapshot/")), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains("/incremental/")), "{keys:?}");

    // The feed the old relay recorded names every document with its heads…
    let feed = server.changes(&token, 0).await;
    let feed: BTreeMap<String, Vec<String>> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let heads = e["heads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_owned())
                .collect();
            (e["doc_id"].as_str().unwrap().to_owned(), heads)
        })
        .collect();
    for id in recipes
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .chain([list_id.as_str()])
    {
        assert!(feed.contains_key(id), "{id} in {feed:?}");
    }

    // …and a new device gets each of them, as stored.
    let device = Device::connect(&server.base(), &token, &user_id).await;
    for recipe in recipes {
        let id = recipe["id"].as_str().unwrap();
        let handle = device
            .find(id)
            .await
            .unwrap_or_else(|| panic!("recipe {id}"));
        assert_eq!(heads(&handle), feed[id], "heads of {id}");
        let doc: RecipeDoc = handle.with_document(|d| hydrate(d)).unwrap();
        assert_eq!(doc.title, recipe["title"].as_str().unwrap());
    }
    let list = device.find(&list_id).await.expect("the grocery list");
    assert_eq!(heads(&list), feed[&list_id]);
    let groceries: GroceryDoc = list.with_document(|d| hydrate(d)).unwrap();
    let mut names: Vec<String> = groceries.items.values().map(|i| i.name.clone()).collect();
    names.sort();
    let want: Vec<String> = serde_json::from_value(expected["grocery_items"].clone()).unwrap();
    assert_eq!(names, want);

    // The upgraded relay stores an edit to an old document and records it in the feed.
    let bread = recipes.iter().find(|r| r["title"] == "Bread").unwrap()["id"]
        .as_str()
        .unwrap();
    let handle = device.find(bread).await.unwrap();
    set(&handle, "title", "Sourdough");
    device.pushed(&handle).await;
    let want = heads(&handle);
    let stored = server.hub().document_heads(bread).await.unwrap().unwrap();
    let mut stored: Vec<String> = stored.iter().map(ToString::to_string).collect();
    stored.sort();
    assert_eq!(stored, want);
    device.stop().await;
    server.stop().await;

    // After a restart the edit is still there.
    let server = TestServer::start(config(&data)).await;
    // The same hub the server is starting (start_sync runs once).
    let hub = server.state.start_sync().await.unwrap();
    let again = tokio::time::timeout(Duration::from_secs(10), hub.document_heads(bread))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let mut again: Vec<String> = again.iter().map(ToString::to_string).collect();
    again.sort();
    assert_eq!(again, want);
    server.stop().await;
}
