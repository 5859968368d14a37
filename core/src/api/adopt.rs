//! Bulk catch-up on the device: documents the relay sent whole (`bulk_wire` frames) become this
//! profile's, many per transaction, without a trip through the document store each — for stores
//! that load documents from `kv` chunks on demand (see
//! [`DocumentStore::loads_stored_chunks`]), where a chunk written here is found like any other. Only
//! recipes this profile holds nothing of are adopted; everything else (a grocery list, a
//! document already here, bytes that do not load) is handed back for live sync to merge.

use automerge::Automerge;
use sha2::{Digest, Sha256};

use super::{AnyDoc, ChangeEvent, Larder, Result, read_any};
use crate::docstore::DocumentStore;
use crate::model::Recipe;
use crate::store::{AdoptedRecipe, RecipeViewRow};

/// What became of a batch handed to [`Larder::adopt_documents`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Adoption {
    /// Now this profile's, with their view rows.
    pub adopted: Vec<String>,
    /// Not adopted: to be synced document by document.
    pub left: Vec<String>,
}

/// A loaded recipe ready to write: its view and the chunk that holds it.
struct Ready {
    recipe: Recipe,
    heads: String,
    key: Vec<String>,
    bytes: Vec<u8>,
}

/// Reads one document the relay sent: a recipe becomes [`Ready`], anything else `Err(id)`.
fn prepare(id: String, bytes: Vec<u8>) -> std::result::Result<Ready, String> {
    let Ok(am) = Automerge::load(&bytes) else {
        tracing::warn!(
            id,
            "a document from the relay does not load; left to live sync"
        );
        return Err(id);
    };
    match read_any(&am, &id, None) {
        Ok(AnyDoc::Recipe(doc, heads)) => {
            // The key samod gives a snapshot: the document id, then a hash of its heads.
            let hash: String = Sha256::digest(heads.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Ok(Ready {
                recipe: doc.to_recipe(&id),
                heads,
                key: vec![id, "snapshot".to_owned(), hash],
                bytes,
            })
        }
        _ => Err(id),
    }
}

impl<S: DocumentStore> Larder<S> {
    /// Adopts `(id, saved bytes)` documents from the relay (see the module docs), in one
    /// transaction; the documents are decoded on every core first.
    pub async fn adopt_documents(&self, docs: Vec<(String, Vec<u8>)>) -> Result<Adoption> {
        if !self.docs.loads_stored_chunks() {
            return Ok(Adoption {
                adopted: Vec::new(),
                left: docs.into_iter().map(|(id, _)| id).collect(),
            });
        }
        let prepared = decode_all(docs);
        let mut adoption = Adoption::default();
        let mut ready = Vec::with_capacity(prepared.len());
        for outcome in prepared {
            match outcome {
                Ok(r) => ready.push(r),
                Err(id) => adoption.left.push(id),
            }
        }
        let rows: Vec<AdoptedRecipe<'_>> = ready
            .iter()
            .map(|r| AdoptedRecipe {
                chunk_key: &r.key,
                chunk: &r.bytes,
                view: RecipeViewRow {
                    recipe: &r.recipe,
                    heads: &r.heads,
                },
            })
            .collect();
        let adopted = {
            let _view = self.view_writes.lock().await;
            self.store.adopt_recipes(&rows)?
        };
        let mut adopted_iter = adopted.iter().peekable();
        for r in &ready {
            if adopted_iter.peek().is_some_and(|id| **id == r.recipe.id) {
                adopted_iter.next();
                self.emit(if r.recipe.deleted {
                    ChangeEvent::RecipeDeleted {
                        id: r.recipe.id.clone(),
                    }
                } else {
                    ChangeEvent::RecipeChanged {
                        id: r.recipe.id.clone(),
                    }
                });
            } else {
                adoption.left.push(r.recipe.id.clone());
            }
        }
        adoption.adopted = adopted;
        Ok(adoption)
    }
}

/// [`prepare`] for every document, split over two threads where there is more than one core
/// (decoding is most of a catch-up's CPU).
fn decode_all(docs: Vec<(String, Vec<u8>)>) -> Vec<std::result::Result<Ready, String>> {
    let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    if !parallel || docs.len() < 8 {
        return docs.into_iter().map(|(id, b)| prepare(id, b)).collect();
    }
    let mut docs = docs;
    let theirs = docs.split_off(docs.len() / 2);
    std::thread::scope(|scope| {
        let helper = scope.spawn(move || {
            theirs
                .into_iter()
                .map(|(id, b)| prepare(id, b))
                .collect::<Vec<_>>()
        });
        let mut out: Vec<_> = docs.into_iter().map(|(id, b)| prepare(id, b)).collect();
        match helper.join() {
            Ok(rest) => out.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        out
    })
}
