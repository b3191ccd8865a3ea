#!/usr/bin/env bash
# The end-to-end demo: build liblfm and the mock server, start the mock on loopback, run the
# C examples against it over HTTPS, take the server away and bring it back to show the
# offline queue, and stop the mock by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE_DIR="${CARGO_TARGET_DIR:-target}/release"
# liblfm.so, liblfm.so.0 and liblfm.a: links capi/build.rs makes to liblfm_capi.*.
LIB_DIR="$PROFILE_DIR/c-lib"
echo "== building liblfm and lfm-mock (release)"
cargo build --release -q -p lfm-capi -p lfm-mock

BUILD=target/demo
mkdir -p "$BUILD"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude)
LINK=(-L"$LIB_DIR" -Wl,-rpath,"$(cd "$LIB_DIR" && pwd)" -llfm -lpthread)
for example in sign session offline player; do
  cc "${CFLAGS[@]}" "examples-c/$example.c" -o "$BUILD/$example" "${LINK[@]}"
done

WORK=$(mktemp -d)
# lfm_mock_start DIR / lfm_mock_stop: start the mock, export LFM_BASE_URL, LFM_CA_FILE and
# the mock account's credentials; stop it by its pid.
export LFM_MOCK_BIN="$PROFILE_DIR/lfm-mock" LFM_MOCK_LIFETIME_SECS=300
source scripts/mock-env.sh --functions-only
trap 'lfm_mock_stop; rm -rf "$WORK"' EXIT

start_mock() {
  lfm_mock_start "$WORK/mock-$1"
  echo "== mock server: $(head -n 1 "$LFM_MOCK_DIR/ready") (pid $LFM_MOCK_PID)"
}

start_mock 1
echo "== examples-c/sign"
"$BUILD/sign"
echo "== examples-c/session"
"$BUILD/session"
echo "== examples-c/player: a simulated player scrobbling through lfm_scrobbler (20 minutes in a second)"
"$BUILD/player" "$WORK/player.lfmq"

echo "== the server goes away (pid $LFM_MOCK_PID stopped); the player keeps playing"
lfm_mock_stop
LFM_SESSION_KEY=a-session-key-saved-at-an-earlier-login "$BUILD/offline" queue "$WORK/plays.lfmq"

echo "== the server comes back"
start_mock 2
"$BUILD/offline" flush "$WORK/plays.lfmq"
echo "== demo finished; stopping the mock (pid $LFM_MOCK_PID)"
