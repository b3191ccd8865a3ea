#!/usr/bin/env bash
# The end-to-end demo: build liblfm and the mock server, start the mock on loopback, run the
# C examples against it over HTTPS, take the server away and bring it back to show the
# offline queue, and stop the mock by its pid.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE_DIR="${CARGO_TARGET_DIR:-target}/release"
echo "== building liblfm and lfm-mock (release)"
cargo build --release -q -p lfm -p lfm-mock

BUILD=target/demo
mkdir -p "$BUILD"
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude)
LINK=(-L"$PROFILE_DIR" -Wl,-rpath,"$(cd "$PROFILE_DIR" && pwd)" -llfm -lpthread)
for example in sign session offline; do
  cc "${CFLAGS[@]}" "examples-c/$example.c" -o "$BUILD/$example" "${LINK[@]}"
done

WORK=$(mktemp -d)
MOCK_PID=
stop_mock() {
  if [ -n "$MOCK_PID" ]; then
    kill "$MOCK_PID" 2>/dev/null || true
    wait "$MOCK_PID" 2>/dev/null || true
    MOCK_PID=
  fi
}
trap 'stop_mock; rm -rf "$WORK"' EXIT

# Start a fresh mock; export the URL and CA it reports.
start_mock() {
  local state="$WORK/mock-$1"
  mkdir -p "$state"
  "$PROFILE_DIR/lfm-mock" --state-dir "$state" --max-lifetime-secs 300 > "$state/stdout" &
  MOCK_PID=$!
  for _ in $(seq 200); do
    [ -s "$state/ready" ] && break
    sleep 0.05
  done
  local ready
  ready=$(cat "$state/ready")
  echo "== mock server: $ready (pid $MOCK_PID)"
  LFM_BASE_URL=$(sed -E 's/.*https=([^ ]+).*/\1/' <<< "$ready")
  LFM_CA_FILE=$(sed -E 's/.*ca=([^ ]+).*/\1/' <<< "$ready")
  export LFM_BASE_URL LFM_CA_FILE
}

export LFM_API_KEY=0123456789abcdef0123456789abcdef LFM_API_SECRET=mock-shared-secret
export LFM_USERNAME=RJ LFM_PASSWORD='s3cret +&=% pässwörd ✓'

start_mock 1
echo "== examples-c/sign"
"$BUILD/sign"
echo "== examples-c/session"
"$BUILD/session"

echo "== the server goes away (pid $MOCK_PID stopped); the player keeps playing"
stop_mock
LFM_SESSION_KEY=a-session-key-saved-at-an-earlier-login "$BUILD/offline" queue "$WORK/plays.lfmq"

echo "== the server comes back"
start_mock 2
"$BUILD/offline" flush "$WORK/plays.lfmq"
echo "== demo finished; stopping the mock (pid $MOCK_PID)"
