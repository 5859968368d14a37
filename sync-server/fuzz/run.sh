#!/usr/bin/env bash
# Schema-driven fuzz of the relay's HTTP API: schemathesis (from PyPI, in a venv under
# ~/.cache/larder, installed once) generates requests from the OpenAPI document the relay
# serves and fails on any 5xx. Starts its own relay on 127.0.0.1 with a throwaway data
# directory and user; bounded in time (FUZZ_MAX_TIME seconds, default 120).
#
#   sync-server/fuzz/run.sh            # exit 0: no 5xx found; non-zero otherwise
#
# Not fuzzed: DELETE /api/v1/session (it would sign the fuzzer out; covered by tests/api.rs)
# and GET /api/v1/changes/live (an endless event stream; its parameters are parsed like
# /api/v1/changes, which is fuzzed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${LARDER_CACHE:-$HOME/.cache/larder}
VENV=$CACHE/schemathesis-venv
SCHEMATHESIS='schemathesis>=4.32,<5'
MAX_TIME=${FUZZ_MAX_TIME:-120}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-100}

for tool in python3 curl cargo; do
    command -v "$tool" >/dev/null || { echo "fuzz: needs $tool" >&2; exit 2; }
done
if ! "$VENV/bin/st" --version >/dev/null 2>&1; then
    python3 -c 'import venv, ensurepip' 2>/dev/null ||
        { echo "fuzz: needs Python's venv module (Debian: apt-get install python3-venv)" >&2; exit 2; }
    rm -rf "$VENV"
    echo "fuzz: installing $SCHEMATHESIS into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$SCHEMATHESIS"
fi

cargo build --quiet -p larder-sync-server --bin larder-server --manifest-path "$ROOT/Cargo.toml"
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/debug/larder-server

WORK=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ]; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# Cheap password hashing: the fuzzer logs in a lot.
cat >"$WORK/larder-server.toml" <<'TOML'
[password_hash]
memory_kib = 64
iterations = 1
parallelism = 1
TOML
relay() { "$BIN" --data "$WORK/data" --config "$WORK/larder-server.toml" "$@"; }

PASSWORD='fuzz-password-1'
printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" | relay user add fuzzer >/dev/null

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
# The binary itself in the background (not the shell function), so $PID is the relay's.
LARDER_LOG=${LARDER_LOG:-warn} "$BIN" --data "$WORK/data" --config "$WORK/larder-server.toml" \
    serve --bind "127.0.0.1:$PORT" 2>"$WORK/relay.log" </dev/null >/dev/null &
PID=$!

for _ in $(seq 1 200); do
    curl -sf "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/relay.log" >&2; exit 1; }
    sleep 0.05
done

TOKEN=$(curl -sf -X POST -H 'content-type: application/json' \
    -d "{\"username\":\"fuzzer\",\"password\":\"$PASSWORD\"}" "$BASE/api/v1/session" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

status=0
# schemathesis keeps a cache in the working directory: keep it in the throwaway one. The
# hooks (fuzz/hooks.py) draw the bulk upload's bodies.
cd "$WORK"
PYTHONPATH="$ROOT/sync-server/fuzz${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=hooks \
"$VENV/bin/st" run "$BASE/api/v1/openapi.json" \
    --url "$BASE" \
    --checks not_a_server_error \
    --header "Authorization: Bearer $TOKEN" \
    --exclude-operation-id logout \
    --exclude-operation-id live \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --request-timeout 10 \
    --report-dir "$WORK/reports" \
    --no-color || status=$?

if grep -q 'panicked\|internal error' "$WORK/relay.log"; then
    echo "fuzz: the relay logged internal errors:" >&2
    grep 'panicked\|internal error' "$WORK/relay.log" >&2
    status=1
fi
exit "$status"
