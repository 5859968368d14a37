//! Documents a device takes over whole from the relay (bulk catch-up): each one's saved bytes
//! become its chunk in `kv`, its view row is written and the relay's heads are recorded, all in
//! one transaction per batch. The relay sent them, so nothing is marked for upload, and chunk
//! and view agree from the start, so nothing is marked dirty. A document this profile already
//! holds any chunk of is left alone: it merges through live sync instead, never overwritten.
//! Also the reverse: a document's stored chunks read back as one body for a bulk upload.

use rusqlite::{OptionalExtension, Transaction, params};

use super::kv::join_key;
use super::relay_marks::record_relay_heads;
use super::view::{RecipeViewRow, write_recipe, write_recipe_index};
use super::{Store, StoreError};

/// A recipe document to adopt: its chunk (key parts, bytes) and view row.
pub struct AdoptedRecipe<'a> {
    pub chunk_key: &'a [String],
    pub chunk: &'a [u8],
    pub view: RecipeViewRow<'a>,
}

/// A document's stored chunks as one body, with its upload mark (see
/// [`Store::document_body`]).
pub struct DocumentBody {
    pub bytes: Vec<u8>,
    /// The document's "not yet on the relay" mark, if it has one.
    pub mark: Option<i64>,
}

/// The `[p/, p0)` key range of document `id`'s chunks ('0' follows '/').
fn range(id: &str) -> (String, String) {
    (format!("{id}/"), format!("{id}0"))
}

fn holds(tx: &Transaction<'_>, id: &str) -> rusqlite::Result<bool> {
    let (from, to) = range(id);
    Ok(tx
        .prepare_cached("SELECT 1 FROM kv WHERE key >= ?1 AND key < ?2 LIMIT 1")?
        .query_row(params![from, to], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Store {
    /// Which of `ids` this profile holds no chunk of (candidates for a bulk fetch).
    pub fn absent_documents(&self, ids: &[&str]) -> Result<Vec<bool>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let absent = ids
            .iter()
            .map(|id| holds(&tx, id).map(|held| !held))
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        Ok(absent)
    }

    /// Adopts `recipes` (see the module docs); returns the ids adopted, in order. Those this
    /// profile meanwhile came to hold a chunk of are skipped.
    pub fn adopt_recipes(&self, recipes: &[AdoptedRecipe<'_>]) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut adopted = Vec::with_capacity(recipes.len());
        for recipe in recipes {
            let id = recipe.view.recipe.id.as_str();
            if holds(&tx, id)? {
                continue;
            }
            tx.prepare_cached("INSERT INTO kv (key, value) VALUES (?1, ?2)")?
                .execute(params![join_key(recipe.chunk_key), recipe.chunk])?;
            let rowid = write_recipe(&tx, recipe.view.recipe, recipe.view.heads)?;
            record_relay_heads(&tx, id, recipe.view.heads)?;
            adopted.push((recipe, rowid));
        }
        // The index last, as in `write_recipe_views`.
        for (recipe, rowid) in &adopted {
            write_recipe_index(&tx, recipe.view.recipe, *rowid)?;
        }
        tx.commit()?;
        Ok(adopted
            .into_iter()
            .map(|(recipe, _)| recipe.view.recipe.id.clone())
            .collect())
    }

    /// Document `id`'s stored chunks joined into one body (snapshots first; loadable with
    /// `Automerge::load`), with its upload mark as read in the same transaction (`None`: no
    /// mark), for a bulk upload. `None` if no chunk is stored.
    pub fn document_body(&self, id: &str) -> Result<Option<DocumentBody>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mark: Option<i64> = tx
            .prepare_cached("SELECT seq FROM unsynced_docs WHERE doc_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        let (from, to) = range(id);
        let mut chunks: Vec<(String, Vec<u8>)> = tx
            .prepare_cached("SELECT key, value FROM kv WHERE key >= ?1 AND key < ?2")?
            .query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        if chunks.is_empty() {
            return Ok(None);
        }
        // Snapshots first (false sorts before true).
        chunks.sort_by_key(|(key, _)| key.split('/').nth(1) != Some("snapshot"));
        let mut body = Vec::with_capacity(chunks.iter().map(|(_, v)| v.len()).sum());
        for (_, bytes) in chunks {
            body.extend_from_slice(&bytes);
        }
        Ok(Some(DocumentBody { bytes: body, mark }))
    }
}
