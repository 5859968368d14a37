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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_catch_up_shows_its_progress_and_search_answers_meanwhile() {
    use larder_core::sync::{SyncEngine, SyncState};

    const MANY: usize = 600;
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("bea", PASSWORD);
    let (first, new) = (
        tempfile::tempdir().expect("first"),
        tempfile::tempdir().expect("new"),
    );
    let graph: Vec<serde_json::Value> = (0..MANY)
        .map(|i| serde_json::json!({ "@type": "Recipe", "name": format!("Stew {i:03}") }))
        .collect();
    let file = first.path().join("stews.json");
    std::fs::write(&file, serde_json::json!({ "@graph": graph }).to_string()).expect("write");
    ok(first.path(), &["import", file.to_str().expect("path")]).await;
    login(first.path(), &relay, "bea", PASSWORD).await;
    ok(first.path(), &["sync", "--once"]).await;

    login(new.path(), &relay, "bea", PASSWORD).await;
    let larder = std::sync::Arc::new(larder_core::profile::open(new.path()).await.expect("open"));
    let engine = SyncEngine::new(larder.clone()).expect("engine");
    let mut status = engine.status();
    // Every status the catch-up shows, with how many recipes search found at that moment.
    let watcher = tokio::spawn({
        let larder = larder.clone();
        async move {
            let mut seen = Vec::new();
            while status.changed().await.is_ok() {
                let s = status.borrow_and_update().clone();
                let found = larder.search("", 500, 0).expect("search").len();
                let done = s.state == SyncState::UpToDate;
                seen.push((s.progress, found));
                if done {
                    break;
                }
            }
            seen
        }
    });
    let report = engine.sync_once().await.expect("sync");
    assert_eq!(report.pulled_in_bulk, MANY);
    let seen = tokio::time::timeout(std::time::Duration::from_secs(30), watcher)
        .await
        .expect("the status reached up to date")
        .expect("watcher");
    let progress: Vec<(usize, usize, usize)> = seen
        .iter()
        .filter_map(|(p, found)| p.map(|p| (p.done, p.total, *found)))
        .collect();
    println!("progress seen (done, total, found by search): {progress:?}");
    assert!(!progress.is_empty(), "no progress shown: {seen:?}");
    for (i, (done, total, found)) in progress.iter().enumerate() {
        assert_eq!(*total, MANY, "{progress:?}");
        assert!(done <= total);
        // Search answers from what is already there while the rest comes in.
        assert!(*found >= (*done).min(500), "{progress:?}");
        if i > 0 {
            assert!(
                *done >= progress[i - 1].0,
                "progress goes forward: {progress:?}"
            );
        }
    }
    assert_eq!(
        seen.last().map(|(p, _)| *p),
        Some(None),
        "no progress once up to date"
    );
    assert_eq!(larder.search("Stew", 500, 0).expect("search").len(), 500);
    drop(engine);
    relay.stop().await;
}
