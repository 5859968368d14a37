#!/usr/bin/env bash
# Builds web/ (wasm engine + Vite) and the native binaries the browser tests talk to, then runs
# the Chromium tests and a smoke run of the catch-up benchmark. Installs Debian's chromium when
# missing. Called by scripts/test.sh.
set -euo pipefail
WEB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$WEB")"
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium
fi
(cd "$ROOT" && cargo build --locked -p larder-cli -p larder-sync-server)
npm --prefix "$WEB" ci --no-audit --no-fund
npm --prefix "$WEB" run build
export LARDER_BIN_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
node --test "$WEB/tests/"
echo "==> new-device catch-up benchmark, smoke run (figures for README: node web/bench/catch-up.mjs with release binaries)"
node "$WEB/bench/catch-up.mjs" --recipes 30
