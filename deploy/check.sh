#!/usr/bin/env bash
# Checks deploy/ (see check.py): installs its Python tools into a cached venv, builds the relay,
# and runs the checks against it. Called by scripts/test.sh; web/dist must be built first.
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$DEPLOY")"
VENV="${LARDER_CACHE:-$HOME/.cache/larder}/deploy-venv"
if [ ! -x "$VENV/bin/kubernetes-validate" ] || ! "$VENV/bin/python" -c 'import dockerfile_parse, yaml' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    'kubernetes-validate==1.37.*' 'dockerfile-parse==2.*' 'PyYAML==6.*'
fi
(cd "$ROOT" && cargo build --locked -p larder-sync-server)
"$VENV/bin/python" "$DEPLOY/check.py" "${CARGO_TARGET_DIR:-$ROOT/target}/debug" "$ROOT/web/dist" \
  "$VENV/bin/kubernetes-validate"
