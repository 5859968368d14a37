//! Erasing everything this device holds (sign-out with "remove this device's data"): every
//! document chunk, view row, index entry, attached file and setting, in one transaction, then
//! VACUUM so the bytes leave the file too. The schema stays, so the store is usable at once.
//! Also forgetting one shared document this user no longer has access to: its view rows and
//! sync marks.

use super::{Store, StoreError};

/// Plain tables, children before parents (the recipe children also go by cascade).
const TABLES: &[&str] = &[
    "ingredients",
    "recipe_tags",
    "attachments",
    "recipes",
    "grocery_items",
    "grocery_lists",
    "plan_entries",
    "meal_plans",
    "blobs",
    "kv",
    "dirty_docs",
    "unsynced_docs",
    "relay_heads",
    "meta",
];

/// The tables keyed by one document's id that [`Store::forget_document`] empties of it.
const DOCUMENT_ROWS: &[(&str, &str)] = &[
    ("grocery_items", "list_id"),
    ("grocery_lists", "doc_id"),
    ("plan_entries", "plan_id"),
    ("meal_plans", "doc_id"),
    ("dirty_docs", "doc_id"),
    ("unsynced_docs", "doc_id"),
    ("relay_heads", "doc_id"),
];

impl Store {
    /// Takes a grocery list or meal plan out of the view, with its sync marks, so nothing
    /// shows it and sync no longer counts it as waiting. Its chunks stay in the document
    /// store, unread (the relay keeps the document for those who still have access).
    pub fn forget_document(&self, doc_id: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (table, column) in DOCUMENT_ROWS {
            tx.execute(
                &format!("DELETE FROM {table} WHERE {column} = ?1"),
                [doc_id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn erase_all(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for table in TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        // The contentless index empties with its own command.
        tx.execute(
            "INSERT INTO recipe_fts (recipe_fts) VALUES ('delete-all')",
            [],
        )?;
        tx.commit()?;
        conn.execute_batch("VACUUM")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Recipe;
    use crate::store::Store;

    fn recipe(id: &str, title: &str) -> Recipe {
        Recipe {
            id: id.into(),
            title: title.into(),
            tags: vec!["soup".into()],
            created_at: 1,
            updated_at: 1,
            ..Default::default()
        }
    }

    #[test]
    fn erasing_leaves_an_empty_usable_store() {
        let store = Store::open_in_memory().expect("store");
        store
            .write_recipe_view(&recipe("r1", "Leek soup"), "h1")
            .expect("view");
        store
            .kv_put(&["r1".into(), "incremental".into(), "h1".into()], b"x")
            .expect("kv");
        store.blob_put("ab", "text/plain", b"hi").expect("blob");
        store.meta_set("device_id", "d").expect("meta");
        assert_eq!(store.search("leek", 10, 0).expect("search").len(), 1);

        store.erase_all().expect("erase");

        assert!(store.search("leek", 10, 0).expect("search").is_empty());
        assert!(store.search("", 10, 0).expect("list").is_empty());
        assert!(store.list_tags().expect("tags").is_empty());
        assert!(store.kv_document_ids().expect("kv").is_empty());
        assert_eq!(store.blob_get("ab").expect("blob"), None);
        assert_eq!(store.meta_get("device_id").expect("meta"), None);
        assert!(store.unsynced_docs().expect("unsynced").is_empty());
        assert!(store.dirty_docs().expect("dirty").is_empty());

        store
            .write_recipe_view(&recipe("r2", "Leek pie"), "h2")
            .expect("usable after");
        let hits = store.search("leek", 10, 0).expect("search");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].id, "r2");
    }
}
