//! larder-shell: the one command layer of the Tauri shells. Both `larder-desktop` and
//! `larder-mobile` build their app with [`builder`] and so expose exactly the same thing to the
//! web UI: one command, `rpc`, taking larder-core's [`Request`] and answering its [`Response`]
//! or a typed [`RpcError`] (the same generated TypeScript types as the browser's worker), and
//! two events, [`CHANGE_EVENT`] (core's `ChangeEvent`) and [`SYNC_STATUS_EVENT`]
//! (`SyncStatusView`).
//!
//! - `profile`: where the profile lives (the OS app-data directory, or `LARDER_DESKTOP_DATA`)
//! - `shell`: the open profile, its background tasks, and the session operations
//! - `errors`: relay and engine failures as `RpcError`s a person can read
//! - `events`: event names and the emitter the tasks use
//! - `keep_awake`: the screen kept on for cook mode (the Linux desktop's screen saver inhibited)

mod errors;
mod events;
mod keep_awake;
mod profile;
mod shell;

use std::path::PathBuf;

use tauri::{Manager, Runtime};

pub use events::{CHANGE_EVENT, Emit, SYNC_STATUS_EVENT};
pub use larder_core::rpc::{Request, Response, RpcError, RpcErrorCode};
pub use profile::{DATA_DIR_ENV, profile_dir};
pub use shell::{Shell, ShellError};

/// Answers one request from the UI. Session and sync requests are the shell's own; everything
/// else runs in larder-core.
#[tauri::command]
async fn rpc(shell: tauri::State<'_, Shell>, request: Request) -> Result<Response, RpcError> {
    shell.handle(request).await
}

/// Adds the command layer to a Tauri builder: the `rpc` command, and a setup hook that opens the
/// profile in [`profile_dir`] with [`open_profile`]. It uses the builder's `setup` slot, so a
/// shell must not set its own.
pub fn builder<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .invoke_handler(tauri::generate_handler![rpc])
        .setup(|app| {
            let dir = profile_dir(app.handle())?;
            open_profile(app.handle(), dir)?;
            Ok(())
        })
}

/// Opens the profile in `dir`, starts syncing if a session is saved, and hands it to the app as
/// the state the `rpc` command uses. (The setup hook calls it; tests on the mock runtime, whose
/// event loop never runs setup, call it themselves.)
pub fn open_profile<R: Runtime>(app: &tauri::AppHandle<R>, dir: PathBuf) -> Result<(), ShellError> {
    tracing::info!(dir = %dir.display(), "opening the Larder profile");
    let emit = events::emitter(app.clone());
    let shell = tauri::async_runtime::block_on(Shell::open(dir, emit))?;
    app.manage(shell);
    Ok(())
}

/// Runs a built app until it exits, closing the profile cleanly (every document written, the
/// sync connection closed) on the way out.
pub fn run<R: Runtime>(app: tauri::App<R>) {
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(shell) = handle.try_state::<Shell>()
        {
            tauri::async_runtime::block_on(shell.close());
        }
    });
}
