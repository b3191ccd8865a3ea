#!/usr/bin/env bash
# The end-to-end demo: build liblfm and the mock server, start the mock on loopback,
# run the C examples against it over HTTPS, and stop the mock by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE_DIR=target/release
echo "== building liblfm and lfm-mock (release)"
cargo build --release -q -p lfm -p lfm-mock

BUILD=target/demo
mkdir -p "$BUILD"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude)
LINK=(-L"$PROFILE_DIR" -Wl,-rpath,"$PWD/$PROFILE_DIR" -llfm -lpthread)
for example in sign session; do
  cc "${CFLAGS[@]}" "examples-c/$example.c" -o "$BUILD/$example" "${LINK[@]}"
done

STATE=$(mktemp -d)
"$PROFILE_DIR/lfm-mock" --state-dir "$STATE" --max-lifetime-secs 300 > "$STATE/stdout" &
MOCK_PID=$!
trap 'kill "$MOCK_PID" 2>/dev/null || true; wait "$MOCK_PID" 2>/dev/null || true; rm -rf "$STATE"' EXIT

for _ in $(seq 100); do
  [ -s "$STATE/ready" ] && break
  sleep 0.05
done
READY=$(cat "$STATE/ready")
echo "== mock server: $READY (pid $MOCK_PID)"
HTTPS_BASE=$(sed -E 's/.*https=([^ ]+).*/\1/' <<< "$READY")
CA=$(sed -E 's/.*ca=([^ ]+).*/\1/' <<< "$READY")

export LFM_BASE_URL="$HTTPS_BASE" LFM_CA_FILE="$CA"
export LFM_API_KEY=0123456789abcdef0123456789abcdef LFM_API_SECRET=mock-shared-secret
export LFM_USERNAME=RJ LFM_PASSWORD='s3cret +&=% pässwörd ✓'

echo "== examples-c/sign"
"$BUILD/sign"
echo "== examples-c/session"
"$BUILD/session"
echo "== demo finished; stopping the mock (pid $MOCK_PID)"
