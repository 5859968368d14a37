//! Small helpers for test documents: make one with a title, set a field, read its heads.
#![allow(dead_code)] // each test file uses its own part

use automerge::transaction::Transactable;
use automerge::{AutomergeError, ROOT};
use samod::DocHandle;

use super::sync_client::Device;

/// A new document with `title`, created on `device`.
pub async fn create(device: &Device, title: &str) -> DocHandle {
    let mut doc = automerge::Automerge::new();
    doc.transact::<_, _, AutomergeError>(|tx| {
        tx.put(ROOT, "title", title)?;
        Ok(())
    })
    .unwrap();
    device.repo.create(doc).await.expect("create")
}

/// Sets a string field at the document's root.
pub fn set(handle: &DocHandle, key: &str, value: &str) {
    handle.with_document(|d| {
        d.transact::<_, _, AutomergeError>(|tx| {
            tx.put(ROOT, key, value)?;
            Ok(())
        })
        .unwrap();
    });
}

/// The document's heads as sorted strings.
pub fn heads(handle: &DocHandle) -> Vec<String> {
    let mut h: Vec<String> = handle
        .with_document(|d| d.get_heads())
        .iter()
        .map(ToString::to_string)
        .collect();
    h.sort();
    h
}
