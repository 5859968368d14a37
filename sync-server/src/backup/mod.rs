//! Backups: `larder-server backup FILE`, `backup --verify FILE`, `restore FILE`.
//!
//! - [`archive`]: the file format (gzip'd tar with a manifest), writing, reading, checking
//! - [`admin`]: how `backup` reaches a running relay: a unix socket in the data directory
//! - this module: restoring into a fresh data directory
//!
//! A backup taken from a running relay and one taken from a stopped one are the same thing: the
//! store's records at one point in time (writers pause while they are copied to a local temp
//! file) plus every blob file.

pub mod archive;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

pub use archive::{BackupError, Manifest, Progress, read_backup, write_backup};

use crate::data_dir::{CONFIG_FILE, DataDir, LOCK_FILE};
use crate::store::SledStore;
use archive::{Restorer, VerifyOnly};

/// Checks a backup file completely; returns its manifest.
pub fn verify_file(path: &Path) -> Result<Manifest, BackupError> {
    let file = File::open(path)?;
    read_backup(BufReader::new(file), &mut VerifyOnly)
}

/// Whether `dir` may be restored into: absent, or holding nothing but a config file (and a
/// lock file) — never a directory with data in it.
pub fn restorable_into(dir: &Path) -> Result<(), BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let name = entry?.file_name();
        if name != CONFIG_FILE && name != LOCK_FILE {
            return Err(BackupError::Refused(format!(
                "{} is not empty (it holds {}); restore only into a new or empty data directory",
                dir.display(),
                name.to_string_lossy()
            )));
        }
    }
    Ok(())
}

struct IntoStore<'a> {
    store: &'a SledStore,
    data_dir: &'a Path,
    blobs: u64,
    progress: &'a mut dyn FnMut(Progress),
    total_blobs: u64,
}

impl Restorer for IntoStore<'_> {
    fn record(&mut self, collection: &[u8], key: &[u8], value: &[u8]) -> Result<(), BackupError> {
        Ok(self.store.import_record(collection, key, value)?)
    }

    fn blob(&mut self, sha256: &str, content: &mut dyn Read) -> Result<(), BackupError> {
        archive::store_blob(self.data_dir, sha256, content)?;
        self.blobs += 1;
        (self.progress)(Progress::Blob {
            done: self.blobs,
            total: self.total_blobs,
        });
        Ok(())
    }
}

/// Restores `file` into the data directory `dir`, which must be new or empty
/// ([`restorable_into`]). The file is checked completely first, so a damaged backup changes
/// nothing; if writing fails half-way, what was written is removed again.
pub fn restore(
    file: &Path,
    dir: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Manifest, BackupError> {
    restorable_into(dir)?;
    let manifest = verify_file(file)?;
    let existed = dir.exists();
    let result = restore_checked(file, dir, &manifest, progress);
    if result.is_err() {
        if existed {
            // Only what the restore wrote: the directory held nothing else.
            let _ = std::fs::remove_dir_all(dir.join(archive::BLOBS_DIR));
            let _ = std::fs::remove_dir_all(DataDir::db_dir(dir));
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    result.map(|()| manifest)
}

fn restore_checked(
    file: &Path,
    dir: &Path,
    manifest: &Manifest,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), BackupError> {
    let data = DataDir::open(dir, true).map_err(|e| BackupError::Refused(e.to_string()))?;
    // Checked again under the lock: nobody started a relay here meanwhile.
    restorable_into_locked(dir)?;
    let store = SledStore::open(&data.db_path())?;
    let mut into = IntoStore {
        store: &store,
        data_dir: dir,
        blobs: 0,
        progress,
        total_blobs: manifest.blobs,
    };
    let read = read_backup(BufReader::new(File::open(file)?), &mut into)?;
    if read != *manifest {
        return Err(BackupError::Invalid(
            "the backup file changed while it was restored".into(),
        ));
    }
    (into.progress)(Progress::Snapshot {
        records: manifest.records,
    });
    store.finish_import(manifest.id_watermark)?;
    drop(store);
    crate::store::sled_store::wait_for_release(&data.db_path());
    Ok(())
}

fn restorable_into_locked(dir: &Path) -> Result<(), BackupError> {
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if name != CONFIG_FILE && name != LOCK_FILE {
            return Err(BackupError::Refused(format!(
                "{} is not empty any more",
                dir.display()
            )));
        }
    }
    Ok(())
}
