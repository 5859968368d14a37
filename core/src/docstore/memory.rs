//! An in-process document store: a map of Automerge documents. Used by tests and the property
//! test, which move changes between replicas by hand to exercise every delivery order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::Automerge;

use super::{DocStoreError, DocumentStore};

#[derive(Clone, Default)]
pub struct MemoryStore {
    docs: Arc<Mutex<HashMap<String, Automerge>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every document id held.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The full saved bytes of a document.
    pub fn save(&self, id: &str) -> Option<Vec<u8>> {
        self.lock().get_mut(id).map(|d| d.save())
    }

    /// Merges saved bytes (a whole document or changes) into the document `id`, creating it.
    pub fn merge_bytes(&self, id: &str, bytes: &[u8]) -> Result<(), DocStoreError> {
        let mut docs = self.lock();
        let doc = docs.entry(id.to_string()).or_default();
        doc.load_incremental(bytes)
            .map_err(|e| DocStoreError::Backend(e.to_string()))?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Automerge>> {
        self.docs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl DocumentStore for MemoryStore {
    async fn create(&self, initial: Automerge) -> Result<String, DocStoreError> {
        let id = crate::ids::new_id();
        self.lock().insert(id.clone(), initial);
        Ok(id)
    }

    async fn with_doc<R, F>(&self, id: &str, f: F) -> Result<Option<R>, DocStoreError>
    where
        F: FnOnce(&mut Automerge) -> R + Send + 'static,
        R: Send + 'static,
    {
        Ok(self.lock().get_mut(id).map(f))
    }
}
