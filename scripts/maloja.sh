#!/usr/bin/env bash
# Run Maloja (the self-hosted scrobble server) locally so liblfm can be tested against it.
#
#   scripts/maloja.sh install [VERSION]         both venvs (or one), pinned, idempotent
#   scripts/maloja.sh start VERSION DATADIR PORT
#   scripts/maloja.sh stop DATADIR
#   scripts/maloja.sh scrobbles VERSION PORT    stored scrobbles as JSON (native mlj_1 API)
#
# VERSION is 3 (= 3.2.3) or 2 (= 2.14.10). The server listens on 127.0.0.1 only and runs with
# an environment that turns off everything that would contact the network (metadata
# providers, image proxy, statistics ping, proxy-scrobbling to Last.fm). `start` prints
#   READY base=http://127.0.0.1:PORT/apis/audioscrobbler/2.0/ key=<apikey> pid=<pid>
# and writes the same line to DATADIR/ready. The API key is the "password" a Last.fm client
# sends to auth.getMobileSession (any user name works).
#
# Environment (all optional):
#   LFM_MALOJA_HOME        where the venvs live (default: <repo>/target/maloja)
#   LFM_MALOJA_PYTHON      interpreter for the venvs (default: python3; 3.11+ for Maloja 3)
#   LFM_MALOJA_KEY         API key written to apikeys.yml, any UTF-8 text (default:
#                          liblfm-test-key-0123456789)
#   LFM_MALOJA_START_SECS  how long `start` waits for the server (default: 120)
#   LFM_MALOJA_STRACE=1    run the server under `strace -f -e trace=connect,bind`; `stop` then
#                          fails if it connected or bound to anything but loopback
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOME_DIR=${LFM_MALOJA_HOME:-$ROOT/target/maloja}
PY=${LFM_MALOJA_PYTHON:-python3}
KEY=${LFM_MALOJA_KEY:-liblfm-test-key-0123456789}
START_SECS=${LFM_MALOJA_START_SECS:-120}

die() { echo "maloja.sh: $*" >&2; exit 1; }

# version -> full version, venv dir, requirements file
resolve() {
    case "$1" in
        3 | 3.2.3) FULL=3.2.3; VENV=$HOME_DIR/venv-3 ;;
        2 | 2.14.10) FULL=2.14.10; VENV=$HOME_DIR/venv-2 ;;
        *) die "unknown version '$1' (use 3 or 2)" ;;
    esac
    REQ=$ROOT/tests/maloja/requirements-$FULL.txt
    [ -f "$REQ" ] || die "missing $REQ"
}

install_one() {
    resolve "$1"
    local stamp want
    want="$(sha256sum "$REQ" | cut -d' ' -f1) $("$PY" -c 'import sys; print(sys.version.split()[0])')"
    stamp=$VENV/.liblfm-stamp
    if [ -x "$VENV/bin/maloja" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        echo "maloja $FULL: already installed in $VENV"
        return 0
    fi
    "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
        [ "$FULL" != 3.2.3 ] || die "Maloja 3.2.3 needs Python 3.11+ ($PY is older)"
    local t0=$SECONDS
    rm -rf "$VENV"
    mkdir -p "$HOME_DIR"
    "$PY" -m venv "$VENV"
    # --no-deps: the requirements file is the complete, tested set (pip's resolver would
    # otherwise pick newer, incompatible versions of doreah and friends).
    timeout 900 "$VENV/bin/pip" install --quiet --no-input --disable-pip-version-check \
        --no-deps -r "$REQ"
    "$VENV/bin/pip" check --disable-pip-version-check >/dev/null ||
        { "$VENV/bin/pip" check; die "maloja $FULL: inconsistent dependencies"; }
    "$VENV/bin/python" -c 'import maloja' 2>/dev/null || true
    echo "$want" >"$stamp"
    echo "maloja $FULL: installed in $VENV in $((SECONDS - t0)) s"
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

start() {
    [ $# -eq 3 ] || die "usage: start VERSION DATADIR PORT"
    resolve "$1"
    local datadir=$2 port=$3
    [[ "$port" =~ ^[0-9]+$ ]] || die "bad port '$port'"
    [ -x "$VENV/bin/maloja" ] || die "maloja $FULL is not installed: run '$0 install'"
    mkdir -p "$datadir"
    datadir=$(cd "$datadir" && pwd)
    if pid_alive "$(cat "$datadir/pid" 2>/dev/null)"; then
        die "a server already runs for $datadir (pid $(cat "$datadir/pid"))"
    fi
    if curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/"; then
        die "something already answers on 127.0.0.1:$port"
    fi
    rm -f "$datadir/ready" "$datadir/pid" "$datadir/connect.trace"
    # A JSON string is a valid YAML double-quoted scalar: any key (UTF-8, '+&=%', ': ', '#',
    # a leading '&' or '%') is stored exactly.
    python3 -c 'import json, sys; print("liblfm-test: " + json.dumps(sys.argv[1]))' "$KEY" \
        >"$datadir/apikeys.yml"
    mkdir -p "$datadir/home"

    local cmd=("$VENV/bin/maloja" run)
    if [ "${LFM_MALOJA_STRACE:-}" = 1 ]; then
        command -v strace >/dev/null || die "LFM_MALOJA_STRACE=1 needs strace"
        cmd=(strace -f -qq -e trace=connect,bind -o "$datadir/connect.trace" "${cmd[@]}")
    fi
    local t0 pid
    t0=$(date +%s.%N)
    # A clean environment: no proxies, no stray MALOJA_* settings, HOME inside DATADIR (so
    # nothing is written to ~/.local/share/maloja). setsid gives the server its own process
    # group, which `stop` kills as a whole.
    env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$datadir/home" LANG=C.UTF-8 \
        PYTHONUNBUFFERED=1 \
        MALOJA_DATA_DIRECTORY="$datadir" \
        MALOJA_SKIP_SETUP=yes \
        MALOJA_FORCE_PASSWORD=liblfm-admin \
        MALOJA_HOST=127.0.0.1 \
        MALOJA_PORT="$port" \
        MALOJA_METADATA_PROVIDERS= \
        MALOJA_SEND_STATS=no \
        MALOJA_SCROBBLE_LASTFM=no \
        MALOJA_PROXY_IMAGES=no \
        setsid "${cmd[@]}" </dev/null >"$datadir/server.log" 2>&1 &
    pid=$!
    echo "$pid" >"$datadir/pid"
    echo "$FULL" >"$datadir/version"

    local deadline=$((SECONDS + START_SECS)) info=""
    while :; do
        if ! pid_alive "$pid"; then
            tail -n 30 "$datadir/server.log" >&2 || true
            rm -f "$datadir/pid"
            die "maloja $FULL exited during start-up (log: $datadir/server.log)"
        fi
        info=$(curl -s -m 3 "http://127.0.0.1:$port/apis/mlj_1/serverinfo" || true)
        # 3.x reports db_status.healthy once the database is loaded; 2.x has no db_status.
        if [ -n "$info" ] && echo "$info" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = d.get("db_status")
sys.exit(0 if s is None or (s.get("healthy") and not s.get("rebuildinprogress")) else 1)
' 2>/dev/null; then
            break
        fi
        if [ $SECONDS -ge $deadline ]; then
            tail -n 30 "$datadir/server.log" >&2 || true
            stop "$datadir" >/dev/null 2>&1 || true
            die "maloja $FULL did not answer within ${START_SECS} s"
        fi
        sleep 0.2
    done
    local secs
    secs=$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.1f}')" "$(date +%s.%N)" "$t0")
    local line="READY base=http://127.0.0.1:$port/apis/audioscrobbler/2.0/ key=$KEY pid=$pid"
    echo "$line" >"$datadir/ready"
    echo "maloja $FULL: up in ${secs} s ($info)" >&2
    echo "$line"
}

stop() {
    [ $# -eq 1 ] || die "usage: stop DATADIR"
    local datadir=$1 pid
    pid=$(cat "$datadir/pid" 2>/dev/null || true)
    if pid_alive "$pid"; then
        # The whole process group (setsid made pid its leader); TERM, then KILL after 15 s.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        local i
        for i in $(seq 1 75); do pid_alive "$pid" || break; sleep 0.2; done
        if pid_alive "$pid"; then
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            for i in $(seq 1 25); do pid_alive "$pid" || break; sleep 0.2; done
        fi
        pid_alive "$pid" && die "could not stop pid $pid"
        echo "stopped pid $pid"
    else
        echo "not running"
    fi
    rm -f "$datadir/pid" "$datadir/ready"
    if [ -f "$datadir/connect.trace" ]; then
        # connect() or bind() on anything but 127.0.0.1, ::1 or a local (unix, netlink) socket
        local bad
        bad=$(grep -E '(connect|bind)\(' "$datadir/connect.trace" |
            grep -v -E 'AF_UNIX|AF_NETLINK|127\.0\.0\.1|"::1"' || true)
        if [ -n "$bad" ]; then
            echo "$bad" >&2
            die "the server tried to reach the network (see $datadir/connect.trace)"
        fi
        echo "network check: $(grep -c -E '(connect|bind)\(' "$datadir/connect.trace" || true) connect()/bind() calls, all local"
    fi
}

scrobbles() {
    [ $# -eq 2 ] || die "usage: scrobbles VERSION PORT"
    resolve "$1"
    local url="http://127.0.0.1:$2/apis/mlj_1/scrobbles"
    # Without a range, 3.x returns only today's plays and 2.x none in the future: ask for
    # 1970..2100 explicitly (both versions understand since/to).
    url="$url?since=1970&to=2100"
    curl -sS -f -m 30 "$url"
    echo
}

case "${1:-}" in
    install)
        shift
        if [ $# -ge 1 ]; then install_one "$1"; else install_one 3; install_one 2; fi
        ;;
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    scrobbles) shift; scrobbles "$@" ;;
    *) sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
