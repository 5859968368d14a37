//! Recipes other users share with this one: what the relay's `GET /api/v1/shares/incoming`
//! last listed (owner, read-only or editable), kept so shared recipes are marked and a
//! read-only one refuses edits offline too; and the shares revoked since, whose recipes leave
//! the view and stay out of it.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// A recipe shared with this user, as the relay lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomingShare {
    pub doc_id: String,
    pub owner: ShareOwner,
    /// `read` or `edit`.
    pub mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareOwner {
    pub id: String,
    pub name: String,
}

/// Who shares a recipe with this user, and whether they may change it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SharedFrom {
    pub owner_name: String,
    pub read_only: bool,
}

impl Store {
    /// Replaces the list of recipes shared with this user; returns the ids whose share is
    /// gone since the last list (they become tombstones: see [`Self::share_revoked`]).
    pub fn set_incoming_shares(&self, shares: &[IncomingShare]) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut revoked = Vec::new();
        {
            let mut live = tx.prepare("SELECT doc_id FROM shared_recipes WHERE revoked = 0")?;
            let rows = live.query_map([], |r| r.get::<_, String>(0))?;
            for doc in rows {
                let doc = doc?;
                if !shares.iter().any(|s| s.doc_id == doc) {
                    revoked.push(doc);
                }
            }
        }
        for doc in &revoked {
            tx.execute(
                "UPDATE shared_recipes SET revoked = 1 WHERE doc_id = ?1",
                [doc],
            )?;
        }
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO shared_recipes (doc_id, owner_id, owner_name, mode, revoked)
                 VALUES (?1, ?2, ?3, ?4, 0)
                 ON CONFLICT (doc_id) DO UPDATE SET owner_id = excluded.owner_id,
                    owner_name = excluded.owner_name, mode = excluded.mode, revoked = 0",
            )?;
            for s in shares {
                upsert.execute(params![s.doc_id, s.owner.id, s.owner.name, s.mode])?;
            }
        }
        tx.commit()?;
        Ok(revoked)
    }

    /// Who shares recipe `doc` with this user, if someone does (and has not revoked it).
    pub fn shared_from(&self, doc: &str) -> Result<Option<SharedFrom>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT owner_name, mode FROM shared_recipes WHERE doc_id = ?1 AND revoked = 0",
            )?
            .query_row([doc], |r| {
                Ok(SharedFrom {
                    owner_name: r.get(0)?,
                    read_only: r.get::<_, String>(1)? != "edit",
                })
            })
            .optional()?)
    }

    /// Every recipe shared with this user, by id.
    pub fn shared_recipes(&self) -> Result<HashMap<String, SharedFrom>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT doc_id, owner_name, mode FROM shared_recipes WHERE revoked = 0",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                SharedFrom {
                    owner_name: r.get(1)?,
                    read_only: r.get::<_, String>(2)? != "edit",
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether `doc` was shared with this user and no longer is: it stays out of the view.
    pub fn share_revoked(&self, doc: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM shared_recipes WHERE doc_id = ?1 AND revoked = 1")?
            .exists([doc])?)
    }

    /// A recipe shared with this user that lists attachment `sha256`, if any: the relay lets
    /// this user download another user's file through it (`?doc=`).
    pub fn shared_recipe_with_attachment(
        &self,
        sha256: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT r.id FROM attachments a
                 JOIN recipes r ON r.rowid = a.recipe_rowid
                 JOIN shared_recipes s ON s.doc_id = r.id AND s.revoked = 0
                 WHERE a.sha256 = ?1 LIMIT 1",
            )?
            .query_row([sha256], |r| r.get(0))
            .optional()?)
    }

    /// Takes a recipe out of the view, its search entry and its sync marks (a share of it was
    /// revoked). Its chunks stay in the document store, unread.
    pub fn forget_recipe(&self, doc: &str) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let rowid: Option<i64> = tx
            .query_row("SELECT rowid FROM recipes WHERE id = ?1", [doc], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(rowid) = rowid {
            tx.execute("DELETE FROM recipe_fts WHERE rowid = ?1", [rowid])?;
            tx.execute("DELETE FROM recipes WHERE rowid = ?1", [rowid])?;
        }
        for table in ["dirty_docs", "unsynced_docs", "relay_heads"] {
            tx.execute(&format!("DELETE FROM {table} WHERE doc_id = ?1"), [doc])?;
        }
        tx.commit()?;
        Ok(())
    }
}
