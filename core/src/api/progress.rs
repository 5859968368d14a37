//! How far a long import got, told as change events ([`ChangeEvent::ImportProgress`]) so every
//! shell shows it the way it already passes events on (the CLI draws a bar, the app a progress
//! indicator). Events are spaced to about one per hundredth of the work, and small imports,
//! over in a moment, send none.

use serde::{Deserialize, Serialize};

use super::{ChangeEvent, Larder};
use crate::docstore::DocumentStore;

/// Below this many items a stage sends no progress.
const MIN_ITEMS: usize = 10;

/// What an import is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ImportStage {
    /// Making the recipes.
    Recipes,
    /// Reading and attaching their photos and files.
    Photos,
}

/// One stage's progress, sent as it advances.
pub(super) struct ImportProgressEvents<'l, S: DocumentStore> {
    larder: &'l Larder<S>,
    stage: ImportStage,
    done: usize,
    total: usize,
    step: usize,
    next: usize,
}

impl<'l, S: DocumentStore> ImportProgressEvents<'l, S> {
    /// Starts a stage of `total` items (sends "0 of total").
    pub(super) fn new(larder: &'l Larder<S>, stage: ImportStage, total: usize) -> Self {
        let step = (total / 100).max(1);
        let events = ImportProgressEvents {
            larder,
            stage,
            done: 0,
            total,
            step,
            next: step,
        };
        events.send();
        events
    }

    /// `by` more items are done.
    pub(super) fn advance(&mut self, by: usize) {
        self.done = (self.done + by).min(self.total);
        if self.done >= self.next || self.done == self.total {
            self.next = self.done + self.step;
            self.send();
        }
    }

    fn send(&self) {
        if self.total < MIN_ITEMS {
            return;
        }
        self.larder.emit(ChangeEvent::ImportProgress {
            stage: self.stage,
            done: u32::try_from(self.done).unwrap_or(u32::MAX),
            total: u32::try_from(self.total).unwrap_or(u32::MAX),
        });
    }
}
