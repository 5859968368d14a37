#!/usr/bin/env bash
# Tests of the Tauri shells. Installs what they need (idempotently): the WebKitGTK/GTK
# development packages, Xvfb, D-Bus and WebKitWebDriver from apt, tauri-driver (cargo, cached
# in ~/.cache/larder/tools), the Android target, and desktop/'s npm packages from its lockfile.
# Then: the command layer on Tauri's mock runtime, `cargo check` of the mobile shell for
# aarch64-linux-android, and the desktop app end to end under WebDriver.
# Called by scripts/test.sh (after web/test.sh, which builds web/dist; with
# LARDER_WORKSPACE_TESTED=1, since its `cargo test --workspace` already ran the shells' tests);
# runs on its own too.
set -euo pipefail
DESKTOP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$DESKTOP/../scripts/lib.sh"
cd "$LARDER_ROOT"
ensure_build_deps
ensure_node

TOOLS="${LARDER_TOOLS_DIR:-$HOME/.cache/larder/tools}"
TAURI_DRIVER_VERSION=2.1.0
export TAURI_DRIVER="$TOOLS/tauri-driver-$TAURI_DRIVER_VERSION/bin/tauri-driver"
if [ ! -x "$TAURI_DRIVER" ]; then
    echo "==> installing tauri-driver $TAURI_DRIVER_VERSION into $TOOLS"
    CARGO_TARGET_DIR="$TOOLS/target" cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" \
        --locked --root "$TOOLS/tauri-driver-$TAURI_DRIVER_VERSION"
fi

if [ -n "${LARDER_WORKSPACE_TESTED:-}" ]; then
    echo "==> command layer (larder-shell on Tauri's mock runtime) and larder-mobile: run by cargo test --workspace"
else
    echo "==> command layer on Tauri's mock runtime (larder-shell), mobile shell on the host"
    cargo test --locked -p larder-shell -p larder-mobile
fi

echo "==> larder-mobile for Android: cargo check --target aarch64-linux-android"
bash "$DESKTOP/../mobile/check-android.sh"

echo "==> desktop app end to end: tauri-driver + WebKitWebDriver under Xvfb, a relay, the CLI"
if [ ! -f web/dist/index.html ] || grep -q "has not been built" web/dist/index.html; then
    build_web
fi
# Two builds, not one: the CLI and relay exactly as web/test.sh builds them (so that is a
# no-op there), and the app on its own.
cargo build --locked -p larder-cli -p larder-sync-server
cargo build --locked -p larder-desktop
npm --prefix "$DESKTOP" ci --no-audit --no-fund --loglevel=error
export LARDER_BIN_DIR="$CARGO_TARGET_DIR/debug"
xvfb-run --auto-servernum --server-args="-screen 0 1280x900x24" \
    dbus-run-session -- node --test "$DESKTOP/tests/e2e/"
