#!/usr/bin/env bash
# `cargo check -p larder-mobile --target aarch64-linux-android` without the Android NDK.
#
# A check compiles every Rust crate for the target (metadata only, nothing is linked), but it
# also runs build scripts, and two of them compile C for the target: libsqlite3-sys (SQLite,
# bundled) and ring. Without the NDK, cc-rs finds no `aarch64-linux-android-clang`. Here the C
# is compiled by Debian's clang for `aarch64-linux-android` against the aarch64 glibc headers of
# `libc6-dev-arm64-cross` (the NDK's Bionic headers are not packaged by Debian). Those objects
# are only archived, never linked into anything and never shipped: this checks the Rust of the
# mobile shell for Android (cfg(mobile), the JNI entry point, wry's Android backend), not
# Android's C toolchain. A real APK needs the NDK (see README, "Desktop and mobile apps").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$LARDER_ROOT"
ensure_apt_packages clang llvm libc6-dev-arm64-cross
rustup target list --installed | grep -qx aarch64-linux-android || rustup target add aarch64-linux-android

# The Android package name Tauri derives from the identifier org.larder.app (mobile/tauri.conf.json).
export TAURI_ANDROID_PACKAGE_NAME_PREFIX=org_larder
export TAURI_ANDROID_PACKAGE_NAME_APP_NAME=app
export CC_aarch64_linux_android=clang
export AR_aarch64_linux_android=llvm-ar
export CFLAGS_aarch64_linux_android="-isystem /usr/aarch64-linux-gnu/include"
cargo check --locked -p larder-mobile --target aarch64-linux-android
