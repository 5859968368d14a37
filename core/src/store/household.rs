//! The household the relay last said this user belongs to, kept in the profile database so the
//! household's grocery list works offline; and leaving it (the relay named no household, or
//! the user signed out), which takes that list out of this device's view.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

const HOUSEHOLD_META: &str = "household";

/// The household this user belongs to, as the relay's `/me` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Household {
    pub id: String,
    pub name: String,
    /// The household's shared grocery-list document.
    pub grocery_list_id: String,
    /// The household's shared meal plan (absent from relays older than household plans).
    #[serde(default)]
    pub meal_plan_id: Option<String>,
}

impl Store {
    pub fn household(&self) -> Result<Option<Household>, StoreError> {
        match self.meta_get(HOUSEHOLD_META)? {
            Some(json) => Ok(Some(serde_json::from_str(&json)?)),
            None => Ok(None),
        }
    }

    /// Records the household; the documents of the one recorded before that it does not
    /// share leave the view first.
    pub fn join_household(&self, household: &Household) -> Result<(), StoreError> {
        if let Some(before) = self.household()? {
            for doc in before.documents() {
                if !household.documents().any(|d| d == doc) {
                    self.forget_document(doc)?;
                }
            }
        }
        self.meta_set(HOUSEHOLD_META, &serde_json::to_string(household)?)
    }

    /// Forgets the household and takes its grocery list out of the view. Whether there was one.
    pub fn leave_household(&self) -> Result<bool, StoreError> {
        let Some(household) = self.household()? else {
            return Ok(false);
        };
        for doc in household.documents() {
            self.forget_document(doc)?;
        }
        self.meta_delete(HOUSEHOLD_META)?;
        Ok(true)
    }
}

impl Household {
    /// The documents the household shares: its grocery list and its meal plan.
    pub fn documents(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.grocery_list_id.as_str()).chain(self.meal_plan_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::Household;
    use crate::model::GroceryItem;
    use crate::store::Store;

    fn household(list: &str) -> Household {
        Household {
            id: "h1".into(),
            name: "The Smiths".into(),
            grocery_list_id: list.into(),
            meal_plan_id: None,
        }
    }

    fn milk() -> GroceryItem {
        GroceryItem {
            id: "i1".into(),
            name: "milk".into(),
            quantity: None,
            unit: String::new(),
            text: "milk".into(),
            checked: false,
            source_recipe_ids: Vec::new(),
            added_at: 1,
        }
    }

    #[test]
    fn leaving_takes_the_household_list_out_of_the_view_and_the_sync_count() {
        let store = Store::open_in_memory().expect("store");
        store.join_household(&household("list-a")).expect("join");
        store
            .write_grocery_view("list-a", "h", &[milk()])
            .expect("view");
        store
            .write_grocery_view("mine", "m", &[milk()])
            .expect("view");
        assert_eq!(store.household().expect("read"), Some(household("list-a")));

        assert!(store.leave_household().expect("leave"));
        assert_eq!(store.household().expect("read"), None);
        assert!(store.grocery_items("list-a").expect("items").is_empty());
        assert_eq!(store.grocery_heads("list-a").expect("heads"), None);
        assert_eq!(
            store.grocery_items("mine").expect("items").len(),
            1,
            "own list kept"
        );
        assert!(!store.leave_household().expect("leave again"));
    }

    #[test]
    fn joining_another_household_leaves_the_first() {
        let store = Store::open_in_memory().expect("store");
        store.join_household(&household("list-a")).expect("join");
        store
            .write_grocery_view("list-a", "h", &[milk()])
            .expect("view");
        store.join_household(&household("list-b")).expect("join b");
        assert!(store.grocery_items("list-a").expect("items").is_empty());
        assert_eq!(store.household().expect("read"), Some(household("list-b")));
    }
}
