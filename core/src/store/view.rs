//! The materialised view: plain tables (recipes, ingredients, tags, attachments, grocery items)
//! and the full-text index, rebuilt per document from its Automerge state. Each row records the
//! heads it was built from. `dirty_docs` lists documents whose chunks or view changed since they
//! were last known to agree; the engine re-materialises those on open, so the view never drifts
//! even after a crash between two writes.

use rusqlite::{OptionalExtension, Transaction, params};

use super::marks::mark_dirty;
use super::{Store, StoreError};
use crate::model::{GroceryItem, Recipe};

/// Lower-cased title for ordering the blank search.
pub(crate) fn sort_key(title: &str) -> String {
    title.to_lowercase()
}

/// One recipe view row to write.
pub struct RecipeViewRow<'a> {
    pub recipe: &'a Recipe,
    pub heads: &'a str,
}

impl Store {
    /// Writes the view rows of several recipes in one transaction.
    pub fn write_recipe_views(&self, rows: &[RecipeViewRow<'_>]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut rowids = Vec::with_capacity(rows.len());
        for row in rows {
            rowids.push(write_recipe(&tx, row.recipe, row.heads)?);
            mark_dirty(&tx, &row.recipe.id)?;
        }
        // The index goes last: FTS5 keeps its pending changes in memory until another
        // statement's savepoint (the upsert's) forces a flush, so interleaving would flush it
        // once per recipe.
        for (row, rowid) in rows.iter().zip(rowids) {
            write_recipe_index(&tx, row.recipe, rowid)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn write_recipe_view(&self, recipe: &Recipe, heads: &str) -> Result<(), StoreError> {
        self.write_recipe_views(&[RecipeViewRow { recipe, heads }])
    }

    pub fn recipe_heads(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT heads FROM recipes WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// The recipe as last materialised (deleted ones included, flagged).
    pub fn get_recipe(&self, id: &str) -> Result<Option<Recipe>, StoreError> {
        let body: Option<String> = self
            .conn()
            .query_row("SELECT body FROM recipes WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        match body {
            Some(body) => Ok(Some(serde_json::from_str(&body)?)),
            None => Ok(None),
        }
    }

    pub fn write_grocery_view(
        &self,
        list_id: &str,
        heads: &str,
        items: &[GroceryItem],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO grocery_lists (doc_id, heads) VALUES (?1, ?2)
             ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads",
            [list_id, heads],
        )?;
        tx.execute("DELETE FROM grocery_items WHERE list_id = ?1", [list_id])?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO grocery_items
                 (list_id, id, name, quantity, unit, checked, sources, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for item in items {
                insert.execute(params![
                    list_id,
                    item.id,
                    item.name,
                    item.quantity,
                    item.unit,
                    item.checked,
                    serde_json::to_string(&item.source_recipe_ids)?,
                    item.added_at,
                ])?;
            }
        }
        mark_dirty(&tx, list_id)?;
        tx.commit()?;
        Ok(())
    }

    pub fn grocery_heads(&self, list_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT heads FROM grocery_lists WHERE doc_id = ?1",
                [list_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub fn grocery_items(&self, list_id: &str) -> Result<Vec<GroceryItem>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, name, quantity, unit, checked, sources, added_at FROM grocery_items
             WHERE list_id = ?1 ORDER BY added_at, id",
        )?;
        let rows = stmt.query_map([list_id], |r| {
            Ok((
                GroceryItem {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    quantity: r.get(2)?,
                    unit: r.get(3)?,
                    text: String::new(),
                    checked: r.get(4)?,
                    source_recipe_ids: Vec::new(),
                    added_at: r.get(6)?,
                },
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut items = Vec::new();
        for row in rows {
            let (mut item, sources) = row?;
            item.source_recipe_ids = serde_json::from_str(&sources)?;
            item.text = GroceryItem::line(item.quantity, &item.unit, &item.name);
            items.push(item);
        }
        Ok(items)
    }

    /// Documents that may need re-materialising, with their mark's sequence number.
    pub fn dirty_docs(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT doc_id, seq FROM dirty_docs")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Clears marks that have not been renewed since they were read.
    pub fn clear_dirty(&self, marks: &[(String, i64)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt =
                tx.prepare_cached("DELETE FROM dirty_docs WHERE doc_id = ?1 AND seq = ?2")?;
            for (doc_id, seq) in marks {
                stmt.execute(params![doc_id, seq])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The heads the view of a document (recipe, grocery list or meal plan) was built from.
    pub fn view_heads(&self, doc_id: &str) -> Result<Option<String>, StoreError> {
        if let Some(heads) = self.recipe_heads(doc_id)? {
            return Ok(Some(heads));
        }
        match self.grocery_heads(doc_id)? {
            Some(heads) => Ok(Some(heads)),
            None => self.plan_heads(doc_id),
        }
    }

    /// Every document with a chunk stored (as [`Store::kv_document_ids`]) and the heads its
    /// view was built from, if it has a view: [`Self::view_heads`] for all of them in one query
    /// (a device's sync status compares them with the relay's every second or so).
    pub fn document_view_heads(&self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "WITH docs AS (
                 SELECT DISTINCT CASE WHEN instr(key, '/') > 0
                     THEN substr(key, 1, instr(key, '/') - 1) ELSE key END AS doc
                 FROM kv
             )
             SELECT docs.doc, COALESCE(recipes.heads, grocery_lists.heads, meal_plans.heads)
             FROM docs
             LEFT JOIN recipes ON recipes.id = docs.doc
             LEFT JOIN grocery_lists ON grocery_lists.doc_id = docs.doc
             LEFT JOIN meal_plans ON meal_plans.doc_id = docs.doc
             ORDER BY docs.doc",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Which of `keys` belong to a live recipe already (see `RecipeDoc::import_key`): one
    /// indexed lookup per key, in one read transaction.
    pub fn present_import_keys<'k>(
        &self,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut found = std::collections::HashSet::new();
        {
            let mut stmt = tx.prepare_cached(
                "SELECT 1 FROM recipes WHERE import_key = ?1 AND deleted = 0 LIMIT 1",
            )?;
            for key in keys {
                if stmt.exists([key])? {
                    found.insert(key.to_owned());
                }
            }
        }
        tx.commit()?;
        Ok(found)
    }

    /// Every document id the view knows (recipes and grocery lists).
    pub fn known_recipe_ids(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id FROM recipes ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Writes a recipe's row and child rows; returns its rowid for the index.
pub(crate) fn write_recipe(
    tx: &Transaction<'_>,
    recipe: &Recipe,
    heads: &str,
) -> Result<i64, StoreError> {
    let body = serde_json::to_string(recipe)?;
    let summary = serde_json::to_string(&super::search::RecipeSummary::of(recipe))?;
    let rowid: i64 = tx
        .prepare_cached(
            "INSERT INTO recipes
                 (id, title, sort_key, deleted, updated_at, heads, body, summary, import_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, sort_key = excluded.sort_key,
                 deleted = excluded.deleted, updated_at = excluded.updated_at,
                 heads = excluded.heads, body = excluded.body, summary = excluded.summary,
                 import_key = excluded.import_key
             RETURNING rowid",
        )?
        .query_row(
            params![
                recipe.id,
                recipe.title,
                sort_key(&recipe.title),
                recipe.deleted,
                recipe.updated_at,
                heads,
                body,
                summary,
                recipe.import_key
            ],
            |r| r.get(0),
        )?;
    // Whatever the row held before goes; a fresh row has nothing to delete.
    tx.execute("DELETE FROM ingredients WHERE recipe_rowid = ?1", [rowid])?;
    tx.execute("DELETE FROM recipe_tags WHERE recipe_rowid = ?1", [rowid])?;
    tx.execute("DELETE FROM attachments WHERE recipe_rowid = ?1", [rowid])?;
    if recipe.deleted {
        return Ok(rowid);
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO ingredients
             (recipe_rowid, position, id, quantity, quantity_max, unit, name, note)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for (position, row) in recipe.ingredients.iter().enumerate() {
            insert.execute(params![
                rowid,
                position as i64,
                row.id,
                row.quantity,
                row.quantity_max,
                row.unit,
                row.name,
                row.note
            ])?;
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO recipe_tags (recipe_rowid, tag) VALUES (?1, ?2)",
        )?;
        for tag in &recipe.tags {
            insert.execute(params![rowid, tag])?;
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO attachments (recipe_rowid, sha256, file_name, media_type, size)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for a in &recipe.attachments {
            insert.execute(params![
                rowid,
                a.sha256,
                a.file_name,
                a.media_type,
                a.size as i64
            ])?;
        }
    }
    Ok(rowid)
}

/// Replaces a recipe's full-text entry (none for a deleted recipe).
pub(crate) fn write_recipe_index(
    tx: &Transaction<'_>,
    recipe: &Recipe,
    rowid: i64,
) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM recipe_fts WHERE rowid = ?1")?
        .execute([rowid])?;
    if recipe.deleted {
        return Ok(());
    }
    let ingredients: Vec<&str> = recipe.ingredients.iter().map(|r| r.name.as_str()).collect();
    let mut body_text = String::new();
    for part in [recipe.description.as_str(), recipe.notes.as_str()] {
        body_text.push_str(part);
        body_text.push('\n');
    }
    body_text.push_str(&recipe.steps.join("\n"));
    tx.prepare_cached(
        "INSERT INTO recipe_fts (rowid, title, ingredients, tags, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        rowid,
        recipe.title,
        ingredients.join("\n"),
        recipe.tags.join("\n"),
        body_text
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::model::Recipe;
    use crate::store::Store;

    #[test]
    fn document_view_heads_match_view_heads_one_by_one() {
        let store = Store::open_in_memory().expect("store");
        let key = |parts: &[&str]| parts.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for doc in ["list", "r1", "unviewed"] {
            store
                .kv_put(&key(&[doc, "incremental", "a"]), b"1")
                .expect("put");
        }
        store
            .kv_put(&key(&["r1", "snapshot", "b"]), b"2")
            .expect("put");
        let recipe = Recipe::with_ingredients(None, vec![]);
        store
            .write_recipe_view(&recipe, "aa,bb")
            .expect("recipe view");
        store
            .write_grocery_view("list", "cc", &[])
            .expect("list view");

        let all = store.document_view_heads().expect("all heads");
        assert_eq!(
            all,
            vec![
                ("list".to_owned(), Some("cc".to_owned())),
                ("r1".to_owned(), Some("aa,bb".to_owned())),
                ("unviewed".to_owned(), None),
            ]
        );
        for (doc, heads) in &all {
            assert_eq!(&store.view_heads(doc).expect("one"), heads, "{doc}");
        }
    }
}
