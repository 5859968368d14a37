//! The grocery list through the API: the profile's one list document, adding a recipe's
//! ingredients (merged by core's grocery rules) and taking them back, typed items, check-offs,
//! removal.

use super::*;
use crate::grocery::GroceryUndo;

/// The list after adding a recipe's ingredients, and how to take them off again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroceryAdded {
    pub items: Vec<GroceryItem>,
    pub undo: GroceryUndo,
    /// The household whose shared list got the items; none when it was the user's own.
    pub household_name: Option<String>,
}

impl<S: DocumentStore> Larder<S> {
    /// The id of this profile's grocery-list document, created on first use.
    pub async fn grocery_list_id(&self) -> Result<String> {
        if let Some(id) = self.store.meta_get(GROCERY_LIST_META)? {
            return Ok(id);
        }
        let mut am = Automerge::new();
        am.transact(|tx| reconcile(tx, GroceryDoc::new()))
            .map_err(|f| bad_doc("new grocery list", f.error))?;
        let heads = heads_string(&am);
        let id = self.docs.create(am).await?;
        self.store.write_grocery_view(&id, &heads, &[])?;
        self.store.meta_set(GROCERY_LIST_META, &id)?;
        Ok(id)
    }

    /// The grocery-list document in use, if one exists yet.
    pub fn current_grocery_list_id(&self) -> Result<Option<String>> {
        Ok(self.store.meta_get(GROCERY_LIST_META)?)
    }

    /// Uses an existing grocery-list document (the one the relay made for this user) from now
    /// on. Items of the list used until now are merged into it (same ids, so merging twice, or
    /// on two devices, adds nothing twice).
    pub async fn use_grocery_list(&self, list_id: &str) -> Result<()> {
        let previous = self.store.meta_get(GROCERY_LIST_META)?;
        if let Some(previous) = previous.filter(|p| p != list_id) {
            let prev_id = previous.clone();
            let items = self
                .docs
                .with_doc(&previous, move |am| read_grocery_doc(am, &prev_id))
                .await?
                .transpose()?
                .map(|list| list.items)
                .unwrap_or_default();
            if !items.is_empty() {
                let _view = self.view_writes.lock().await;
                let doc_id = list_id.to_string();
                self.docs
                    .with_doc(list_id, move |am| -> Result<()> {
                        let mut list = read_grocery_doc(am, &doc_id)?;
                        for (id, item) in items {
                            list.items.entry(id).or_insert(item);
                        }
                        am.transact(|tx| reconcile(tx, &list))
                            .map_err(|f| bad_doc(&doc_id, f.error))?;
                        Ok(())
                    })
                    .await?
                    .ok_or_else(|| LarderError::BadDocument {
                        id: list_id.to_string(),
                        reason: "the grocery list is not in the document store".into(),
                    })??;
            }
        }
        self.store.meta_set(GROCERY_LIST_META, list_id)?;
        self.rematerialize(list_id).await?;
        self.emit(ChangeEvent::GroceryChanged);
        Ok(())
    }

    /// The items of the list in use (see [`Self::grocery_lists`]).
    pub async fn grocery_items(&self) -> Result<Vec<GroceryItem>> {
        let list = self.active_grocery_list_id().await?;
        Ok(self.store.grocery_items(&list)?)
    }

    /// Adds a recipe's ingredients, scaled to `servings` (default: the recipe's own), merging
    /// into unchecked items of the same name and a compatible unit. Returns the list and what
    /// to hand to [`Self::undo_grocery_addition`] to take them off again.
    pub async fn add_recipe_to_grocery(
        &self,
        recipe_id: &str,
        servings: Option<f64>,
    ) -> Result<GroceryAdded> {
        let recipe = self.get_recipe(recipe_id)?;
        crate::servings::check_servings(servings)?;
        let additions = grocery::additions_for_recipe(&recipe, servings);
        let (items, merged) = self
            .change_grocery_with(move |list, now| {
                Ok(additions
                    .into_iter()
                    .map(|addition| grocery::merge_addition(list, addition, now))
                    .collect())
            })
            .await?;
        Ok(GroceryAdded {
            items,
            undo: GroceryUndo { merged },
            household_name: self.active_household_name()?,
        })
    }

    /// Takes one recipe's ingredients off the list again (the "Undo" right after adding them),
    /// keeping whatever changed on the list meanwhile; see [`grocery::take_back`].
    pub async fn undo_grocery_addition(&self, undo: GroceryUndo) -> Result<Vec<GroceryItem>> {
        self.change_grocery(move |list, _| {
            for merged in undo.merged.iter().rev() {
                grocery::take_back(list, merged);
            }
            Ok(())
        })
        .await
    }

    /// Adds a typed line ("2 l milk") to the grocery list.
    pub async fn add_grocery_item(&self, text: &str) -> Result<Vec<GroceryItem>> {
        let addition = grocery::addition_from_text(text)?;
        self.change_grocery(move |list, now| {
            grocery::merge_addition(list, addition, now);
            Ok(())
        })
        .await
    }

    pub async fn set_grocery_checked(
        &self,
        item_id: &str,
        checked: bool,
    ) -> Result<Vec<GroceryItem>> {
        let item_id = item_id.to_string();
        self.change_grocery(move |list, _| {
            let item = list
                .items
                .get_mut(&item_id)
                .ok_or_else(|| LarderError::ItemNotFound(item_id.clone()))?;
            item.checked = checked;
            Ok(())
        })
        .await
    }

    pub async fn remove_grocery_item(&self, item_id: &str) -> Result<Vec<GroceryItem>> {
        let item_id = item_id.to_string();
        self.change_grocery(move |list, _| {
            list.items
                .remove(&item_id)
                .map(|_| ())
                .ok_or(LarderError::ItemNotFound(item_id))
        })
        .await
    }

    pub async fn clear_checked_grocery(&self) -> Result<Vec<GroceryItem>> {
        self.change_grocery(|list, _| {
            list.items.retain(|_, item| !item.checked);
            Ok(())
        })
        .await
    }

    async fn change_grocery<F>(&self, change: F) -> Result<Vec<GroceryItem>>
    where
        F: FnOnce(&mut GroceryDoc, i64) -> Result<()> + Send + 'static,
    {
        Ok(self.change_grocery_with(change).await?.0)
    }

    /// Changes the list in use in one transaction; the list as stored after it, and what
    /// `change` returned.
    pub(super) async fn change_grocery_with<F, T>(&self, change: F) -> Result<(Vec<GroceryItem>, T)>
    where
        F: FnOnce(&mut GroceryDoc, i64) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let list_id = self.active_grocery_list_id().await?;
        self.change_list_with(&list_id, change).await
    }

    /// Changes grocery list `list_id` in one transaction, as [`Self::change_grocery_with`].
    pub(super) async fn change_list_with<F, T>(
        &self,
        list_id: &str,
        change: F,
    ) -> Result<(Vec<GroceryItem>, T)>
    where
        F: FnOnce(&mut GroceryDoc, i64) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let list_id = list_id.to_string();
        let _view = self.view_writes.lock().await;
        let now = self.clock.now_ms();
        let doc_id = list_id.clone();
        let (items, heads, outcome) = self
            .docs
            .with_doc(
                &list_id,
                move |am| -> Result<(Vec<GroceryItem>, String, T)> {
                    let mut list = read_grocery_doc(am, &doc_id)?;
                    grocery::fold_duplicates(&mut list);
                    let outcome = change(&mut list, now)?;
                    am.transact(|tx| reconcile(tx, &list))
                        .map_err(|f| bad_doc(&doc_id, f.error))?;
                    let stored = read_grocery_doc(am, &doc_id)?;
                    Ok((stored.to_items(), heads_string(am), outcome))
                },
            )
            .await?
            .ok_or_else(|| LarderError::BadDocument {
                id: list_id.clone(),
                reason: "the grocery list is missing from the document store".into(),
            })??;
        self.store.write_grocery_view(&list_id, &heads, &items)?;
        self.emit(ChangeEvent::GroceryChanged);
        Ok((items, outcome))
    }
}
