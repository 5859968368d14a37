//! What the relay has of this device's documents. `unsynced_docs` marks every document whose
//! chunks changed since the relay last confirmed it (any chunk write marks it, in the write's
//! own transaction, so nothing written is ever forgotten by sync); `relay_heads` keeps the heads
//! the relay last said it holds. A mark drives pushing; the count of changes waiting for the
//! relay is only the marked documents whose view heads differ from the relay's, so a document
//! samod merely re-saved (compaction, a load after a crash, a merge the relay sent) is pushed to
//! be sure but not shown to the user as an edit waiting.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, StoreError};

/// A document the relay confirmed holding: its mark as read before asking, and the heads
/// (sorted, ',' joined, as view rows record them) the device had then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmedDoc {
    pub doc_id: String,
    pub seq: i64,
    pub heads: String,
}

impl Store {
    /// Documents with chunks the relay has not confirmed, with their mark's sequence number.
    pub fn unsynced_docs(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT doc_id, seq FROM unsynced_docs ORDER BY doc_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records what the relay confirmed: its heads for each document, and the marks that were
    /// not renewed since they were read are cleared.
    pub fn confirm_synced(&self, confirmed: &[ConfirmedDoc]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut clear =
                tx.prepare_cached("DELETE FROM unsynced_docs WHERE doc_id = ?1 AND seq = ?2")?;
            for doc in confirmed {
                clear.execute(params![doc.doc_id, doc.seq])?;
                record_relay_heads(&tx, &doc.doc_id, &doc.heads)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Records, for each `(document id, heads)`, that the relay holds those heads (as its
    /// change feed said), in one transaction.
    pub fn set_relay_heads(&self, heads: &[(String, String)]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (doc_id, doc_heads) in heads {
            record_relay_heads(&tx, doc_id, doc_heads)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// For each of `ids`, whether the relay ever said it holds some version of it.
    pub fn relay_knows(&self, ids: &[String]) -> Result<Vec<bool>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT 1 FROM relay_heads WHERE doc_id = ?1")?;
        ids.iter().map(|id| Ok(stmt.exists([id])?)).collect()
    }

    /// How many documents hold changes the relay does not have: marked, and the heads their
    /// view was built from are not the heads the relay last confirmed (or it never did).
    pub fn waiting_doc_count(&self) -> Result<usize, StoreError> {
        self.count_not_at_relay_heads("SELECT doc_id FROM unsynced_docs")
    }

    /// How many documents differ from the relay: marked ones as [`Self::waiting_doc_count`]
    /// counts them, and documents the relay said it holds at heads their view is not at (its
    /// changes not merged here yet). The sync status shows this figure.
    pub fn out_of_step_doc_count(&self) -> Result<usize, StoreError> {
        self.count_not_at_relay_heads(
            "SELECT doc_id FROM unsynced_docs UNION SELECT doc_id FROM relay_heads",
        )
    }

    /// How many of the documents `candidates` (a query of `doc_id`s) have a view not at the
    /// heads the relay last confirmed, or no confirmed heads at all.
    fn count_not_at_relay_heads(&self, candidates: &'static str) -> Result<usize, StoreError> {
        let count: i64 = self.conn().query_row(
            &format!(
                "SELECT COUNT(*) FROM ({candidates}) d
                 LEFT JOIN relay_heads r ON r.doc_id = d.doc_id
                 LEFT JOIN recipes ON recipes.id = d.doc_id
                 LEFT JOIN grocery_lists g ON g.doc_id = d.doc_id
                 LEFT JOIN meal_plans p ON p.doc_id = d.doc_id
                 WHERE r.heads IS NULL OR COALESCE(recipes.heads, g.heads, p.heads) IS NOT r.heads"
            ),
            [],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Whether the view of `doc_id` is at the heads the relay last said it holds.
    pub fn at_relay_heads(&self, doc_id: &str) -> Result<bool, StoreError> {
        let relay: Option<String> = self
            .conn()
            .prepare_cached("SELECT heads FROM relay_heads WHERE doc_id = ?1")?
            .query_row([doc_id], |row| row.get(0))
            .optional()?;
        Ok(relay.is_some() && self.view_heads(doc_id)? == relay)
    }
}

pub(crate) fn record_relay_heads(
    tx: &Transaction<'_>,
    doc_id: &str,
    heads: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO relay_heads (doc_id, heads) VALUES (?1, ?2)
         ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads",
    )?
    .execute(params![doc_id, heads])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::ConfirmedDoc;
    use crate::store::Store;

    fn key(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    fn set_view_heads(store: &Store, doc: &str, heads: &str) {
        store
            .conn()
            .execute(
                "INSERT INTO grocery_lists (doc_id, heads) VALUES (?1, ?2)
                 ON CONFLICT (doc_id) DO UPDATE SET heads = excluded.heads",
                [doc, heads],
            )
            .expect("view row");
    }

    fn confirm(store: &Store, doc: &str, heads: &str) {
        let marks = store.unsynced_docs().expect("marks");
        let seq = marks
            .iter()
            .find(|(id, _)| id == doc)
            .map(|(_, seq)| *seq)
            .expect("a mark");
        store
            .confirm_synced(&[ConfirmedDoc {
                doc_id: doc.into(),
                seq,
                heads: heads.into(),
            }])
            .expect("confirm");
    }

    #[test]
    fn a_resave_with_the_relays_heads_is_pushed_but_not_counted() {
        let store = Store::open_in_memory().expect("store");
        set_view_heads(&store, "doc1", "aa");
        store
            .kv_put(&key(&["doc1", "incremental", "aa"]), b"change")
            .expect("put");
        assert_eq!(
            store.waiting_doc_count().expect("count"),
            1,
            "never confirmed"
        );
        confirm(&store, "doc1", "aa");
        assert!(store.unsynced_docs().expect("marks").is_empty());
        assert_eq!(store.waiting_doc_count().expect("count"), 0);

        // samod compacts the document: new chunk bytes, same heads.
        store
            .kv_put(&key(&["doc1", "snapshot", "aa"]), b"compacted")
            .expect("put");
        assert_eq!(
            store.unsynced_docs().expect("marks").len(),
            1,
            "still pushed"
        );
        assert_eq!(
            store.waiting_doc_count().expect("count"),
            0,
            "nothing the relay lacks"
        );

        // A local edit: new heads in the view and a new chunk.
        set_view_heads(&store, "doc1", "bb");
        store
            .kv_put(&key(&["doc1", "incremental", "bb"]), b"edit")
            .expect("put");
        assert_eq!(store.waiting_doc_count().expect("count"), 1);
        confirm(&store, "doc1", "bb");
        assert_eq!(store.waiting_doc_count().expect("count"), 0);
    }

    #[test]
    fn a_mark_renewed_while_confirming_stays() {
        let store = Store::open_in_memory().expect("store");
        set_view_heads(&store, "doc1", "aa");
        store
            .kv_put(&key(&["doc1", "incremental", "aa"]), b"change")
            .expect("put");
        let marks = store.unsynced_docs().expect("marks");
        // An edit lands after the marks were read and before the relay confirmed "aa".
        set_view_heads(&store, "doc1", "bb");
        store
            .kv_put(&key(&["doc1", "incremental", "bb"]), b"edit")
            .expect("put");
        store
            .confirm_synced(&[ConfirmedDoc {
                doc_id: "doc1".into(),
                seq: marks[0].1,
                heads: "aa".into(),
            }])
            .expect("confirm");
        assert_eq!(store.unsynced_docs().expect("marks").len(), 1);
        assert_eq!(store.waiting_doc_count().expect("count"), 1);
    }

    #[test]
    fn heads_from_the_feed_settle_a_pulled_document() {
        let store = Store::open_in_memory().expect("store");
        // A pull writes the relay's change and the view is rebuilt from it.
        set_view_heads(&store, "doc2", "cc");
        store
            .kv_put(&key(&["doc2", "incremental", "cc"]), b"pulled")
            .expect("put");
        assert_eq!(store.waiting_doc_count().expect("count"), 1);
        store
            .set_relay_heads(&[("doc2".into(), "cc".into())])
            .expect("relay heads");
        assert_eq!(store.waiting_doc_count().expect("count"), 0);
        assert_eq!(
            store.unsynced_docs().expect("marks").len(),
            1,
            "still confirmed with the relay before the mark goes"
        );
    }
}
