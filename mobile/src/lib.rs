//! larder-mobile: the Tauri mobile app (Android, iOS). It is only an entry point: the commands,
//! events, profile handling and background sync are larder-shell's, exactly as on the desktop,
//! and the UI is web/'s build, laid out for a phone by its CSS.

/// The app's compiled-in configuration (tauri.conf.json, capabilities, the embedded UI).
pub fn context() -> tauri::Context {
    tauri::generate_context!()
}

/// Starts the app: the platform calls this through the generated mobile entry point; on a
/// desktop host it opens the same app in a window (useful to try the phone layout).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    match larder_shell::builder(tauri::Builder::default()).build(context()) {
        Ok(app) => larder_shell::run(app),
        Err(err) => tracing::error!(%err, "cannot start Larder"),
    }
}
