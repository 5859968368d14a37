//! Backups against a real relay on loopback with real samod clients: backup → restore gives
//! the same users, sessions, documents (heads), feed and blobs; a backup taken while edits
//! stream in restores to a consistent state; restore refuses a non-empty directory; verify
//! catches damage; and the binary backs up a running relay through its admin socket.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ROOT};
use common::docs::{create, heads, set};
use common::sync_client::Device;
use common::{SignedIn as User, TestServer, cli, config, stderr, stdout};
use larder_sync_server::backup::{self, BackupError, Manifest};
use larder_sync_server::clock::Clock;
use larder_sync_server::server::admin_socket as admin;
use serde_json::Value;
use sha2::{Digest, Sha256};

const PW: &str = "correct horse";

async fn user(server: &TestServer, name: &str) -> User {
    server.signed_in(name, PW).await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Puts a blob file in place as the blob store would (the blob API lives elsewhere).
fn put_blob(data: &Path, content: &[u8]) -> String {
    let hash = hex(&Sha256::digest(content));
    let dir = data.join("blobs").join(&hash[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&hash), content).unwrap();
    hash
}

fn blob_path(data: &Path, hash: &str) -> PathBuf {
    data.join("blobs").join(&hash[..2]).join(hash)
}

/// Polls `f` until it returns `Some`.
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `doc id → (seq, heads)` of a user's whole feed.
async fn feed(server: &TestServer, token: &str) -> Vec<(String, u64, Vec<String>)> {
    let feed = server.changes(token, 0).await;
    assert_eq!(feed["more"], false);
    let mut out: Vec<(String, u64, Vec<String>)> = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["doc_id"].as_str().unwrap().to_owned(),
                e["seq"].as_u64().unwrap(),
                e["heads"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|h| h.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The heads of `doc` as the relay has it.
async fn relay_heads(server: &TestServer, doc: &str) -> Vec<String> {
    let heads = server
        .hub()
        .document_heads(doc)
        .await
        .expect("sync running")
        .unwrap_or_else(|| panic!("the relay has no document {doc}"));
    let mut heads: Vec<String> = heads.iter().map(ToString::to_string).collect();
    heads.sort();
    heads
}

/// Waits until the user's feed has at least `min` entries and every one carries the heads the
/// relay's repo has for that document (entries are written in the background, and a restored
/// relay re-records every document once at start); returns the feed.
async fn consistent_feed(
    server: &TestServer,
    token: &str,
    min: usize,
) -> Vec<(String, u64, Vec<String>)> {
    eventually("the feed to match the documents", || async {
        let entries = feed(server, token).await;
        if entries.len() < min {
            return None;
        }
        for (doc, _, heads) in &entries {
            if relay_heads(server, doc).await != *heads {
                return None;
            }
        }
        Some(entries)
    })
    .await
}

/// A backup of the running `server`, through its admin socket (as `larder-server backup` does).
async fn backup_through_socket(server: &TestServer, data: &Path, file: &Path) -> Manifest {
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let socket = tokio::spawn(admin::serve(
        Arc::clone(&server.state),
        data.to_owned(),
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
    ));
    let sock = data.join(admin::ADMIN_SOCKET);
    eventually("the admin socket", || async { sock.exists().then_some(()) }).await;
    let mut out = tokio::fs::File::create(file).await.unwrap();
    let mut last = 0;
    let total = admin::fetch_backup(data, &mut out, &mut |n| last = n)
        .await
        .expect("backup through the socket");
    assert!(total > 0 && last == total);
    stop_tx.send(true).unwrap();
    socket.await.unwrap().unwrap();
    assert!(!sock.exists(), "the socket is removed at shutdown");
    backup::verify_file(file).expect("the backup verifies")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_keep_users_sessions_documents_feed_and_blobs() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("a");
    let server = TestServer::start(config(&data)).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;
    let device = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let mut docs = Vec::new();
    for title in ["Stew", "Bread", "Soup"] {
        let doc = create(&device, title).await;
        set(&doc, "serves", "4");
        device.pushed(&doc).await;
        docs.push(doc);
    }
    let me: Value = server.me(&alice.token).await.json().await.unwrap();
    let before = consistent_feed(&server, &alice.token, 5).await;
    assert_eq!(
        before.len(),
        5,
        "three recipes, the grocery list and the meal plan"
    );
    let blob = put_blob(&data, b"a photo of the stew");
    let empty_blob = put_blob(&data, b"");
    // Temp uploads are not blobs.
    std::fs::create_dir_all(data.join("blobs/tmp")).unwrap();
    std::fs::write(data.join("blobs/tmp/upload-1"), b"half").unwrap();

    let file = tmp.path().join("backup.tar.gz");
    let manifest = backup_through_socket(&server, &data, &file).await;
    assert_eq!(manifest.blobs, 2);
    assert_eq!(manifest.collections.get("users"), Some(&2));
    assert_eq!(manifest.collections.get("sessions"), Some(&2));
    assert!(manifest.collections.contains_key("chunks"));
    // The relay keeps serving (and its data directory keeps its lock).
    let doc_ids: Vec<String> = docs.iter().map(|d| d.document_id().to_string()).collect();
    device.stop().await;
    server.stop().await;

    // Restore into a fresh directory and start a relay there.
    let restored = tmp.path().join("b");
    let m = backup::restore(&file, &restored, &mut |_| {}).expect("restore");
    assert_eq!(m, manifest);
    for hash in [&blob, &empty_blob] {
        assert_eq!(
            std::fs::read(blob_path(&restored, hash)).unwrap(),
            std::fs::read(blob_path(&data, hash)).unwrap()
        );
    }
    assert!(!restored.join("blobs/tmp").exists());

    let server = TestServer::start(config(&restored)).await;
    // The same sessions (alice's token still works) and users.
    let me_again: Value = server.me(&alice.token).await.json().await.unwrap();
    assert_eq!(me_again, me);
    assert_eq!(server.me(&bob.token).await.status(), 200);
    let after = consistent_feed(&server, &alice.token, 5).await;
    let strip = |f: &[(String, u64, Vec<String>)]| -> Vec<(String, Vec<String>)> {
        f.iter().map(|(d, _, h)| (d.clone(), h.clone())).collect()
    };
    assert_eq!(strip(&after), strip(&before), "same documents, same heads");
    for (doc, handle) in doc_ids.iter().zip(&docs) {
        assert_eq!(relay_heads(&server, doc).await, heads(handle));
    }

    // New feed entries sort after every restored one, so clients' cursors stay valid.
    let newest = before.iter().map(|(_, s, _)| *s).max().unwrap();
    let device = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let doc = device.find(&doc_ids[0]).await.expect("restored document");
    assert_eq!(heads(&doc), heads(&docs[0]));
    set(&doc, "serves", "6");
    device.pushed(&doc).await;
    let since: Value = eventually("the edit in the feed", || async {
        let page = server.changes(&alice.token, newest).await;
        (page["changes"].as_array().unwrap().len() == 1).then_some(page)
    })
    .await;
    assert_eq!(since["changes"][0]["doc_id"], doc_ids[0].as_str());
    device.stop().await;
    server.stop().await;

    // A directory with data in it is never overwritten.
    let err = backup::restore(&file, &restored, &mut |_| {}).unwrap_err();
    assert!(matches!(err, BackupError::Refused(_)), "{err}");
    let err = backup::restore(&file, &data, &mut |_| {}).unwrap_err();
    assert!(matches!(err, BackupError::Refused(_)), "{err}");
}

/// The raw deflate stream of a gzip file (10-byte header, no optional fields) inflated without
/// any checksum, or `None` where it does not inflate.
fn inflate(gz: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(&gz[10..])
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// Flips one byte of a copy of `file` at offset `at`.
fn corrupt_copy(file: &Path, at: usize, name: &str) -> PathBuf {
    let mut bytes = std::fs::read(file).unwrap();
    bytes[at] ^= 0x55;
    let out = file.with_file_name(name);
    std::fs::write(&out, bytes).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_catches_damage_and_a_damaged_backup_restores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("a");
    let server = TestServer::start(config(&data)).await;
    let _alice = user(&server, "alice").await;
    put_blob(&data, &vec![7u8; 200_000]);
    let file = tmp.path().join("good.tar.gz");
    let out = std::fs::File::create(&file).unwrap();
    let now = server.clock.now_ms();
    backup::write_backup(server.store(), &data, &data, out, now, &mut |_| {}).unwrap();
    server.stop().await;
    backup::verify_file(&file).expect("intact");

    // Any flipped byte that changes what the file holds is caught. (Some bits of a deflate
    // stream carry nothing: flipping them leaves the content, and so the backup, intact. So do
    // gzip's header fields for time and OS.)
    let bytes = std::fs::read(&file).unwrap();
    let len = bytes.len();
    let content = inflate(&bytes);
    let mut changed = 0;
    for i in 0..40 {
        let at = 10 + i * (len - 10) / 40;
        let bad = corrupt_copy(&file, at, &format!("bad{i}.tar.gz"));
        if inflate(&std::fs::read(&bad).unwrap()) == content {
            continue;
        }
        changed += 1;
        assert!(
            backup::verify_file(&bad).is_err(),
            "a flipped byte at {at} of {len} goes unnoticed"
        );
        if i % 10 == 0 {
            let target = tmp.path().join(format!("restore{i}"));
            assert!(backup::restore(&bad, &target, &mut |_| {}).is_err());
            assert!(!target.exists(), "a failed restore leaves nothing behind");
        }
    }
    assert!(
        changed >= 30,
        "only {changed} of 40 flips changed the content"
    );
    let cut = tmp.path().join("cut.tar.gz");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    assert!(backup::verify_file(&cut).is_err(), "a truncated backup");

    // A directory holding only its config file may be restored into; a failed restore there
    // leaves the config file and nothing else.
    let configured = tmp.path().join("configured");
    std::fs::create_dir_all(&configured).unwrap();
    std::fs::write(
        configured.join("larder-server.toml"),
        "bind = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    assert!(backup::restore(&cut, &configured, &mut |_| {}).is_err());
    let mut left: Vec<String> = std::fs::read_dir(&configured)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["larder-server.toml"]);
    backup::restore(&file, &configured, &mut |_| {}).expect("restore beside a config file");
    assert!(configured.join("db").is_dir());

    // The CLI says so, with exit code 1.
    let o = cli(&data, &["backup", "--verify", file.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("is a sound backup"), "{}", stdout(&o));
    let o = cli(&data, &["backup", "--verify", cut.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not a sound backup"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_a_stream_of_edits_restores_consistently() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("a");
    let server = TestServer::start(config(&data)).await;
    let alice = user(&server, "alice").await;
    let device = Device::connect(&server.base(), &alice.token, &alice.id).await;
    let mut docs = Vec::new();
    for i in 0..4 {
        let doc = create(&device, &format!("Recipe {i}")).await;
        device.pushed(&doc).await;
        docs.push(doc);
    }
    // Edits (and new documents) stream in while backups are taken.
    let editing = Arc::new(AtomicBool::new(true));
    let editor = {
        let editing = Arc::clone(&editing);
        let docs = docs.clone();
        let repo = device.repo.clone();
        tokio::spawn(async move {
            let mut n = 0u64;
            while editing.load(Ordering::SeqCst) {
                let doc = &docs[(n % docs.len() as u64) as usize];
                set(doc, "step", &n.to_string());
                if n.is_multiple_of(10) {
                    let mut new = automerge::Automerge::new();
                    new.transact::<_, _, AutomergeError>(|tx| {
                        tx.put(ROOT, "title", format!("New {n}"))?;
                        Ok(())
                    })
                    .unwrap();
                    repo.create(new).await.expect("create");
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            n
        })
    };
    let mut files = Vec::new();
    for i in 0..3 {
        // Let some edits through between backups.
        let before = server.store().document_count().unwrap();
        eventually("more documents", || async {
            (server.store().document_count().unwrap() > before).then_some(())
        })
        .await;
        let file = tmp.path().join(format!("during{i}.tar.gz"));
        let store = Arc::clone(&server.state.store);
        let (d, f, now) = (data.clone(), file.clone(), server.clock.now_ms());
        tokio::task::spawn_blocking(move || {
            let out = std::fs::File::create(&f).unwrap();
            backup::write_backup(store.as_ref(), &d, &d, out, now, &mut |_| {}).unwrap()
        })
        .await
        .unwrap();
        files.push(file);
    }
    editing.store(false, Ordering::SeqCst);
    let edits = editor.await.unwrap();
    assert!(edits > 10, "only {edits} edits streamed in");
    device.stop().await;
    server.stop().await;

    for (i, file) in files.iter().enumerate() {
        let target = tmp.path().join(format!("restored{i}"));
        let manifest = backup::restore(file, &target, &mut |_| {}).expect("restore");
        let server = TestServer::start(config(&target)).await;
        // Every document the backup knows is owned, loads, and its feed entry carries exactly
        // the heads the relay has for it.
        let entries = consistent_feed(&server, &alice.token, 4).await;
        for (doc, _, _) in &entries {
            assert_eq!(
                server.hub().doc_owner(doc).unwrap().map(|u| u.to_string()),
                Some(alice.id.clone())
            );
        }
        // A document claimed a moment before the snapshot may have had no chunk stored yet
        // (its device still has it and syncs it again); every other owned document is in the
        // feed, and nothing else stays pending (loading may compact a document, which marks it
        // again until the feed worker has seen it).
        let pending = eventually("no stored document left pending", || async {
            let pending = server.store().feed_marks().unwrap();
            let stored_and_pending = pending
                .iter()
                .any(|(doc, _)| !server.store().chunks_under(doc).unwrap().is_empty());
            (!stored_and_pending).then_some(pending)
        })
        .await;
        let owned = manifest.collections.get("doc_owner").copied().unwrap_or(0);
        assert_eq!((entries.len() + pending.len()) as u64, owned);
        assert!(
            entries.len() >= 4,
            "{} documents in the feed",
            entries.len()
        );
        server.stop().await;
    }
}

#[test]
fn the_binary_backs_up_a_running_relay_and_restores_only_into_an_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let o = cli(
        &data,
        &["user", "add", "alice"],
        "correct horse\ncorrect horse\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let blob = put_blob(&data, b"attached");

    let cfg = common::cheap_config_file(&data);
    let mut relay = std::process::Command::new(env!("CARGO_BIN_EXE_larder-server"))
        .arg("--data")
        .arg(&data)
        .arg("--config")
        .arg(&cfg)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("LARDER_DATA")
        .env_remove("LARDER_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let sock = data.join(admin::ADMIN_SOCKET);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sock.exists() {
        assert!(
            Instant::now() < deadline,
            "the relay never opened its admin socket"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let file = tmp.path().join("live.tar.gz");
    let o = cli(&data, &["backup", file.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the relay is running"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("1 blobs"), "{}", stdout(&o));
    let partial = tmp.path().join("live.tar.gz.partial");
    assert!(!partial.exists());

    // SAFETY: signalling our own child process.
    unsafe { libc::kill(relay.id() as libc::pid_t, libc::SIGTERM) };
    assert!(relay.wait().unwrap().success());
    assert!(!sock.exists());

    // Offline too.
    let offline = tmp.path().join("offline.tar.gz");
    let o = cli(&data, &["backup", offline.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("not running"), "{}", stderr(&o));

    let target = tmp.path().join("restored");
    let o = cli(&target, &["restore", file.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(blob_path(&target, &blob).exists());
    let o = cli(&target, &["user", "list"], "");
    assert!(stdout(&o).contains("alice"), "{}", stdout(&o));
    let o = cli(&target, &["restore", file.to_str().unwrap()], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
}
