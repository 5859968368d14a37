#!/usr/bin/env bash
# sync-bench/run.sh — the side-by-side sync benchmark in one command: installs what it needs
# (Node and the JS server's npm packages, idempotently), builds larder-server and the load
# generator in release mode, starts larder-server and the reference automerge-repo server
# (sync-bench/js) on free 127.0.0.1 ports with temporary data directories, runs the same
# workload against each, prints one table with ratios, and stops both servers on any exit.
#
# Usage: bash sync-bench/run.sh [--quick]     (QUICK=1 works too; short mode for CI)
#        BENCH_ARGS="--edits 500 --idle 5000" bash sync-bench/run.sh   (override counts)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
QUICK="${QUICK:-0}"
for arg in "$@"; do
    case "$arg" in
        --quick) QUICK=1 ;;
        -h | --help)
            sed -n '2,9p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            echo "unknown argument: $arg (try --help)" >&2
            exit 2
            ;;
    esac
done
MODE=()
if [ "$QUICK" = "1" ] || [ "$QUICK" = "true" ]; then MODE=(--quick); fi
# shellcheck disable=SC2206 # word splitting of the override flags is intended
EXTRA=(${BENCH_ARGS:-})

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- what it needs --------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "==> installing Node.js and npm (Debian packages)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
# npm ci only when the installed tree is missing or older than the lock file.
if [ ! -f "$HERE/js/node_modules/.package-lock.json" ] \
    || [ "$HERE/js/package-lock.json" -nt "$HERE/js/node_modules/.package-lock.json" ]; then
    echo "==> npm ci (sync-bench/js)"
    (cd "$HERE/js" && npm ci --no-audit --no-fund --loglevel=error)
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
echo "==> building larder-server and larder-sync-bench (release; target dir $CARGO_TARGET_DIR)"
build_start=$SECONDS
(cd "$ROOT" && cargo build --release --locked -p larder-sync-server -p larder-sync-bench)
echo "    built in $((SECONDS - build_start)) s"
BIN="$CARGO_TARGET_DIR/release"
BENCH="$BIN/larder-sync-bench"

# Every idle connection is a file descriptor in the generator and one in each server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "==> open files limit: $(ulimit -n)"

# --- servers --------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/larder-sync-bench.XXXXXX")"
LARDER_PID=""
JS_PID=""
stop_server() {
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    # Wait (bounded) for it to exit, then insist.
    timeout 15 tail --pid="$pid" -f /dev/null 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    local code=$?
    stop_server "$LARDER_PID"
    stop_server "$JS_PID"
    if [ "$code" -ne 0 ]; then
        for log in "$WORK/larder.log" "$WORK/js.log"; do
            if [ -s "$log" ]; then
                echo "--- last lines of $(basename "$log") ---" >&2
                tail -n 20 "$log" >&2
            fi
        done
    fi
    rm -rf "$WORK"
    exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LARDER_DATA="$WORK/larder-data"
mkdir -p "$LARDER_DATA"
# Cheap argon2 for the benchmark users: it only affects logins, which are not measured.
cat >"$LARDER_DATA/larder-server.toml" <<'TOML'
[password_hash]
memory_kib = 64
iterations = 1
parallelism = 1
TOML
PASSWORD="bench-password-not-secret"
echo "==> creating the benchmark users"
while read -r name; do
    printf '%s\n%s\n' "$PASSWORD" "$PASSWORD" |
        "$BIN/larder-server" --data "$LARDER_DATA" user add "$name" >/dev/null
done < <("$BENCH" users "${MODE[@]}" "${EXTRA[@]}")

LARDER_PORT="$("$BENCH" free-port)"
"$BIN/larder-server" --data "$LARDER_DATA" serve --bind "127.0.0.1:$LARDER_PORT" \
    >"$WORK/larder.log" 2>&1 &
LARDER_PID=$!
JS_PORT="$("$BENCH" free-port)"
while [ "$JS_PORT" = "$LARDER_PORT" ]; do JS_PORT="$("$BENCH" free-port)"; done
node "$HERE/js/server.mjs" "$JS_PORT" "$WORK/js-data" >"$WORK/js.log" 2>&1 &
JS_PID=$!
"$BENCH" wait-port "127.0.0.1:$LARDER_PORT" --pid "$LARDER_PID" --timeout-secs 60
"$BENCH" wait-port "127.0.0.1:$JS_PORT" --pid "$JS_PID" --timeout-secs 60
echo "==> larder-server (pid $LARDER_PID) on 127.0.0.1:$LARDER_PORT;" \
    "automerge-repo $(node -p 'require("'"$HERE"'/js/node_modules/@automerge/automerge-repo/package.json").version') on node $(node --version) (pid $JS_PID) on 127.0.0.1:$JS_PORT"

# --- the workload, against each ---------------------------------------------------------------
run_start=$SECONDS
echo "==> workload against larder-server"
"$BENCH" run --kind larder --url "http://127.0.0.1:$LARDER_PORT" --pid "$LARDER_PID" \
    --out "$WORK/larder.json" "${MODE[@]}" "${EXTRA[@]}"
echo "==> workload against the JS automerge-repo server"
"$BENCH" run --kind js --url "http://127.0.0.1:$JS_PORT" --pid "$JS_PID" \
    --out "$WORK/js.json" "${MODE[@]}" "${EXTRA[@]}"
echo "==> workloads took $((SECONDS - run_start)) s"
echo
status=0
"$BENCH" report "$WORK/larder.json" "$WORK/js.json" || status=$?
rejections="$(grep -c '^unhandled rejection' "$WORK/js.log" || true)"
if [ "${rejections:-0}" -gt 0 ]; then
    echo "note (js): the JS server logged $rejections unhandled promise rejections; first:"
    grep -m1 -A3 '^unhandled rejection' "$WORK/js.log"
fi
exit "$status"
