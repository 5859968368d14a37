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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_is_configured_as_larder() {
        let context = context();
        let config = context.config();
        assert_eq!(config.identifier, "org.larder.app");
        assert_eq!(config.product_name.as_deref(), Some("Larder"));
        let window = &config.app.windows[0];
        assert_eq!(
            (window.label.as_str(), window.title.as_str()),
            ("main", "Larder")
        );
    }

    #[test]
    fn the_ui_may_only_call_rpc_and_listen() {
        let capabilities: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
        assert_eq!(
            capabilities["permissions"],
            serde_json::json!(["core:event:allow-listen", "core:event:allow-unlisten"])
        );
    }
}
