//! Tauri's build step (config, capabilities, icons), after making sure there is a UI to embed.

include!("../shell/build_web_dist.rs");

fn main() {
    ensure_web_dist();
    tauri_build::build();
}
