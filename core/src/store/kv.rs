//! The document store's key/value chunks. Keys are storage-key components joined with '/'
//! (components never contain '/'). Every write of a document's chunk also marks that document
//! dirty in the same statement batch, so a crash between a chunk write and the view update is
//! repaired on the next open.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

use super::marks::{mark_dirty, mark_unsynced};
use super::view::{self, RecipeViewRow};
use super::{Store, StoreError};

pub type KvEntry = (Vec<String>, Vec<u8>);

pub(crate) fn join_key(parts: &[String]) -> String {
    parts.join("/")
}

/// Whether `key` is an incremental chunk whose change is one of the heads the document's view
/// row records.
fn view_covers_change(tx: &rusqlite::Transaction<'_>, key: &[String]) -> rusqlite::Result<bool> {
    let [doc_id, kind, hash] = key else {
        return Ok(false);
    };
    if kind != "incremental" {
        return Ok(false);
    }
    let heads: Option<String> = tx
        .query_row(
            "SELECT heads FROM recipes WHERE id = ?1
             UNION ALL SELECT heads FROM grocery_lists WHERE doc_id = ?1
             UNION ALL SELECT heads FROM meal_plans WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(heads.is_some_and(|heads| heads.split(',').any(|h| h == hash)))
}

/// A new recipe document for [`Store::write_new_recipe_documents`]: the one `kv` chunk that holds
/// it (key parts and bytes, as the document store would write them) and its view row.
pub struct NewRecipeDocument<'a> {
    pub chunk_key: &'a [String],
    pub chunk: &'a [u8],
    pub view: RecipeViewRow<'a>,
}

impl Store {
    pub fn kv_load(&self, key: &[String]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value FROM kv WHERE key = ?1",
                [join_key(key)],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every entry whose key starts with the components of `prefix`.
    pub fn kv_load_range(&self, prefix: &[String]) -> Result<Vec<KvEntry>, StoreError> {
        let conn = self.conn();
        let joined = join_key(prefix);
        let mut out = Vec::new();
        if prefix.is_empty() {
            let mut stmt = conn.prepare_cached("SELECT key, value FROM kv")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
            for row in rows {
                let (key, value) = row?;
                out.push((key.split('/').map(str::to_string).collect(), value));
            }
            return Ok(out);
        }
        // '0' is the character after '/', so [p/, p0) is exactly the keys below p.
        let mut stmt = conn.prepare_cached(
            "SELECT key, value FROM kv WHERE key = ?1 OR (key >= ?2 AND key < ?3)",
        )?;
        let rows = stmt.query_map(
            params![joined, format!("{joined}/"), format!("{joined}0")],
            |r| Ok((r.get::<_, String>(0)?, r.get(1)?)),
        )?;
        for row in rows {
            let (key, value) = row?;
            out.push((key.split('/').map(str::to_string).collect(), value));
        }
        Ok(out)
    }

    pub fn kv_load_range_map(
        &self,
        prefix: &[String],
    ) -> Result<HashMap<Vec<String>, Vec<u8>>, StoreError> {
        Ok(self.kv_load_range(prefix)?.into_iter().collect())
    }

    /// Stores brand-new recipe documents as their `kv` chunks together with their view rows, in
    /// one transaction (bulk import): document and view can't disagree after a crash, so
    /// nothing is marked dirty; each is marked unsynced for the relay.
    pub fn write_new_recipe_documents(
        &self,
        rows: &[NewRecipeDocument<'_>],
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut rowids = Vec::with_capacity(rows.len());
        for row in rows {
            tx.prepare_cached("INSERT INTO kv (key, value) VALUES (?1, ?2)")?
                .execute(params![join_key(row.chunk_key), row.chunk])?;
            mark_unsynced(&tx, &row.view.recipe.id)?;
            rowids.push(view::write_recipe(&tx, row.view.recipe, row.view.heads)?);
        }
        // The index last, as in `write_recipe_views`.
        for (row, rowid) in rows.iter().zip(rowids) {
            view::write_recipe_index(&tx, row.view.recipe, rowid)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn kv_put(&self, key: &[String], value: &[u8]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "INSERT INTO kv (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value
             WHERE value IS NOT excluded.value",
            params![join_key(key), value],
        )?;
        // Rewriting a chunk with the same bytes changes nothing anyone needs to hear about.
        if changed > 0 && key.len() >= 2 {
            // A change the view was already built from (the usual order: the engine writes the
            // view, then samod stores the change) leaves nothing to repair.
            if !view_covers_change(&tx, key)? {
                mark_dirty(&tx, &key[0])?;
            }
            mark_unsynced(&tx, &key[0])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every document id with a chunk stored (the first key component), sorted.
    pub fn kv_document_ids(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT CASE WHEN instr(key, '/') > 0
                 THEN substr(key, 1, instr(key, '/') - 1) ELSE key END AS doc
             FROM kv ORDER BY doc",
        )?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    pub fn kv_delete(&self, key: &[String]) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM kv WHERE key = ?1", [join_key(key)])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    fn key(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn range_loads_only_keys_below_the_prefix() {
        let store = Store::open_in_memory().expect("store");
        store
            .kv_put(&key(&["doc1", "incremental", "a"]), b"1")
            .expect("put");
        store
            .kv_put(&key(&["doc1", "snapshot", "b"]), b"2")
            .expect("put");
        store
            .kv_put(&key(&["doc10", "incremental", "c"]), b"3")
            .expect("put");
        store.kv_put(&key(&["doc1x"]), b"4").expect("put");
        let mut got: Vec<_> = store
            .kv_load_range(&key(&["doc1"]))
            .expect("range")
            .into_iter()
            .map(|(k, _)| k.join("/"))
            .collect();
        got.sort();
        assert_eq!(got, vec!["doc1/incremental/a", "doc1/snapshot/b"]);
        assert_eq!(
            store
                .kv_load(&key(&["doc10", "incremental", "c"]))
                .expect("load"),
            Some(b"3".to_vec())
        );
        store.kv_delete(&key(&["doc1x"])).expect("delete");
        assert_eq!(store.kv_load(&key(&["doc1x"])).expect("load"), None);
        assert_eq!(store.kv_load_range(&[]).expect("all").len(), 3);
        assert_eq!(store.kv_document_ids().expect("ids"), vec!["doc1", "doc10"]);
    }
}
