//! Bulk transfer end to end: `larder` CLI profiles (real processes) and a real relay. A big
//! import goes up in bulk batches; a new device catches up in bulk and ends with exactly the
//! heads a device that took every document over the websocket has; an adopted recipe then
//! edits and syncs like any other, both ways.

use std::path::Path;

use larder_core::Store;

mod common;

use common::{Relay, json, login, ok};

const RECIPES: usize = 120;
const PASSWORD: &str = "correct horse battery";

/// `(received, received in bulk, sent, sent in bulk)` from `larder sync --once`'s report.
fn report(out: &str) -> (usize, usize, usize, usize) {
    let numbers: Vec<usize> = out
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("number"))
        .collect();
    (numbers[0], numbers[1], numbers[2], numbers[3])
}

/// Every recipe's view heads in a profile (which no process has open).
fn view_heads(profile: &Path) -> Vec<(String, Option<String>)> {
    let store = Store::open(&larder_core::profile::database_path(profile)).expect("open profile");
    let recipes = store.known_recipe_ids().expect("recipe ids");
    let mut heads: Vec<_> = store
        .document_view_heads()
        .expect("view heads")
        .into_iter()
        .filter(|(id, _)| recipes.contains(id))
        .collect();
    heads.sort();
    heads
}

fn export_file(dir: &Path) -> std::path::PathBuf {
    let graph: Vec<serde_json::Value> = (0..RECIPES)
        .map(|i| {
            serde_json::json!({
                "@type": "Recipe",
                "name": format!("Bulk recipe {i:03}"),
                "recipeIngredient": [format!("{} g flour", 100 + i), "1 egg"],
                "recipeInstructions": [format!("Mix for {i} minutes."), "Bake."],
            })
        })
        .collect();
    let path = dir.join("recipes.json");
    let body = serde_json::json!({ "@context": "https://schema.org", "@graph": graph });
    std::fs::write(&path, body.to_string()).expect("write export");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_import_goes_up_in_bulk_and_a_new_device_catches_up_with_the_same_heads() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("alice", PASSWORD);
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("dir")).collect();
    let (a, bulk, live) = (dirs[0].path(), dirs[1].path(), dirs[2].path());

    let file = export_file(a);
    ok(a, &["import", file.to_str().expect("path")]).await;
    login(a, &relay, "alice", PASSWORD).await;
    let (_, _, sent, sent_in_bulk) = report(&ok(a, &["sync", "--once"]).await);
    assert_eq!(
        sent_in_bulk, RECIPES,
        "every imported recipe went up in bulk"
    );
    assert!(sent >= RECIPES);
    assert_eq!(json(a, &["status", "--json"]).await["pending"], 0);

    login(bulk, &relay, "alice", PASSWORD).await;
    let (received, received_in_bulk, _, _) = report(&ok(bulk, &["sync", "--once"]).await);
    assert_eq!(received_in_bulk, RECIPES);
    assert!(received >= RECIPES);
    login(live, &relay, "alice", PASSWORD).await;
    let (received, received_in_bulk, _, _) =
        report(&ok(live, &["sync", "--once", "--no-bulk"]).await);
    assert_eq!(received_in_bulk, 0);
    assert!(received >= RECIPES);

    // Bulk or websocket, the same documents at the same heads, and the origin's.
    let expected = view_heads(a);
    assert_eq!(expected.len(), RECIPES);
    assert_eq!(view_heads(bulk), expected);
    assert_eq!(view_heads(live), expected);
    let hits = json(bulk, &["search", "flour", "--limit", "500", "--json"]).await;
    assert_eq!(hits.as_array().expect("hits").len(), RECIPES);
    assert_eq!(json(bulk, &["status", "--json"]).await["pending"], 0);

    // An adopted recipe edits and syncs like any other, both ways.
    let first = json(bulk, &["search", "Bulk recipe 007", "--json"]).await[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    ok(bulk, &["edit", &first, "--title", "Edited after bulk"]).await;
    ok(bulk, &["sync", "--once"]).await;
    ok(a, &["sync", "--once"]).await;
    let shown = json(a, &["show", &first, "--json"]).await;
    assert_eq!(shown["title"], "Edited after bulk");
    ok(a, &["edit", &first, "--servings", "3"]).await;
    ok(a, &["sync", "--once"]).await;
    ok(bulk, &["sync", "--once"]).await;
    let shown = json(bulk, &["show", &first, "--json"]).await;
    assert_eq!(shown["title"], "Edited after bulk");
    assert_eq!(shown["servings"], 3);
    relay.stop().await;
}
