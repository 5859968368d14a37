//! The grocery list: one Automerge document per user. Items live in a map keyed by item id, so
//! items added, checked or removed on different devices merge without touching each other.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

pub const GROCERY_KIND: &str = "larder.grocery";

#[derive(Debug, Clone, Default, Reconcile, Hydrate, PartialEq)]
pub struct GroceryDoc {
    pub kind: String,
    pub items: BTreeMap<String, GroceryItemDoc>,
}

#[derive(Debug, Clone, Reconcile, Hydrate, PartialEq)]
pub struct GroceryItemDoc {
    pub name: String,
    /// The amount the item was made with (see [`Self::total_quantity`]).
    pub quantity: Option<f64>,
    pub unit: String,
    pub checked: bool,
    pub source_recipe_ids: Vec<String>,
    /// Milliseconds since the epoch; orders the list.
    pub added_at: i64,
    /// Amounts merged into the item since, in its unit, one key per addition: two devices
    /// adding to one item at once (two people in a household, offline) each add a key, so
    /// both amounts count, where rewriting one number would keep only one of them.
    #[autosurgeon(missing = "BTreeMap::new")]
    pub added: BTreeMap<String, f64>,
}

impl GroceryItemDoc {
    /// The item's amount: what it was made with plus everything merged into it since.
    pub fn total_quantity(&self) -> Option<f64> {
        if self.added.is_empty() {
            return self.quantity;
        }
        let total = self.quantity.unwrap_or(0.0) + self.added.values().sum::<f64>();
        Some((total * 1000.0).round() / 1000.0)
    }
}

/// A grocery item as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroceryItem {
    pub id: String,
    pub name: String,
    pub quantity: Option<f64>,
    pub unit: String,
    /// The item as one line, e.g. "1 1/2 cups milk" (quantity formatted and unit pluralised
    /// the way ingredient lines are).
    pub text: String,
    pub checked: bool,
    pub source_recipe_ids: Vec<String>,
    pub added_at: i64,
}

impl GroceryItem {
    /// "2 l milk", "1 1/2 cups flour", "bread".
    pub fn line(quantity: Option<f64>, unit: &str, name: &str) -> String {
        crate::ingredient::format_line(quantity, None, unit, name, "")
    }
}

impl GroceryDoc {
    pub fn new() -> Self {
        GroceryDoc {
            kind: GROCERY_KIND.to_string(),
            items: BTreeMap::new(),
        }
    }

    /// Items in the order they were added (ties broken by id, so every replica agrees), with
    /// duplicates that concurrent additions made shown folded into one (see
    /// [`crate::grocery::fold_duplicates`]; the next change to the list folds them for good).
    pub fn to_items(&self) -> Vec<GroceryItem> {
        let mut folded = self.clone();
        crate::grocery::fold_duplicates(&mut folded);
        let mut items: Vec<GroceryItem> = folded
            .items
            .iter()
            .map(|(id, item)| GroceryItem {
                id: id.clone(),
                name: item.name.clone(),
                quantity: item.total_quantity(),
                unit: item.unit.clone(),
                text: GroceryItem::line(item.total_quantity(), &item.unit, &item.name),
                checked: item.checked,
                source_recipe_ids: item.source_recipe_ids.clone(),
                added_at: item.added_at,
            })
            .collect();
        items.sort_by(|a, b| a.added_at.cmp(&b.added_at).then_with(|| a.id.cmp(&b.id)));
        items
    }
}
