//! The open profile and what runs beside it. [`Shell`] owns the `Larder<SamodStore>` opened in
//! the profile directory and, while it is open, three tasks: one refreshes the view when samod
//! changes a document (sync), one forwards change events to the UI, and, while signed in, the
//! sync engine (started on open with a saved session and after sign-in, stopped on sign-out).
//! Every request goes to core's `rpc::dispatch_with`; what only a shell can do (sign-in/out,
//! session, sync status, a page or an attachment from the relay, the plan's calendar feed,
//! keeping the screen on) it supplies through `rpc::Shell` (`native_rpc`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use larder_core::docstore::SamodStore;
use larder_core::rpc::{
    Request, Response, RpcError, RpcErrorCode, SessionView, SyncStateView, SyncStatusView,
    dispatch_with,
};
use larder_core::sync::{self, SyncEngine, SyncStatus};
use larder_core::{Larder, LarderError};
use tokio::sync::{RwLock, oneshot, watch};
use tokio::task::JoinHandle;

use crate::errors;
use crate::events::{CHANGE_EVENT, Emit, SYNC_STATUS_EVENT};
use crate::keep_awake::KeepAwake;

mod native_rpc;

/// How long closing waits for the sync engine to hang up before abandoning it.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    #[error("cannot open the Larder profile in {dir}: {source}")]
    Open { dir: PathBuf, source: LarderError },
}

/// The Tauri state: the profile and its tasks. Cheap to clone (one shared inside).
#[derive(Clone)]
pub struct Shell {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    emit: Emit,
    /// `None` once the app has closed the profile.
    open: RwLock<Option<Open>>,
    /// Cook mode's hold on the screen saver.
    keep_awake: KeepAwake,
}

struct Open {
    larder: Arc<Larder<SamodStore>>,
    /// View refreshes and change-event forwarding.
    tasks: Vec<JoinHandle<()>>,
    sync: Option<SyncTask>,
}

struct SyncTask {
    stop: oneshot::Sender<()>,
    engine: JoinHandle<()>,
    status: watch::Receiver<SyncStatus>,
    forward: JoinHandle<()>,
}

impl Shell {
    /// Opens the profile in `dir` and, if a session is saved, starts syncing.
    pub async fn open(dir: PathBuf, emit: Emit) -> Result<Shell, ShellError> {
        let open = open_profile(&dir, &emit).await?;
        Ok(Shell {
            inner: Arc::new(Inner {
                dir,
                emit,
                open: RwLock::new(Some(open)),
                keep_awake: KeepAwake::default(),
            }),
        })
    }

    /// The engine, for callers inside the app (and tests).
    pub async fn larder(&self) -> Option<Arc<Larder<SamodStore>>> {
        self.inner
            .open
            .read()
            .await
            .as_ref()
            .map(|o| o.larder.clone())
    }

    /// Answers one request.
    pub async fn handle(&self, request: Request) -> Result<Response, RpcError> {
        let inner = self.inner.clone();
        off_runtime(move || async move { inner.handle(request).await })
            .await
            .unwrap_or_else(|err| {
                Err(RpcError::new(
                    RpcErrorCode::Internal,
                    format!("the request failed: {err}"),
                ))
            })
    }

    /// Stops syncing and closes the profile (every document written). Later requests fail
    /// with "the app is closing".
    pub async fn close(&self) {
        let inner = self.inner.clone();
        let closed = off_runtime(move || async move {
            if let Some(open) = inner.open.write().await.take() {
                close_profile(open).await;
            }
        });
        if let Err(err) = closed.await {
            tracing::warn!(%err, "closing the profile failed");
        }
    }
}

/// Runs a future that is not `Send` on a blocking-pool thread that drives it with the runtime's
/// handle (timers and sockets still run on the runtime). Tauri commands and `tokio::spawn` need
/// `Send`, and core's `dispatch` is not (bulk import boxes non-`Send` futures, so the same code
/// runs in wasm), nor, as far as rustc can prove, is `SyncEngine::run` (a higher-ranked
/// lifetime in its change-feed filter: "implementation of `FnOnce` is not general enough").
fn off_runtime<F, Fut, T>(make: F) -> JoinHandle<T>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
    T: Send + 'static,
{
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(make()))
}

impl Inner {
    /// Every request goes through core's one dispatcher; what it needs of this shell is
    /// `native_rpc`'s `rpc::Shell` impl.
    async fn handle(&self, request: Request) -> Result<Response, RpcError> {
        dispatch_with(self, request).await
    }

    async fn session(&self) -> Result<Option<SessionView>, RpcError> {
        let open = self.open.read().await;
        let open = open.as_ref().ok_or_else(errors::closing)?;
        let session = sync::session(open.larder.store()).map_err(errors::store)?;
        Ok(session.map(|s| SessionView {
            server: s.server,
            user_id: s.user_id,
            user_name: s.user_name,
        }))
    }

    async fn sync_status(&self) -> Result<SyncStatusView, RpcError> {
        let open = self.open.read().await;
        let open = open.as_ref().ok_or_else(errors::closing)?;
        // Not connected, the engine's count is the one from when it lost the relay: edits made
        // since change no state, so count them now. Connected, the engine's count stands (it
        // recounts after every push).
        let pending = || -> Result<u32, RpcError> {
            let docs = open
                .larder
                .store()
                .waiting_doc_count()
                .map_err(errors::store)?;
            Ok(u32::try_from(docs).unwrap_or(u32::MAX))
        };
        let view = match &open.sync {
            Some(task) => {
                let mut view = SyncStatusView::from(&*task.status.borrow());
                if matches!(
                    view.state,
                    SyncStateView::Offline | SyncStateView::Connecting
                ) {
                    view.pending = pending()?;
                }
                view
            }
            None => {
                let signed_in = sync::session(open.larder.store())
                    .map_err(errors::store)?
                    .is_some();
                SyncStatusView {
                    state: if signed_in {
                        SyncStateView::Offline
                    } else {
                        SyncStateView::SignedOut
                    },
                    pending: pending()?,
                    last_error: None,
                    progress: None,
                }
            }
        };
        Ok(view)
    }

    /// Signs in, then reopens the profile (its document store must announce the user's peer
    /// id) and starts syncing.
    async fn sign_in(
        &self,
        server: &str,
        username: &str,
        password: &str,
    ) -> Result<SessionView, RpcError> {
        let mut guard = self.open.write().await;
        let open = guard.as_mut().ok_or_else(errors::closing)?;
        if let Some(task) = open.sync.take() {
            stop_sync(task).await;
        }
        let result = sync::login(open.larder.store(), server, username, password).await;
        if result.is_err() {
            // Refused: carry on as before (syncing again if a session was saved).
            open.sync = start_sync(&open.larder, &self.emit);
        } else if let Some(open) = guard.take() {
            close_profile(open).await;
            let reopened = open_profile(&self.dir, &self.emit)
                .await
                .map_err(|e| RpcError::new(RpcErrorCode::Storage, e.to_string()))?;
            *guard = Some(reopened);
        }
        let session = result.map_err(errors::relay)?;
        tracing::info!(user = %session.user_name, server = %session.server, "signed in");
        Ok(SessionView {
            server: session.server,
            user_id: session.user_id,
            user_name: session.user_name,
        })
    }

    /// Stops syncing, revokes the session (best effort offline) and, if asked, deletes the
    /// profile's data.
    async fn sign_out(&self, remove_data: bool) -> Result<(), RpcError> {
        let mut guard = self.open.write().await;
        let open = guard.as_mut().ok_or_else(errors::closing)?;
        if let Some(task) = open.sync.take() {
            stop_sync(task).await;
        }
        let revoked = sync::logout(open.larder.store())
            .await
            .map_err(errors::relay)?;
        tracing::info!(revoked, "signed out");
        (self.emit)(
            SYNC_STATUS_EVENT,
            json(&SyncStatusView {
                state: SyncStateView::SignedOut,
                pending: 0,
                last_error: None,
                progress: None,
            }),
        );
        if remove_data {
            let open = guard.take().ok_or_else(errors::closing)?;
            close_profile(open).await;
            let removed = remove_database(&self.dir);
            let reopened = open_profile(&self.dir, &self.emit)
                .await
                .map_err(|e| RpcError::new(RpcErrorCode::Storage, e.to_string()))?;
            *guard = Some(reopened);
            removed?;
        }
        Ok(())
    }
}

/// Opens the engine, starts its tasks and, with a saved session, the sync engine.
async fn open_profile(dir: &std::path::Path, emit: &Emit) -> Result<Open, ShellError> {
    let larder = larder_core::profile::open(dir)
        .await
        .map_err(|source| ShellError::Open {
            dir: dir.to_owned(),
            source,
        })?;
    let larder = Arc::new(larder);
    let mut tasks = Vec::new();
    if let Some(changed) = larder.documents().changed_documents() {
        let larder = larder.clone();
        tasks.push(tokio::spawn(
            async move { larder.follow_changes(changed).await },
        ));
    }
    let mut changes = larder.subscribe();
    let emit_change = emit.clone();
    tasks.push(tokio::spawn(async move {
        while let Some(event) = changes.next().await {
            emit_change(CHANGE_EVENT, json(&event));
        }
    }));
    let sync = start_sync(&larder, emit);
    Ok(Open {
        larder,
        tasks,
        sync,
    })
}

/// Starts the sync engine if the profile is signed in.
fn start_sync(larder: &Arc<Larder<SamodStore>>, emit: &Emit) -> Option<SyncTask> {
    let engine = match SyncEngine::new(larder.clone()) {
        Ok(engine) => engine,
        Err(sync::SyncError::NotSignedIn) => return None,
        Err(err) => {
            tracing::warn!(%err, "cannot start syncing");
            return None;
        }
    };
    let mut status = engine.status();
    let (stop, stopped) = oneshot::channel::<()>();
    let engine = off_runtime(move || async move {
        let result = engine
            .run(async {
                let _ = stopped.await;
            })
            .await;
        match result {
            Ok(()) => tracing::info!("sync stopped"),
            Err(err) => tracing::warn!(%err, "sync ended"),
        }
    });
    let emit = emit.clone();
    let watched = status.clone();
    let forward = tokio::spawn(async move {
        while status.changed().await.is_ok() {
            let view = SyncStatusView::from(&*status.borrow_and_update());
            emit(SYNC_STATUS_EVENT, json(&view));
        }
    });
    Some(SyncTask {
        stop,
        engine,
        status: watched,
        forward,
    })
}

async fn stop_sync(task: SyncTask) {
    let _ = task.stop.send(());
    if tokio::time::timeout(STOP_TIMEOUT, task.engine)
        .await
        .is_err()
    {
        // It runs on a blocking thread, which cannot be aborted; it ends with the process.
        tracing::warn!("the sync engine did not stop in time; abandoning it");
    }
    task.forward.abort();
    let _ = task.forward.await;
}

/// Stops everything and closes the engine so every document write reaches the database.
async fn close_profile(open: Open) {
    let Open {
        larder,
        tasks,
        sync,
    } = open;
    if let Some(task) = sync {
        stop_sync(task).await;
    }
    for task in tasks {
        task.abort();
        let _ = task.await;
    }
    match Arc::try_unwrap(larder) {
        Ok(larder) => {
            if let Err(err) = larder.close().await {
                tracing::warn!(%err, "closing the profile failed");
            }
        }
        Err(larder) => {
            // Something still holds the engine (a request in flight): stop its document store
            // so writes are flushed; the rest goes when the last holder does.
            larder.documents().stop().await;
        }
    }
}

/// Deletes the profile database files (after sign-out with `remove_data`).
fn remove_database(dir: &std::path::Path) -> Result<(), RpcError> {
    let db = larder_core::profile::database_path(dir);
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(RpcError::new(
                    RpcErrorCode::Storage,
                    format!("cannot remove {}: {err}", path.display()),
                ));
            }
        }
    }
    Ok(())
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
