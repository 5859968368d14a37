//! The wasm-bindgen surface of the engine, called by the dedicated worker
//! (web/src/worker/engine-worker.ts):
//! - `Engine.open(name)`: installs the OPFS `sahpool` VFS (dedicated workers only; one connection)
//!   and opens the profile database on it (WAL, the connection holding the lock);
//! - `kvLoad`/`kvSave`/`kvRemove`/`kvLoadRange`/`kvRemoveRange`/`documentIds`: the key/value
//!   table automerge-repo's storage adapter is written over, so one database holds everything;
//! - `start(host)`: opens core's `Larder` on the document bridge (repairing stale view rows);
//! - `call(requestJson, shell)`: one request of the API (core's `rpc::dispatch_with`, the
//!   worker's `shell` doing the network);
//! - `applyRemote(docId, bytes)`: changes the repo received; merged and re-materialised;
//! - `syncClient()`: core's sync policy for the worker's link (see `sync_client`);
//!   `adoptFrames(bytes)`: the documents of a `POST /api/v1/docs/fetch` answer adopted many per
//!   transaction;
//! - `planUpload()` / `nextUploadBatch()` / `settleUpload(answer)` / `abandonUpload()`: a first
//!   upload in bulk (core's `bulk_upload`; the worker only POSTs the bodies);
//! - `useGroceryList(id)` / `useMealPlan(id)`: adopt the signed-in user's grocery list and
//!   meal plan;
//! - `subscribe(listener)`: change events for the UI;
//! - `sessionLoad`/`sessionSave`/`sessionForget`: the signed-in session, kept in the database;
//! - `eraseAll()`: sign-out's "remove this device's data";
//! - attachment uploads and downloads: see `transfers`.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use larder_core::bulk_upload::{UploadAnswer, UploadPlan, UploadRun};
use larder_core::clock::SystemClock;
use larder_core::store::LastSignIn;
use larder_core::{Larder, Store};
use sqlite_wasm_vfs::sahpool::{OpfsSAHPoolCfgBuilder, install};
use wasm_bindgen::prelude::*;

use crate::bridge::{BridgeStore, RepoHost};
use crate::shell::{ShellHost, WorkerShell};

/// The signed-in session, as JSON (the same key and shape as the native `sync::session`).
const SESSION_META: &str = "sync_session";
const CURSOR_META: &str = "sync_cursor";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// A panic aborts the wasm instance; say why on the console first (tests fail on console errors).
fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        console_error(&format!("larder engine panicked: {info}"))
    }));
}

pub(crate) fn error(context: &str, err: impl std::fmt::Display) -> JsError {
    JsError::new(&format!("{context}: {err}"))
}

#[wasm_bindgen]
pub struct Engine {
    store: Arc<Store>,
    larder: RefCell<Option<Rc<Larder<BridgeStore>>>>,
    /// The bulk upload under way (see `planUpload`), and the ids of its batch in flight.
    upload: RefCell<Option<(UploadRun, Vec<String>)>>,
    /// Documents the relay refused in a bulk upload: not sent in bulk again this session.
    refused: RefCell<HashSet<String>>,
}

#[wasm_bindgen]
impl Engine {
    /// Opens (creating) the database `name` in this origin's private file system.
    pub async fn open(name: String) -> Result<Engine, JsError> {
        report_panics();
        let cfg = OpfsSAHPoolCfgBuilder::new().directory(".larder").build();
        install::<sqlite_wasm_rs::WasmOsCallback>(&cfg, true)
            .await
            .map_err(|e| error("the browser's private file system is unavailable", e))?;
        let conn =
            rusqlite::Connection::open(&name).map_err(|e| error("opening the database", e))?;
        // The pool has no shared memory, so SQLite keeps its rollback journal unless the
        // connection holds its lock for good (it is the only one: the pool's access handles are
        // this worker's). Then WAL works with its index in heap memory: a commit appends to the
        // WAL instead of creating, writing and flushing a journal file in the pool. Measured
        // on a new browser catching up 300 recipes (debug relay): 3.8-4.0 s, against 4.3-5.2 s
        // with the rollback journal (11 s against 23 s in a private window, whose OPFS is in
        // memory in the browser process).
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE;")
            .map_err(|e| error("opening the database", e))?;
        let store =
            Store::from_connection(conn, &name).map_err(|e| error("opening the database", e))?;
        match store.journal_mode() {
            Ok(mode) if mode == "wal" => {}
            Ok(mode) => console_error(&format!(
                "the database is in {mode} journal mode, not WAL: every save is slower"
            )),
            Err(err) => console_error(&format!("reading the journal mode: {err}")),
        }
        Ok(Engine {
            store: Arc::new(store),
            larder: RefCell::new(None),
            upload: RefCell::new(None),
            refused: RefCell::new(HashSet::new()),
        })
    }

    /// Starts the engine on the repo behind `host`.
    pub async fn start(&self, host: RepoHost) -> Result<(), JsError> {
        let docs = BridgeStore::new(Arc::clone(&self.store), host);
        let larder = Larder::open(docs, Arc::clone(&self.store), Arc::new(SystemClock))
            .await
            .map_err(|e| error("starting the engine", e))?;
        *self.larder.borrow_mut() = Some(Rc::new(larder));
        Ok(())
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn shared_store(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    fn larder(&self) -> Result<Rc<Larder<BridgeStore>>, JsError> {
        self.larder
            .borrow()
            .clone()
            .ok_or_else(|| JsError::new("the engine has not been started"))
    }

    /// Runs one API request (JSON of core's `rpc::Request`) through core's one dispatcher, the
    /// worker supplying what only it can do (`shell`: see `crate::shell`), and resolves with the
    /// JSON reply.
    pub fn call(&self, request: String, shell: ShellHost) -> Result<js_sys::Promise, JsError> {
        let larder = self.larder()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let shell = WorkerShell {
                larder,
                host: shell,
            };
            let json = larder_core::rpc::dispatch_json_with(&shell, &request).await;
            Ok(JsValue::from_str(&json))
        }))
    }

    /// Merges changes of `doc_id` received by the repo and refreshes its view (a no-op when the
    /// view was built from these heads; the document may also have been loaded with the changes
    /// already in it, from chunks the repo stored first). Resolves with whether the view was
    /// rewritten.
    #[wasm_bindgen(js_name = applyRemote)]
    pub fn apply_remote(&self, doc_id: String, bytes: Vec<u8>) -> Result<js_sys::Promise, JsError> {
        let larder = self.larder()?;
        larder
            .documents()
            .merge_remote(&doc_id, &bytes)
            .map_err(|e| error("merging a remote change", e))?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let rewritten = larder
                .rematerialize(&doc_id)
                .await
                .map_err(|e| JsValue::from_str(&e.to_string()))?;
            Ok(JsValue::from_bool(rewritten))
        }))
    }

    /// Plans a first upload in bulk (core's `bulk_upload`, as the native engine does): the
    /// documents waiting for the relay that it never confirmed, when there are enough of them.
    /// Keeps the run for `nextUploadBatch`/`settleUpload`; a run already under way is kept.
    /// Answers JSON `{total, bulk: [id], live: [id]}` (`live`: waiting documents for the
    /// websocket).
    #[wasm_bindgen(js_name = planUpload)]
    pub fn plan_upload(&self) -> Result<String, JsError> {
        if let Some((run, in_flight)) = self.upload.borrow().as_ref() {
            let mut bulk = run.unsent();
            bulk.extend(in_flight.iter().cloned());
            return Ok(
                serde_json::json!({ "total": run.total(), "bulk": bulk, "live": [] }).to_string(),
            );
        }
        let refused = self.refused.borrow();
        let marks = self
            .store
            .unsynced_docs()
            .map_err(|e| error("reading what waits for the relay", e))?;
        let plan = UploadPlan::from_marks(&self.store, marks, true, |id| refused.contains(id))
            .map_err(|e| error("planning the upload", e))?;
        drop(refused);
        let (total, bulk) = plan
            .run
            .as_ref()
            .map_or((0, Vec::new()), |run| (run.total(), run.unsent()));
        *self.upload.borrow_mut() = plan.run.map(|run| (run, Vec::new()));
        Ok(serde_json::json!({ "total": total, "bulk": bulk, "live": plan.live }).to_string())
    }

    /// The next batch of the planned upload: its body of `bulk_wire` frames for `POST
    /// /api/v1/docs/upload`, read from the store; `undefined` when everything was sent (the
    /// run then ends).
    #[wasm_bindgen(js_name = nextUploadBatch)]
    pub fn next_upload_batch(&self) -> Result<Option<Vec<u8>>, JsError> {
        let mut upload = self.upload.borrow_mut();
        let Some((run, in_flight)) = upload.as_mut() else {
            return Ok(None);
        };
        match run
            .next_batch(&self.store)
            .map_err(|e| error("reading documents to upload", e))?
        {
            Some(batch) => {
                *in_flight = batch.ids;
                Ok(Some(batch.body))
            }
            None => {
                *upload = None;
                Ok(None)
            }
        }
    }

    /// Applies the relay's answer (JSON) to the batch in flight: marks cleared and the relay's
    /// heads recorded, as the native engine does. Answers JSON `{stored, done, total, batch:
    /// [id]}` (`batch`: the ids the answer was for).
    #[wasm_bindgen(js_name = settleUpload)]
    pub fn settle_upload(&self, answer_json: String) -> Result<String, JsError> {
        let answer: UploadAnswer = serde_json::from_str(&answer_json)
            .map_err(|e| error("reading the relay's upload answer", e))?;
        let mut upload = self.upload.borrow_mut();
        let Some((run, in_flight)) = upload.as_mut() else {
            return Err(JsError::new("no upload is under way"));
        };
        let batch = std::mem::take(in_flight);
        let settled = run
            .settle(&self.store, batch.len(), &answer)
            .map_err(|e| error("recording the upload", e))?;
        self.refused.borrow_mut().extend(settled.refused);
        Ok(serde_json::json!({
            "stored": settled.stored,
            "done": run.done(),
            "total": run.total(),
            "batch": batch,
        })
        .to_string())
    }

    /// Ends the planned upload early (a batch failed): answers the ids it did not get to the
    /// relay, for the websocket.
    #[wasm_bindgen(js_name = abandonUpload)]
    pub fn abandon_upload(&self) -> Vec<String> {
        match self.upload.borrow_mut().take() {
            Some((run, mut in_flight)) => {
                in_flight.extend(run.unsent());
                in_flight
            }
            None => Vec::new(),
        }
    }

    /// Adopts the documents of a bulk fetch's answer (`bulk_wire` frames). Resolves with the ids
    /// of those not adopted (unavailable, already here, not recipes), for live sync to pull.
    #[wasm_bindgen(js_name = adoptFrames)]
    pub fn adopt_frames(&self, body: Vec<u8>) -> Result<js_sys::Promise, JsError> {
        use larder_core::bulk_wire::{Frame, Limits, MAX_BATCH_DOCS, decode_all};
        let larder = self.larder()?;
        let frames = decode_all(
            &body,
            Limits {
                max_document_bytes: 64 * 1024 * 1024,
                max_frames: MAX_BATCH_DOCS,
            },
        )
        .map_err(|e| error("reading the relay's documents", e))?;
        let mut left = Vec::new();
        let mut docs = Vec::new();
        for frame in frames {
            match frame {
                Frame::Document { id, bytes } => docs.push((id, bytes)),
                Frame::Unavailable { id } => left.push(id),
            }
        }
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let adoption = larder
                .adopt_documents(docs)
                .await
                .map_err(|e| JsValue::from_str(&format!("adopting documents: {e}")))?;
            left.extend(adoption.left);
            let out = js_sys::Array::new();
            for id in left {
                out.push(&JsValue::from_str(&id));
            }
            Ok(out.into())
        }))
    }

    /// Calls `listener` with each change event (JSON of core's `ChangeEvent`) from now on:
    /// local writes and changes merged from the relay alike.
    pub fn subscribe(&self, listener: js_sys::Function) -> Result<(), JsError> {
        use futures_util::StreamExt;
        let mut events = self.larder()?.subscribe();
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(event) = events.next().await {
                let Ok(json) = serde_json::to_string(&event) else {
                    continue;
                };
                if let Err(err) = listener.call1(&JsValue::NULL, &JsValue::from_str(&json)) {
                    console_error(&format!("a change listener failed: {err:?}"));
                }
            }
        });
        Ok(())
    }

    /// Uses the signed-in user's grocery list (the relay's document, already pulled into the
    /// repo) from now on, merging in the items of the list used until now.
    #[wasm_bindgen(js_name = useGroceryList)]
    pub fn use_grocery_list(&self, list_id: String) -> Result<js_sys::Promise, JsError> {
        let larder = self.larder()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            larder
                .use_grocery_list(&list_id)
                .await
                .map_err(|e| JsValue::from_str(&format!("adopting the grocery list: {e}")))?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// Records the household the relay's `/me` names (JSON `{id, name, grocery_list_id}`, its
    /// list already pulled into the repo), or `null` for none: then its list leaves the view.
    #[wasm_bindgen(js_name = useHousehold)]
    pub fn use_household(&self, household_json: String) -> Result<js_sys::Promise, JsError> {
        let larder = self.larder()?;
        let household: Option<larder_core::Household> = serde_json::from_str(&household_json)
            .map_err(|e| JsError::new(&format!("not a household: {e}")))?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            larder
                .set_household(household.as_ref())
                .await
                .map_err(|e| JsValue::from_str(&format!("adopting the household: {e}")))?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// Adopts the relay's list of recipes shared with this user (`GET /api/v1/shares/incoming`'s
    /// `recipes`, as JSON): shared recipes are marked, revoked ones leave the view.
    #[wasm_bindgen(js_name = useIncomingShares)]
    pub fn use_incoming_shares(&self, recipes_json: String) -> Result<(), JsError> {
        let shares: Vec<larder_core::store::IncomingShare> = serde_json::from_str(&recipes_json)
            .map_err(|e| JsError::new(&format!("not a list of shared recipes: {e}")))?;
        self.larder()?
            .adopt_incoming_shares(&shares)
            .map_err(|e| JsError::new(&format!("adopting the shared recipes: {e}")))
    }

    /// A recipe shared with this user that lists attachment `sha256` (to download another
    /// user's file through it), if any.
    #[wasm_bindgen(js_name = sharedRecipeWith)]
    pub fn shared_recipe_with(&self, sha256: String) -> Result<Option<String>, JsError> {
        self.store
            .shared_recipe_with_attachment(&sha256)
            .map_err(|e| error("looking up a shared recipe", e))
    }

    /// Uses the signed-in user's meal plan (the relay's document, already pulled into the repo)
    /// from now on, merging in the meals planned here until now.
    #[wasm_bindgen(js_name = useMealPlan)]
    pub fn use_meal_plan(&self, plan_id: String) -> Result<js_sys::Promise, JsError> {
        let larder = self.larder()?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            larder
                .use_meal_plan(&plan_id)
                .await
                .map_err(|e| JsValue::from_str(&format!("adopting the meal plan: {e}")))?;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// This device's random id (32 hex digits), minted once per database; the sync peer id is
    /// `{user id}.{device id}`.
    #[wasm_bindgen(js_name = deviceId)]
    pub fn device_id(&self) -> Result<String, JsError> {
        self.store.device_id().map_err(|e| error("device id", e))
    }

    /// The stored session (JSON: server, token, user_id, user_name, grocery_list_id), if any.
    #[wasm_bindgen(js_name = sessionLoad)]
    pub fn session_load(&self) -> Result<Option<String>, JsError> {
        self.store
            .meta_get(SESSION_META)
            .map_err(|e| error("reading the session", e))
    }

    /// Stores the session, and remembers its relay and user name for the sign-in form.
    #[wasm_bindgen(js_name = sessionSave)]
    pub fn session_save(&self, json: String) -> Result<(), JsError> {
        let last: LastSignIn = serde_json::from_str(&json)
            .map_err(|e| JsError::new(&format!("not a session: {e}")))?;
        self.store
            .meta_set(SESSION_META, &json)
            .and_then(|()| self.store.remember_sign_in(&last))
            .map_err(|e| error("saving the session", e))
    }

    /// Forgets the session, the change-feed cursor and the household (local data stays; the
    /// household's list leaves the view).
    #[wasm_bindgen(js_name = sessionForget)]
    pub fn session_forget(&self) -> Result<(), JsError> {
        self.store
            .meta_delete(SESSION_META)
            .and_then(|()| self.store.meta_delete(CURSOR_META))
            .and_then(|()| self.store.leave_household().map(|_| ()))
            .map_err(|e| error("forgetting the session", e))
    }

    /// Erases everything this device holds (documents, view, index, files, settings). The
    /// caller stops syncing first, so nothing writes meanwhile.
    #[wasm_bindgen(js_name = eraseAll)]
    pub fn erase_all(&self) -> Result<(), JsError> {
        if let Some(larder) = self.larder.borrow().as_ref() {
            larder.documents().forget_all();
        }
        self.store
            .erase_all()
            .map_err(|e| error("erasing this device's data", e))
    }

    /// Every document id with stored chunks.
    #[wasm_bindgen(js_name = documentIds)]
    pub fn document_ids(&self) -> Result<Vec<String>, JsError> {
        self.store
            .kv_document_ids()
            .map_err(|e| error("listing documents", e))
    }

    #[wasm_bindgen(js_name = kvLoad)]
    pub fn kv_load(&self, key: Vec<String>) -> Result<Option<Vec<u8>>, JsError> {
        self.store
            .kv_load(&key)
            .map_err(|e| error("storage load", e))
    }

    #[wasm_bindgen(js_name = kvSave)]
    pub fn kv_save(&self, key: Vec<String>, data: Vec<u8>) -> Result<(), JsError> {
        self.store
            .kv_put(&key, &data)
            .map_err(|e| error("storage save", e))
    }

    #[wasm_bindgen(js_name = kvRemove)]
    pub fn kv_remove(&self, key: Vec<String>) -> Result<(), JsError> {
        self.store
            .kv_delete(&key)
            .map_err(|e| error("storage remove", e))
    }

    /// `[{key, data}]` for every entry below `prefix`.
    #[wasm_bindgen(js_name = kvLoadRange)]
    pub fn kv_load_range(&self, prefix: Vec<String>) -> Result<js_sys::Array, JsError> {
        let entries = self
            .store
            .kv_load_range(&prefix)
            .map_err(|e| error("storage load", e))?;
        let out = js_sys::Array::new();
        for (key, data) in entries {
            let chunk = js_sys::Object::new();
            let key: js_sys::Array = key.into_iter().map(JsValue::from).collect();
            js_sys::Reflect::set(&chunk, &"key".into(), &key)
                .map_err(|_| JsError::new("building a chunk"))?;
            js_sys::Reflect::set(
                &chunk,
                &"data".into(),
                &js_sys::Uint8Array::from(data.as_slice()),
            )
            .map_err(|_| JsError::new("building a chunk"))?;
            out.push(&chunk);
        }
        Ok(out)
    }

    #[wasm_bindgen(js_name = kvRemoveRange)]
    pub fn kv_remove_range(&self, prefix: Vec<String>) -> Result<(), JsError> {
        let entries = self
            .store
            .kv_load_range(&prefix)
            .map_err(|e| error("storage remove", e))?;
        for (key, _) in entries {
            self.store
                .kv_delete(&key)
                .map_err(|e| error("storage remove", e))?;
        }
        Ok(())
    }
}
