//! A bulk upload cut off by SIGKILL leaves no half-claimed document, and sending the batch
//! again finishes it. Each round: a relay child process takes a batch of 400 new documents;
//! once the change feed shows the batch's first stored documents (the upload is under way), the
//! relay is killed. With the relay down, its store is opened directly: every document it claimed
//! for the user must hold all of what was uploaded (claimed only once its chunks are written);
//! any other is simply not there. A restarted relay then takes the same batch again and ends with
//! all 400, at the uploaded heads, each listed once in the feed.

mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ROOT};
use common::relay_proc::RelayProcess;
use common::scene::PW;
use common::{SignedIn, TestServer, config, open_store};
use larder_core::bulk_wire;
use larder_sync_server::data_dir::DataDir;
use larder_sync_server::store::RelayStore;
use serde_json::Value;

const ROUNDS: usize = 4;
const DOCS: usize = 400;

fn batch(round: usize) -> Vec<(String, Automerge)> {
    (0..DOCS)
        .map(|i| {
            let mut doc = Automerge::new();
            doc.transact::<_, _, AutomergeError>(|tx| {
                tx.put(ROOT, "title", format!("round {round} recipe {i}"))?;
                tx.put(ROOT, "notes", "a".repeat(2_000))?;
                Ok(())
            })
            .unwrap();
            (common::raw_peer::new_doc_id(), doc)
        })
        .collect()
}

fn sorted_heads(doc: &Automerge) -> Vec<String> {
    let mut h: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    h.sort();
    h
}

fn body(docs: &[(String, Automerge)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, doc) in docs {
        bulk_wire::encode_document(&mut body, id, &doc.save());
    }
    body
}

async fn upload(
    http: &reqwest::Client,
    base: &str,
    user: &SignedIn,
    body: Vec<u8>,
) -> reqwest::Result<Value> {
    http.post(format!("{base}/api/v1/docs/upload"))
        .bearer_auth(&user.token)
        .header("content-type", bulk_wire::MEDIA_TYPE)
        .body(body)
        .send()
        .await?
        .json()
        .await
}

async fn feed(http: &reqwest::Client, base: &str, user: &SignedIn) -> Vec<Value> {
    let page: Value = http
        .get(format!("{base}/api/v1/changes?since=0&limit=5000"))
        .bearer_auth(&user.token)
        .send()
        .await
        .expect("feed")
        .json()
        .await
        .expect("feed json");
    page["changes"].as_array().expect("changes").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_upload_cut_by_sigkill_leaves_whole_documents_and_is_finished_by_a_retry() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    server.stop().await;
    let http = reqwest::Client::new();
    let mut cut_mid_batch = 0;
    for round in 0..ROUNDS {
        let docs = batch(round);
        let relay = RelayProcess::start(tmp.path()).await;
        let before = feed(&http, &relay.base, &alice).await.len();
        let sending = tokio::spawn({
            let (http, base, alice, body) =
                (http.clone(), relay.base.clone(), alice.clone(), body(&docs));
            async move { upload(&http, &base, &alice, body).await }
        });
        // Under way: the first stored documents of the batch are in the feed.
        let deadline = Instant::now() + Duration::from_secs(30);
        while feed(&http, &relay.base, &alice).await.len() == before {
            assert!(
                Instant::now() < deadline,
                "the upload never started storing"
            );
        }
        relay.kill();
        if !sending
            .await
            .unwrap()
            .is_ok_and(|answer| answer["stored"].is_array())
        {
            cut_mid_batch += 1;
        }

        // The relay is down: look at what it left on disk.
        let dir = DataDir::open(tmp.path(), false).expect("data dir");
        let store = open_store(&dir.db_path());
        let mut claimed = 0;
        for (id, doc) in &docs {
            let Some(owner) = store.doc_owner(id).unwrap() else {
                continue;
            };
            assert_eq!(owner.as_str(), alice.id, "{id} claimed for someone else");
            claimed += 1;
            let mut stored = Automerge::new();
            for (_, chunk) in store.chunks_under(id).unwrap() {
                stored.load_incremental(&chunk).unwrap();
            }
            assert_eq!(
                sorted_heads(&stored),
                sorted_heads(doc),
                "round {round}: {id} is claimed without all of its content"
            );
        }
        println!("round {round}: {claimed} of {DOCS} documents stored before the SIGKILL");
        drop(store);
        drop(dir);

        // The same batch again finishes it.
        let relay = RelayProcess::start(tmp.path()).await;
        let answer = upload(&http, &relay.base, &alice, body(&docs))
            .await
            .expect("retry");
        assert_eq!(answer["stored"].as_array().unwrap().len(), DOCS, "{answer}");
        let entries = feed(&http, &relay.base, &alice).await;
        for (id, doc) in &docs {
            let listed: Vec<&Value> = entries.iter().filter(|e| e["doc_id"] == *id).collect();
            assert_eq!(listed.len(), 1, "{id} listed once in the feed");
            assert_eq!(listed[0]["heads"], serde_json::json!(sorted_heads(doc)));
        }
        relay.kill();
    }
    println!("{cut_mid_batch} of {ROUNDS} uploads were cut off before their answer");
    assert!(
        cut_mid_batch > 0,
        "every upload finished before the SIGKILL: the test killed nothing mid-batch"
    );
}
