//! A native profile: a directory holding the profile database, opened as a samod-backed engine.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::api::{Larder, LarderError};
use crate::clock::{Clock, SystemClock};
use crate::docstore::SamodStore;
use crate::store::{Store, StoreError};

/// The database file inside a profile directory.
pub const DATABASE_FILE: &str = "larder.db";

pub fn database_path(dir: &Path) -> PathBuf {
    dir.join(DATABASE_FILE)
}

/// Opens (creating if needed) the profile in `dir`. Must run inside a tokio runtime.
pub async fn open(dir: &Path) -> Result<Larder<SamodStore>, LarderError> {
    open_with_clock(dir, Arc::new(SystemClock)).await
}

pub async fn open_with_clock(
    dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<Larder<SamodStore>, LarderError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        StoreError::Io(format!(
            "cannot create profile directory {}: {e}",
            dir.display()
        ))
    })?;
    let store = Arc::new(Store::open(&database_path(dir))?);
    // Signed in, the document store announces the peer id the relay binds to this user.
    let peer_id = match crate::sync::session(&store)? {
        Some(session) => Some(samod::PeerId::from(
            crate::sync::peer_id_for(&store, &session.user_id)?.as_str(),
        )),
        None => None,
    };
    let docs = SamodStore::open_as(store.clone(), peer_id).await;
    Larder::open(docs, store, clock).await
}

impl Larder<SamodStore> {
    /// Brings the view fully in step, waits for every document write to reach the database,
    /// and only then forgets the repair marks.
    pub async fn close(self) -> Result<(), LarderError> {
        let marks = self.settle().await?;
        self.documents().stop().await;
        self.store().clear_dirty(&marks)?;
        Ok(())
    }
}
