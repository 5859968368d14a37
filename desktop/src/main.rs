//! larder-desktop: the Tauri desktop app. Everything the UI can call comes from larder-shell (the
//! same command layer as the mobile app); this binary adds what only a desktop has: one instance
//! at a time (a second launch focuses the first window instead of opening the database twice)
//! and a window that remembers its size and position.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tauri::{Manager, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// How long the window must stay still before its size and position are saved.
const SAVE_WINDOW_AFTER: Duration = Duration::from_millis(500);

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
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .on_window_event(save_window_state_when_settled());
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

/// The window-state plugin saves on a clean exit; this also saves shortly after every resize or
/// move, so the size survives the app being killed (a crash, a logout, a test driver).
fn save_window_state_when_settled() -> impl Fn(&tauri::Window, &WindowEvent) + Send + Sync + 'static
{
    let generation = Arc::new(AtomicU64::new(0));
    move |window, event| {
        if !matches!(event, WindowEvent::Resized(_) | WindowEvent::Moved(_)) {
            return;
        }
        let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
        let generation = generation.clone();
        let app = window.app_handle().clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(SAVE_WINDOW_AFTER).await;
            // Only the last event of a drag saves.
            if generation.load(Ordering::SeqCst) == mine
                && let Err(err) = app.save_window_state(StateFlags::all())
            {
                tracing::warn!(%err, "could not save the window's size");
            }
        });
    }
}
