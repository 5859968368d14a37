#!/usr/bin/env bash
# Builds larder-core for the browser: the larder-web-engine crate for wasm32-unknown-unknown
# (release), then wasm-bindgen's JS glue into web/src/engine-pkg/. The wasm-bindgen CLI must be
# exactly the version of the wasm-bindgen crate in Cargo.lock; it is installed once into
# ${LARDER_TOOLS_DIR:-~/.cache/larder/tools}/wasm-bindgen-VERSION. No wasm-opt: Debian's binaryen
# corrupts the output.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TOOLS="${LARDER_TOOLS_DIR:-$HOME/.cache/larder/tools}"

VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")"
[ -n "$VERSION" ] || { echo "wasm-bindgen is not in Cargo.lock" >&2; exit 1; }
BINDGEN="$TOOLS/wasm-bindgen-$VERSION/bin/wasm-bindgen"
if [ ! -x "$BINDGEN" ] || [ "$("$BINDGEN" --version | awk '{print $2}')" != "$VERSION" ]; then
  echo "installing wasm-bindgen-cli $VERSION into $TOOLS" >&2
  install=(cargo install wasm-bindgen-cli --version "$VERSION" --root "$TOOLS/wasm-bindgen-$VERSION" --force)
  # --locked first; its lockfile can name crate versions a registry mirror lacks.
  CARGO_TARGET_DIR="$TOOLS/target" "${install[@]}" --locked || CARGO_TARGET_DIR="$TOOLS/target" "${install[@]}"
fi

rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
(cd "$ROOT" && cargo build --release --locked --target wasm32-unknown-unknown -p larder-web-engine)
"$BINDGEN" --target web --out-dir "$ROOT/web/src/engine-pkg" \
  "$TARGET_DIR/wasm32-unknown-unknown/release/larder_web_engine.wasm"
