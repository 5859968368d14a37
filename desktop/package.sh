#!/usr/bin/env bash
# Builds the desktop app's Linux packages, .deb and .rpm, with the Tauri CLI from npm
# (desktop/package-lock.json): builds web/dist if needed, then a release build of
# larder-desktop, bundled. Output: $CARGO_TARGET_DIR/release/bundle/{deb,rpm}/. Not part of
# the test run (a release build takes a long time on a small machine). AppImage is not built:
# its tooling is downloaded at bundle time, which this setup does not allow.
set -euo pipefail
DESKTOP="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$DESKTOP/../scripts/lib.sh"
cd "$LARDER_ROOT"
ensure_build_deps
ensure_node
if [ ! -f web/dist/index.html ] || grep -q "has not been built" web/dist/index.html; then
    build_web
fi
npm --prefix "$DESKTOP" ci --no-audit --no-fund --loglevel=error
(cd "$DESKTOP" && npx tauri build --bundles deb,rpm)
ls -l "$CARGO_TARGET_DIR"/release/bundle/deb/*.deb "$CARGO_TARGET_DIR"/release/bundle/rpm/*.rpm
