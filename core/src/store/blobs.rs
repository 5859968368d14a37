//! Attached files kept on this device, addressed by their SHA-256. Stored in the profile database
//! so the same code works natively and in the browser (OPFS), and an attachment is never half
//! written.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

impl Store {
    pub fn blob_put(&self, sha256: &str, media_type: &str, data: &[u8]) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO blobs (sha256, media_type, size, data) VALUES (?1, ?2, ?3, ?4)",
            params![sha256, media_type, data.len() as i64, data],
        )?;
        Ok(())
    }

    pub fn blob_get(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT data FROM blobs WHERE sha256 = ?1", [sha256], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn blob_exists(&self, sha256: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM blobs WHERE sha256 = ?1",
                [sha256],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}
