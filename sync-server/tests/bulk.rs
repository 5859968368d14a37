//! Bulk transfer (`POST /api/v1/docs/fetch`, `/docs/upload`) against a real relay on loopback,
//! beside real samod devices: what an upload stores is what a websocket device then syncs (same
//! heads), what a device made over the websocket is what a fetch answers, the same access rule
//! as the websocket (another user's document looks like a missing one, both ways), an upload
//! into an existing document merges and reaches its live peers, a repeated batch changes
//! nothing, and a malformed body is refused whole with nothing written.

mod common;

use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{Automerge, AutomergeError, ROOT, ReadDoc};
use common::docs::{create, heads, set};
use common::sync_client::{Device, within};
use common::{SignedIn as User, TestServer, config};
use futures::StreamExt;
use larder_core::bulk_wire::{self, Frame, Limits};
use serde_json::{Value, json};

const PW: &str = "correct horse";
const DOCS: &str = "application/vnd.larder.docs";
const LIMITS: Limits = Limits {
    max_document_bytes: 64 * 1024 * 1024,
    max_frames: 10_000,
};

/// A new automerge document with `title`, and its id in automerge-repo's text form.
fn new_doc(title: &str) -> (String, Automerge) {
    let mut doc = Automerge::new();
    doc.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, "title", title)?;
        Ok(())
    })
    .unwrap();
    (samod::DocumentId::new(&mut rand::rng()).to_string(), doc)
}

fn sorted_heads(doc: &Automerge) -> Vec<String> {
    let mut h: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    h.sort();
    h
}

fn frames(docs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (id, bytes) in docs {
        bulk_wire::encode_document(&mut body, id, bytes);
    }
    body
}

async fn upload(server: &TestServer, user: &User, body: Vec<u8>) -> (u16, Value) {
    let res = server
        .client
        .post(server.url("/api/v1/docs/upload"))
        .bearer_auth(&user.token)
        .header("content-type", DOCS)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn fetch(server: &TestServer, user: &User, ids: &[&str]) -> Vec<Frame> {
    let res = server
        .client
        .post(server.url("/api/v1/docs/fetch"))
        .bearer_auth(&user.token)
        .json(&json!({ "docs": ids }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], DOCS);
    bulk_wire::decode_all(&res.bytes().await.unwrap(), LIMITS).unwrap()
}

fn loaded(frame: &Frame) -> Automerge {
    match frame {
        Frame::Document { bytes, .. } => Automerge::load(bytes).unwrap(),
        Frame::Unavailable { id } => panic!("{id} unavailable"),
    }
}

fn feed_heads(feed: &Value, id: &str) -> Option<Vec<String>> {
    feed["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["doc_id"] == id)
        .map(|e| serde_json::from_value(e["heads"].clone()).unwrap())
}

#[tokio::test]
async fn an_upload_is_stored_in_the_feed_and_synced_like_any_document() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(dir.path())).await;
    let ana = server.signed_in("ana", PW).await;
    let ben = server.signed_in("ben", PW).await;

    let (bens_id, bens) = new_doc("Ben's secret");
    let (status, answer) = upload(&server, &ben, frames(&[(&bens_id, bens.save())])).await;
    assert_eq!(status, 200, "{answer}");

    let (soup_id, soup) = new_doc("Soup");
    let (bread_id, bread) = new_doc("Bread");
    let body = frames(&[
        (&soup_id, soup.save()),
        (&bread_id, bread.save()),
        (&bens_id, new_doc("hijack").1.save()),
        ("not-an-id", soup.save()),
        (&new_doc("garbage").0, b"not automerge".to_vec()),
    ]);
    let (status, answer) = upload(&server, &ana, body).await;
    assert_eq!(status, 200, "{answer}");
    let stored: Vec<(String, Vec<String>)> = answer["stored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["doc_id"].as_str().unwrap().to_owned(),
                serde_json::from_value(s["heads"].clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            (soup_id.clone(), sorted_heads(&soup)),
            (bread_id.clone(), sorted_heads(&bread))
        ]
    );
    assert_eq!(answer["unavailable"], json!([bens_id, "not-an-id"]));
    assert_eq!(answer["invalid"].as_array().unwrap().len(), 1);

    // In the feed before the answer came: no waiting.
    let feed = server.changes(&ana.token, 0).await;
    assert_eq!(feed_heads(&feed, &soup_id), Some(sorted_heads(&soup)));
    assert_eq!(feed_heads(&feed, &bread_id), Some(sorted_heads(&bread)));
    assert_eq!(feed["changes"].as_array().unwrap().len(), 2, "{feed}");
    // Ben's document is untouched and still his alone.
    let bens_frames = fetch(&server, &ben, &[&bens_id]).await;
    assert_eq!(sorted_heads(&loaded(&bens_frames[0])), sorted_heads(&bens));

    // A websocket device of Ana's syncs exactly what was uploaded.
    let device = Device::connect(&server.base(), &ana.token, &ana.id).await;
    let handle = within(device.find(&soup_id), "find the uploaded document")
        .await
        .expect("the uploaded document is on the relay");
    assert_eq!(heads(&handle), sorted_heads(&soup));
    device.stop().await;

    // The same batch again: the same documents, no new feed entries.
    let (status, again) = upload(
        &server,
        &ana,
        frames(&[(&soup_id, soup.save()), (&bread_id, bread.save())]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again["stored"], answer["stored"]);
    let cursor = feed["cursor"].as_u64().unwrap();
    assert_eq!(
        server.changes(&ana.token, cursor).await["changes"],
        json!([])
    );
    server.stop().await;
}

#[tokio::test]
async fn a_fetch_answers_what_websocket_devices_made_and_nothing_of_anyone_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(dir.path())).await;
    let ana = server.signed_in("ana", PW).await;
    let ben = server.signed_in("ben", PW).await;
    let device = Device::connect(&server.base(), &ana.token, &ana.id).await;
    let mut ids = Vec::new();
    let mut expected = Vec::new();
    for i in 0..5 {
        let handle = create(&device, &format!("recipe {i}")).await;
        for edit in 0..i {
            set(&handle, "notes", &format!("edit {edit}"));
        }
        device.pushed(&handle).await;
        ids.push(handle.document_id().to_string());
        expected.push(heads(&handle));
    }
    let bens_device = Device::connect(&server.base(), &ben.token, &ben.id).await;
    let bens = create(&bens_device, "Ben's").await;
    bens_device.pushed(&bens).await;
    let bens_id = bens.document_id().to_string();
    let unknown = new_doc("nobody's").0;

    let mut ask: Vec<&str> = ids.iter().map(String::as_str).collect();
    ask.extend([bens_id.as_str(), unknown.as_str(), "malformed"]);
    let answer = fetch(&server, &ana, &ask).await;
    assert_eq!(answer.len(), 8);
    for (i, frame) in answer[..5].iter().enumerate() {
        assert_eq!(frame.id(), ids[i]);
        assert_eq!(sorted_heads(&loaded(frame)), expected[i], "document {i}");
    }
    // Another user's, an unknown and a malformed id: one and the same answer.
    for (frame, id) in answer[5..]
        .iter()
        .zip([&bens_id, &unknown, &"malformed".to_owned()])
    {
        assert_eq!(*frame, Frame::Unavailable { id: id.clone() });
    }
    device.stop().await;
    bens_device.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn an_upload_into_a_synced_document_merges_and_reaches_its_live_peer() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(dir.path())).await;
    let ana = server.signed_in("ana", PW).await;
    let device = Device::connect(&server.base(), &ana.token, &ana.id).await;
    let handle = create(&device, "Stew").await;
    set(&handle, "notes", "from the websocket");
    device.pushed(&handle).await;
    let id = handle.document_id().to_string();

    // Another device of Ana's, offline for a while, edited its own copy.
    let mut other = handle.with_document(|d| d.fork());
    other
        .transact::<_, _, AutomergeError>(|tx| {
            tx.put(ROOT, "servings", "6")?;
            Ok(())
        })
        .unwrap();
    let (status, answer) = upload(&server, &ana, frames(&[(&id, other.save())])).await;
    assert_eq!(status, 200, "{answer}");
    let relay_heads: Vec<String> =
        serde_json::from_value(answer["stored"][0]["heads"].clone()).unwrap();
    assert_eq!(relay_heads, sorted_heads(&other));

    // The websocket device hears of it without asking.
    let mut changes = handle.changes();
    within(
        async {
            while heads(&handle) != relay_heads {
                changes.next().await.expect("change stream");
            }
        },
        "the live peer to receive the upload",
    )
    .await;
    assert_eq!(
        handle.with_document(|d| d.get(ROOT, "servings").unwrap().map(|(v, _)| v.to_string())),
        Some("\"6\"".to_owned())
    );
    device.stop().await;
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_refused_whole_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(dir.path())).await;
    let ana = server.signed_in("ana", PW).await;
    let (id, doc) = new_doc("Soup");
    let whole = frames(&[(&id, doc.save()), (&new_doc("b").0, doc.save())]);

    // Cut off in the middle of the second frame: nothing of the first is stored either.
    let (status, answer) = upload(&server, &ana, whole[..whole.len() - 3].to_vec()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("bad_frames"))
    );
    let mut unavailable = Vec::new();
    bulk_wire::encode_unavailable(&mut unavailable, &id);
    let (status, _) = upload(&server, &ana, unavailable).await;
    assert_eq!(status, 400);
    let res = server
        .client
        .post(server.url("/api/v1/docs/upload"))
        .bearer_auth(&ana.token)
        .header("content-type", "application/json")
        .body(whole.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let res = server
        .client
        .post(server.url("/api/v1/docs/upload"))
        .header("content-type", DOCS)
        .body(whole.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(
        server.store().doc_owner(&id).unwrap(),
        None,
        "nothing claimed"
    );
    assert_eq!(server.changes(&ana.token, 0).await["changes"], json!([]));

    let too_many: Vec<String> = (0..501).map(|i| format!("d{i}")).collect();
    let res = server
        .client
        .post(server.url("/api/v1/docs/fetch"))
        .bearer_auth(&ana.token)
        .json(&json!({ "docs": too_many }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = server
        .client
        .post(server.url("/api/v1/docs/fetch"))
        .json(&json!({ "docs": [id] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    tokio::time::timeout(Duration::from_secs(30), server.stop())
        .await
        .unwrap();
}
