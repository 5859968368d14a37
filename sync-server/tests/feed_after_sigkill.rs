//! The change feed is an acknowledgement too: a device that reads heads in
//! `GET /api/v1/changes` may take those changes as stored. So every head the feed listed must
//! still be served after the relay process is killed with SIGKILL right after the read.
//!
//! Each round: a samod device streams edits to one document through a relay child process;
//! once the feed has followed the stream past its first entry, the feed is read and the
//! process killed at once; a restarted relay (same data directory) must serve every head that
//! read listed. Twenty rounds, because the window between a change being in memory and being
//! on disk is short. (The simulation test checks the same promise among many others, but hits
//! this window only rarely.)

mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ChangeHash, ROOT, ReadDoc};
use common::raw_peer::fetch;
use common::relay_proc::RelayProcess;
use common::scene::PW;
use common::switched::{RelayAddr, SwitchedDevice};
use common::{SignedIn, TestServer, config};

const ROUNDS: usize = 20;

/// The heads the feed lists for `doc` (empty if it lists none).
async fn feed_heads(
    http: &reqwest::Client,
    base: &str,
    user: &SignedIn,
    doc: &str,
) -> Vec<ChangeHash> {
    let page: serde_json::Value = http
        .get(format!("{base}/api/v1/changes?since=0"))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("feed json");
    page["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|e| e["doc_id"] == doc)
        .flat_map(|e| e["heads"].as_array().expect("heads").clone())
        .map(|h| h.as_str().expect("head").parse().expect("a change hash"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_the_feed_listed_survive_sigkill() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    server.stop().await;
    let http = reqwest::Client::new();
    let mut lost = Vec::new();
    for round in 0..ROUNDS {
        let relay = RelayProcess::start(tmp.path()).await;
        let addr = RelayAddr::new(Some(relay.base.clone()));
        let device = SwitchedDevice::start(&addr, &alice.token, &alice.id).await;
        let doc = device
            .repo
            .create(automerge::Automerge::new())
            .await
            .unwrap();
        device.pushed(&doc).await;
        let id = doc.document_id().to_string();
        // A steady stream of edits, not waiting for acknowledgements.
        let writer = tokio::spawn({
            let doc = doc.clone();
            async move {
                for i in 0u64.. {
                    doc.with_document(|d| {
                        d.transact::<_, _, AutomergeError>(|tx| {
                            tx.put(ROOT, "k", i)?;
                            Ok(())
                        })
                        .unwrap();
                    });
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        });
        // Wait until the feed follows the stream (its entry moved on from the first heads it
        // showed), then read it once more and kill the relay straight away.
        let deadline = Instant::now() + Duration::from_secs(10);
        let first = loop {
            let h = feed_heads(&http, &relay.base, &alice, &id).await;
            if !h.is_empty() {
                break h;
            }
            assert!(
                Instant::now() < deadline,
                "the document never reached the feed"
            );
        };
        while feed_heads(&http, &relay.base, &alice, &id).await == first {
            assert!(
                Instant::now() < deadline,
                "the feed did not follow the edits"
            );
        }
        let listed = feed_heads(&http, &relay.base, &alice, &id).await;
        relay.kill();
        writer.abort();
        addr.set(None);
        device.stop().await;

        let relay = RelayProcess::start(tmp.path()).await;
        let (served, _) = fetch(&http, &relay.base, &alice.token, &alice.id, &id).await;
        let served = served.expect("the relay serves the document after the crash");
        let gone: Vec<ChangeHash> = listed
            .iter()
            .filter(|h| served.get_change_by_hash(h).is_none())
            .copied()
            .collect();
        println!("round {round}: the feed listed {listed:?}; lost after SIGKILL: {gone:?}");
        lost.extend(gone.into_iter().map(|h| (round, h)));
        relay.kill();
    }
    assert!(
        lost.is_empty(),
        "heads the feed had listed were lost by a SIGKILL in {} of {ROUNDS} rounds: {lost:?}",
        lost.len()
    );
}
