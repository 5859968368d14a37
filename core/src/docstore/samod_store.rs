//! The native document store: a samod `Repo` whose storage is the profile's SQLite `kv` table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::Automerge;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use samod::storage::{Storage, StorageKey};
use samod::{DocHandle, DocumentId, PeerId, Repo};

use super::{ChunkForm, DocStoreError, DocumentChunk, DocumentStore};
use crate::store::Store;

/// samod's `Storage` over the profile database. Every chunk written for a document is also
/// announced on `changed`, so the engine can refresh the view of documents changed by sync.
#[derive(Clone)]
pub struct SqliteStorage {
    store: Arc<Store>,
    changed: Option<UnboundedSender<String>>,
}

impl SqliteStorage {
    pub fn new(store: Arc<Store>, changed: Option<UnboundedSender<String>>) -> Self {
        SqliteStorage { store, changed }
    }
}

fn parts(key: &StorageKey) -> Vec<String> {
    key.into_iter().map(|s| s.to_string()).collect()
}

impl Storage for SqliteStorage {
    async fn load(&self, key: StorageKey) -> Option<Vec<u8>> {
        match self.store.kv_load(&parts(&key)) {
            Ok(value) => value,
            Err(err) => {
                tracing::error!(%err, "loading a document chunk failed");
                None
            }
        }
    }

    async fn load_range(&self, prefix: StorageKey) -> HashMap<StorageKey, Vec<u8>> {
        let entries = match self.store.kv_load_range(&parts(&prefix)) {
            Ok(entries) => entries,
            Err(err) => {
                tracing::error!(%err, "loading document chunks failed");
                return HashMap::new();
            }
        };
        entries
            .into_iter()
            .filter_map(|(key, value)| match StorageKey::from_parts(key) {
                Ok(key) => Some((key, value)),
                Err(err) => {
                    tracing::warn!(%err, "skipping a malformed storage key");
                    None
                }
            })
            .collect()
    }

    async fn put(&self, key: StorageKey, data: Vec<u8>) {
        // samod's storage contract has no error channel; a failed write is logged and the
        // document stays marked dirty, so it is re-materialised from what was stored.
        let parts = parts(&key);
        if let Err(err) = self.store.kv_put(&parts, &data) {
            tracing::error!(%err, "writing a document chunk failed");
        }
        if let (Some(changed), [doc_id, _, ..]) = (&self.changed, parts.as_slice()) {
            // Nobody listening is fine: the dirty mark still repairs the view on next open.
            let _ = changed.unbounded_send(doc_id.clone());
        }
    }

    async fn delete(&self, key: StorageKey) {
        if let Err(err) = self.store.kv_delete(&parts(&key)) {
            tracing::error!(%err, "deleting a document chunk failed");
        }
    }
}

/// A brand-new document (one local change) as samod itself would first store it: a random
/// document id and the change under `[id, "incremental", change hash]`. samod finds it there
/// like any document it stored (it loads every chunk under the id's prefix). Written by hand
/// because samod has no way to hand over a document without running it through its repo, which
/// costs an actor, a hub event and a re-encoded change per document (the import's bottleneck).
pub fn samod_chunk(doc: &Automerge) -> Result<DocumentChunk, DocStoreError> {
    let change = match doc.get_changes(&[]).as_slice() {
        [change] => (*change).clone(),
        changes => {
            return Err(DocStoreError::Backend(format!(
                "a new document must hold exactly one change, not {}",
                changes.len()
            )));
        }
    };
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| DocStoreError::Backend(e.to_string()))?;
    // A version-4 UUID, as samod's own ids.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let id = DocumentId::try_from(bytes.to_vec())
        .map_err(|e| DocStoreError::Backend(e.to_string()))?
        .to_string();
    let key = vec![
        id.clone(),
        "incremental".to_owned(),
        change.hash().to_string(),
    ];
    Ok(DocumentChunk {
        id,
        key,
        bytes: change.raw_bytes().to_vec(),
    })
}

/// The samod-backed document store. Handles are cached so a document is looked up once.
#[derive(Clone)]
pub struct SamodStore {
    repo: Repo,
    handles: Arc<Mutex<HashMap<String, DocHandle>>>,
    changed: Arc<Mutex<Option<UnboundedReceiver<String>>>>,
}

impl SamodStore {
    /// Loads a repo over the profile database; must be called inside a tokio runtime.
    pub async fn open(store: Arc<Store>) -> Self {
        Self::open_as(store, None).await
    }

    /// Like `open`, announcing itself to peers as `peer_id` (when given).
    pub async fn open_as(store: Arc<Store>, peer_id: Option<PeerId>) -> Self {
        let (tx, rx) = unbounded();
        let mut builder = Repo::build_tokio().with_storage(SqliteStorage::new(store, Some(tx)));
        if let Some(peer_id) = peer_id {
            builder = builder.with_peer_id(peer_id);
        }
        let repo = builder.load().await;
        SamodStore {
            repo,
            handles: Arc::new(Mutex::new(HashMap::new())),
            changed: Arc::new(Mutex::new(Some(rx))),
        }
    }

    /// The ids of documents whose stored chunks change (locally or through sync), once: the
    /// first caller gets the stream (see `Larder::follow_changes`).
    pub fn changed_documents(&self) -> Option<UnboundedReceiver<String>> {
        self.changed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// The underlying repo, for connecting it to peers.
    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// A handle for `id`, from the cache or the repo.
    pub async fn handle(&self, id: &str) -> Result<Option<DocHandle>, DocStoreError> {
        if let Some(handle) = self.lock().get(id) {
            return Ok(Some(handle.clone()));
        }
        let doc_id: DocumentId = id
            .parse()
            .map_err(|_| DocStoreError::BadId(id.to_string()))?;
        let found = self
            .repo
            .find(doc_id)
            .await
            .map_err(|_| DocStoreError::Stopped)?;
        if let Some(handle) = &found {
            self.lock().insert(id.to_string(), handle.clone());
        }
        Ok(found)
    }

    /// Stops the repo after every pending storage write has finished.
    pub async fn stop(&self) {
        self.lock().clear();
        self.repo.stop().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, DocHandle>> {
        self.handles.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl DocumentStore for SamodStore {
    async fn create(&self, initial: Automerge) -> Result<String, DocStoreError> {
        let handle = self
            .repo
            .create(initial)
            .await
            .map_err(|_| DocStoreError::Stopped)?;
        let id = handle.document_id().to_string();
        self.lock().insert(id.clone(), handle);
        Ok(id)
    }

    async fn with_doc<R, F>(&self, id: &str, f: F) -> Result<Option<R>, DocStoreError>
    where
        F: FnOnce(&mut Automerge) -> R + Send + 'static,
        R: Send + 'static,
    {
        match self.handle(id).await? {
            Some(handle) => Ok(Some(handle.with_document(f))),
            None => Ok(None),
        }
    }

    fn chunk_form(&self) -> Option<ChunkForm> {
        Some(samod_chunk)
    }
}
