#!/usr/bin/env bash
# Builds and starts Larder: the relay on its embedded store (data in ./larder-data, or
# $LARDER_DATA), serving the web app (web/dist) at its address. The first run creates a user and prints how to sign in.
# Usage: bash scripts/run.sh   (LARDER_BIND=0.0.0.0:8080 to listen beyond this machine;
# LARDER_USER=name to choose the first user's name)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LARDER_ROOT"
ensure_build_deps

echo "==> building larder-server and larder (release)"
cargo build --release --locked -p larder-sync-server -p larder-cli
build_web
BIN="$CARGO_TARGET_DIR/release"
DATA="${LARDER_DATA:-$LARDER_ROOT/larder-data}"
BIND="${LARDER_BIND:-127.0.0.1:8080}"
mkdir -p "$DATA"

users="$("$BIN/larder-server" --data "$DATA" user list --json)"
if [ "$(printf '%s' "$users" | tr -d ' \n')" = "[]" ]; then
    name="${LARDER_USER:-family}"
    password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
    printf '%s\n%s\n' "$password" "$password" | "$BIN/larder-server" --data "$DATA" user add "$name"
    umask 077
    printf 'user: %s\npassword: %s\n' "$name" "$password" > "$DATA/first-user.txt"
    cat <<MSG

  Larder created the first user.
    user:     $name
    password: $password      (also saved in $DATA/first-user.txt)

  Open http://$BIND in a browser and sign in with these (the app keeps working offline),
  or from this machine's CLI:
    LARDER_PASSWORD='$password' $BIN/larder login --server http://$BIND --user $name
    $BIN/larder sync
  More users: $BIN/larder-server --data "$DATA" user add NAME   (with the relay stopped)

MSG
fi

echo "==> Larder on http://$BIND (the web app and the relay; data in $DATA; Ctrl-C stops it)"
exec "$BIN/larder-server" --data "$DATA" serve --bind "$BIND" --web "$LARDER_ROOT/web/dist"
