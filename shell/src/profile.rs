//! Where the app keeps its profile: the OS app-data directory (e.g.
//! `~/.local/share/org.larder.desktop` on Linux, the app's sandbox on Android/iOS), or the
//! directory named by `LARDER_DESKTOP_DATA` (tests, several profiles side by side).

use std::path::PathBuf;

use tauri::{Manager, Runtime};

/// Overrides the profile directory.
pub const DATA_DIR_ENV: &str = "LARDER_DESKTOP_DATA";

/// The profile directory for this app.
pub fn profile_dir<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<PathBuf> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => Ok(app.path().app_data_dir()?.join("profile")),
    }
}
