//! Marks on documents, the bottom of the store: a `(doc_id, seq)` row per document in a mark
//! table, renewed with a higher sequence number on every bump so a clearer can tell whether a
//! newer mark arrived after it looked. Two kinds: `dirty_docs` (the view may be out of step with
//! the document's chunks: re-materialise on open) and `unsynced_docs` (chunks the relay has not
//! confirmed: push them). Writers of chunks and view rows bump them in their own transaction.

use rusqlite::Transaction;

/// Marks `doc_id` as possibly out of step with its view row.
pub(crate) fn mark_dirty(tx: &Transaction<'_>, doc_id: &str) -> rusqlite::Result<()> {
    bump_mark(tx, "dirty_docs", doc_id)
}

/// Marks `doc_id` as holding chunks the relay has not confirmed.
pub(crate) fn mark_unsynced(tx: &Transaction<'_>, doc_id: &str) -> rusqlite::Result<()> {
    bump_mark(tx, "unsynced_docs", doc_id)
}

/// Inserts `doc_id`'s mark in `table` (a `(doc_id, seq)` table of marks), or renews it.
fn bump_mark(tx: &Transaction<'_>, table: &'static str, doc_id: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(&format!(
        "INSERT INTO {table} (doc_id, seq) VALUES (?1, 1)
         ON CONFLICT (doc_id) DO UPDATE SET seq = seq + 1"
    ))?
    .execute([doc_id])?;
    Ok(())
}
