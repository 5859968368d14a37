//! Attached files kept on this device, addressed by their SHA-256, and the queue of those still
//! to be uploaded to the relay (`blob_uploads`). Stored in the profile database so the same code
//! works natively and in the browser (OPFS), an attachment is never half written, and a file
//! and its queue entry are written in one transaction (a queued upload survives restarts).

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A file waiting to be uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedUpload {
    pub sha256: String,
    pub queued_at: i64,
    pub attempts: u32,
    /// Unix ms before which a retry should wait (0: at once).
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}

impl Store {
    /// Keeps bytes on this device (a copy fetched from the relay: nothing to upload).
    pub fn blob_put(&self, sha256: &str, media_type: &str, data: &[u8]) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO blobs (sha256, media_type, size, data) VALUES (?1, ?2, ?3, ?4)",
            params![sha256, media_type, data.len() as i64, data],
        )?;
        Ok(())
    }

    /// Keeps bytes attached on this device and queues them for upload, in one transaction.
    /// Queuing bytes that are already queued keeps the existing entry.
    pub fn blob_put_and_queue(
        &self,
        sha256: &str,
        media_type: &str,
        data: &[u8],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO blobs (sha256, media_type, size, data) VALUES (?1, ?2, ?3, ?4)",
            params![sha256, media_type, data.len() as i64, data],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO blob_uploads (sha256, queued_at) VALUES (?1, ?2)",
            params![sha256, now],
        )?;
        tx.commit()?;
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

    /// The bytes and media type of a local blob.
    pub fn blob_with_type(&self, sha256: &str) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT data, media_type FROM blobs WHERE sha256 = ?1",
                [sha256],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
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

    /// Every queued upload, oldest first.
    pub fn queued_uploads(&self) -> Result<Vec<QueuedUpload>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT sha256, queued_at, attempts, next_attempt_at, last_error
             FROM blob_uploads ORDER BY queued_at, sha256",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(QueuedUpload {
                sha256: r.get(0)?,
                queued_at: r.get(1)?,
                attempts: r.get(2)?,
                next_attempt_at: r.get(3)?,
                last_error: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many uploads are queued.
    pub fn queued_upload_count(&self) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM blob_uploads", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The relay has the bytes: forget the queue entry.
    pub fn upload_done(&self, sha256: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM blob_uploads WHERE sha256 = ?1", [sha256])?;
        Ok(())
    }

    /// An attempt failed: count it, keep the reason, and wait until `next_attempt_at`.
    pub fn upload_failed(
        &self,
        sha256: &str,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE blob_uploads SET attempts = attempts + 1, last_error = ?2,
                 next_attempt_at = ?3
             WHERE sha256 = ?1",
            params![sha256, error, next_attempt_at],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_round_trip() {
        let store = Store::open_in_memory().unwrap();
        store
            .blob_put_and_queue("aa", "image/png", b"one", 10)
            .unwrap();
        store
            .blob_put_and_queue("aa", "image/png", b"one", 20)
            .unwrap();
        store.blob_put("bb", "image/png", b"fetched").unwrap();
        let queued = store.queued_uploads().unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].sha256, "aa");
        assert_eq!(queued[0].queued_at, 10);
        assert_eq!(queued[0].attempts, 0);

        store.upload_failed("aa", "relay down", 5000).unwrap();
        let queued = store.queued_uploads().unwrap();
        assert_eq!(queued[0].attempts, 1);
        assert_eq!(queued[0].next_attempt_at, 5000);
        assert_eq!(queued[0].last_error.as_deref(), Some("relay down"));
        assert_eq!(store.queued_upload_count().unwrap(), 1);

        store.upload_done("aa").unwrap();
        assert_eq!(store.queued_upload_count().unwrap(), 0);
        assert_eq!(
            store.blob_with_type("aa").unwrap(),
            Some((b"one".to_vec(), "image/png".to_string()))
        );
    }
}
