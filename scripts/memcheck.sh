#!/usr/bin/env bash
# Memory-check every C program of the project against the mock server:
#   1. built with cc -g and run under valgrind --leak-check=full
#      --errors-for-leak-kinds=definite,indirect --error-exitcode=1
#   2. built with clang -fsanitize=address,undefined -fno-omit-frame-pointer and run with
#      ASAN_OPTIONS=detect_leaks=1 (LeakSanitizer also sees memory liblfm hands out that the
#      C side never frees; liblfm itself is linked normally, uninstrumented).
# Zero reports are required. Programs: examples-c/{sign,session,offline} (offline also with
# the server down: the network error path), examples-c/player, capi/tests/c/{test_api,
# test_auth,test_scrobble,test_scrobbler,test_threads,test_faults,test_read}, and capi/tests/c/queue_crash (a bounded push run stopped by SIGTERM, checked for
# memory errors, then a clean `drain` run checked for leaks too). Each against liblfm built
# with the debug profile and with the release profile (inlining differs: the suppressions in
# scripts/memcheck.supp must hold for both).
#
#   scripts/memcheck.sh                 both tools, both profiles
#   MEMCHECK_TOOLS=asan scripts/memcheck.sh     (or valgrind)
#   MEMCHECK_PROFILES=release scripts/memcheck.sh   (or debug)
# Ends with "N passed, 0 failed"; exits non-zero on any failure. Needs valgrind and clang
# (Debian: apt-get install valgrind clang libclang-rt-14-dev).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TOOLS=${MEMCHECK_TOOLS:-"valgrind asan"}
PROFILES=${MEMCHECK_PROFILES:-"debug release"}

# Install what is missing (Debian's packages), when we may.
need=()
case " $TOOLS " in *" valgrind "*) command -v valgrind >/dev/null || need+=(valgrind) ;; esac
case " $TOOLS " in *" asan "*) command -v clang >/dev/null || need+=(clang libclang-rt-14-dev) ;; esac
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing ${need[*]} (apt-get)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

for tool in $TOOLS; do
  case $tool in
    valgrind) command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; } ;;
    asan) command -v clang >/dev/null || { echo "clang is not installed" >&2; exit 2; } ;;
    *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
done
for profile in $PROFILES; do
  case $profile in
    debug | release) ;;
    *) echo "unknown profile $profile (debug or release)" >&2; exit 2 ;;
  esac
done

WORK=$(mktemp -d /tmp/lfm-memcheck.XXXXXX)
# lfm_mock_start / lfm_mock_stop (scripts/mock-env.sh) with the mock built below (LFM_MOCK_BIN).
export LFM_MOCK_LIFETIME_SECS=900
# shellcheck source=scripts/mock-env.sh
source "$ROOT/scripts/mock-env.sh" --functions-only
trap 'lfm_mock_stop; rm -rf "$WORK"' EXIT

# A fresh mock for each run; exports the environment the C programs read.
start_mock() {
  lfm_mock_start "$(mktemp -d "$WORK/mock.XXXXXX")" || exit 2
}
stop_mock() {
  lfm_mock_stop
}

# The mock's account (as in tests/support/mod.rs).
export LFM_API_KEY=0123456789abcdef0123456789abcdef LFM_API_SECRET=mock-shared-secret
# The examples wait at most LFM_TIMEOUT_MS per request (3 or 10 s by default); under
# valgrind a new TLS connection to the debug build takes seconds.
export LFM_TIMEOUT_MS=30000
export LFM_USERNAME=RJ LFM_EMAIL=rj@example.org LFM_PASSWORD='s3cret +&=% pässwörd ✓'

# A session key from auth.getMobileSession (signed POST over HTTPS, trusting the mock's CA).
mobile_session() {
  python3 - <<'PY'
import hashlib, json, os, ssl, urllib.parse, urllib.request
p = {"method": "auth.getMobileSession", "username": os.environ["LFM_USERNAME"],
     "password": os.environ["LFM_PASSWORD"], "api_key": os.environ["LFM_API_KEY"]}
base = "".join(k + p[k] for k in sorted(p)) + os.environ["LFM_API_SECRET"]
p.update(api_sig=hashlib.md5(base.encode()).hexdigest(), format="json")
ctx = ssl.create_default_context(cafile=os.environ["LFM_CA_FILE"])
body = urllib.parse.urlencode(p, quote_via=urllib.parse.quote).encode()
reply = urllib.request.urlopen(os.environ["LFM_BASE_URL"], data=body, context=ctx, timeout=10)
print(json.load(reply)["session"]["key"])
PY
}

PROGRAMS=(examples-c/sign.c examples-c/session.c examples-c/offline.c examples-c/player.c
          capi/tests/c/test_api.c capi/tests/c/test_auth.c capi/tests/c/test_scrobble.c
          capi/tests/c/test_scrobbler.c
          capi/tests/c/test_threads.c capi/tests/c/test_faults.c capi/tests/c/test_read.c
          capi/tests/c/queue_crash.c)
# Every C program must be covered: a new one fails the run until it is added above and below.
for src in examples-c/*.c capi/tests/c/*.c; do
  case " ${PROGRAMS[*]} " in
    *" $src "*) ;;
    *) echo "$src is not memory-checked: add it to PROGRAMS and to the runs in $0" >&2; exit 2 ;;
  esac
done
CFLAGS=(-std=c99 -Wall -Wextra -Werror -pedantic -g -O1 -I"$ROOT/include" -I"$ROOT/capi/tests/c")

# build PROFILE: liblfm and lfm-mock with that cargo profile, then every C program for every
# tool into $WORK/PROFILE/TOOL/, linked against that liblfm.
build() {
  local profile=$1 flag=()
  [ "$profile" = release ] && flag=(--release)
  echo "== building liblfm and lfm-mock ($profile)"
  cargo build -q "${flag[@]}" -p lfm-capi --lib && cargo build -q "${flag[@]}" -p lfm-mock --bin lfm-mock || exit 2
  local libdir=$ROOT/target/$profile/c-lib  # liblfm.* -> ../liblfm_capi.* (capi/build.rs)
  export LFM_MOCK_BIN=$ROOT/target/$profile/lfm-mock
  local link=(-L"$libdir" -Wl,-rpath,"$libdir" -llfm -lpthread)
  echo "== compiling ${#PROGRAMS[@]} C programs ($profile)"
  for tool in $TOOLS; do
    mkdir -p "$WORK/$profile/$tool"
    for src in "${PROGRAMS[@]}"; do
      exe="$WORK/$profile/$tool/$(basename "$src" .c)"
      if [ "$tool" = valgrind ]; then
        cc "${CFLAGS[@]}" "$src" -o "$exe" "${link[@]}" || exit 2
      else
        clang "${CFLAGS[@]}" -fsanitize=address,undefined -fno-sanitize-recover=undefined \
          -fno-omit-frame-pointer "$src" -o "$exe" "${link[@]}" || exit 2
      fi
    done
  done
}

VALGRIND=(valgrind --suppressions="$ROOT/scripts/memcheck.supp" --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1
          --show-leak-kinds=definite,indirect,possible --track-origins=yes --num-callers=30)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

passed=0
failed=0
results=()
# run NAME TOOL EXPECT_EXIT [env...] -- EXE ARGS...
# EXPECT_EXIT "0": the program must succeed; "term": it is stopped by SIGTERM after
# $BOUNDED_SECS (a bounded run of a program that never ends), memory errors still fail it.
run() {
  local name=$1 tool=$2 expect=$3
  shift 3
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local log="$WORK/$profile/$tool-$name.log"
  local cmd=("$@")
  if [ "$tool" = valgrind ]; then cmd=("${VALGRIND[@]}" --log-file="$log.vg" "$@"); fi
  local started=$SECONDS rc
  if [ "$expect" = term ]; then
    env "${envs[@]}" timeout -s TERM "$BOUNDED_SECS" "${cmd[@]}" > "$log" 2>&1
  else
    env "${envs[@]}" timeout -s KILL 900 "${cmd[@]}" > "$log" 2>&1
  fi
  rc=$?
  local why=""
  if [ "$expect" = term ]; then
    [ $rc -eq 124 ] || why="exit $rc (expected to be stopped by SIGTERM)"
  elif [ $rc -ne 0 ]; then
    why="exit $rc"
  fi
  if [ "$tool" = valgrind ]; then
    cat "$log.vg" >> "$log"
    # ERROR SUMMARY counts memory errors and definite/indirect leaks.
    grep -q "ERROR SUMMARY: 0 errors" "$log.vg" || why="${why:+$why; }valgrind: $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$log.vg" | tail -1)"
    if [ "$expect" != term ]; then
      grep -qE "definitely lost: [1-9]|indirectly lost: [1-9]" "$log.vg" && why="${why:+$why; }valgrind: leaks"
    fi
  else
    grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log" && why="${why:+$why; }sanitizer report"
  fi
  local took=$((SECONDS - started))
  if [ -z "$why" ]; then
    passed=$((passed + 1))
    results+=("PASS $profile $tool $name (${took}s)")
    echo "PASS $profile $tool $name (${took}s)"
  else
    failed=$((failed + 1))
    results+=("FAIL $profile $tool $name: $why")
    echo "FAIL $profile $tool $name: $why (log below)"
    grep -vE "^==[0-9]+== *$" "$log" | tail -60
  fi
}

BOUNDED_SECS=${MEMCHECK_CRASH_SECS:-4}
took=()
for profile in $PROFILES; do
  profile_started=$SECONDS
  build "$profile"
  W="$WORK/$profile"
  for tool in $TOOLS; do
    B="$W/$tool"
    start_mock
    run sign "$tool" 0 -- "$B/sign"
    run session "$tool" 0 -- "$B/session"
    run player "$tool" 0 -- "$B/player" "$W/$tool-player.lfmq"
    # The server is away: plays stay queued (network error path); then it is back: flushed.
    q="$W/$tool-offline.lfmq"
    run offline-queue-server-down "$tool" 0 LFM_BASE_URL=https://127.0.0.1:9/2.0/ \
      LFM_SESSION_KEY=a-session-key-saved-earlier -- "$B/offline" queue "$q"
    run offline-flush "$tool" 0 -- "$B/offline" flush "$q"
    start_mock
    run test_api "$tool" 0 -- "$B/test_api"
    start_mock
    run test_auth "$tool" 0 -- "$B/test_auth"
    start_mock
    mkdir -p "$W/$tool-scrobble"
    run test_scrobble "$tool" 0 LFM_TEST_DIR="$W/$tool-scrobble" -- "$B/test_scrobble"
    start_mock
    mkdir -p "$W/$tool-scrobbler"
    run test_scrobbler "$tool" 0 LFM_TEST_DIR="$W/$tool-scrobbler" -- "$B/test_scrobbler"
    start_mock
    run test_threads "$tool" 0 -- "$B/test_threads"
    start_mock
    run test_faults "$tool" 0 -- "$B/test_faults"
    start_mock
    run test_read "$tool" 0 -- "$B/test_read"
    start_mock
    # queue_crash needs a session key: log in once (a signed POST over HTTPS, as liblfm does).
    sk=$(mobile_session)
    [ -n "$sk" ] || { echo "cannot get a session key from the mock" >&2; exit 2; }
    crash_env=(LFM_QUEUE_PATH="$W/$tool-crash.lfmq" LFM_SESSION_KEY="${sk:-none}"
               LFM_CRASH_NEWEST_TIME=$(( $(date +%s) - 60 )))
    run queue_crash-push "$tool" term "${crash_env[@]}" -- "$B/queue_crash" 0
    run queue_crash-drain "$tool" 0 "${crash_env[@]}" -- "$B/queue_crash" drain
    stop_mock
  done
  took+=("$profile: $((SECONDS - profile_started)) s (build included)")
done

echo "== memcheck summary"
printf '%s\n' "${results[@]}"
printf 'time, %s\n' "${took[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
