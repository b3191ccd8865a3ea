#!/usr/bin/env bash
# liblfm against real Maloja servers (issue 10): 3.2.3, then 2.14.10.
#
#   scripts/test-maloja.sh
#
# Builds liblfm (release), compiles tests/maloja/test_maloja.c against include/ and
# target/release, installs both Maloja versions (scripts/maloja.sh install: pinned venvs under
# target/maloja, idempotent), then per version starts a fresh server (a new data directory
# under a temporary directory, a free port on 127.0.0.1, an API key with UTF-8 and '+&=%'),
# runs the C program against it, reads back what the server stored
# (scripts/maloja.sh scrobbles) and compares it with the plays the program says the server
# accepted: each exactly once with artist, title and timestamp intact, those it refused
# absent, nothing else. The server is stopped by its pid, also on failure or Ctrl-C (trap on
# EXIT). Prints one line per check, then "N passed, M failed"; exits 1 if M > 0.
#
# Environment (optional): LFM_MALOJA_KEEP=1 keeps the temporary directory (data dirs,
# server logs, the plays files); LFM_MALOJA_STRACE=1 also fails if a server touches
# anything but loopback (see scripts/maloja.sh); LFM_MALOJA_VERSIONS="3 2" (the default)
# picks the versions.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
summary() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
# Show the check lines in FILE and add them to the totals.
tally() {
    cat "$1"
    local p f
    p=$(grep -c '^ok - ' "$1" || true)
    f=$(grep -c '^not ok - ' "$1" || true)
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
}

# The API key, i.e. the password: UTF-8, and every character form encoding must escape.
KEY='mal+oja&key=50% Björk ✓ ключ'
export LFM_MALOJA_KEY=$KEY

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lfm-maloja.XXXXXX")
SERVER_DIR=
SERVER_PID=
stop_server() {
    [ -n "$SERVER_DIR" ] || return 0
    scripts/maloja.sh stop "$SERVER_DIR" >"$SERVER_DIR/stop.log" 2>&1 || {
        cat "$SERVER_DIR/stop.log" >&2
        # The last resort, still by pid: the server's process group (setsid made it leader).
        kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    }
    SERVER_DIR=
}
cleanup() {
    local rc=$?
    stop_server
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "test-maloja.sh: server pid $SERVER_PID is still running" >&2
    fi
    if [ "${LFM_MALOJA_KEEP:-}" = 1 ] || [ "$rc" -ne 0 ]; then
        echo "# kept $WORK (data dirs, server logs, plays files)"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

T0=$SECONDS
echo "== building liblfm (release)"
if cargo build --release -q -p lfm-capi; then
    ok "cargo build --release -p lfm-capi"
else
    not_ok "cargo build --release -p lfm-capi"
    summary || exit 1
fi
BUILD=target/maloja-test
mkdir -p "$BUILD"
if cc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -Iinclude tests/maloja/test_maloja.c \
    -o "$BUILD/test_maloja" -L target/release/c-lib -Wl,-rpath,"$ROOT/target/release/c-lib" -llfm -lpthread; then
    ok "tests/maloja/test_maloja.c compiles with -std=c99 -Wall -Wextra -Werror -pedantic"
else
    not_ok "tests/maloja/test_maloja.c compiles with -std=c99 -Wall -Wextra -Werror -pedantic"
    summary || exit 1
fi
echo "== installing Maloja (scripts/maloja.sh install)"
if scripts/maloja.sh install; then
    ok "scripts/maloja.sh install"
else
    not_ok "scripts/maloja.sh install"
    summary || exit 1
fi

for V in ${LFM_MALOJA_VERSIONS:-3 2}; do
    case $V in 3) FULL=3.2.3 ;; 2) FULL=2.14.10 ;; *) echo "bad version $V" >&2; exit 2 ;; esac
    echo "== Maloja $FULL"
    DIR=$WORK/maloja-$FULL
    PORT=$(free_port)
    SERVER_DIR=$DIR
    SERVER_PID=
    if ! READY=$(scripts/maloja.sh start "$V" "$DIR" "$PORT" 2>"$WORK/start-$FULL.log"); then
        cat "$WORK/start-$FULL.log"
        not_ok "[maloja $V] server starts on 127.0.0.1:$PORT"
        stop_server
        continue
    fi
    SERVER_PID=$(sed -E 's/.* pid=([0-9]+)$/\1/' <<<"$READY")
    BASE=$(sed -E 's/^READY base=([^ ]+) .*/\1/' <<<"$READY")
    UP=$(sed -n -E 's/.* up in ([0-9.]+ s).*/\1/p' "$WORK/start-$FULL.log" | head -1)
    ok "[maloja $V] server starts on 127.0.0.1:$PORT (pid $SERVER_PID, up in $UP)"

    PLAYS=$WORK/plays-$FULL.tsv
    set +e
    "$BUILD/test_maloja" "$BASE" "$KEY" "$V" "$PLAYS" >"$WORK/c-$FULL.out" 2>"$WORK/c-$FULL.err"
    RC=$?
    set -e
    # The C program's own check lines count; its closing "N passed, M failed" does not.
    grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$WORK/c-$FULL.out" >"$WORK/c-$FULL.checks" || true
    tally "$WORK/c-$FULL.checks"
    if [ -s "$WORK/c-$FULL.err" ]; then sed 's/^/#   stderr: /' "$WORK/c-$FULL.err"; fi
    if [ "$RC" -ne 0 ] && ! grep -q '^not ok - ' "$WORK/c-$FULL.checks"; then
        not_ok "[maloja $V] test_maloja exited with status $RC"
    fi

    if scripts/maloja.sh scrobbles "$V" "$PORT" >"$WORK/stored-$FULL.json" 2>"$WORK/scrobbles-$FULL.err"; then
        python3 - "$V" "$PLAYS" "$WORK/stored-$FULL.json" >"$WORK/compare-$FULL.out" <<'EOF' || true
import collections, json, sys

major, plays_path, stored_path = sys.argv[1], sys.argv[2], sys.argv[3]
tag = f"[maloja {major}] readback:"

def line(ok, what, detail=""):
    print(("ok - " if ok else "not ok - ") + f"{tag} {what}" + ("" if ok else f": {detail}"))

want, absent = [], []
try:
    with open(plays_path, encoding="utf-8") as f:
        for raw in f:
            kind, ts, artist, title = raw.rstrip("\n").split("\t")
            (want if kind == "stored" else absent).append((int(ts), (artist,), title))
except FileNotFoundError:
    pass

doc = json.load(open(stored_path, encoding="utf-8"))
got, origins = [], collections.Counter()
for item in doc.get("list", []):
    if "track" in item:  # 3.x: {"time", "track": {"artists", "title"}, "origin"}
        got.append((item["time"], tuple(item["track"]["artists"]), item["track"]["title"]))
        origins[item.get("origin")] += 1
    else:  # 2.x: {"time", "artists", "title"} (flat)
        got.append((item["time"], tuple(item["artists"]), item["title"]))

g = collections.Counter(got)
w = collections.Counter(want)
dup_sent = [p for p, n in w.items() if n > 1]
line(len(want) > 0 and not dup_sent, f"the program reports {len(want)} distinct plays accepted",
     f"{len(want)} plays, reported twice: {dup_sent[:3]}")
missing = [p for p in w if g[p] == 0]
twice = [(p, g[p]) for p in w if g[p] > 1]
line(not missing and not twice,
     f"all {len(w)} accepted plays stored exactly once, artist, title and timestamp intact",
     f"{len(missing)} missing (e.g. {missing[:3]}), {len(twice)} stored more than once (e.g. {twice[:3]})")
extra = [p for p in g if p not in w]
line(not extra and len(got) == len(want),
     f"nothing else stored (server holds {len(got)} plays)",
     f"{len(extra)} unexpected, e.g. {extra[:5]}")
absent_ts = {p[0] for p in absent}
leaked = [p for p in got if p[0] in absent_ts]
if absent:
    line(not leaked, f"the {len(absent)} plays the server refused are not stored",
         f"stored anyway: {leaked}")
if major == "3":
    line(set(origins) == {"client:liblfm-test"} or not got,
         "every play's origin is the API key's client (client:liblfm-test)", dict(origins))
EOF
        tally "$WORK/compare-$FULL.out"
        if ! grep -q '^ok - ' "$WORK/compare-$FULL.out"; then
            not_ok "[maloja $V] readback could be compared (see $WORK/stored-$FULL.json)"
        fi
    else
        cat "$WORK/scrobbles-$FULL.err"
        not_ok "[maloja $V] scripts/maloja.sh scrobbles $V $PORT"
    fi

    stop_server
    if kill -0 "$SERVER_PID" 2>/dev/null ||
        curl -s -o /dev/null -m 2 "http://127.0.0.1:$PORT/"; then
        not_ok "[maloja $V] server stopped (pid $SERVER_PID)"
    else
        ok "[maloja $V] server stopped (pid $SERVER_PID gone, port $PORT closed)"
    fi
    if [ -f "$DIR/stop.log" ] && grep -q '^network check' "$DIR/stop.log"; then
        echo "#   $(grep '^network check' "$DIR/stop.log")"
    fi
    if grep -q '^not ok' "$WORK/c-$FULL.checks" "$WORK/compare-$FULL.out" 2>/dev/null; then
        echo "#   server log: $DIR/server.log"
    fi
done

echo "# took $((SECONDS - T0)) s"
summary
