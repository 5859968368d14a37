//! Recipes other users share with this one, on the device: adopting the list the relay gives
//! (marks refresh; a revoked share's recipe leaves the view), marking recipes and summaries
//! as they are read, and refusing edits of a read-only one here, before anything is written
//! (the relay drops them too, but the device must not show an edit no one else will see).

use super::*;
use crate::store::{IncomingShare, SharedFrom};

impl<S: DocumentStore> Larder<S> {
    /// Adopts the relay's list of recipes shared with this user: recipes whose share is gone
    /// leave the view (and stay out of it), the others' marks follow the list.
    pub fn adopt_incoming_shares(&self, shares: &[IncomingShare]) -> Result<()> {
        let before = self.store.shared_recipes()?;
        for doc in self.store.set_incoming_shares(shares)? {
            self.store.forget_recipe(&doc)?;
            self.emit(ChangeEvent::RecipeDeleted { id: doc });
        }
        let after = self.store.shared_recipes()?;
        for (doc, from) in &after {
            if before.get(doc) != Some(from) {
                self.emit(ChangeEvent::RecipeChanged { id: doc.clone() });
            }
        }
        Ok(())
    }

    /// Recipe `id` may be changed here: it is this user's, or shared with them editable.
    pub(super) fn check_writable(&self, id: &str) -> Result<()> {
        match self.store.shared_from(id)? {
            Some(SharedFrom {
                read_only: true,
                owner_name,
            }) => Err(LarderError::ReadOnly {
                id: id.to_string(),
                owner: owner_name,
            }),
            _ => Ok(()),
        }
    }

    /// `recipe` with its share mark.
    pub(super) fn marked(&self, mut recipe: Recipe) -> Result<Recipe> {
        recipe.shared = self.store.shared_from(&recipe.id)?;
        Ok(recipe)
    }

    /// `summaries` with their share marks.
    pub(super) fn marked_summaries(
        &self,
        mut summaries: Vec<RecipeSummary>,
    ) -> Result<Vec<RecipeSummary>> {
        let shared = self.store.shared_recipes()?;
        if !shared.is_empty() {
            for s in &mut summaries {
                s.shared = shared.get(&s.id).cloned();
            }
        }
        Ok(summaries)
    }

    /// Recipes shared with this user that match `query` (blank: all of them), by title.
    pub fn search_shared(
        &self,
        query: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<RecipeSummary>> {
        let shared = self.store.shared_recipes()?;
        let found = self.store.search(query, u32::MAX, 0)?;
        let page = found
            .into_iter()
            .filter(|s| shared.contains_key(&s.id))
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        self.marked_summaries(page)
    }
}
