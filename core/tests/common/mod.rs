//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use larder_core::api::ingredient_input;
use larder_core::clock::ManualClock;
use larder_core::docstore::MemoryStore;
use larder_core::model::RecipeDraft;
use larder_core::{Larder, Store};

/// A draft with ingredient rows parsed from lines.
pub fn draft(title: &str, lines: &[&str]) -> RecipeDraft {
    RecipeDraft {
        title: title.to_string(),
        ingredients: lines.iter().map(|l| ingredient_input(l)).collect(),
        ..RecipeDraft::default()
    }
}

/// When the replicas' clocks start (ms since the epoch).
pub const START: i64 = 1_700_000_000_000;

/// The in-memory store's futures are ready at once.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures_util::FutureExt::now_or_never(f).expect("memory store futures complete at once")
}

/// One replica: an engine over an in-memory document store, with a clock the test moves.
pub struct Device {
    pub larder: Larder<MemoryStore>,
    pub docs: MemoryStore,
    pub clock: ManualClock,
}

pub fn device() -> Device {
    let docs = MemoryStore::new();
    let clock = ManualClock::new(START);
    let store = Arc::new(Store::open_in_memory().expect("store"));
    let larder =
        block_on(Larder::open(docs.clone(), store, Arc::new(clock.clone()))).expect("open");
    Device {
        larder,
        docs,
        clock,
    }
}

/// Sends everything `from` has of `id` to `to` and refreshes `to`'s view.
pub fn sync(from: &Device, to: &Device, id: &str) {
    let bytes = from.docs.save(id).expect("document");
    to.docs.merge_bytes(id, &bytes).expect("merge");
    block_on(to.larder.rematerialize(id)).expect("refresh");
}
