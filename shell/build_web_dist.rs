// Shared by desktop/build.rs and mobile/build.rs (included, since a build script cannot use a
// workspace crate without building it for the host too): both apps embed web/'s Vite build from
// ../web/dist; when it has not been built (a workspace `cargo check` or `cargo test` on a fresh
// clone), a one-page stand-in is put there so the crate still builds, and the app says how to
// build the real UI.

const PLACEHOLDER: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Larder</title></head>\
<body><p>The Larder UI has not been built. Run <code>npm --prefix web run build</code>, then \
rebuild the app.</p></body></html>\n";

fn ensure_web_dist() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist");
    if !dist.join("index.html").exists() {
        println!(
            "cargo:warning=web/dist is missing: embedding a placeholder page (run `npm --prefix web run build`)"
        );
        std::fs::create_dir_all(&dist).expect("create web/dist");
        std::fs::write(dist.join("index.html"), PLACEHOLDER).expect("write placeholder");
    }
    println!("cargo:rerun-if-changed=../web/dist");
    println!("cargo:rerun-if-changed=../shell/build_web_dist.rs");
}
