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
    pub quantity: Option<f64>,
    pub unit: String,
    pub checked: bool,
    pub source_recipe_ids: Vec<String>,
    /// Milliseconds since the epoch; orders the list.
    pub added_at: i64,
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

    /// Items in the order they were added (ties broken by id, so every replica agrees).
    pub fn to_items(&self) -> Vec<GroceryItem> {
        let mut items: Vec<GroceryItem> = self
            .items
            .iter()
            .map(|(id, item)| GroceryItem {
                id: id.clone(),
                name: item.name.clone(),
                quantity: item.quantity,
                unit: item.unit.clone(),
                text: GroceryItem::line(item.quantity, &item.unit, &item.name),
                checked: item.checked,
                source_recipe_ids: item.source_recipe_ids.clone(),
                added_at: item.added_at,
            })
            .collect();
        items.sort_by(|a, b| a.added_at.cmp(&b.added_at).then_with(|| a.id.cmp(&b.id)));
        items
    }
}
