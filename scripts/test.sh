#!/usr/bin/env bash
# Runs every check and test of Larder: formatting, clippy (native and wasm), the wasm build of
# larder-core, all unit/integration/property tests, and quick runs of the benchmarks.
# Installs what it needs first. Usage: bash scripts/test.sh

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LARDER_ROOT"
ensure_build_deps

echo "==> cargo fmt --check"
cargo fmt --all -- --check

echo "==> clippy (native, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "==> larder-core for wasm32-unknown-unknown (no default features)"
cargo check -p larder-core --target wasm32-unknown-unknown --no-default-features --locked
cargo clippy -p larder-core --target wasm32-unknown-unknown --no-default-features --locked -- -D warnings

echo "==> npm ci for the relay's JS conformance client (sync-server/tests/js; its Rust tests need it)"
ensure_node
npm --prefix sync-server/tests/js ci --no-audit --no-fund --loglevel=error

echo "==> tests"
cargo test --workspace --locked

echo "==> the TypeScript types generated from Rust are current"
cargo test -p larder-core --features ts --test ts_bindings --locked

echo "==> web app in real Chromium (wasm engine in a worker, OPFS, sync with a CLI profile through the relay)"
ensure_node
bash web/test.sh

echo "==> desktop and mobile shells: command layer, Android check, desktop app end to end (WebDriver)"
LARDER_WORKSPACE_TESTED=1 bash desktop/test.sh

echo "==> API fuzz from the OpenAPI document (schemathesis): no 5xx"
ensure_apt_packages python3-venv
bash sync-server/fuzz/run.sh

echo "==> deploy/: Kubernetes manifests valid, the image's environment serves, the backup job works"
bash deploy/check.sh

if [ -d bench ]; then
    echo "==> benchmark smoke run (figures for README come from a full run: cargo run --release -p larder-bench)"
    cargo run --release --locked -p larder-bench -- --quick
fi

echo "==> relay benchmark, quick mode: larder-server vs the JS automerge-repo server (figures for README come from bash sync-bench/run.sh)"
bash sync-bench/run.sh --quick
