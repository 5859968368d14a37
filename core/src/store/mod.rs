//! The local store: one SQLite database per profile holding the document store's chunks (`kv`),
//! the materialised view the UI reads (`view`), its full-text index (`search`) and attached files
//! kept on this device (`blobs`). Opening checks that the file is Larder's, migrates it, and never
//! loads a document.

mod adopt;
mod blobs;
mod deleted;
mod device;
mod erase;
pub mod error;
mod household;
mod kv;
mod last_sign_in;
mod marks;
mod plan_view;
mod relay_marks;
pub mod schema;
pub mod search;
mod shared;
pub mod view;

use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, ffi};

pub use adopt::{AdoptedRecipe, DocumentBody};
pub use blobs::QueuedUpload;
pub use deleted::DeletedRecipe;
pub use error::StoreError;
pub use household::Household;
pub use kv::{KvEntry, NewRecipeDocument};
pub use last_sign_in::LastSignIn;
pub use relay_marks::ConfirmedDoc;
pub use search::{RecipeSummary, TagCount};
pub use shared::{IncomingShare, ShareOwner, SharedFrom};
pub use view::RecipeViewRow;

pub struct Store {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if absent) the profile database at `path`.
    #[cfg(feature = "native")]
    pub fn open(path: &std::path::Path) -> Result<Store, StoreError> {
        let label = path.display().to_string();
        use rusqlite::OpenFlags;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&label, e))?;
        Store::from_connection(conn, &label)
    }

    /// An in-memory store (tests, benchmarks).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::from_connection(conn, ":memory:")
    }

    /// Takes an open connection (the browser opens it on its OPFS VFS) and prepares it.
    pub fn from_connection(conn: Connection, label: &str) -> Result<Store, StoreError> {
        check_ownership(&conn, label)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(|e| classify(label, e))?;
        migrate(&conn, label)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// The database's journal mode as SQLite names it (`wal` unless the VFS could not do it).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))?)
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite itself consistent (transactions roll
        // back), so a poisoned lock is safe to keep using.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn meta_delete(&self, key: &str) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// Maps "file is not a database" style failures to `Corrupt`.
fn classify(label: &str, err: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, msg) = &err
        && matches!(
            code.code,
            ffi::ErrorCode::NotADatabase | ffi::ErrorCode::DatabaseCorrupt
        )
    {
        return StoreError::Corrupt {
            path: label.to_string(),
            reason: msg.clone().unwrap_or_else(|| code.to_string()),
        };
    }
    StoreError::Sqlite(err)
}

/// Refuses files that are not ours before anything is written to them.
fn check_ownership(conn: &Connection, label: &str) -> Result<(), StoreError> {
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| classify(label, e))?;
    if app_id == schema::APPLICATION_ID {
        return Ok(());
    }
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|e| classify(label, e))?;
    if app_id != 0 || objects > 0 {
        return Err(StoreError::ForeignDatabase {
            path: label.to_string(),
        });
    }
    Ok(())
}

fn migrate(conn: &Connection, label: &str) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > schema::SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: label.to_string(),
            found: version,
            supported: schema::SCHEMA_VERSION,
        });
    }
    for (index, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
        let next = index as i64 + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             {sql}
             PRAGMA application_id = {app};
             PRAGMA user_version = {next};
             COMMIT;",
            app = schema::APPLICATION_ID
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
        tracing::info!(from = index, to = next, "migrated local database");
    }
    Ok(())
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use super::*;

    #[test]
    fn reopening_keeps_schema_and_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("larder.db");
        {
            let store = Store::open(&path).expect("create");
            store.meta_set("k", "v").expect("set");
        }
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.meta_get("k").expect("get").as_deref(), Some("v"));
    }

    #[test]
    fn a_store_journals_to_a_write_ahead_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("larder.db")).expect("create");
        assert_eq!(store.journal_mode().expect("journal mode"), "wal");
        // The browser's connection holds its lock for good (its VFS has no shared memory).
        let conn = Connection::open(dir.path().join("exclusive.db")).expect("open");
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE;")
            .expect("exclusive");
        let store = Store::from_connection(conn, "exclusive.db").expect("prepare");
        assert_eq!(store.journal_mode().expect("journal mode"), "wal");
    }

    #[test]
    fn a_foreign_sqlite_file_is_refused_and_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("other.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(
                "CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (7);",
            )
            .expect("seed");
        }
        let before = std::fs::read(&path).expect("read");
        let err = Store::open(&path).expect_err("must refuse");
        assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }

    #[test]
    fn a_corrupt_file_is_refused_and_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("garbage.db");
        let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &garbage).expect("write");
        let err = Store::open(&path).expect_err("must refuse");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), garbage);
    }

    #[test]
    fn a_version_1_database_migrates_and_keeps_its_data() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v1.db");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(&format!(
                "{} PRAGMA application_id = {}; PRAGMA user_version = 1;
                 INSERT INTO kv (key, value) VALUES ('doc1/incremental/abc', x'01');
                 INSERT INTO blobs (sha256, media_type, size, data)
                     VALUES ('ab', 'text/plain', 1, x'01');",
                schema::MIGRATIONS[0],
                schema::APPLICATION_ID
            ))
            .expect("v1 schema");
        }
        let store = Store::open(&path).expect("migrate");
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, schema::SCHEMA_VERSION);
        assert_eq!(
            store.unsynced_docs().expect("unsynced"),
            vec![("doc1".to_string(), 1)],
            "documents stored before sync existed are pending for the first sync"
        );
        let queued = store.queued_uploads().expect("queued");
        assert_eq!(
            queued.iter().map(|q| q.sha256.as_str()).collect::<Vec<_>>(),
            vec!["ab"],
            "files attached before uploads existed are queued for the first sync"
        );
        assert!(
            store
                .kv_load(&["doc1".into(), "incremental".into(), "abc".into()])
                .expect("kv")
                .is_some()
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("future.db");
        drop(Store::open(&path).expect("create"));
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch("PRAGMA user_version = 999")
                .expect("bump");
        }
        let err = Store::open(&path).expect_err("must refuse");
        assert!(
            matches!(err, StoreError::TooNew { found: 999, .. }),
            "{err}"
        );
    }
}
