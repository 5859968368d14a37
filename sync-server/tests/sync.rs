//! Sync through a real relay on loopback with real samod clients (tests/common/sync_client.rs):
//! tickets, two devices of one user, isolation between users, the change feed (JSON and live
//! SSE), the grocery list, a restart, and malformed websocket traffic.

mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ObjType, ROOT, ReadDoc};
use common::docs::{create, heads, set};
use common::sync_client::{Device, within, ws_base};
use common::{SignedIn as User, TestServer, config, expect_error};
use futures::{SinkExt, StreamExt};
use samod::DocHandle;
use samod::storage::{InMemoryStorage, Storage, StorageKey};
use serde_json::Value;
use tokio_tungstenite::tungstenite::{self, Message};

const PW: &str = "correct horse";

async fn user(server: &TestServer, name: &str) -> User {
    server.signed_in(name, PW).await
}

async fn device(server: &TestServer, user: &User) -> Device {
    Device::connect(&server.base(), &user.token, &user.id).await
}

fn peer_id(user: &User) -> String {
    format!("{}.{}", user.id, "0123456789abcdef0123456789abcdef")
}

fn get(handle: &DocHandle, key: &str) -> Option<String> {
    handle.with_document(|d| value(d, key))
}

fn value(d: &automerge::Automerge, key: &str) -> Option<String> {
    match d.get(ROOT, key).unwrap() {
        Some((automerge::Value::Scalar(s), _)) => match s.as_ref() {
            automerge::ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn id(handle: &DocHandle) -> String {
    handle.document_id().to_string()
}

/// Polls `f` until it returns `Some` (the feed is written in the background).
async fn eventually<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The user's feed once it holds exactly these documents with these heads.
async fn feed_with(server: &TestServer, user: &User, expected: &[&DocHandle]) -> Value {
    let mut want: Vec<(String, Vec<String>)> = expected.iter().map(|h| (id(h), heads(h))).collect();
    want.sort();
    eventually("the change feed", || async {
        let feed = server.changes(&user.token, 0).await;
        let mut got: Vec<(String, Vec<String>)> = feed["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["doc_id"].as_str().unwrap().to_owned(),
                    e["heads"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|h| h.as_str().unwrap().to_owned())
                        .collect(),
                )
            })
            .collect();
        got.sort();
        (got == want).then_some(feed)
    })
    .await
}

async fn ws_connect(
    server: &TestServer,
    query: &str,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    tungstenite::Error,
> {
    let url = format!("{}/sync{query}", ws_base(&server.base()));
    tokio_tungstenite::connect_async(url)
        .await
        .map(|(ws, _)| ws)
}

fn http_status(e: &tungstenite::Error) -> Option<u16> {
    match e {
        tungstenite::Error::Http(res) => Some(res.status().as_u16()),
        _ => None,
    }
}

async fn new_ticket(server: &TestServer, user: &User) -> String {
    let res = server.ticket(&user.token, &peer_id(user)).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["expires_in_secs"], 60);
    let t = body["ticket"].as_str().unwrap().to_owned();
    assert_eq!(t.len(), 43);
    t
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_guard_the_websocket() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;

    // Tickets need a session, and a peer id of the session's user.
    let res = server
        .client
        .post(server.url("/api/v1/sync/ticket"))
        .json(&serde_json::json!({"peer_id": peer_id(&alice)}))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;
    for bad in [
        peer_id(&bob),
        alice.id.clone(),
        format!("{}.XYZ", alice.id),
        format!("{}.{}", alice.id, "0123456789ABCDEF0123456789ABCDEF"),
        "larder-relay".to_owned(),
    ] {
        let res = server.ticket(&alice.token, &bad).await;
        expect_error(res, 400, "bad_peer_id").await;
    }

    // The websocket needs a ticket, checked before upgrading.
    let res = server.client.get(server.url("/sync")).send().await.unwrap();
    expect_error(res, 401, "unauthorized").await;
    let e = ws_connect(&server, "").await.unwrap_err();
    assert_eq!(http_status(&e), Some(401), "{e}");
    let e = ws_connect(
        &server,
        "?ticket=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    )
    .await
    .unwrap_err();
    assert_eq!(http_status(&e), Some(401), "{e}");

    // A ticket works once.
    let ticket = new_ticket(&server, &alice).await;
    let ws = ws_connect(&server, &format!("?ticket={ticket}"))
        .await
        .unwrap();
    let e = ws_connect(&server, &format!("?ticket={ticket}"))
        .await
        .unwrap_err();
    assert_eq!(http_status(&e), Some(401), "reused ticket: {e}");
    drop(ws);

    // And for 60 seconds.
    let ticket = new_ticket(&server, &alice).await;
    server.clock.advance(Duration::from_secs(61));
    let e = ws_connect(&server, &format!("?ticket={ticket}"))
        .await
        .unwrap_err();
    assert_eq!(http_status(&e), Some(401), "expired ticket: {e}");

    // A plain GET with a good ticket spends it and is told to upgrade.
    let ticket = new_ticket(&server, &alice).await;
    let res = server
        .client
        .get(server.url(&format!("/sync?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    let e = ws_connect(&server, &format!("?ticket={ticket}"))
        .await
        .unwrap_err();
    assert_eq!(http_status(&e), Some(401), "{e}");

    // A user disabled after getting a ticket can't use it.
    let ticket = new_ticket(&server, &bob).await;
    larder_sync_server::accounts::admin::disable_user(server.store(), "bob").unwrap();
    let e = ws_connect(&server, &format!("?ticket={ticket}"))
        .await
        .unwrap_err();
    assert_eq!(http_status(&e), Some(401), "{e}");

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_of_a_user_sync_through_the_relay() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let a = device(&server, &alice).await;
    let b = device(&server, &alice).await;

    let on_a = create(&a, "Soup").await;
    a.pushed(&on_a).await;
    let on_b = b.find(&id(&on_a)).await.expect("B finds A's document");
    assert_eq!(get(&on_b, "title").as_deref(), Some("Soup"));

    // An edit on B reaches A.
    let mut changes = on_a.changes();
    set(&on_b, "title", "Leek soup");
    b.pushed(&on_b).await;
    within(
        async {
            while get(&on_a, "title").as_deref() != Some("Leek soup") {
                changes.next().await;
            }
        },
        "B's edit on A",
    )
    .await;
    assert_eq!(heads(&on_a), heads(&on_b));

    // The relay filed the document under alice.
    let owner = server.hub().doc_owner(&id(&on_a)).unwrap().unwrap();
    assert_eq!(owner.as_str(), alice.id);

    a.stop().await;
    b.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_cannot_reach_each_others_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;
    let a = device(&server, &alice).await;
    let x = device(&server, &bob).await;

    let secret = create(&a, "Grandma's secret").await;
    a.pushed(&secret).await;
    let secret_id = id(&secret);

    // Asked for by id over the websocket: unavailable.
    assert!(x.find(&secret_id).await.is_none());

    // A device that forges a document with the same id can't push into alice's.
    let forged = InMemoryStorage::new();
    let mut evil = automerge::Automerge::new();
    evil.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, "title", "pwned")?;
        tx.put(ROOT, "evil", "yes")?;
        Ok(())
    })
    .unwrap();
    forged
        .put(
            StorageKey::from_parts([secret_id.as_str(), "snapshot", "forged"]).unwrap(),
            evil.save(),
        )
        .await;
    let y = Device::connect_with(&server.base(), &bob.token, &bob.id, forged).await;
    let on_y = y.find(&secret_id).await.expect("bob's local forgery");
    set(&on_y, "more", "evil");
    // The relay answers bob's sync with "unavailable" and drops it; give it time to misbehave.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (evil, title, relay_heads) = server
        .hub()
        .read_document(&secret_id, |d| {
            let mut h: Vec<String> = d.get_heads().iter().map(ToString::to_string).collect();
            h.sort();
            (value(d, "evil"), value(d, "title"), h)
        })
        .await
        .unwrap()
        .expect("the relay has alice's document");
    assert_eq!(evil, None);
    assert_eq!(title.as_deref(), Some("Grandma's secret"));
    assert_eq!(relay_heads, heads(&secret));
    // Nor did anything reach alice's device.
    let b = device(&server, &alice).await;
    let on_b = b.find(&secret_id).await.unwrap();
    assert_eq!(get(&on_b, "evil"), None);
    assert_eq!(get(&secret, "evil"), None);
    assert_eq!(
        server
            .hub()
            .doc_owner(&secret_id)
            .unwrap()
            .unwrap()
            .as_str(),
        alice.id
    );

    // Bob's feed says nothing of it; alice's has it with her heads.
    let bob_feed = server.changes(&bob.token, 0).await;
    assert_eq!(bob_feed["changes"], serde_json::json!([]));
    feed_with(&server, &alice, &[&secret]).await;

    for d in [a, b, x, y] {
        d.stop().await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_feed_lists_each_users_changed_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;
    let a = device(&server, &alice).await;
    let x = device(&server, &bob).await;

    let d1 = create(&a, "one").await;
    let d2 = create(&a, "two").await;
    let d3 = create(&x, "three").await;
    a.pushed(&d1).await;
    a.pushed(&d2).await;
    x.pushed(&d3).await;

    let feed = feed_with(&server, &alice, &[&d1, &d2]).await;
    feed_with(&server, &bob, &[&d3]).await;
    let changes = feed["changes"].as_array().unwrap();
    let seqs: Vec<u64> = changes.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "ordered by seq: {seqs:?}"
    );
    assert_eq!(feed["cursor"].as_u64().unwrap(), *seqs.last().unwrap());
    assert_eq!(feed["more"], false);
    let cursor = feed["cursor"].as_u64().unwrap();

    // Nothing new after the cursor.
    let empty = server.changes(&alice.token, cursor).await;
    assert_eq!(empty["changes"], serde_json::json!([]));
    assert_eq!(empty["cursor"].as_u64().unwrap(), cursor);

    // An edit replaces the document's entry with a newer one.
    set(&d1, "title", "one, revised");
    a.pushed(&d1).await;
    let after = eventually("d1's new entry", || async {
        let page = server.changes(&alice.token, cursor).await;
        let c = page["changes"].as_array().unwrap();
        (c.len() == 1 && c[0]["heads"] == serde_json::json!(heads(&d1))).then_some(page)
    })
    .await;
    assert_eq!(after["changes"][0]["doc_id"], id(&d1));
    let all = feed_with(&server, &alice, &[&d1, &d2]).await;
    assert_eq!(all["changes"][1]["doc_id"], id(&d1), "d1 is now the newest");

    // Paging.
    let res = server
        .client
        .get(server.url("/api/v1/changes?since=0&limit=1"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let page: Value = res.json().await.unwrap();
    assert_eq!(page["changes"].as_array().unwrap().len(), 1);
    assert_eq!(page["more"], true);
    assert_eq!(page["changes"][0]["doc_id"], id(&d2));
    let next = server
        .changes(&alice.token, page["cursor"].as_u64().unwrap())
        .await;
    assert_eq!(next["changes"][0]["doc_id"], id(&d1));
    assert_eq!(next["more"], false);

    // Bad input and no session.
    for q in ["since=-1", "since=abc", "limit=x"] {
        let res = server
            .client
            .get(server.url(&format!("/api/v1/changes?{q}")))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        expect_error(res, 400, "invalid_query").await;
    }
    let res = server
        .client
        .get(server.url("/api/v1/changes"))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;

    a.stop().await;
    x.stop().await;
    server.stop().await;
}

/// Server-Sent Events off a response body, as (event, data); ends with the stream or at its
/// first error.
struct Sse {
    events: futures::stream::BoxStream<
        'static,
        Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>,
    >,
}

impl Sse {
    fn new(res: reqwest::Response) -> Self {
        use eventsource_stream::Eventsource as _;
        Sse {
            events: res.bytes_stream().eventsource().boxed(),
        }
    }

    async fn next(&mut self) -> Option<(String, String)> {
        let event = self.events.next().await?.ok()?;
        Some((event.event, event.data))
    }
}

/// A change the relay has acknowledged to the device that made it is in the change feed the
/// moment that device (or another) asks, with no waiting: another device that reads the feed
/// right after a `sync --once` elsewhere must not miss it. Read without polling on purpose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_change_is_in_the_feed_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let a = device(&server, &alice).await;
    for i in 0..30 {
        let doc = create(&a, &format!("recipe {i}")).await;
        a.pushed(&doc).await;
        let feed = server.changes(&alice.token, 0).await;
        let entry = feed["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["doc_id"] == id(&doc));
        let Some(entry) = entry else {
            panic!("acknowledged document {i} is not in the feed: {feed}");
        };
        let feed_heads: Vec<String> = entry["heads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(feed_heads, heads(&doc), "document {i}'s heads");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_feed_pushes_new_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;
    let a = device(&server, &alice).await;
    let x = device(&server, &bob).await;

    let d1 = create(&a, "one").await;
    a.pushed(&d1).await;
    feed_with(&server, &alice, &[&d1]).await;

    let res = server
        .client
        .get(server.url("/api/v1/changes/live?since=0"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut sse = Sse::new(res);

    // The backlog first…
    let (event, data) = within(sse.next(), "the backlog").await.unwrap();
    assert_eq!(event, "change");
    let first: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(first["doc_id"], id(&d1));
    assert_eq!(first["heads"], serde_json::json!(heads(&d1)));
    // …then word that the backlog is over (with the cursor)…
    let (event, data) = within(sse.next(), "the caught-up event").await.unwrap();
    assert_eq!(event, "caught-up");
    assert_eq!(data, first["seq"].to_string());

    // …then new entries as they come; other users' never.
    let d3 = create(&x, "bob's").await;
    x.pushed(&d3).await;
    let d2 = create(&a, "two").await;
    a.pushed(&d2).await;
    let (event, data) = within(sse.next(), "a live entry").await.unwrap();
    assert_eq!(event, "change", "{data}");
    let second: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(second["doc_id"], id(&d2));
    assert!(second["seq"].as_u64() > first["seq"].as_u64());

    // Resuming from a cursor skips what was seen.
    let res = server
        .client
        .get(server.url(&format!(
            "/api/v1/changes/live?since={}",
            first["seq"].as_u64().unwrap()
        )))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let mut resumed = Sse::new(res);
    let (event, data) = within(resumed.next(), "the resumed backlog").await.unwrap();
    assert_eq!(event, "change");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["doc_id"],
        id(&d2)
    );

    let res = server
        .client
        .get(server.url("/api/v1/changes/live"))
        .send()
        .await
        .unwrap();
    expect_error(res, 401, "unauthorized").await;

    a.stop().await;
    x.stop().await;
    // Open live feeds end when the relay stops; stopping doesn't wait out the grace period.
    let started = Instant::now();
    server.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(within(sse.next(), "the stream to end").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grocery_list_is_created_once_and_syncs_to_the_users_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;

    // Concurrent first calls agree.
    let (r1, r2, r3) = tokio::join!(
        server.me(&alice.token),
        server.me(&alice.token),
        server.me(&alice.token)
    );
    let mut ids = Vec::new();
    let mut plans = Vec::new();
    for r in [r1, r2, r3] {
        assert_eq!(r.status(), 200);
        let me: Value = r.json().await.unwrap();
        ids.push(me["grocery_list_id"].as_str().unwrap().to_owned());
        plans.push(me["meal_plan_id"].as_str().unwrap().to_owned());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    // So do they on the meal plan, made the same way.
    assert!(plans.windows(2).all(|w| w[0] == w[1]), "{plans:?}");
    let list_id = ids.remove(0);
    let bobs: Value = server.me(&bob.token).await.json().await.unwrap();
    assert_ne!(bobs["grocery_list_id"].as_str().unwrap(), list_id);

    let a = device(&server, &alice).await;
    let list = a
        .find(&list_id)
        .await
        .expect("alice's device gets her list");
    list.with_document(|d| {
        assert_eq!(d.keys(ROOT).collect::<Vec<_>>(), ["items", "kind"]);
        match d.get(ROOT, "kind").unwrap() {
            Some((automerge::Value::Scalar(s), _)) => {
                assert_eq!(s.as_str(), Some("larder.grocery"));
            }
            other => panic!("kind: {other:?}"),
        }
        let (items, items_id) = d.get(ROOT, "items").unwrap().expect("items");
        assert_eq!(items, automerge::Value::Object(ObjType::Map));
        assert_eq!(d.length(&items_id), 0);
    });

    // A second device adds an item; the first sees it.
    let b = device(&server, &alice).await;
    let on_b = b.find(&list_id).await.unwrap();
    on_b.with_document(|d| {
        d.transact::<_, _, AutomergeError>(|tx| {
            let items = tx.get(ROOT, "items")?.unwrap().1;
            let item = tx.put_object(&items, "item-1", ObjType::Map)?;
            tx.put(&item, "name", "leeks")?;
            Ok(())
        })
        .unwrap();
    });
    b.pushed(&on_b).await;
    let mut changes = list.changes();
    within(
        async {
            while heads(&list) != heads(&on_b) {
                changes.next().await;
            }
        },
        "the item on device A",
    )
    .await;

    // Bob can't reach it.
    let x = device(&server, &bob).await;
    assert!(x.find(&list_id).await.is_none());
    // And it is in alice's feed, beside her meal plan.
    let plan = a
        .find(&plans[0])
        .await
        .expect("alice's device gets her plan");
    feed_with(&server, &alice, &[&list, &plan]).await;

    for d in [a, b, x] {
        d.stop().await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_documents_ownership_and_the_feed() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;
    let a = device(&server, &alice).await;
    let doc = create(&a, "Stew").await;
    set(&doc, "serves", "4");
    a.pushed(&doc).await;
    let me: Value = server.me(&alice.token).await.json().await.unwrap();
    // The document, the grocery list and the meal plan.
    let feed = eventually("the three feed entries", || async {
        let feed = server.changes(&alice.token, 0).await;
        (feed["changes"].as_array().unwrap().len() == 3).then_some(feed)
    })
    .await;
    let clock = server.clock.clone();

    // Stopping closes the device's websocket, without waiting out the grace period.
    let started = Instant::now();
    server.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    within(
        async {
            while a.dialer.is_connected() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        },
        "the device to notice",
    )
    .await;
    a.stop().await;

    let server = TestServer::start_with_clock(config(tmp.path()), clock).await;
    assert_eq!(server.changes(&alice.token, 0).await, feed);
    let me_again: Value = server.me(&alice.token).await.json().await.unwrap();
    assert_eq!(me_again, me);
    assert_eq!(
        server.hub().doc_owner(&id(&doc)).unwrap().unwrap().as_str(),
        alice.id
    );
    let b = device(&server, &alice).await;
    let on_b = b.find(&id(&doc)).await.expect("the document survived");
    assert_eq!(get(&on_b, "serves").as_deref(), Some("4"));
    assert_eq!(heads(&on_b), heads(&doc));
    let x = device(&server, &bob).await;
    assert!(x.find(&id(&doc)).await.is_none());

    b.stop().await;
    x.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_websocket_frames_close_the_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = user(&server, "alice").await;

    let garbage: Vec<Message> = vec![
        Message::Text("hello".into()),
        Message::Binary(vec![0xff, 0x00, 0x13, 0x37].into()),
        Message::Binary(b"\xa1\x64type\x64sync".to_vec().into()),
        // Over the 16 MiB message limit.
        Message::Binary(vec![0u8; 17 * 1024 * 1024].into()),
    ];
    for frame in garbage {
        let what = format!(
            "{:?}",
            &frame.to_string().chars().take(20).collect::<String>()
        );
        let ticket = new_ticket(&server, &alice).await;
        let mut ws = ws_connect(&server, &format!("?ticket={ticket}"))
            .await
            .unwrap();
        // Sending may already fail if the relay hung up first; either way it must hang up.
        let _ = ws.send(frame).await;
        within(
            async {
                loop {
                    match ws.next().await {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                        Some(Ok(_)) => {}
                    }
                }
            },
            &format!("the relay to close the connection after {what}"),
        )
        .await;
    }

    // The relay still serves everyone else.
    let a = device(&server, &alice).await;
    let b = device(&server, &alice).await;
    let doc = create(&a, "still here").await;
    a.pushed(&doc).await;
    assert!(b.find(&id(&doc)).await.is_some());
    let res = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    a.stop().await;
    b.stop().await;
    server.stop().await;
}

/// The live feed of `user`'s session from the start, its backlog read up to `caught-up`.
async fn live_feed(server: &TestServer, user: &User) -> Sse {
    let res = server
        .client
        .get(server.url("/api/v1/changes/live?since=0"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut sse = Sse::new(res);
    loop {
        let (event, _) = within(sse.next(), "the feed's backlog").await.unwrap();
        if event == "caught-up" {
            return sse;
        }
        assert_eq!(event, "change");
    }
}

/// A sync socket opened with a ticket of `user`'s session (handshake not needed: the relay
/// closing it is what is watched).
async fn sync_socket(
    server: &TestServer,
    user: &User,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let peer = format!("{}.{}", user.id, larder_sync_server::secret::random_hex(16));
    let ticket: Value = server
        .ticket(&user.token, &peer)
        .await
        .json()
        .await
        .unwrap();
    ws_connect(
        server,
        &format!("?ticket={}", ticket["ticket"].as_str().unwrap()),
    )
    .await
    .expect("the sync socket opens")
}

/// Reads the socket until the relay closes it.
async fn closed_by_relay<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match ws.next().await {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
            Some(Ok(_)) => {}
        }
    }
}

/// Signing out closes that session's live feed and sync socket at once (they would otherwise
/// stay open for hours); the user's other sessions keep theirs. Disabling the user through the
/// admin socket closes every one of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_sessions_lose_their_open_feed_and_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let laptop = user(&server, "alice").await;
    let phone = User {
        id: laptop.id.clone(),
        token: server.token("alice", PW).await,
    };
    let mut laptop_feed = live_feed(&server, &laptop).await;
    let mut laptop_socket = sync_socket(&server, &laptop).await;
    let mut phone_feed = live_feed(&server, &phone).await;

    let res = server
        .client
        .delete(server.url("/api/v1/session"))
        .bearer_auth(&laptop.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        within(laptop_feed.next(), "the signed-out feed to end")
            .await
            .is_none()
    );
    within(
        closed_by_relay(&mut laptop_socket),
        "the signed-out socket to close",
    )
    .await;

    // The phone's session is untouched: its feed still brings new entries.
    let device = device(&server, &phone).await;
    let doc = create(&device, "still here").await;
    device.pushed(&doc).await;
    let (event, data) = within(phone_feed.next(), "an entry on the phone's feed")
        .await
        .expect("the phone's feed is open");
    assert_eq!(event, "change");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["doc_id"],
        id(&doc)
    );

    // The admin disables alice on the running relay: every stream of hers closes.
    let admin = server.admin_socket(tmp.path()).await;
    let out = admin
        .run(
            larder_sync_server::admin_commands::AdminCommand::UserDisable {
                name: "alice".into(),
            },
        )
        .await
        .expect("disable through the admin socket");
    assert!(out.stdout.contains("disabled"), "{out:?}");
    // Drain what is left of the backlog; then the stream ends.
    let ended = async { while phone_feed.next().await.is_some() {} };
    within(ended, "the disabled user's feed to end").await;

    device.stop().await;
    admin.stop().await;
    server.stop().await;
}
