//! The relay process killed with SIGKILL in the middle of a stream of edits: every change it
//! had acknowledged (its advertised heads contained it) is still there after a restart.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ChangeHash, ROOT, ReadDoc};
use common::relay_proc::RelayProcess;
use common::sync_client::Device;
use common::{cli, login_with, stderr};
use futures::StreamExt;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = cli(
        &data,
        &["user", "add", "alice"],
        "correct horse\ncorrect horse\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let server = RelayProcess::start(&data).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let login: Value = login_with(
        &client,
        &format!("{base}/api/v1/session"),
        "alice",
        "correct horse",
    )
    .await
    .json()
    .await
    .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let user_id = login["user"]["id"].as_str().unwrap().to_owned();

    let a = Device::connect(&base, &token, &user_id).await;
    let doc = a.repo.create(automerge::Automerge::new()).await.unwrap();
    a.pushed(&doc).await;
    let conn = a.dialer.connection_id().unwrap();

    // What the relay says it has, as it says it.
    let acked: Arc<Mutex<Vec<ChangeHash>>> = Arc::default();
    let (_, mut peer_states) = doc.peers();
    let watcher = tokio::spawn({
        let acked = Arc::clone(&acked);
        async move {
            while let Some(states) = peer_states.next().await {
                if let Some(heads) = states.get(&conn).and_then(|s| s.their_heads.clone())
                    && !heads.is_empty()
                {
                    *acked.lock().unwrap() = heads;
                }
            }
        }
    });
    // A steady stream of edits, not waiting for acknowledgements.
    let writer = tokio::spawn({
        let doc = doc.clone();
        async move {
            for i in 0u64.. {
                doc.with_document(|d| {
                    d.transact::<_, _, AutomergeError>(|tx| {
                        tx.put(ROOT, format!("k{}", i % 50), i)?;
                        Ok(())
                    })
                    .unwrap();
                });
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });

    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill();
    writer.abort();
    // Let acknowledgements already on the wire arrive.
    tokio::time::sleep(Duration::from_millis(100)).await;
    watcher.abort();
    let acked = acked.lock().unwrap().clone();
    let edits = doc.with_document(|d| d.get_changes(&[]).len());
    assert!(
        !acked.is_empty(),
        "the relay acknowledged nothing in {edits} edits"
    );
    a.stop().await;

    // Only the relay's disk can have them now.
    let server = RelayProcess::start(&data).await;
    let base = server.base.clone();
    let b = Device::connect(&base, &token, &user_id).await;
    let on_b = b
        .find(&doc.document_id().to_string())
        .await
        .expect("the document survived");
    let missing: Vec<ChangeHash> = on_b.with_document(|d| {
        acked
            .iter()
            .filter(|h| d.get_change_by_hash(h).is_none())
            .copied()
            .collect()
    });
    let kept = on_b.with_document(|d| d.get_changes(&[]).len());
    assert!(
        missing.is_empty(),
        "acknowledged heads lost: {missing:?} ({kept} of {edits} changes kept)"
    );
    eprintln!("{edits} edits made, {kept} on the relay after SIGKILL, all acknowledged ones kept");

    // The change feed covers them too (recorded at start from the marks the crash left
    // behind, before the relay serves): a device asking what changed learns of this document
    // with heads that contain every acknowledged change.
    let feed: Value = client
        .get(format!("{base}/api/v1/changes?since=0"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let doc_id = doc.document_id().to_string();
    let entry = feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["doc_id"] == doc_id.as_str())
        .unwrap_or_else(|| panic!("no feed entry for the document: {feed}"));
    let feed_heads: Vec<ChangeHash> = entry["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().parse().unwrap())
        .collect();
    let not_covered: Vec<ChangeHash> = on_b.with_document(|d| {
        // Changes that are not ancestors of (or equal to) the feed's heads.
        let after: Vec<ChangeHash> = d
            .get_changes(&feed_heads)
            .iter()
            .map(|c| c.hash())
            .collect();
        acked
            .iter()
            .filter(|h| after.contains(h))
            .copied()
            .collect()
    });
    assert!(
        not_covered.is_empty(),
        "the feed's heads miss acknowledged changes: {not_covered:?}"
    );

    b.stop().await;
    server.kill();
}
