//! Seeded random websocket frames for the protocol fuzz run: valid automerge-repo messages
//! (the corpus), mutations of them at the byte level (bit flips, truncation, splices, inserted
//! CBOR headers declaring huge lengths), structurally random CBOR maps with protocol keys and
//! values of any type, plain random bytes, and text frames.
//!
//! Change-carrying sync data is only ever addressed to a document the peer must not write
//! ([`Targets::foreign`]). A byte-level splice can, rarely, re-address it to the other id the
//! frames name, [`Targets::own`]: that is why `own` is a sandbox the peer's user owns, whose
//! changes are legitimate. Every other stored document must stay as it was.

use automerge::sync::{self, SyncDoc};
use rand::Rng;
use rand::rngs::StdRng;
use tokio_tungstenite::tungstenite::Message;

use super::cbor::Cbor;
use super::raw_peer::msg;

/// What the frames of one peer talk about.
pub struct Targets {
    pub me: String,
    pub relay: String,
    /// A sandbox document the peer's user owns (its frames may change it).
    pub own: String,
    /// A document of another user.
    pub foreign: String,
    /// Another user's peer id, for forged senders.
    pub other_peer: String,
    /// Sync data carrying changes (only sent for `foreign`).
    pub changes: Vec<u8>,
}

fn empty_sync_data() -> Vec<u8> {
    automerge::Automerge::new()
        .generate_sync_message(&mut sync::State::new())
        .expect("first message")
        .encode()
}

/// The valid messages mutations start from.
pub fn corpus(t: &Targets) -> Vec<Cbor> {
    let empty = empty_sync_data();
    let s = |v: &str| Cbor::str(v);
    vec![
        msg::join(&t.me),
        msg::doc("request", &t.own, &t.me, &t.relay, &empty),
        msg::doc("sync", &t.own, &t.me, &t.relay, &empty),
        msg::doc("request", &t.foreign, &t.me, &t.relay, &empty),
        msg::doc("sync", &t.foreign, &t.me, &t.relay, &t.changes),
        msg::ephemeral(&t.own, &t.me, &t.relay, b"\xa1\x61x\x01"),
        Cbor::map([
            ("type", s("doc-unavailable")),
            ("senderId", s(&t.me)),
            ("targetId", s(&t.relay)),
            ("documentId", s(&t.own)),
        ]),
        Cbor::map([
            ("type", s("remote-subscription-change")),
            ("senderId", s(&t.me)),
            ("targetId", s(&t.relay)),
            ("add", Cbor::Array(vec![s("storage-1")])),
            ("remove", Cbor::Array(vec![])),
        ]),
        Cbor::map([
            ("type", s("remote-heads-changed")),
            ("senderId", s(&t.me)),
            ("targetId", s(&t.relay)),
            ("documentId", s(&t.own)),
            (
                "newHeads",
                Cbor::map([(
                    "storage-1",
                    Cbor::map([
                        ("heads", Cbor::Array(vec![s("abc")])),
                        ("timestamp", Cbor::Uint(1)),
                    ]),
                )]),
            ),
        ]),
        Cbor::map([("type", s("leave")), ("senderId", s(&t.me))]),
        Cbor::map([("type", s("error")), ("message", s("boom"))]),
        Cbor::map([
            ("type", s("peer")),
            ("senderId", s(&t.me)),
            ("targetId", s(&t.relay)),
            ("selectedProtocolVersion", s("1")),
        ]),
    ]
}

const KEYS: &[&str] = &[
    "type",
    "senderId",
    "targetId",
    "documentId",
    "data",
    "count",
    "sessionId",
    "peerMetadata",
    "supportedProtocolVersions",
    "selectedProtocolVersion",
    "message",
    "add",
    "remove",
    "newHeads",
    "storageId",
    "isEphemeral",
];

const TYPES: &[&str] = &[
    "join",
    "peer",
    "leave",
    "request",
    "sync",
    "doc-unavailable",
    "ephemeral",
    "error",
    "remote-subscription-change",
    "remote-heads-changed",
    "",
    "SYNC",
    "sync\0",
];

/// One random frame.
pub fn frame(rng: &mut StdRng, t: &Targets, corpus: &[Cbor]) -> Message {
    match rng.random_range(0..100) {
        0..45 => Message::Binary(mutate(rng, corpus).into()),
        45..70 => Message::Binary(random_message(rng, t).encode().into()),
        70..82 => {
            let n = rng.random_range(0..64);
            Message::Binary(
                (0..n)
                    .map(|_| rng.random::<u8>())
                    .collect::<Vec<u8>>()
                    .into(),
            )
        }
        82..96 => Message::Binary(corpus[rng.random_range(0..corpus.len())].encode().into()),
        _ => Message::Text(
            String::from_utf8_lossy(&mutate(rng, corpus))
                .into_owned()
                .into(),
        ),
    }
}

/// A corpus message, mutated one to four times.
fn mutate(rng: &mut StdRng, corpus: &[Cbor]) -> Vec<u8> {
    let mut b = corpus[rng.random_range(0..corpus.len())].encode();
    for _ in 0..rng.random_range(1..=4) {
        if b.is_empty() {
            b.push(rng.random());
            continue;
        }
        let at = rng.random_range(0..b.len());
        match rng.random_range(0..8) {
            0 => b[at] ^= 1 << rng.random_range(0..8),
            1 => b[at] = rng.random(),
            2 => b.truncate(at),
            3 => {
                let n = rng.random_range(1..=8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                b.splice(at..at, bytes);
            }
            4 => {
                let end = rng.random_range(at..=b.len());
                b.drain(at..end);
            }
            5 => {
                let end = rng.random_range(at..=b.len().min(at + 16));
                let dup = b[at..end].to_vec();
                b.splice(at..at, dup);
            }
            6 => {
                // A header declaring a huge length: bytes, string, array or map.
                let major = [0x5b, 0x7b, 0x9b, 0xbb][rng.random_range(0..4)];
                let mut header = vec![major];
                header.extend(rng.random_range(1u64 << 32..=u64::MAX).to_be_bytes());
                b.splice(at..(at + 1).min(b.len()), header);
            }
            _ => {
                let other = corpus[rng.random_range(0..corpus.len())].encode();
                let from = rng.random_range(0..other.len());
                b.truncate(at);
                b.extend_from_slice(&other[from..]);
            }
        }
    }
    b
}

/// A map of protocol keys with values of random types.
fn random_message(rng: &mut StdRng, t: &Targets) -> Cbor {
    let n = rng.random_range(0..8);
    let mut entries = Vec::new();
    if rng.random_bool(0.8) {
        entries.push((
            Cbor::str("type"),
            Cbor::str(TYPES[rng.random_range(0..TYPES.len())]),
        ));
    }
    for _ in 0..n {
        let key = KEYS[rng.random_range(0..KEYS.len())];
        let value = match key {
            "senderId" | "targetId" if rng.random_bool(0.7) => {
                let ids = [&t.me, &t.relay, &t.other_peer];
                Cbor::str(ids[rng.random_range(0..ids.len())].as_str())
            }
            // Change-less data may go with either document; changes only with `foreign`.
            "documentId" if rng.random_bool(0.7) => Cbor::str(t.own.as_str()),
            "data" if rng.random_bool(0.5) => Cbor::Bytes(empty_sync_data()),
            _ => random_value(rng, 0),
        };
        entries.push((Cbor::str(key), value));
    }
    if rng.random_bool(0.1) {
        // The one way changes travel: to the document the peer must not write.
        entries.retain(|(k, _)| *k != Cbor::str("documentId") && *k != Cbor::str("data"));
        entries.push((Cbor::str("documentId"), Cbor::str(t.foreign.as_str())));
        entries.push((Cbor::str("data"), Cbor::Bytes(t.changes.clone())));
    }
    Cbor::Map(entries)
}

fn random_value(rng: &mut StdRng, depth: usize) -> Cbor {
    let leaf = depth >= 2;
    match rng.random_range(0..if leaf { 8 } else { 10 }) {
        0 => Cbor::Uint(rng.random()),
        1 => Cbor::Nint(rng.random()),
        2 => Cbor::Bytes((0..rng.random_range(0..24)).map(|_| rng.random()).collect()),
        3 => Cbor::Str(
            (0..rng.random_range(0..24))
                .map(|_| char::from(rng.random_range(0x20u8..0x7f)))
                .collect(),
        ),
        4 => Cbor::Bool(rng.random()),
        5 => Cbor::Null,
        6 => Cbor::F64(rng.random::<f64>() * 1e9),
        7 => Cbor::Tag(rng.random_range(0..64), Box::new(Cbor::Uint(1))),
        8 => Cbor::Array(
            (0..rng.random_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => Cbor::Map(
            (0..rng.random_range(0..4))
                .map(|_| (random_value(rng, depth + 1), random_value(rng, depth + 1)))
                .collect(),
        ),
    }
}
