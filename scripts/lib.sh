# Shared set-up for Larder's scripts: installs what the build needs, idempotently, on a fresh
# Debian/Ubuntu machine (root or sudo). Sourced by scripts/test.sh and scripts/run.sh.

set -euo pipefail

LARDER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# One target directory shared by every clone and run on this machine: a re-run compiles only
# what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/larder/target}"
# Incremental artefacts only help an editing loop; in a shared target directory they pile up
# (tens of GiB across runs).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages the build needs: a C compiler for SQLite, clang for SQLite in wasm.
ensure_apt_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "==> installing ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1; then
        if [ -x "$HOME/.cargo/bin/cargo" ]; then
            export PATH="$HOME/.cargo/bin:$PATH"
        else
            echo "==> installing the Rust toolchain (rustup, from Debian)"
            ensure_apt_packages rustup
            rustup default stable
            export PATH="$HOME/.cargo/bin:$PATH"
        fi
    fi
    if command -v rustup >/dev/null 2>&1; then
        rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
        rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
        rustup target list --installed | grep -q '^wasm32-unknown-unknown$' \
            || rustup target add wasm32-unknown-unknown
    fi
}

# What the Tauri shells (desktop/, mobile/) link against (WebKitGTK, GTK, libsoup, …) and what
# their end-to-end test runs in (a virtual X server, a D-Bus session, WebKitGTK's WebDriver).
# Part of the build deps: `cargo clippy/test --workspace` builds the shells.
TAURI_APT_PACKAGES=(
    libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
    librsvg2-dev libayatana-appindicator3-dev libxdo-dev xvfb xauth dbus webkit2gtk-driver
)

ensure_build_deps() {
    ensure_apt_packages build-essential clang pkg-config curl "${TAURI_APT_PACKAGES[@]}"
    ensure_rust
}

# Node and npm for web/ (the UI, the wasm worker's JS side) and the relay benchmark's JS server.
ensure_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        ensure_apt_packages nodejs npm
    fi
}

# Builds web/dist: the wasm engine (wasm-bindgen pinned to Cargo.lock's version) and the Vite app.
build_web() {
    ensure_node
    echo "==> building the web app (web/dist)"
    npm --prefix "$LARDER_ROOT/web" ci --no-audit --no-fund --loglevel=error
    npm --prefix "$LARDER_ROOT/web" run build
}
