//! The wire decoder against a million random and mutated frames (`LARDER_FUZZ_FRAMES` sets
//! how many; the seed is fixed, `LARDER_FUZZ_SEED` picks another): it never panics, it never
//! allocates more than about the frame's own size while decoding one (measured by a counting
//! allocator around each call), and whatever it accepts encodes back to a frame that decodes
//! to the same message. The frames start from valid messages of every type and are truncated,
//! bit-flipped, spliced, given huge declared lengths, wrong field types, unknown types, deep
//! nesting and forged ids — what a hostile peer can put in a websocket frame.
//!
//! The same decoder guards the live connection; `hostile_frames.rs` sends such frames to a
//! running relay.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use larder_sync_server::sync::DocId;
use larder_sync_server::sync::wire::{self, PeerMetadata, RemoteHeads, WireMessage};

/// Counts live heap bytes and their high-water mark.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn seeds() -> Vec<Vec<u8>> {
    let doc = DocId::random();
    let meta = Some(PeerMetadata {
        storage_id: Some("3f2c9a0e-0000-4000-8000-000000000000".into()),
        is_ephemeral: false,
    });
    let peer = "0123456789abcdef0123456789abcdef.0123456789abcdef0123456789abcdef".to_owned();
    let relay = "larder-relay".to_owned();
    let sync_data = {
        use automerge::sync::SyncDoc;
        let mut am = automerge::Automerge::new();
        am.transact::<_, _, automerge::AutomergeError>(|tx| {
            automerge::transaction::Transactable::put(tx, automerge::ROOT, "title", "soup")?;
            Ok(())
        })
        .unwrap();
        am.generate_sync_message(&mut automerge::sync::State::new())
            .unwrap()
            .encode()
    };
    let messages = vec![
        WireMessage::Join {
            sender: peer.clone(),
            versions: vec!["1".into()],
            metadata: meta.clone(),
        },
        WireMessage::Peer {
            sender: relay.clone(),
            target: peer.clone(),
            version: "1".into(),
            metadata: meta,
        },
        WireMessage::Leave {
            sender: peer.clone(),
        },
        WireMessage::Request {
            doc,
            sender: peer.clone(),
            target: relay.clone(),
            data: sync_data.clone(),
        },
        WireMessage::Sync {
            doc,
            sender: peer.clone(),
            target: relay.clone(),
            data: sync_data,
        },
        WireMessage::DocUnavailable {
            doc,
            sender: peer.clone(),
            target: relay.clone(),
        },
        WireMessage::Ephemeral {
            doc,
            sender: peer.clone(),
            target: relay.clone(),
            count: 7,
            session: "s".into(),
            data: vec![1, 2, 3],
        },
        WireMessage::Error {
            message: "bad".into(),
        },
        WireMessage::RemoteSubscriptionChange {
            sender: peer.clone(),
            target: relay.clone(),
            add: vec!["a".into()],
            remove: vec!["b".into()],
        },
        WireMessage::RemoteHeadsChanged {
            doc,
            sender: peer,
            target: relay,
            heads: vec![RemoteHeads {
                storage_id: "a".into(),
                heads: vec!["h".into()],
                timestamp: 9,
            }],
        },
    ];
    messages.iter().map(WireMessage::encode).collect()
}

/// CBOR heads that claim huge lengths or nest without end.
const HOSTILE_HEADS: &[&[u8]] = &[
    &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // bytes, 2^64-1 long
    &[0x7b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // text
    &[0x9b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // array
    &[0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // map
    &[0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f, 0x9f],       // indefinite arrays
    &[0xc6, 0xc6, 0xc6, 0xc6],                               // tags
    &[0xff],                                                 // a stray break
    &[0xf9, 0x7e, 0x00],                                     // NaN (f16)
];

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut frame = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        match rng.below(9) {
            0 => {
                let at = rng.below(frame.len() + 1);
                frame.truncate(at);
            }
            1 if !frame.is_empty() => {
                let at = rng.below(frame.len());
                frame[at] ^= 1 << rng.below(8);
            }
            2 if !frame.is_empty() => {
                let at = rng.below(frame.len());
                frame[at] = rng.next() as u8;
            }
            3 => {
                let at = rng.below(frame.len() + 1);
                let head = HOSTILE_HEADS[rng.below(HOSTILE_HEADS.len())];
                frame.splice(at..at, head.iter().copied());
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                let cut = rng.below(other.len() + 1);
                let at = rng.below(frame.len() + 1);
                frame.truncate(at);
                frame.extend_from_slice(&other[cut..]);
            }
            5 => {
                let n = rng.below(64);
                frame = rng.bytes(n);
            }
            6 => {
                // Unknown types and forged fields: replace a text value's bytes in place.
                if let Some(at) = find(&frame, b"sync").or_else(|| find(&frame, b"join")) {
                    let word = [b"telp", b"PEER", b"\0\0\0\0", b"sync"][rng.below(4)];
                    frame[at..at + 4].copy_from_slice(word);
                }
            }
            7 => {
                let at = rng.below(frame.len() + 1);
                let n = rng.below(16);
                let junk = rng.bytes(n);
                frame.splice(at..at, junk);
            }
            _ => {
                // A map header claiming more entries than follow.
                if !frame.is_empty() {
                    frame[0] = 0xa0 | rng.below(24) as u8;
                }
            }
        }
    }
    frame
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn a_million_hostile_frames_neither_panic_nor_allocate_beyond_the_frame() {
    let frames: u64 = std::env::var("LARDER_FUZZ_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = std::env::var("LARDER_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_1a2d_e400_0001);
    let mut rng = Rng(seed | 1);
    let seeds = seeds();
    let (mut accepted, mut refused) = (0u64, 0u64);
    let mut worst_ratio = 0.0f64;
    for i in 0..frames {
        let frame = mutate(&mut rng, &seeds);
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let decoded = wire::decode(&frame);
        let grew = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        // What a decoded message owns is copied out of the frame, so at most about its size;
        // errors carry a short text.
        let bound = 2 * frame.len() + 4096;
        assert!(
            grew <= bound,
            "frame {i} (seed {seed}) made the decoder allocate {grew} bytes (bound {bound}): {frame:02x?}"
        );
        if !frame.is_empty() {
            worst_ratio = worst_ratio.max(grew as f64 / frame.len() as f64);
        }
        match decoded {
            Ok(msg) => {
                accepted += 1;
                assert_eq!(
                    wire::decode(&msg.encode()).as_ref(),
                    Ok(&msg),
                    "frame {i} (seed {seed}) does not re-encode to itself: {frame:02x?}"
                );
            }
            Err(e) => {
                refused += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    }
    println!(
        "{frames} frames: {accepted} decoded, {refused} refused; most allocated per frame byte: {worst_ratio:.2}"
    );
    assert!(
        accepted > 0 && refused > 0,
        "the mutations cover both outcomes"
    );
}
