//! Recently deleted recipes: a delete only sets the document's tombstone, and the view keeps the
//! row (flagged `deleted`, without ingredient, tag or index rows), so listing them is one query
//! over `recipes`. The time of deletion is the row's `updated_at`, which the tombstone edit
//! stamps (a later edit of the deleted document on a device that had not seen the delete moves
//! it on).

use serde::{Deserialize, Serialize};

use super::search::RecipeSummary;
use super::{Store, StoreError};

/// A deleted recipe, as the "Recently deleted" list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeletedRecipe {
    pub summary: RecipeSummary,
    /// Milliseconds since the Unix epoch.
    pub deleted_at: i64,
}

impl Store {
    /// Deleted recipes, most recently deleted first, at most `limit`.
    pub fn deleted_recipes(&self, limit: u32) -> Result<Vec<DeletedRecipe>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT summary, updated_at FROM recipes WHERE deleted = 1
             ORDER BY updated_at DESC, id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (summary, deleted_at) = row?;
            out.push(DeletedRecipe {
                summary: serde_json::from_str(&summary)?,
                deleted_at,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Recipe;
    use crate::store::Store;

    fn recipe(id: &str, updated_at: i64, deleted: bool) -> Recipe {
        Recipe {
            id: id.into(),
            title: format!("Recipe {id}"),
            updated_at,
            deleted,
            ..Default::default()
        }
    }

    #[test]
    fn only_deleted_recipes_newest_first() {
        let store = Store::open_in_memory().expect("store");
        for r in [
            recipe("a", 10, true),
            recipe("b", 30, true),
            recipe("c", 20, false),
        ] {
            store.write_recipe_view(&r, "h").expect("write");
        }
        let deleted = store.deleted_recipes(10).expect("list");
        let ids: Vec<_> = deleted.iter().map(|d| d.summary.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(deleted[0].deleted_at, 30);
        assert_eq!(deleted[0].summary.title, "Recipe b");
        assert_eq!(store.deleted_recipes(1).expect("one").len(), 1);
    }
}
