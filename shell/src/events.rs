//! The events the shell sends the UI, and the emitter its background tasks hold (a plain
//! function, so the state does not depend on the Tauri runtime type).

use std::sync::Arc;

use tauri::{Emitter, Runtime};

/// Carries larder-core's `ChangeEvent` (a recipe changed or was deleted, the grocery list
/// changed), for local writes and synced changes alike.
pub const CHANGE_EVENT: &str = "larder://change";
/// Carries a `SyncStatusView` whenever the sync state changes.
pub const SYNC_STATUS_EVENT: &str = "larder://sync-status";

/// Sends one event with a JSON payload to every webview.
pub type Emit = Arc<dyn Fn(&'static str, serde_json::Value) + Send + Sync>;

/// An emitter that sends through the app.
pub fn emitter<R: Runtime>(app: tauri::AppHandle<R>) -> Emit {
    Arc::new(move |name, payload| {
        if let Err(err) = app.emit(name, payload) {
            tracing::warn!(%err, name, "could not send an event to the UI");
        }
    })
}
