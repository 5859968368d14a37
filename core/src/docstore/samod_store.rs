//! The native document store: a samod `Repo` whose storage is the profile's SQLite `kv` table.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::Automerge;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use samod::storage::{Storage, StorageKey};
use samod::{DocHandle, DocumentId, PeerId, Repo};

use super::{DocStoreError, DocumentStore};
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
}
