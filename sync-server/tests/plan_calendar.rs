//! The meal plan on a real relay (loopback): `/api/v1/me` hands every device the same plan
//! document (across calls and restarts, one per user); entries written into it (fetched and
//! uploaded with the bulk routes, as a device's changes would be) come out of the calendar
//! feed, read back with the `icalendar` crate's parser, as exactly those all-day events; and
//! the feed's address is a credential of its own: a new one revokes the old, DELETE revokes,
//! a wrong, malformed or revoked one and a removed user's all get the same 404, a feed token
//! is no session, and one user's session never reaches another's feed.

mod common;

use std::collections::BTreeMap;

use automerge::Automerge;
use chrono::NaiveDate;
use common::{SignedIn, TestServer, cli, config, expect_error, stdout};
use icalendar::{Calendar, Component, DatePerhapsTime};
use larder_core::bulk_wire::{self, Frame, Limits};
use larder_core::model::{PLAN_KIND, PlanDoc, PlanEntryDoc};
use serde_json::{Value, json};

const PW: &str = "correct horse";
const DOCS: &str = "application/vnd.larder.docs";
const LIMITS: Limits = Limits {
    max_document_bytes: 64 * 1024 * 1024,
    max_frames: 10,
};

async fn me(server: &TestServer, user: &SignedIn) -> Value {
    let res = server.me(&user.token).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn plan_id(server: &TestServer, user: &SignedIn) -> String {
    me(server, user).await["meal_plan_id"]
        .as_str()
        .expect("a meal plan id")
        .to_owned()
}

/// The relay's copy of a document (`POST /api/v1/docs/fetch`).
async fn fetch(server: &TestServer, user: &SignedIn, id: &str) -> Automerge {
    let res = server
        .client
        .post(server.url("/api/v1/docs/fetch"))
        .bearer_auth(&user.token)
        .json(&json!({ "docs": [id] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    match &bulk_wire::decode_all(&res.bytes().await.unwrap(), LIMITS).unwrap()[..] {
        [Frame::Document { bytes, .. }] => Automerge::load(bytes).unwrap(),
        other => panic!("expected the document, got {other:?}"),
    }
}

/// Merges `doc` into the relay's copy (`POST /api/v1/docs/upload`).
async fn upload(server: &TestServer, user: &SignedIn, id: &str, doc: &mut Automerge) {
    let mut body = Vec::new();
    bulk_wire::encode_document(&mut body, id, &doc.save());
    let res = server
        .client
        .post(server.url("/api/v1/docs/upload"))
        .bearer_auth(&user.token)
        .header("content-type", DOCS)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["stored"][0]["doc_id"], id, "{answer}");
}

/// Edits the user's plan as a device would: the relay's copy, changed, merged back.
async fn edit_plan(server: &TestServer, user: &SignedIn, f: impl FnOnce(&mut PlanDoc)) {
    let id = plan_id(server, user).await;
    let mut doc = fetch(server, user, &id).await;
    let mut plan: PlanDoc = autosurgeon::hydrate(&doc).unwrap();
    f(&mut plan);
    doc.transact(|tx| autosurgeon::reconcile(tx, &plan))
        .map_err(|f| f.error)
        .unwrap();
    upload(server, user, &id, &mut doc).await;
}

fn entry(date: &str, slot: &str, title: &str, servings: Option<f64>) -> PlanEntryDoc {
    PlanEntryDoc {
        date: date.into(),
        slot: slot.into(),
        recipe_id: Some("r1".into()),
        title: title.into(),
        servings,
        added_at: 1_767_225_600_000,
    }
}

async fn create_feed(server: &TestServer, user: &SignedIn) -> (String, i64) {
    let res = server
        .client
        .post(server.url("/api/v1/plan/calendar"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let path = body["path"].as_str().unwrap().to_owned();
    (path, body["created_at"].as_i64().unwrap())
}

async fn feed_status(server: &TestServer, user: &SignedIn) -> Value {
    let res = server
        .client
        .get(server.url("/api/v1/plan/calendar"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn revoke_feed(server: &TestServer, user: &SignedIn) {
    let res = server
        .client
        .delete(server.url("/api/v1/plan/calendar"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

/// `GET path` with no session; the status and body.
async fn get_feed(server: &TestServer, path: &str) -> reqwest::Response {
    server.client.get(server.url(path)).send().await.unwrap()
}

async fn calendar(server: &TestServer, path: &str) -> Calendar {
    let res = get_feed(server, path).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(
        res.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(res.headers()["cache-control"], "private, max-age=300");
    let text = res.text().await.unwrap();
    text.parse::<Calendar>()
        .unwrap_or_else(|e| panic!("the feed does not parse ({e}):\n{text}"))
}

/// The body every address that opens no feed gets.
async fn no_feed(server: &TestServer, path: &str) -> Value {
    expect_error(get_feed(server, path).await, 404, "not_found").await
}

type Event = (
    String,
    String,
    Option<DatePerhapsTime>,
    Option<DatePerhapsTime>,
    Option<String>,
);

fn events(calendar: &Calendar) -> Vec<Event> {
    calendar
        .events()
        .map(|e| {
            (
                e.get_uid().unwrap().to_owned(),
                e.get_summary().unwrap().to_owned(),
                e.get_start(),
                e.get_end(),
                e.get_description().map(str::to_owned),
            )
        })
        .collect()
}

fn day(date: &str) -> Option<DatePerhapsTime> {
    Some(DatePerhapsTime::Date(
        NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
    ))
}

#[tokio::test]
async fn me_answers_one_meal_plan_per_user_across_calls_and_restarts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = TestServer::start(config(&data)).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;

    let first = me(&server, &alice).await;
    let plan = first["meal_plan_id"].as_str().unwrap().to_owned();
    assert_ne!(first["grocery_list_id"], first["meal_plan_id"]);
    assert_eq!(plan_id(&server, &alice).await, plan);
    let bobs = plan_id(&server, &bob).await;
    assert_ne!(bobs, plan);
    // The relay made it as an empty plan of Alice's; Bob cannot read it.
    let doc = fetch(&server, &alice, &plan).await;
    let stored: PlanDoc = autosurgeon::hydrate(&doc).unwrap();
    assert_eq!(stored, PlanDoc::new());
    assert_eq!(stored.kind, PLAN_KIND);
    assert_eq!(
        server.store().doc_owner(&plan).unwrap().unwrap().as_str(),
        alice.id
    );
    server.stop().await;

    let server = TestServer::start(config(&data)).await;
    assert_eq!(plan_id(&server, &alice).await, plan);
    assert_eq!(plan_id(&server, &bob).await, bobs);
    server.stop().await;

    // The admin's listing shows it beside the grocery list.
    let out = cli(&data, &["user", "list", "--json"], "");
    assert!(out.status.success());
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(users[0]["name"], "alice");
    assert_eq!(users[0]["meal_plan_id"], plan.as_str());
    assert_eq!(users[1]["meal_plan_id"], bobs.as_str());
}

#[tokio::test]
async fn the_feed_holds_the_plans_entries_as_all_day_events() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;

    assert_eq!(
        feed_status(&server, &alice).await,
        json!({"active": false, "created_at": null})
    );
    let (path, created_at) = create_feed(&server, &alice).await;
    assert_eq!(created_at, server.clock_now());
    let token = path
        .strip_prefix("/api/v1/plan/calendar/")
        .and_then(|p| p.strip_suffix(".ics"))
        .expect("the feed's path");
    assert!(token.len() >= 43, "{token}: at least 32 random bytes");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "{token}: URL-safe"
    );
    assert_eq!(
        feed_status(&server, &alice).await,
        json!({"active": true, "created_at": created_at})
    );
    // Before any entry: an empty calendar with its name.
    let empty = calendar(&server, &path).await;
    assert_eq!(empty.get_name(), Some("Larder meal plan"));
    assert_eq!(empty.events().count(), 0);

    edit_plan(&server, &alice, |plan| {
        plan.entries.insert(
            "dinner-1".into(),
            entry("2026-03-02", "dinner", "Lentil soup, spiced", Some(4.0)),
        );
        plan.entries.insert(
            "lunch-1".into(),
            entry("2026-03-02", "lunch", "Leftovers", None),
        );
        plan.entries.insert(
            "bfast-1".into(),
            entry("2026-02-28", "breakfast", "Porridge", Some(2.0)),
        );
        plan.entries.insert(
            "bad-date".into(),
            entry("2026-02-30", "dinner", "Never", None),
        );
        plan.entries
            .insert("no-date".into(), entry("someday", "dinner", "Never", None));
    })
    .await;
    let got = calendar(&server, &path).await;
    assert_eq!(got.get_name(), Some("Larder meal plan"));
    assert_eq!(
        events(&got),
        vec![
            (
                "bfast-1@larder".into(),
                "Breakfast: Porridge".into(),
                day("2026-02-28"),
                day("2026-03-01"),
                Some("Servings: 2".into())
            ),
            (
                "lunch-1@larder".into(),
                "Lunch: Leftovers".into(),
                day("2026-03-02"),
                day("2026-03-03"),
                None
            ),
            (
                "dinner-1@larder".into(),
                "Dinner: Lentil soup, spiced".into(),
                day("2026-03-02"),
                day("2026-03-03"),
                Some("Servings: 4".into())
            ),
        ]
    );

    // Another device renames a slot, moves an entry and removes one: the next fetch says so.
    edit_plan(&server, &alice, |plan| {
        plan.slots
            .iter_mut()
            .find(|s| s.id == "dinner")
            .unwrap()
            .name = "Supper".into();
        plan.entries.get_mut("lunch-1").unwrap().date = "2026-03-05".into();
        plan.entries.remove("bfast-1");
    })
    .await;
    let got: BTreeMap<String, (String, Option<DatePerhapsTime>)> =
        events(&calendar(&server, &path).await)
            .into_iter()
            .map(|(uid, summary, start, ..)| (uid, (summary, start)))
            .collect();
    assert_eq!(
        got,
        BTreeMap::from([
            (
                "dinner-1@larder".into(),
                ("Supper: Lentil soup, spiced".into(), day("2026-03-02"))
            ),
            (
                "lunch-1@larder".into(),
                ("Lunch: Leftovers".into(), day("2026-03-05"))
            ),
        ])
    );
    server.stop().await;
}

#[tokio::test]
async fn a_feed_address_is_its_own_revocable_credential() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    edit_plan(&server, &alice, |plan| {
        plan.entries.insert(
            "a".into(),
            entry("2026-04-01", "dinner", "Alice's stew", None),
        );
    })
    .await;
    edit_plan(&server, &bob, |plan| {
        plan.entries
            .insert("b".into(), entry("2026-04-01", "dinner", "Bob's pie", None));
    })
    .await;

    let (first, _) = create_feed(&server, &alice).await;
    let (bobs, _) = create_feed(&server, &bob).await;
    assert_eq!(
        events(&calendar(&server, &first).await)[0].1,
        "Dinner: Alice's stew"
    );
    assert_eq!(
        events(&calendar(&server, &bobs).await)[0].1,
        "Dinner: Bob's pie"
    );

    // A new address revokes the old one at once.
    server.clock.advance(std::time::Duration::from_secs(60));
    let (second, created_at) = create_feed(&server, &alice).await;
    assert_ne!(first, second);
    let gone = no_feed(&server, &first).await;
    assert_eq!(events(&calendar(&server, &second).await).len(), 1);
    assert_eq!(
        feed_status(&server, &alice).await,
        json!({"active": true, "created_at": created_at})
    );

    // Wrong and malformed addresses: the very same answer as a revoked one.
    let token = second
        .strip_prefix("/api/v1/plan/calendar/")
        .unwrap()
        .strip_suffix(".ics")
        .unwrap();
    let mut flipped = token.to_owned().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for path in [
        format!("/api/v1/plan/calendar/{flipped}.ics"),
        format!("/api/v1/plan/calendar/{token}"),
        format!("/api/v1/plan/calendar/{token}.ICS"),
        format!("/api/v1/plan/calendar/{token}.ics.ics"),
        "/api/v1/plan/calendar/.ics".to_owned(),
        "/api/v1/plan/calendar/lcal_nothing.ics".to_owned(),
        format!("/api/v1/plan/calendar/{}.ics", "x".repeat(2000)),
        // A session token is no feed token.
        format!("/api/v1/plan/calendar/{}.ics", alice.token),
    ] {
        assert_eq!(no_feed(&server, &path).await, gone, "{path}");
    }

    // A feed token is no session.
    let res = server.me(token).await;
    assert_eq!(res.status(), 401);
    let res = server
        .client
        .get(server.url("/api/v1/plan/calendar"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // The feed asks for no session, and a session does not stand in for the token.
    let res = server
        .client
        .get(server.url(&first))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Alice's session sees and revokes only Alice's feed.
    revoke_feed(&server, &alice).await;
    assert_eq!(no_feed(&server, &second).await, gone);
    assert_eq!(
        feed_status(&server, &alice).await,
        json!({"active": false, "created_at": null})
    );
    assert_eq!(feed_status(&server, &bob).await["active"], true);
    assert_eq!(
        events(&calendar(&server, &bobs).await)[0].1,
        "Dinner: Bob's pie"
    );
    // Revoking again is no error.
    revoke_feed(&server, &alice).await;

    // Without a session, none of the token routes answer.
    for method in [
        reqwest::Method::GET,
        reqwest::Method::POST,
        reqwest::Method::DELETE,
    ] {
        let res = server
            .client
            .request(method.clone(), server.url("/api/v1/plan/calendar"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{method}");
    }
    assert_eq!(feed_status(&server, &bob).await["active"], true);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_users_feed_is_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let server = TestServer::start(config(tmp.path())).await;
    let alice = server.signed_in("alice", PW).await;
    let bob = server.signed_in("bob", PW).await;
    edit_plan(&server, &alice, |plan| {
        plan.entries
            .insert("a".into(), entry("2026-04-01", "dinner", "Stew", None));
    })
    .await;
    let (alices, _) = create_feed(&server, &alice).await;
    let (bobs, _) = create_feed(&server, &bob).await;
    assert_eq!(events(&calendar(&server, &alices).await).len(), 1);

    let unknown = no_feed(&server, "/api/v1/plan/calendar/lcal_unknown.ics").await;
    server.remove_user("alice").await;
    assert_eq!(no_feed(&server, &alices).await, unknown);
    // Bob's feed works on (an empty plan: no device has asked for it, and none is made).
    assert_eq!(calendar(&server, &bobs).await.events().count(), 0);
    server.stop().await;
}
