//! The relay's data directory: where its database (and later its blobs) live, guarded by an
//! exclusive lock file so a second process (a second server, or `larder-server user …` while the
//! server runs) fails with a clear message instead of corrupting or blocking on the database.
//!
//! Layout: `larder-server.lock`, `larder-server.toml` (optional config), `db/` (sled),
//! `blobs/`, `admin.sock` (while the server runs; see [`crate::server::admin_socket`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "larder-server.lock";
pub const CONFIG_FILE: &str = "larder-server.toml";
const DB_DIR: &str = "db";

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error(
        "data directory {0} is in use by another larder-server process (is the server running? stop it first)"
    )]
    Locked(PathBuf),
    #[error("data directory {0} does not exist")]
    Missing(PathBuf),
    #[error("data directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// An open, locked data directory. The lock is held until this value is dropped.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Opens `path`, creating it if `create` is set, and takes its lock.
    pub fn open(path: &Path, create: bool) -> Result<Self, DataDirError> {
        let io_err = |source| DataDirError::Io {
            path: path.to_owned(),
            source,
        };
        if !path.is_dir() {
            if !create {
                return Err(DataDirError::Missing(path.to_owned()));
            }
            std::fs::create_dir_all(path).map_err(io_err)?;
        }
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path.join(LOCK_FILE))
            .map_err(io_err)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(DataDirError::Locked(path.to_owned())),
            Err(TryLockError::Error(e)) => return Err(io_err(e)),
        }
        Ok(DataDir {
            path: path.to_owned(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the embedded database lives.
    pub fn db_path(&self) -> PathBuf {
        Self::db_dir(&self.path)
    }

    /// Where the embedded database of data directory `dir` lives.
    pub fn db_dir(dir: &Path) -> PathBuf {
        dir.join(DB_DIR)
    }

    /// The config file that is read when no `--config` is given.
    pub fn default_config_file(dir: &Path) -> PathBuf {
        dir.join(CONFIG_FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_open_is_refused_until_the_first_is_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        assert!(matches!(
            DataDir::open(&dir, false),
            Err(DataDirError::Missing(_))
        ));
        let first = DataDir::open(&dir, true).unwrap();
        let err = DataDir::open(&dir, false).unwrap_err();
        assert!(matches!(err, DataDirError::Locked(_)));
        assert!(err.to_string().contains("in use"));
        drop(first);
        DataDir::open(&dir, false).unwrap();
    }
}
