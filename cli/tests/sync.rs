//! End to end: `larder` CLI profiles (real processes) syncing through a real relay started in
//! this test on 127.0.0.1:0. Two profiles of one user see each other's recipes, edits, deletes
//! and grocery check-offs, and one meal plan (adopted by every device, meals planned offline on
//! both merging); offline edits merge; other users see nothing; a rejected session
//! signs the device out and keeps its edits; a profile's pre-sign-in data joins the account;
//! a file attached offline is uploaded by the next sync and another device fetches it on demand.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::oneshot;

mod common;

use common::{Relay, json, larder, login, ok};

async fn titles(data: &Path, query: &str) -> Vec<String> {
    let mut args = vec!["search", "--json"];
    if !query.is_empty() {
        args.insert(1, query);
    }
    let hits = json(data, &args).await;
    let mut titles: Vec<String> = hits
        .as_array()
        .expect("array")
        .iter()
        .map(|h| h["title"].as_str().expect("title").to_string())
        .collect();
    titles.sort();
    titles
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_of_one_user_share_recipes_edits_deletes_and_groceries() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("alice", "correct horse battery");
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (a.path(), b.path());

    // A profile with a recipe and a grocery item before it ever signs in keeps them.
    let early = ok(
        a,
        &[
            "add",
            "--title",
            "Offline focaccia",
            "--ingredient",
            "500 g flour",
        ],
    )
    .await;
    let early = early.trim().to_string();
    ok(a, &["grocery", "add", "olive oil"]).await;
    // And a meal planned before signing in goes into the user's plan.
    ok(a, &["plan", "add", "2026-12-07", "dinner", "Soup night"]).await;
    login(a, &relay, "alice", "correct horse battery").await;
    login(b, &relay, "alice", "correct horse battery").await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    assert_eq!(titles(b, "").await, vec!["Offline focaccia"]);
    let items = json(b, &["grocery", "list", "--json"]).await;
    assert_eq!(items[0]["name"], "olive oil");
    let meals = |week: &serde_json::Value| -> Vec<String> {
        week["days"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|d| d["entries"].as_array().cloned().unwrap_or_default())
            .map(|e| format!("{} {} {}", e["date"], e["slot"], e["title"]).replace('"', ""))
            .collect()
    };
    let week = json(b, &["plan", "week", "2026-12-07", "--json"]).await;
    assert_eq!(meals(&week), ["2026-12-07 dinner Soup night"]);
    // Both plan the same week offline; after syncing both have both meals.
    ok(b, &["plan", "add", "2026-12-08", "lunch", "Salad"]).await;
    ok(a, &["plan", "add", "2026-12-09", "dinner", "Curry"]).await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    ok(a, &["sync", "--once"]).await;
    let (on_a, on_b) = (
        json(a, &["plan", "week", "2026-12-07", "--json"]).await,
        json(b, &["plan", "week", "2026-12-07", "--json"]).await,
    );
    assert_eq!(meals(&on_a), meals(&on_b));
    assert_eq!(meals(&on_a).len(), 3, "{:?}", meals(&on_a));

    // Concurrent offline edits to different fields of one recipe merge.
    ok(a, &["edit", &early, "--title", "Rosemary focaccia"]).await;
    ok(
        b,
        &[
            "edit",
            &early,
            "--servings",
            "8",
            "--add-step",
            "Dimple the dough.",
        ],
    )
    .await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    ok(a, &["sync", "--once"]).await;
    let on_a = json(a, &["show", &early, "--json"]).await;
    let on_b = json(b, &["show", &early, "--json"]).await;
    assert_eq!(on_a, on_b);
    assert_eq!(on_a["title"], "Rosemary focaccia");
    assert_eq!(on_a["servings"], 8);
    assert_eq!(on_a["steps"][0], "Dimple the dough.");

    // A new recipe and a grocery check-off travel; then a delete does.
    let soup = ok(
        b,
        &["add", "--title", "Leek soup", "--ingredient", "3 leeks"],
    )
    .await;
    let soup = soup.trim().to_string();
    ok(b, &["grocery", "check", "olive oil"]).await;
    ok(b, &["sync", "--once"]).await;
    ok(a, &["sync", "--once"]).await;
    assert_eq!(titles(a, "leek").await, vec!["Leek soup"]);
    let items = json(a, &["grocery", "list", "--json"]).await;
    assert_eq!(items[0]["checked"], true);
    ok(a, &["rm", &soup]).await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    assert!(titles(b, "leek").await.is_empty());

    // Nothing is left pending.
    let status = json(a, &["status", "--json"]).await;
    assert_eq!(status["pending"], 0);
    assert_eq!(status["signed_in"], true);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_isolated_and_bad_sessions_are_refused() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("alice", "correct horse battery");
    relay.add_user("bob", "tr0ub4dor&3 staple");
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (a.path(), b.path());

    let wrong = larder(
        a,
        &["login", "--server", &relay.url(), "--user", "alice"],
        Some("not the password"),
    )
    .await;
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong user name or password"));

    login(a, &relay, "alice", "correct horse battery").await;
    login(b, &relay, "bob", "tr0ub4dor&3 staple").await;
    ok(a, &["add", "--title", "Alice's secret stew"]).await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    assert!(
        titles(b, "").await.is_empty(),
        "bob sees none of alice's recipes"
    );

    // Signing out revokes the token on the relay: a copy of the profile made before signing
    // out is refused, falls back to signed out, and keeps its local edit for the next sign-in.
    ok(a, &["add", "--title", "Edit made before sign-out"]).await;
    let copy = tempfile::tempdir().expect("copy");
    std::fs::copy(a.join("larder.db"), copy.path().join("larder.db")).expect("copy db");
    ok(a, &["logout"]).await;
    let out = larder(a, &["sync", "--once"], None).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not signed in"));
    assert_eq!(
        titles(a, "").await.len(),
        2,
        "local data stays after sign-out"
    );

    let out = larder(copy.path(), &["sync", "--once"], None).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rejected the session"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(copy.path(), &["status", "--json"]).await["signed_in"],
        false
    );
    login(copy.path(), &relay, "alice", "correct horse battery").await;
    ok(copy.path(), &["sync", "--once"]).await;
    let c = tempfile::tempdir().expect("third device");
    login(c.path(), &relay, "alice", "correct horse battery").await;
    ok(c.path(), &["sync", "--once"]).await;
    assert_eq!(
        titles(c.path(), "").await,
        vec!["Alice's secret stew", "Edit made before sign-out"]
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_relay_fails_clearly_and_edits_wait_for_it() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("carol", "a long enough password");
    let port = relay.addr.port();
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (a.path(), b.path());
    login(a, &relay, "carol", "a long enough password").await;
    login(b, &relay, "carol", "a long enough password").await;
    relay.stop().await;

    ok(a, &["add", "--title", "Made while the relay was down"]).await;
    let out = larder(a, &["sync", "--once"], None).await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot reach the relay"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(a, &["status", "--json"]).await["pending"]
            .as_u64()
            .map(|p| p > 0),
        Some(true)
    );

    // The relay comes back on the same address and data: the edit goes through.
    let relay = Relay::start(relay_dir.path(), port).await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    assert_eq!(titles(b, "").await, vec!["Made while the relay was down"]);
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attachment_made_offline_reaches_another_device_byte_identical() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("dora", "a long enough password");
    let port = relay.addr.port();
    let (a, b, files) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
        tempfile::tempdir().expect("files"),
    );
    let (a, b, files) = (a.path(), b.path(), files.path());
    login(a, &relay, "dora", "a long enough password").await;
    login(b, &relay, "dora", "a long enough password").await;
    let recipe = ok(a, &["add", "--title", "Sourdough"])
        .await
        .trim()
        .to_string();
    ok(a, &["sync", "--once"]).await;
    relay.stop().await;

    // Attached while the relay is down: kept on the device, queued, and the sync says so.
    let photo: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let photo_path = files.join("crumb shot.jpg");
    std::fs::write(&photo_path, &photo).expect("write photo");
    let attached = json(
        a,
        &[
            "attach",
            &recipe,
            photo_path.to_str().expect("utf-8"),
            "--json",
        ],
    )
    .await;
    assert_eq!(attached["file_name"], "crumb shot.jpg");
    assert_eq!(attached["media_type"], "image/jpeg");
    assert_eq!(attached["size"], 300_000);
    let sha = attached["sha256"].as_str().expect("sha").to_string();
    let status = json(a, &["status", "--json"]).await;
    assert_eq!(status["pending_uploads"], 1);
    assert!(!larder(a, &["sync", "--once"], None).await.status.success());
    assert_eq!(json(a, &["status", "--json"]).await["pending_uploads"], 1);

    // Back online: the document and the file go up.
    let relay = Relay::start(relay_dir.path(), port).await;
    ok(a, &["sync", "--once"]).await;
    let status = json(a, &["status", "--json"]).await;
    assert_eq!(status["pending_uploads"], 0);
    assert_eq!(status["pending"], 0);
    let stored = relay_dir.path().join("blobs").join(&sha[..2]).join(&sha);
    assert_eq!(std::fs::read(&stored).expect("on the relay"), photo);

    // Device B sees the attachment; its bytes come on demand.
    ok(b, &["sync", "--once"]).await;
    let listed = json(b, &["attachment", "list", &recipe, "--json"]).await;
    assert_eq!(listed[0]["file_name"], "crumb shot.jpg");
    assert_eq!(listed[0]["on_device"], false);
    relay.stop().await;
    let out_path = files.join("on b.jpg");
    let out_arg = out_path.to_str().expect("utf-8");
    let offline = larder(
        b,
        &[
            "attachment",
            "get",
            &recipe,
            "crumb shot.jpg",
            "-o",
            out_arg,
        ],
        None,
    )
    .await;
    assert!(!offline.status.success());
    let stderr = String::from_utf8_lossy(&offline.stderr);
    assert!(
        stderr.contains("not on this device") && stderr.contains("unreachable"),
        "{stderr}"
    );
    assert!(!out_path.exists());

    let relay = Relay::start(relay_dir.path(), port).await;
    ok(
        b,
        &[
            "attachment",
            "get",
            &recipe,
            "crumb shot.jpg",
            "-o",
            out_arg,
        ],
    )
    .await;
    assert_eq!(std::fs::read(&out_path).expect("fetched"), photo);
    relay.stop().await;

    // Kept in B's cache: readable offline now, by name or hash.
    std::fs::remove_file(&out_path).expect("rm");
    ok(b, &["attachment", "get", &recipe, &sha, "-o", out_arg]).await;
    assert_eq!(std::fs::read(&out_path).expect("cached"), photo);
    let listed = json(b, &["attachment", "list", &recipe, "--json"]).await;
    assert_eq!(listed[0]["on_device"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upload_stays_queued_with_its_reason_and_is_retried() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start_with(relay_dir.path(), 0, |c| c.max_blob_bytes = 1000).await;
    relay.add_user("erin", "a long enough password");
    let port = relay.addr.port();
    let (a, files) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("files"),
    );
    let (a, files) = (a.path(), files.path());
    login(a, &relay, "erin", "a long enough password").await;
    let recipe = ok(a, &["add", "--title", "Scones"])
        .await
        .trim()
        .to_string();
    let file = files.join("card.pdf");
    std::fs::write(&file, vec![7u8; 5000]).expect("write");
    ok(a, &["attach", &recipe, file.to_str().expect("utf-8")]).await;

    // The relay refuses it (too large for this relay): the documents sync, the file stays
    // queued with the reason, and the pass says so.
    let out = larder(a, &["sync", "--once"], None).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("could not be uploaded"), "{stderr}");
    let status = json(a, &["status", "--json"]).await;
    assert_eq!(status["pending"], 0);
    assert_eq!(status["pending_uploads"], 1);
    assert!(
        status["upload_error"]
            .as_str()
            .is_some_and(|e| e.contains("413") && e.contains("1000 bytes")),
        "{status}"
    );
    relay.stop().await;

    // A relay that accepts it: the retry succeeds and the queue empties.
    let relay = Relay::start(relay_dir.path(), port).await;
    ok(a, &["sync", "--once"]).await;
    let status = json(a, &["status", "--json"]).await;
    assert_eq!(status["pending_uploads"], 0);
    assert_eq!(status["upload_error"], Value::Null);
    relay.stop().await;
}

/// Polls `cond` until it holds; panics after `secs` seconds.
async fn eventually(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_recipes_reach_another_device_and_edits_come_back() {
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user("alice", "correct horse battery");
    let (a, b) = (
        tempfile::tempdir().expect("a"),
        tempfile::tempdir().expect("b"),
    );
    let (a, b) = (a.path(), b.path());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/schema_org/top_level_array.json");
    // Imported before signing in: the bulk path writes documents straight into the profile.
    ok(a, &["import", fixture.to_str().expect("path")]).await;
    login(a, &relay, "alice", "correct horse battery").await;
    login(b, &relay, "alice", "correct horse battery").await;
    ok(a, &["sync", "--once"]).await;
    ok(b, &["sync", "--once"]).await;
    let mut on_b = titles(b, "").await;
    on_b.sort();
    assert_eq!(on_b, vec!["Oat and Honey Bread", "Quick Garlic Butter"]);

    let found = json(b, &["search", "garlic", "--json"]).await;
    let id = found[0]["id"].as_str().expect("id").to_string();
    ok(b, &["edit", &id, "--title", "Zanzibar garlic butter"]).await;
    ok(b, &["sync", "--once"]).await;
    ok(a, &["sync", "--once"]).await;
    assert_eq!(titles(a, "zanzibar").await, vec!["Zanzibar garlic butter"]);
}

/// What a test of a running sync works with.
struct RunningSync {
    larder: Arc<larder_core::Larder<larder_core::docstore::SamodStore>>,
    /// A recipe made (and synced) before the engine started.
    recipe: String,
    relay_data: std::path::PathBuf,
}

/// Starts a relay and a signed-in profile holding one recipe, runs the sync engine in this
/// process (as `larder sync` runs it) and, once it is up to date, `drive`; then stops the engine
/// and closes everything.
async fn with_running_sync<F, Fut>(user: &str, drive: F)
where
    F: FnOnce(RunningSync) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use larder_core::sync::{SyncEngine, SyncState};

    let relay_dir = tempfile::tempdir().expect("tempdir");
    let relay = Relay::start(relay_dir.path(), 0).await;
    relay.add_user(user, "a long enough password");
    let profile = tempfile::tempdir().expect("profile");
    let a = profile.path();
    login(a, &relay, user, "a long enough password").await;
    let recipe = ok(a, &["add", "--title", "Pretzels"])
        .await
        .trim()
        .to_string();

    let larder = Arc::new(larder_core::profile::open(a).await.expect("open"));
    let engine = SyncEngine::new(larder.clone()).expect("engine");
    let mut status = engine.status();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let driver = async {
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            status.wait_for(|s| s.state == SyncState::UpToDate && s.pending == 0),
        )
        .await
        .expect("up to date in time")
        .expect("status");
        drive(RunningSync {
            larder: larder.clone(),
            recipe,
            relay_data: relay_dir.path().to_owned(),
        })
        .await;
        let _ = stop_tx.send(());
    };
    let (result, ()) = tokio::join!(
        engine.run(async {
            let _ = stop_rx.await;
        }),
        driver
    );
    result.expect("sync ran");
    drop(engine);
    match Arc::try_unwrap(larder) {
        Ok(larder) => larder.close().await.expect("close"),
        Err(_) => panic!("the profile is still shared"),
    }
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_sync_uploads_a_new_attachment_as_soon_as_it_is_made() {
    with_running_sync("fay", |sync| async move {
        let bytes: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        let attached = sync
            .larder
            .attach_file(&sync.recipe, "twist.png", "", &bytes)
            .await
            .expect("attach");
        let sha = attached.sha256;
        let stored = sync.relay_data.join("blobs").join(&sha[..2]).join(&sha);
        eventually("the relay to have the file", 30, || stored.exists()).await;
        assert_eq!(std::fs::read(&stored).expect("read"), bytes);
        eventually("the upload queue to empty", 30, || {
            sync.larder.store().queued_upload_count().expect("count") == 0
        })
        .await;
    })
    .await;
}

/// samod may store a document's chunks again after the relay has it (merging, compacting),
/// which marks the document unsynced with no local edit behind it. A running sync notices the
/// mark by itself, confirms the document with the relay and clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_marked_unsynced_without_an_edit_is_confirmed_by_a_running_sync() {
    with_running_sync("gus", |sync| async move {
        // A chunk of the recipe stored again under another key, as samod does when it
        // compacts: same changes, new write, a fresh unsynced mark.
        let store = sync.larder.store();
        let (key, bytes) = store
            .kv_load_range(std::slice::from_ref(&sync.recipe))
            .expect("chunks")
            .into_iter()
            .next()
            .expect("the recipe has a chunk");
        let mut copy = key.clone();
        copy.push("again".into());
        store.kv_put(&copy, &bytes).expect("store the chunk again");
        // The recipe is marked (the grocery list may be too, if samod re-saved it just now).
        assert!(
            store
                .unsynced_docs()
                .expect("marks")
                .iter()
                .any(|(doc, _)| *doc == sync.recipe),
            "the rewritten chunk marks its document"
        );
        eventually("the mark to clear without a local edit", 30, || {
            store.unsynced_docs().expect("marks").is_empty()
        })
        .await;
    })
    .await;
}
