//! core's `DocumentStore` in the browser. Documents live here as Automerge values (so core's
//! domain code runs on them unchanged); the JS automerge-repo holds a mirror of each for the
//! network. Every local change is written to the profile's key/value table as an incremental
//! chunk in automerge-repo's key layout (`[doc id, "incremental", sha256 of the bytes]`, so the
//! repo's own loader reads it) and handed to the repo through [`RepoHost`]. Remote changes arrive
//! through [`BridgeStore::merge_remote`]. A document not held yet is loaded from its chunks.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use automerge::Automerge;
use larder_core::Store;
use larder_core::docstore::{DocStoreError, DocumentStore};
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The worker's side of the bridge (web/src/worker/repo-host.ts).
    pub type RepoHost;

    /// Puts a new document (its saved bytes) into the repo and returns the id the repo gave it.
    #[wasm_bindgen(method, catch)]
    fn create(this: &RepoHost, bytes: &[u8]) -> Result<String, JsValue>;

    /// Applies changes made here to the repo's copy of the document.
    #[wasm_bindgen(method, catch)]
    fn change(this: &RepoHost, doc_id: &str, bytes: &[u8]) -> Result<(), JsValue>;
}

pub struct BridgeStore {
    docs: RefCell<HashMap<String, Automerge>>,
    store: Arc<Store>,
    host: RepoHost,
}

fn js_error(context: &str, err: JsValue) -> DocStoreError {
    let text = err
        .as_string()
        .or_else(|| {
            js_sys::Reflect::get(&err, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{err:?}"));
    DocStoreError::Backend(format!("{context}: {text}"))
}

fn backend(err: impl std::fmt::Display) -> DocStoreError {
    DocStoreError::Backend(err.to_string())
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl BridgeStore {
    pub fn new(store: Arc<Store>, host: RepoHost) -> Self {
        BridgeStore {
            docs: RefCell::new(HashMap::new()),
            store,
            host,
        }
    }

    /// Writes a chunk of `id` durably, in automerge-repo's key layout.
    fn persist(&self, id: &str, bytes: &[u8]) -> Result<(), DocStoreError> {
        let key = [id.to_string(), "incremental".into(), sha256_hex(bytes)];
        self.store.kv_put(&key, bytes).map_err(backend)
    }

    /// The document from its stored chunks (snapshots and incrementals), if any.
    fn load(&self, id: &str) -> Result<Option<Automerge>, DocStoreError> {
        let chunks = self
            .store
            .kv_load_range(&[id.to_string()])
            .map_err(backend)?;
        let mut doc = Automerge::new();
        let mut found = false;
        for (key, bytes) in chunks {
            if matches!(
                key.get(1).map(String::as_str),
                Some("snapshot" | "incremental")
            ) {
                doc.load_incremental(&bytes).map_err(backend)?;
                found = true;
            }
        }
        Ok(found.then_some(doc))
    }

    /// Drops every document held (the database is being erased).
    pub fn forget_all(&self) {
        self.docs.borrow_mut().clear();
    }

    /// Merges changes the repo received from elsewhere (the repo stores them itself).
    pub fn merge_remote(&self, id: &str, bytes: &[u8]) -> Result<(), DocStoreError> {
        let mut docs = self.docs.borrow_mut();
        if !docs.contains_key(id) {
            let doc = self.load(id)?.unwrap_or_default();
            docs.insert(id.to_string(), doc);
        }
        if let Some(doc) = docs.get_mut(id) {
            doc.load_incremental(bytes).map_err(backend)?;
        }
        Ok(())
    }
}

impl DocumentStore for BridgeStore {
    async fn create(&self, initial: Automerge) -> Result<String, DocStoreError> {
        let bytes = initial.save();
        let id = self
            .host
            .create(&bytes)
            .map_err(|e| js_error("the repo refused a new document", e))?;
        self.persist(&id, &bytes)?;
        self.docs.borrow_mut().insert(id.clone(), initial);
        Ok(id)
    }

    async fn with_doc<R, F>(&self, id: &str, f: F) -> Result<Option<R>, DocStoreError>
    where
        F: FnOnce(&mut Automerge) -> R + Send + 'static,
        R: Send + 'static,
    {
        let mut docs = self.docs.borrow_mut();
        if !docs.contains_key(id) {
            match self.load(id)? {
                Some(doc) => {
                    docs.insert(id.to_string(), doc);
                }
                None => return Ok(None),
            }
        }
        let Some(doc) = docs.get_mut(id) else {
            return Ok(None);
        };
        let before = doc.get_heads();
        let result = f(doc);
        if doc.get_heads() != before {
            let bytes = doc.save_after(&before);
            drop(docs);
            self.persist(id, &bytes)?;
            self.host
                .change(id, &bytes)
                .map_err(|e| js_error("the repo refused a change", e))?;
        }
        Ok(Some(result))
    }

    /// A document not held is loaded from its chunks ([`BridgeStore::load`]), and the JS repo
    /// reads the same table through its storage adapter.
    fn loads_stored_chunks(&self) -> bool {
        true
    }
}
