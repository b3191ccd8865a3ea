# shellcheck shell=bash
# mock-env.sh: start the project's mock Last.fm server and point liblfm programs at it.
#
#   source scripts/mock-env.sh [STATE_DIR]     # starts lfm-mock, exports the variables below
#   trap lfm_mock_stop EXIT                    # the caller owns its traps; stop is idempotent
#   ... run programs ...
#   lfm_mock_stop                              # kills the mock by its pid, removes a temp dir
#
# Starts `target/release/lfm-mock --state-dir STATE_DIR --max-lifetime-secs 600` in the
# background (building it first if needed; LFM_MOCK_BIN overrides the binary), waits for
# STATE_DIR/ready (`READY http=<url> https=<url> ca=<path>`), then exports:
#   LFM_BASE_URL (https), LFM_HTTP_BASE_URL, LFM_CA_FILE,
#   LFM_API_KEY, LFM_API_SECRET, LFM_USERNAME, LFM_EMAIL, LFM_PASSWORD  (the mock's account)
#   LFM_MOCK_PID, LFM_MOCK_DIR
# `source scripts/mock-env.sh --functions-only` defines lfm_mock_start [STATE_DIR] and
# lfm_mock_stop without starting anything (for scripts that start several mocks in turn).
# Inside a script, `source` without arguments passes the script's own arguments along: write
# `source scripts/mock-env.sh ""` there for a temp dir. Without STATE_DIR a fresh temp dir is used and removed by lfm_mock_stop. The mock exits on
# its own after 600 s (LFM_MOCK_LIFETIME_SECS) should nothing stop it.
#
# Sourcing does not change the caller's shell options (no set -e); on failure it prints why
# and returns non-zero (use `source scripts/mock-env.sh || exit 1`).
#
# Tests: clients pace requests to 5/s by default; call lfm_client_set_rate_limit(client, 0).
# Control plane (unsigned lfm_call, flags 0): mock.fault (kind=api_error&code=N, html, drop,
# delay, ...), mock.scrobbles, mock.nowPlaying, mock.stats, mock.reset: see mock/src/lib.rs.

# Kill the mock started by lfm_mock_start (by its pid only) and clean up. Safe to call twice,
# from a trap, or when nothing was started; always returns 0.
lfm_mock_stop() {
  if [ -n "${LFM_MOCK_PID:-}" ]; then
    kill "$LFM_MOCK_PID" 2>/dev/null || true
    wait "$LFM_MOCK_PID" 2>/dev/null || true
  fi
  if [ -n "${_LFM_MOCK_TMPDIR:-}" ]; then
    rm -rf "$_LFM_MOCK_TMPDIR"
  fi
  unset LFM_MOCK_PID _LFM_MOCK_TMPDIR
  return 0
}

# lfm_mock_start [STATE_DIR]: start a mock (stopping one this shell started before).
lfm_mock_start() {
  local root state bin ready _
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
  bin="${LFM_MOCK_BIN:-$root/target/release/lfm-mock}"
  lfm_mock_stop

  if [ ! -x "$bin" ]; then
    echo "mock-env: building lfm-mock (cargo build --release -p lfm-mock)" >&2
    (cd "$root" && cargo build --release -q -p lfm-mock) || {
      echo "mock-env: cannot build lfm-mock" >&2
      return 1
    }
  fi

  if [ -n "${1:-}" ]; then
    state="$1"
    mkdir -p "$state" || return 1
    rm -f "$state/ready"
  else
    state="$(mktemp -d "${TMPDIR:-/tmp}/lfm-mock.XXXXXX")" || return 1
    _LFM_MOCK_TMPDIR="$state"
  fi

  "$bin" --state-dir "$state" --max-lifetime-secs "${LFM_MOCK_LIFETIME_SECS:-600}" \
    > "$state/mock.log" 2>&1 &
  LFM_MOCK_PID=$!
  export LFM_MOCK_PID LFM_MOCK_DIR="$state"

  # Wait up to 20 s for the ready file (written once both listeners accept connections).
  for _ in $(seq 400); do
    [ -s "$state/ready" ] && break
    if ! kill -0 "$LFM_MOCK_PID" 2>/dev/null; then
      echo "mock-env: lfm-mock exited early:" >&2
      cat "$state/mock.log" >&2
      lfm_mock_stop
      return 1
    fi
    sleep 0.05
  done
  if [ ! -s "$state/ready" ]; then
    echo "mock-env: lfm-mock did not become ready after 20 s (pid $LFM_MOCK_PID)" >&2
    lfm_mock_stop
    return 1
  fi

  ready="$(head -n 1 "$state/ready")"
  case "$ready" in
    READY\ http=*\ https=*\ ca=*) ;;
    *)
      echo "mock-env: unexpected ready line: $ready" >&2
      lfm_mock_stop
      return 1
      ;;
  esac
  LFM_HTTP_BASE_URL="$(sed -E 's/.* http=([^ ]+).*/\1/' <<< "$ready")"
  LFM_BASE_URL="$(sed -E 's/.* https=([^ ]+).*/\1/' <<< "$ready")"
  LFM_CA_FILE="$(sed -E 's/.* ca=([^ ]+).*/\1/' <<< "$ready")"
  export LFM_BASE_URL LFM_HTTP_BASE_URL LFM_CA_FILE
  export LFM_API_KEY=0123456789abcdef0123456789abcdef
  export LFM_API_SECRET=mock-shared-secret
  export LFM_USERNAME=RJ
  export LFM_EMAIL=rj@example.org
  export LFM_PASSWORD='s3cret +&=% pässwörd ✓'
}

if [ "${1:-}" != --functions-only ]; then
  lfm_mock_start "$@"
fi
