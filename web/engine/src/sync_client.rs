//! Core's sync policy (`larder_core::sync_client`) for the worker: the worker's `SyncLink`
//! (web/src/worker/session.ts) follows the live feed, pulls documents through automerge-repo
//! and fetches bulk batches, and tells this object what happened; the answers (JSON lists of
//! core's `Action`s: `{do: "pull", doc_id}` / `{do: "fetch", batch}`) say what to do next, and
//! `status` says where sync stands. No rule about what to pull, when to retry or when the
//! device is up to date is written in TypeScript.

use std::cell::RefCell;
use std::sync::Arc;

use larder_core::Store;
use larder_core::rpc::SyncStatusView;
use larder_core::sync_client::{Action, FeedEntry, Link, SyncClient as Policy};
use larder_core::sync_plan::SyncProgress;
use wasm_bindgen::prelude::*;

use crate::engine::{Engine, error};

/// Pulls at once: a new device may be told of hundreds; each waits on the relay, and the
/// engine merges them one at a time.
const PULL_CONCURRENCY: usize = 8;

#[wasm_bindgen]
pub struct SyncClient {
    store: Arc<Store>,
    policy: RefCell<Policy>,
}

#[wasm_bindgen]
impl Engine {
    /// A fresh policy for a new link to the relay (the whole feed is read again: entries the
    /// device is at the heads of cost nothing).
    #[wasm_bindgen(js_name = syncClient)]
    pub fn sync_client(&self) -> SyncClient {
        SyncClient {
            store: self.shared_store(),
            policy: RefCell::new(Policy::new(0, true, PULL_CONCURRENCY)),
        }
    }
}

fn actions(actions: Vec<Action>) -> Result<String, JsError> {
    serde_json::to_string(&actions).map_err(|e| error("writing the sync actions", e))
}

#[wasm_bindgen]
impl SyncClient {
    /// Where the next feed request starts.
    pub fn cursor(&self) -> f64 {
        self.policy.borrow().cursor() as f64
    }

    /// The relay accepted a live-feed stream: its backlog follows.
    pub fn opened(&self) {
        self.policy.borrow_mut().feed_opened();
    }

    /// One feed entry (JSON `{seq, doc_id, heads}`): answers actions.
    pub fn entry(&self, entry_json: String) -> Result<String, JsError> {
        let entry: FeedEntry = serde_json::from_str(&entry_json)
            .map_err(|e| error("reading a change-feed entry", e))?;
        let planned = self.policy.borrow_mut().feed_entry(&self.store, entry);
        actions(planned.map_err(|e| error("noting the relay's heads", e))?)
    }

    /// The feed's backlog is in: answers the plan for it.
    #[wasm_bindgen(js_name = caughtUp)]
    pub fn caught_up(&self) -> Result<String, JsError> {
        let planned = self.policy.borrow_mut().feed_caught_up(&self.store);
        actions(planned.map_err(|e| error("planning the catch-up", e))?)
    }

    /// A bulk batch (`batch`) was adopted, `left` the ids it did not bring; `left` undefined:
    /// the fetch failed.
    pub fn fetched(
        &self,
        batch: Vec<String>,
        left: Option<Vec<String>>,
    ) -> Result<String, JsError> {
        let planned = self
            .policy
            .borrow_mut()
            .fetched(&self.store, &batch, left.as_deref());
        actions(planned.map_err(|e| error("planning pulls", e))?)
    }

    /// A pull ended.
    pub fn pulled(&self, doc_id: String, ok: bool) -> Result<String, JsError> {
        let planned = self.policy.borrow_mut().pulled(&self.store, &doc_id, ok);
        actions(planned.map_err(|e| error("planning pulls", e))?)
    }

    /// The failed pulls, tried again.
    pub fn retry(&self) -> Result<String, JsError> {
        let planned = self.policy.borrow_mut().retry(&self.store);
        actions(planned.map_err(|e| error("planning pulls", e))?)
    }

    /// The feed ended (`error`: why, if it failed): answers the milliseconds to wait before
    /// following it again.
    pub fn closed(&self, error: Option<String>) -> f64 {
        self.policy.borrow_mut().feed_closed(error).as_millis() as f64
    }

    /// A failure to show in the status.
    pub fn failed(&self, error: String) {
        self.policy.borrow_mut().set_error(Some(error));
    }

    /// A bulk upload's progress (`total` 0: none runs).
    #[wasm_bindgen(js_name = uploadProgress)]
    pub fn upload_progress(&self, done: u32, total: u32) {
        let progress = (total > 0).then_some(SyncProgress {
            done: done as usize,
            total: total as usize,
        });
        self.policy.borrow_mut().set_upload_progress(progress);
    }

    /// Where sync stands (JSON of core's `rpc::SyncStatusView`): `online` is the browser's
    /// `navigator.onLine`, `uploading` whether an upload round runs.
    pub fn status(&self, online: bool, uploading: bool) -> Result<String, JsError> {
        let link = Link {
            online,
            uploading,
            now_ms: js_sys::Date::now() as i64,
        };
        let status = self
            .policy
            .borrow()
            .status(&self.store, link)
            .map_err(|e| error("reading the sync status", e))?;
        serde_json::to_string(&SyncStatusView::from(&status))
            .map_err(|e| error("writing the sync status", e))
    }
}
