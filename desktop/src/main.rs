//! larder-desktop: the Tauri desktop app. Everything the UI can call comes from larder-shell (the
//! same command layer as the mobile app); this binary adds what only a desktop has: one instance
//! at a time (a second launch focuses the first window instead of opening the database twice)
//! and a window that remembers its size and position.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri::Manager;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LARDER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let builder = tauri::Builder::default()
        // First, so a second instance exits before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            focus_main_window(app)
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build());
    let app = match larder_shell::builder(builder).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(err) => {
            eprintln!("error: cannot start Larder: {err}");
            std::process::exit(1);
        }
    };
    larder_shell::run(app);
}

fn focus_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}
