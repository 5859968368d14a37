//! The meal plan: one Automerge document per user (shareable like any document). Days × slots
//! hold planned recipes (with a servings number) or free-text entries ("leftovers"). Entries
//! live in a map keyed by entry id, so entries added, moved or removed on different devices
//! merge without touching each other; a move is an edit of one entry's date and slot fields.
//! Slots are a list of (stable id, display name), so renaming one never orphans its entries.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

pub const PLAN_KIND: &str = "larder.plan";

/// The slots a new plan starts with: (id, name).
pub const DEFAULT_SLOTS: [(&str, &str); 4] = [
    ("breakfast", "Breakfast"),
    ("lunch", "Lunch"),
    ("dinner", "Dinner"),
    ("snack", "Snack"),
];

#[derive(Debug, Clone, Default, Reconcile, Hydrate, PartialEq)]
pub struct PlanDoc {
    pub kind: String,
    /// The day's slots in display order.
    pub slots: Vec<PlanSlotDoc>,
    pub entries: BTreeMap<String, PlanEntryDoc>,
}

#[derive(Debug, Clone, Reconcile, Hydrate, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanSlotDoc {
    /// Stable: entries name their slot by it.
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Reconcile, Hydrate, PartialEq)]
pub struct PlanEntryDoc {
    /// The day, `YYYY-MM-DD` (a calendar date, no time zone: "Tuesday's dinner").
    pub date: String,
    /// A slot id of [`PlanDoc::slots`]; an entry whose slot was removed keeps it and shows
    /// under the slot id until moved.
    pub slot: String,
    /// The planned recipe, or `None` for a free-text entry.
    pub recipe_id: Option<String>,
    /// The recipe's title when it was planned (so a calendar feed or another member's device
    /// can show it without the recipe), or the free text.
    pub title: String,
    /// Servings to cook; `None` means the recipe's own.
    pub servings: Option<f64>,
    /// Milliseconds since the epoch; orders entries within a slot.
    pub added_at: i64,
}

impl PlanDoc {
    pub fn new() -> Self {
        PlanDoc {
            kind: PLAN_KIND.to_string(),
            slots: DEFAULT_SLOTS
                .iter()
                .map(|(id, name)| PlanSlotDoc {
                    id: (*id).to_string(),
                    name: (*name).to_string(),
                })
                .collect(),
            entries: BTreeMap::new(),
        }
    }

    /// Entries as the view stores them, in (date, slot order, added, id) order so every
    /// replica agrees.
    pub fn to_entries(&self) -> Vec<PlanEntry> {
        let slot_rank = |slot: &str| {
            self.slots
                .iter()
                .position(|s| s.id == slot)
                .unwrap_or(self.slots.len())
        };
        let mut entries: Vec<PlanEntry> = self
            .entries
            .iter()
            .map(|(id, e)| PlanEntry {
                id: id.clone(),
                date: e.date.clone(),
                slot: e.slot.clone(),
                recipe_id: e.recipe_id.clone(),
                title: e.title.clone(),
                servings: e.servings,
                added_at: e.added_at,
            })
            .collect();
        entries.sort_by(|a, b| {
            a.date
                .cmp(&b.date)
                .then_with(|| slot_rank(&a.slot).cmp(&slot_rank(&b.slot)))
                .then_with(|| a.added_at.cmp(&b.added_at))
                .then_with(|| a.id.cmp(&b.id))
        });
        entries
    }
}

/// One planned meal as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanEntry {
    pub id: String,
    pub date: String,
    pub slot: String,
    pub recipe_id: Option<String>,
    pub title: String,
    pub servings: Option<f64>,
    pub added_at: i64,
}
