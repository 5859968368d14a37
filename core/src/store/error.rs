//! Errors of the local store.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "{path} is not a Larder database (it belongs to another program); it was left untouched"
    )]
    ForeignDatabase { path: String },
    #[error(
        "{path} is not a readable database (corrupt or not SQLite): {reason}; it was left untouched"
    )]
    Corrupt { path: String, reason: String },
    #[error(
        "{path} was written by a newer Larder (schema {found}, this build knows up to {supported}); it was left untouched"
    )]
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("{0}")]
    Io(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data could not be decoded: {0}")]
    Decode(#[from] serde_json::Error),
}
