//! The document-store trait: the only way core's API reaches Automerge documents. Natively it is
//! backed by samod (`SamodStore`); in the browser by the JS automerge-repo (web issue); in tests
//! also by `MemoryStore`, a plain map of documents whose changes tests can exchange by hand.

mod memory;
#[cfg(feature = "native")]
mod samod_store;

use automerge::Automerge;
use thiserror::Error;

pub use memory::MemoryStore;
#[cfg(feature = "native")]
pub use samod_store::{SamodStore, SqliteStorage, samod_chunk};

#[derive(Debug, Error)]
pub enum DocStoreError {
    #[error("the document store has stopped")]
    Stopped,
    #[error("not a valid document id: {0}")]
    BadId(String),
    #[error("document store failure: {0}")]
    Backend(String),
}

/// A new document in the form a store keeps it in the profile's `kv` table: its fresh id and the
/// one chunk (key parts, bytes) that holds it.
#[derive(Debug, Clone)]
pub struct DocumentChunk {
    pub id: String,
    pub key: Vec<String>,
    pub bytes: Vec<u8>,
}

/// Turns a new document into its [`DocumentChunk`].
pub type ChunkForm = fn(&Automerge) -> Result<DocumentChunk, DocStoreError>;

/// A store of Automerge documents addressed by string ids.
///
/// Futures are not required to be `Send`: the browser implementation awaits JavaScript promises.
#[allow(async_fn_in_trait)]
pub trait DocumentStore {
    /// Stores a new document with this initial content and returns its id.
    async fn create(&self, initial: Automerge) -> Result<String, DocStoreError>;

    /// Runs `f` on the document (to read it or change it). `Ok(None)` if the store does not
    /// have the document.
    async fn with_doc<R, F>(&self, id: &str, f: F) -> Result<Option<R>, DocStoreError>
    where
        F: FnOnce(&mut Automerge) -> R + Send + 'static,
        R: Send + 'static;

    /// For bulk creation (import): when this store keeps documents as chunks in the profile's
    /// `kv` table and loads them from there on demand, how a new document becomes its chunk, so
    /// the caller can write many documents together with their view rows in one transaction
    /// instead of one trip through the store per document. `None`: use [`Self::create`].
    fn chunk_form(&self) -> Option<ChunkForm> {
        None
    }

    /// Whether a document this store holds nothing of may be written straight into the
    /// profile's `kv` table as a chunk (a bulk catch-up, see `Larder::adopt_documents`) and be
    /// found there like any other: true for stores that load documents from `kv` on demand.
    fn loads_stored_chunks(&self) -> bool {
        self.chunk_form().is_some()
    }
}

/// A document's heads as sorted hex hashes joined by ',': what a view row records.
pub fn heads_string(doc: &Automerge) -> String {
    let mut heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
    heads.sort();
    heads.join(",")
}
