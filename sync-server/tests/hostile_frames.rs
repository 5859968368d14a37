//! Hostile websocket traffic at a live relay (real sockets, the ticket flow, a joined peer
//! unless the case is about joining): truncated CBOR, wrong field types, huge declared
//! lengths, an unknown message type, a message before `join`, a sync message for another
//! user's document, a forged senderId, `data` that is no automerge sync message, a text frame
//! and an oversized frame — and a seeded stream of random and mutated frames (`fuzz_*`, 10^4
//! frames by default, `LARDER_FUZZ_FRAMES=n` for more, `LARDER_FUZZ_SEED=s` to replay one).
//!
//! After each input: the relay closed that connection with a close frame and the code the case
//! names (the codes README lists, `close` below; printed too), the relay still
//! serves alice's device (it stores an edit), nothing stored changed (the victim document as
//! the relay serves it, both users' feeds), no task in this process panicked, and at the end a
//! restart on the same data directory shows the same stored feeds.
//!
//! Only the wire is used, so the same cases hold for any implementation of the relay's sync.

mod common;

use std::sync::Mutex;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{AutomergeError, ROOT};
use common::cbor::Cbor;
use common::raw_peer::{self, Closed, RawPeer, binary, closed_within, msg};
use common::scene::Scene;
use tokio_tungstenite::tungstenite::Message;

/// The close codes the relay uses (README, "Sync": close codes).
mod close {
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const UNSUPPORTED_DATA: u16 = 1003;
    pub const INVALID_PAYLOAD: u16 = 1007;
    pub const POLICY_VIOLATION: u16 = 1008;
    pub const TOO_BIG: u16 = 1009;
}

/// Panics seen on threads other than the tests' own (the relay's tasks run on the runtime's
/// worker and blocking threads, its store on sled's): each is a defect, whatever the input was.
static PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn watch_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            let name = thread.name().unwrap_or("");
            if name.starts_with("tokio") || name.starts_with("sled") || name.is_empty() {
                PANICS
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(format!("{name}: {info}"));
            }
            default(info);
        }));
    });
}

fn no_panics() {
    let panics = PANICS.lock().unwrap_or_else(|p| p.into_inner());
    assert!(panics.is_empty(), "the relay panicked: {panics:#?}");
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Alice,
    Bob,
}

/// Whether the peer joins before sending the hostile frame.
#[derive(Clone, Copy, PartialEq)]
enum Join {
    First,
    Never,
}

/// Sends `frame` on a fresh connection of `who`, waits for the relay to close it, prints and
/// checks the close, and checks that the relay still serves and nothing stored changed.
/// Returns how it closed and what the relay sent before.
async fn hostile(
    scene: &mut Scene,
    who: Who,
    join: Join,
    frame: impl FnOnce(&RawPeer) -> Message,
    what: &str,
    expect: u16,
) -> (Closed, Vec<Cbor>) {
    watch_panics();
    let user = match who {
        Who::Alice => &scene.alice,
        Who::Bob => &scene.bob,
    };
    let base = scene.base();
    let mut peer = match join {
        Join::First => RawPeer::connect(&scene.http, &base, &user.token, &user.id).await,
        Join::Never => {
            let me = raw_peer::new_peer_id(&user.id);
            let t = raw_peer::ticket(&scene.http, &base, &user.token, &me).await;
            RawPeer {
                ws: raw_peer::open(&base, &t).await,
                me,
                relay: "larder-relay".into(),
            }
        }
    };
    let frame = frame(&peer);
    // The relay may hang up while the frame is still being written: that is a close too.
    let _ = raw_peer::send(&mut peer.ws, frame).await;
    let (closed, before) = closed_within(&mut peer.ws).await;
    match &closed {
        Some(c) => println!("{what} ({who:?}): {c}; before it: {before:?}"),
        None => println!("{what} ({who:?}): NOT CLOSED; the relay sent {before:?}"),
    }
    // What must hold whether or not it closed, checked first so a failure to close still
    // shows whether anything else went wrong.
    scene.alive().await;
    scene.unchanged(what).await;
    no_panics();
    let closed = closed.unwrap_or_else(|| {
        panic!(
            "{what}: the relay kept the connection open for {:?} (it sent {before:?})",
            raw_peer::WAIT
        )
    });
    assert!(
        closed.code() == expect && !matches!(closed, Closed::Dropped(_)),
        "{what}: the relay must close with a close frame and code {expect}, got {closed}"
    );
    (closed, before)
}

/// A document with a change of its own under the victim's id, as a forger would make it: the
/// sync data that would push that change.
fn forged_sync_data() -> Vec<u8> {
    let mut evil = automerge::Automerge::new();
    evil.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, "title", "pwned")?;
        tx.put(ROOT, "evil", "yes")?;
        Ok(())
    })
    .unwrap();
    let mut state = sync::State::new();
    // The first message only advertises; the second (after the relay's answer) would carry
    // changes. A message that carries them at once: pretend the other side has nothing.
    let first = evil.generate_sync_message(&mut state).unwrap();
    let mut theirs = sync::State::new();
    let mut empty = automerge::Automerge::new();
    empty.receive_sync_message(&mut theirs, first).unwrap();
    let reply = empty.generate_sync_message(&mut theirs).unwrap();
    evil.receive_sync_message(&mut state, reply).unwrap();
    let with_changes = evil.generate_sync_message(&mut state).unwrap();
    assert!(
        !with_changes.changes.is_empty(),
        "the forged message carries changes"
    );
    with_changes.encode()
}

fn sync_frame(peer: &RawPeer, doc: &str, data: &[u8]) -> Cbor {
    msg::doc("sync", doc, &peer.me, &peer.relay, data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_cbor_closes_the_connection() {
    let mut scene = Scene::new().await;
    let data = forged_sync_data();
    let victim = scene.victim_id.clone();
    type Cut = fn(usize) -> usize;
    let cuts: [(&str, Cut); 5] = [
        ("1 byte", |_| 1),
        ("2 bytes", |_| 2),
        ("a third", |n| n / 3),
        ("half", |n| n / 2),
        ("all but the last byte", |n| n - 1),
    ];
    for (name, cut) in cuts {
        hostile(
            &mut scene,
            Who::Alice,
            Join::First,
            |p| {
                let whole = sync_frame(p, &victim, &data).encode();
                Message::Binary(whole[..cut(whole.len())].to_vec().into())
            },
            &format!("a sync message cut to {name}"),
            close::PROTOCOL_ERROR,
        )
        .await;
    }
    scene.finish().await;
}

/// A sync message of alice's for the victim, each time with one field of the wrong type (or
/// the message not a map at all).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_field_types_close_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    let data = forged_sync_data();
    type Bend = fn(&mut Vec<(Cbor, Cbor)>);
    let cases: Vec<(&str, Bend)> = vec![
        ("type as an integer", |e| e[0].1 = Cbor::Uint(7)),
        ("type as bytes", |e| e[0].1 = Cbor::Bytes(b"sync".to_vec())),
        ("documentId as an integer", |e| e[1].1 = Cbor::Uint(42)),
        ("documentId as 5 bytes", |e| {
            e[1].1 = Cbor::Bytes(vec![1, 2, 3, 4, 5])
        }),
        ("documentId as a string that is no id", |e| {
            e[1].1 = Cbor::str("not-a-document-id")
        }),
        ("senderId as an array", |e| {
            e[2].1 = Cbor::Array(vec![Cbor::str("a")])
        }),
        ("targetId as null", |e| e[3].1 = Cbor::Null),
        ("data as a string", |e| e[4].1 = Cbor::str("AAAA")),
        ("data as a map", |e| {
            e[4].1 = Cbor::map([("x", Cbor::Uint(1))])
        }),
        ("integer keys", |e| {
            for (i, (k, _)) in e.iter_mut().enumerate() {
                *k = Cbor::Uint(i as u64);
            }
        }),
    ];
    for (what, bend) in cases {
        hostile(
            &mut scene,
            Who::Alice,
            Join::First,
            |p| {
                let Cbor::Map(mut entries) = sync_frame(p, &victim, &data) else {
                    unreachable!()
                };
                bend(&mut entries);
                binary(&Cbor::Map(entries))
            },
            what,
            close::PROTOCOL_ERROR,
        )
        .await;
    }
    for (what, whole) in [
        (
            "an array instead of a map",
            Cbor::Array(vec![Cbor::str("sync")]),
        ),
        ("a bare string", Cbor::str("sync")),
        ("a bare integer", Cbor::Uint(1)),
        ("an empty map", Cbor::Map(vec![])),
    ] {
        hostile(
            &mut scene,
            Who::Alice,
            Join::First,
            |_| binary(&whole),
            what,
            close::PROTOCOL_ERROR,
        )
        .await;
    }
    scene.finish().await;
}

/// CBOR headers that declare far more than the frame holds: a decoder that trusts them
/// allocates without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_declared_lengths_close_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    // A sync message whose `data` is a byte string of declared length 2^63 - 1 (8-byte
    // argument), with only 4 bytes following.
    let huge_data = |p: &RawPeer| {
        let mut bytes = Cbor::map([
            ("type", Cbor::str("sync")),
            ("documentId", Cbor::str(victim.as_str())),
            ("senderId", Cbor::str(p.me.as_str())),
            ("targetId", Cbor::str(p.relay.as_str())),
        ])
        .encode();
        bytes[0] = 0xa5; // five entries
        bytes.extend(Cbor::str("data").encode());
        bytes.push(0x5b);
        bytes.extend(i64::MAX.to_be_bytes());
        bytes.extend([0x42, 0, 0, 0]);
        Message::Binary(bytes.into())
    };
    hostile(
        &mut scene,
        Who::Alice,
        Join::First,
        huge_data,
        "data declared 2^63-1 bytes long",
        close::PROTOCOL_ERROR,
    )
    .await;
    let raw: [(&str, Vec<u8>); 4] = [
        (
            "a map declared with 2^32-1 entries",
            [
                vec![0xba, 0xff, 0xff, 0xff, 0xff],
                Cbor::str("type").encode(),
            ]
            .concat(),
        ),
        (
            "a map declared with 2^64-1 entries",
            [vec![0xbb], vec![0xff; 8], Cbor::str("type").encode()].concat(),
        ),
        (
            "a type string declared 2^32-1 bytes long",
            [
                vec![0xa1],
                Cbor::str("type").encode(),
                vec![0x7a, 0xff, 0xff, 0xff, 0xff, b's'],
            ]
            .concat(),
        ),
        (
            "an array of 2^32-1 versions in a join",
            [
                vec![0xa3],
                Cbor::str("type").encode(),
                Cbor::str("join").encode(),
                Cbor::str("senderId").encode(),
                Cbor::str("x").encode(),
                Cbor::str("supportedProtocolVersions").encode(),
                vec![0x9a, 0xff, 0xff, 0xff, 0xff, 0x61, b'1'],
            ]
            .concat(),
        ),
    ];
    for (what, bytes) in raw {
        for join in [Join::First, Join::Never] {
            let bytes = bytes.clone();
            hostile(
                &mut scene,
                Who::Alice,
                join,
                |_| Message::Binary(bytes.into()),
                what,
                close::PROTOCOL_ERROR,
            )
            .await;
        }
    }
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_message_type_closes_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    let data = forged_sync_data();
    hostile(
        &mut scene,
        Who::Alice,
        Join::First,
        |p| binary(&msg::doc("frobnicate", &victim, &p.me, &p.relay, &data)),
        "a message of type \"frobnicate\"",
        close::PROTOCOL_ERROR,
    )
    .await;
    hostile(
        &mut scene,
        Who::Alice,
        Join::First,
        |p| {
            binary(&Cbor::map([
                ("senderId", Cbor::str(p.me.as_str())),
                ("targetId", Cbor::str(p.relay.as_str())),
                ("documentId", Cbor::str(victim.as_str())),
            ]))
        },
        "a message without a type",
        close::PROTOCOL_ERROR,
    )
    .await;
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_before_join_closes_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    let data = forged_sync_data();
    for kind in ["sync", "request"] {
        hostile(
            &mut scene,
            Who::Alice,
            Join::Never,
            |p| binary(&msg::doc(kind, &victim, &p.me, "larder-relay", &data)),
            &format!("a {kind} message before join"),
            close::PROTOCOL_ERROR,
        )
        .await;
    }
    scene.finish().await;
}

/// Bob pushes changes into alice's document by its id: refused, his connection closed, and
/// nothing of hers reached him first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_message_for_another_users_document_closes_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    let data = forged_sync_data();
    let (_, before) = hostile(
        &mut scene,
        Who::Bob,
        Join::First,
        |p| binary(&sync_frame(p, &victim, &data)),
        "bob's sync message for alice's document",
        close::POLICY_VIOLATION,
    )
    .await;
    assert_nothing_of(&before, &victim);
    scene.finish().await;
}

/// What the relay sent carries none of `doc`'s content: at most a `doc-unavailable`, or sync
/// messages without changes.
fn assert_nothing_of(sent: &[Cbor], doc: &str) {
    for m in sent.iter().filter(|m| m.get_str("documentId") == Some(doc)) {
        match m.get_str("type") {
            Some("doc-unavailable") => {}
            Some("sync" | "request") => {
                let data = m.get_bytes("data").expect("sync data");
                let decoded = sync::Message::decode(data).expect("a sync message");
                assert!(
                    decoded.changes.is_empty() && decoded.heads.is_empty(),
                    "the relay leaked {doc}: {m:?}"
                );
            }
            other => panic!("unexpected {other:?} about {doc}: {m:?}"),
        }
    }
}

/// A joined peer sending as someone else: another user's peer, another device of its own
/// user, the relay itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_sender_id_closes_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    let first = automerge::Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .unwrap()
        .encode();
    let bobs = raw_peer::new_peer_id(&scene.bob.id);
    let alices = raw_peer::new_peer_id(&scene.alice.id);
    for (what, sender) in [
        ("senderId of another user's peer", bobs.as_str()),
        (
            "senderId of another device of the same user",
            alices.as_str(),
        ),
        ("senderId of the relay", "larder-relay"),
    ] {
        let (_, before) = hostile(
            &mut scene,
            Who::Bob,
            Join::First,
            |p| binary(&msg::doc("request", &victim, sender, &p.relay, &first)),
            &format!("bob's request with the {what}"),
            close::POLICY_VIOLATION,
        )
        .await;
        assert_nothing_of(&before, &victim);
        hostile(
            &mut scene,
            Who::Alice,
            Join::First,
            |p| binary(&msg::doc("sync", &victim, sender, &p.relay, &first)),
            &format!("alice's sync with the {what}"),
            close::POLICY_VIOLATION,
        )
        .await;
    }
    scene.finish().await;
}

/// Alice's own document, but `data` is not an automerge sync message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_that_is_no_sync_message_closes_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    for (what, data) in [
        ("text", b"not an automerge sync message".to_vec()),
        (
            "a sync message type byte and garbage",
            vec![0x42, 0xff, 0xff, 0xff, 0x01],
        ),
        ("one byte", vec![0x42]),
    ] {
        hostile(
            &mut scene,
            Who::Alice,
            Join::First,
            |p| binary(&sync_frame(p, &victim, &data)),
            &format!("sync data: {what}"),
            close::INVALID_PAYLOAD,
        )
        .await;
    }
    scene.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_frame_closes_the_connection() {
    let mut scene = Scene::new().await;
    for join in [Join::First, Join::Never] {
        hostile(
            &mut scene,
            Who::Alice,
            join,
            |p| Message::Text(format!(r#"{{"type":"join","senderId":"{}"}}"#, p.me).into()),
            "a text frame",
            close::UNSUPPORTED_DATA,
        )
        .await;
    }
    scene.finish().await;
}

/// One binary frame over the relay's message size limit (16 MiB today).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_the_connection() {
    let mut scene = Scene::new().await;
    let victim = scene.victim_id.clone();
    hostile(
        &mut scene,
        Who::Alice,
        Join::First,
        |p| binary(&sync_frame(p, &victim, &vec![0x42; 17 << 20])),
        "a 17 MiB sync message",
        close::TOO_BIG,
    )
    .await;
    scene.finish().await;
}

/// How many random frames the fuzz run sends (`LARDER_FUZZ_FRAMES`, default 10^4).
fn fuzz_frames() -> usize {
    std::env::var("LARDER_FUZZ_FRAMES")
        .ok()
        .map(|v| v.parse().expect("LARDER_FUZZ_FRAMES is a number"))
        .unwrap_or(10_000)
}

/// Fuzzing peers per user running at once (each frame costs a connection, mostly waiting).
const PARALLEL: usize = 2;

/// What one fuzzing peer needs (owned: it runs as its own task).
#[derive(Clone)]
struct Fuzzer {
    name: &'static str,
    base: String,
    http: reqwest::Client,
    token: String,
    user: String,
    relay: String,
    own: String,
    foreign: String,
    other_user: String,
    changes: Vec<u8>,
}

#[derive(Default, Debug)]
struct Tally {
    /// Close code (1005: no code, 1006: no close frame) → how many.
    closed: std::collections::BTreeMap<u16, usize>,
    kept_open: usize,
}

impl Fuzzer {
    /// Sends `count` frames, each on a fresh connection (joined first, except one in ten),
    /// each followed by a `request` for the foreign document: the relay either closes the
    /// connection or answers that request with `doc-unavailable` — never anything else about
    /// the foreign document, never silence.
    async fn run(self, seed: u64, first: usize, count: usize) -> Tally {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut tally = Tally::default();
        for i in first..first + count {
            let me = raw_peer::new_peer_id(&self.user);
            let targets = common::frame_gen::Targets {
                me: me.clone(),
                relay: self.relay.clone(),
                own: self.own.clone(),
                foreign: self.foreign.clone(),
                other_peer: raw_peer::new_peer_id(&self.other_user),
                changes: self.changes.clone(),
            };
            let corpus = common::frame_gen::corpus(&targets);
            let frame = common::frame_gen::frame(&mut rng, &targets, &corpus);
            let pre_join = rng.random_bool(0.1);
            let what = || {
                let shown: String = format!("{frame:?}").chars().take(400).collect();
                format!(
                    "{} frame #{i} (seed {seed}, before join: {pre_join}): {shown}",
                    self.name
                )
            };
            let t = raw_peer::ticket(&self.http, &self.base, &self.token, &me).await;
            let mut peer = RawPeer {
                ws: raw_peer::open(&self.base, &t).await,
                me: me.clone(),
                relay: self.relay.clone(),
            };
            let join = binary(&msg::join(&me));
            let echo = binary(&peer.request(&self.foreign));
            let sent = if pre_join {
                vec![frame.clone(), join, echo]
            } else {
                vec![join, frame.clone(), echo]
            };
            for f in sent {
                if raw_peer::send(&mut peer.ws, f).await.is_err() {
                    break; // hung up already
                }
            }
            let mut seen = Vec::new();
            let outcome = loop {
                match raw_peer::next_event(&mut peer.ws, raw_peer::WAIT).await {
                    Some(raw_peer::Event::Closed(c)) => break Some(c),
                    Some(raw_peer::Event::Msg(m)) => {
                        let about_foreign = m.get_str("documentId") == Some(self.foreign.as_str());
                        let unavailable = m.get_str("type") == Some("doc-unavailable");
                        seen.push(m);
                        if about_foreign && unavailable {
                            break None;
                        }
                    }
                    Some(raw_peer::Event::Undecodable(b)) => {
                        panic!("{}: the relay sent a non-CBOR frame {b:02x?}", what())
                    }
                    None => panic!(
                        "{}: neither a close nor an answer to the request after it within \
                         {:?}; the relay sent {seen:?}",
                        what(),
                        raw_peer::WAIT
                    ),
                }
            };
            assert_nothing_of(&seen, &self.foreign);
            match outcome {
                Some(c) => {
                    assert!((1000..=4999).contains(&c.code()), "{}: {c}", what());
                    *tally.closed.entry(c.code()).or_default() += 1;
                }
                None => {
                    tally.kept_open += 1;
                    let _ = peer.ws.close(None).await;
                }
            }
        }
        tally
    }
}

/// ≥ 10^4 seeded random and mutated frames (see `common/frame_gen.rs`) from alice's and bob's
/// peers at once, each at a live connection; every 1,000 the relay must still serve alice's
/// device and nothing stored may have changed (each user's sandbox aside), and at the end the
/// same after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_random_and_mutated_frames() {
    watch_panics();
    let total = fuzz_frames();
    let seed: u64 = std::env::var("LARDER_FUZZ_SEED")
        .ok()
        .map(|v| v.parse().expect("LARDER_FUZZ_SEED is a number"))
        .unwrap_or(14);
    println!(
        "fuzz: {total} frames, seed {seed} (LARDER_FUZZ_SEED={seed} LARDER_FUZZ_FRAMES={total} to replay)"
    );
    let mut scene = Scene::new().await;
    let alice_sandbox = scene.sandbox(&scene.alice.clone()).await;
    let bob_sandbox = scene.sandbox(&scene.bob.clone()).await;
    let relay = RawPeer::connect(
        &scene.http,
        &scene.base(),
        &scene.alice.token,
        &scene.alice.id,
    )
    .await
    .relay;
    let changes = forged_sync_data();
    let fuzzer =
        |name, user: &common::SignedIn, other: &common::SignedIn, own: &str, foreign: &str| {
            Fuzzer {
                name,
                base: scene.base(),
                http: scene.http.clone(),
                token: user.token.clone(),
                user: user.id.clone(),
                relay: relay.clone(),
                own: own.to_owned(),
                foreign: foreign.to_owned(),
                other_user: other.id.clone(),
                changes: changes.clone(),
            }
        };
    let alice = fuzzer(
        "alice",
        &scene.alice,
        &scene.bob,
        &alice_sandbox,
        &scene.bobs_id,
    );
    let bob = fuzzer(
        "bob",
        &scene.bob,
        &scene.alice,
        &bob_sandbox,
        &scene.victim_id,
    );
    let started = std::time::Instant::now();
    let mut tally = Tally::default();
    let round = 1000;
    let mut done = 0;
    while done < total {
        let n = round.min(total - done);
        // PARALLEL fuzzers per user at once; one seed per round and fuzzer.
        let mut tasks = Vec::new();
        let mut first = done;
        for k in 0..2 * PARALLEL {
            let share = n / (2 * PARALLEL) + usize::from(k < n % (2 * PARALLEL));
            let task_seed = seed
                .wrapping_mul(1_000_003)
                .wrapping_add((done * 2 * PARALLEL + k) as u64);
            let who = if k % 2 == 0 { &alice } else { &bob };
            tasks.push(tokio::spawn(who.clone().run(task_seed, first, share)));
            first += share;
        }
        for t in tasks {
            let t = t.await.expect("a fuzzer");
            for (code, k) in t.closed {
                *tally.closed.entry(code).or_default() += k;
            }
            tally.kept_open += t.kept_open;
        }
        done += n;
        scene.alive().await;
        scene.unchanged(&format!("{done} fuzz frames")).await;
        no_panics();
    }
    println!(
        "fuzz: {total} frames in {:.1} s; closed by code: {:?}; answered and kept open: {}",
        started.elapsed().as_secs_f64(),
        tally.closed,
        tally.kept_open
    );
    scene.finish().await;
    no_panics();
}
