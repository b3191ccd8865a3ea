#!/usr/bin/env bash
# ensure-cargo-c.sh: make `cargo cinstall` available (cargo-c builds and installs the C library:
# SONAME, liblfm.a, lfm.pc, the header). Skips when it already runs; otherwise installs the
# pinned version from crates.io with `cargo install --locked`, which compiles cargo itself
# (several minutes on 2 cores; once per machine, into ~/.cargo/bin).
#
# Pinned: cargo-c 0.10.24 is the newest release that builds with Rust 1.95 (0.10.26 needs
# 1.97). Debian's apt package (0.9.14) cannot read this Cargo.lock (lock file version 4).
set -euo pipefail
CARGO_C_VERSION=${CARGO_C_VERSION:-0.10.24}
if cargo cinstall --version >/dev/null 2>&1; then
  exit 0
fi
# cargo (which cargo-c builds on) links OpenSSL through openssl-sys: it needs the headers and
# pkg-config (both on this project's machine image; installed here when missing).
if ! { command -v pkg-config >/dev/null && pkg-config --exists openssl; }; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config
fi
echo "ensure-cargo-c: installing cargo-c $CARGO_C_VERSION (cargo install --locked; takes minutes)" >&2
cargo install cargo-c --version "$CARGO_C_VERSION" --locked
