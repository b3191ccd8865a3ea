#!/usr/bin/env bash
# Issue 9 benchmarks (and issue 16's read layer): one command that installs what it needs,
# builds every contender from source, starts nginx on loopback, runs the contenders in
# interleaved rounds (each round runs every contender once; medians are reported), stops
# nginx by its pid, and writes BENCHMARKS.md. No timing is asserted anywhere: the "met" column is information.
#
#   bash scripts/bench.sh                 # full run (target: under 10 minutes)
#   LFM_BENCH_QUICK=1 bash scripts/bench.sh   # smoke run (~2 minutes after the build)
#
# Knobs (env): LFM_BENCH_ROUNDS, LFM_BENCH_CALL_SECONDS, LFM_BENCH_SIGN_SECONDS,
# LFM_BENCH_PUSHES, LFM_BENCH_FLUSH_PLAYS, LFM_BENCH_RSS_CALLS, LFM_BENCH_RSS_SAMPLE,
# LFM_BENCH_CLIENT_ITERS, LFM_BENCH_OUT (default BENCHMARKS.md), LFM_BENCH_NO_INSTALL=1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=${LFM_BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  ROUNDS=${LFM_BENCH_ROUNDS:-3}; CALL_SECS=${LFM_BENCH_CALL_SECONDS:-0.3}
  SIGN_SECS=${LFM_BENCH_SIGN_SECONDS:-0.1}; PUSHES=${LFM_BENCH_PUSHES:-100}
  FLUSH_PLAYS=${LFM_BENCH_FLUSH_PLAYS:-10000}; RSS_CALLS=${LFM_BENCH_RSS_CALLS:-20000}
  RSS_SAMPLE=${LFM_BENCH_RSS_SAMPLE:-2000}; CLIENT_ITERS=${LFM_BENCH_CLIENT_ITERS:-300}
else
  ROUNDS=${LFM_BENCH_ROUNDS:-5}; CALL_SECS=${LFM_BENCH_CALL_SECONDS:-1.0}
  SIGN_SECS=${LFM_BENCH_SIGN_SECONDS:-0.3}; PUSHES=${LFM_BENCH_PUSHES:-500}
  FLUSH_PLAYS=${LFM_BENCH_FLUSH_PLAYS:-10000}; RSS_CALLS=${LFM_BENCH_RSS_CALLS:-100000}
  RSS_SAMPLE=${LFM_BENCH_RSS_SAMPLE:-10000}; CLIENT_ITERS=${LFM_BENCH_CLIENT_ITERS:-1000}
fi
OUT=${LFM_BENCH_OUT:-BENCHMARKS.md}
STARTED=$(date +%s)
log() { printf '== [%3ss] %s\n' "$(( $(date +%s) - STARTED ))" "$*"; }

# ---------------------------------------------------------------- 1. what it needs
need_apt=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
[ -e /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -e /usr/include/curl/curl.h ] || need_apt+=(libcurl4-openssl-dev)
[ -e /usr/include/openssl/md5.h ] || need_apt+=(libssl-dev)
[ -e /usr/include/zlib.h ] || need_apt+=(zlib1g-dev)
command -v taskset >/dev/null || need_apt+=(util-linux)
command -v curl >/dev/null || need_apt+=(curl)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v cc >/dev/null || need_apt+=(gcc libc6-dev)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  [ "${LFM_BENCH_NO_INSTALL:-0}" = 1 ] && { echo "missing: ${need_apt[*]}" >&2; exit 1; }
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  log "installing ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

BUILD=$ROOT/target/bench
mkdir -p "$BUILD/lib"
VENV=$BUILD/venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pylast' 2>/dev/null; then
  log "creating the pylast venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check pylast
fi

# ---------------------------------------------------------------- 2. build (-O2, from source)
log "building liblfm (cargo --release) and the contenders"
cargo build --release -q -p lfm-capi
# Work on a copy: other builds may replace target/release/liblfm_capi.so while we measure.
cp target/release/liblfm_capi.so "$BUILD/lib/liblfm.so"
cp target/release/liblfm_capi.so "$BUILD/lib/liblfm.so.0"
CFLAGS=(-O2 -std=gnu11 -Wall -Wextra -Iinclude -Ibenches)
LINK=(-L"$BUILD/lib" -Wl,-rpath,"$BUILD/lib" -llfm -lpthread)
cc "${CFLAGS[@]}" benches/sign_bench.c -o "$BUILD/sign_bench" "${LINK[@]}" -lcrypto
cc "${CFLAGS[@]}" benches/calls_bench.c -o "$BUILD/calls_bench" "${LINK[@]}" -lcurl -lssl -lcrypto
cc "${CFLAGS[@]}" benches/queue_bench.c -o "$BUILD/queue_bench" "${LINK[@]}" -lssl -lcrypto -lz
cc "${CFLAGS[@]}" benches/footprint.c -o "$BUILD/footprint" "${LINK[@]}"
(cd benches/rust-md5 && CARGO_TARGET_DIR="$BUILD/rust-md5" cargo build --release -q)
cargo build --release -q --example read_bench
cp target/release/examples/read_bench "$BUILD/read_bench"
RUSTMD5=$BUILD/rust-md5/release/lfm-bench-md5
PY=$VENV/bin/python

# ---------------------------------------------------------------- 3. nginx on loopback
WORK=$(mktemp -d /tmp/lfm-bench.XXXXXX)
chmod 755 "$WORK"   # nginx's worker (an unprivileged user when started as root) reads files here
NGINX_PID=
stop_nginx() {
  if [ -n "$NGINX_PID" ]; then
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=
  fi
}
trap 'stop_nginx; rm -rf "$WORK"' EXIT

log "throw-away CA and server certificate for 127.0.0.1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=lfm-bench-ca -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
  -keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' > "$WORK/ext.cnf"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
  -CAcreateserial -days 2 -extfile "$WORK/ext.cnf" -out "$WORK/server.pem" 2>/dev/null
chmod 644 "$WORK"/*.pem "$WORK"/*.key
CA=$WORK/ca.pem

read -r P_HTTP P_HTTPS P_XML P_SCR P_SCRS < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(5)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')
python3 benches/render_nginx.py benches/nginx.conf.in "$WORK" "$P_HTTP" "$P_HTTPS" "$P_XML" "$P_SCR" "$P_SCRS" >/dev/null
"$NGINX" -t -q -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' 2>/dev/null || "$NGINX" -t -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;'
taskset -c 0 "$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$P_HTTP/2.0/" && break
  sleep 0.05
done
curl -sf -o /dev/null --cacert "$CA" "https://127.0.0.1:$P_HTTPS/2.0/" || { echo "nginx did not come up" >&2; exit 1; }
log "nginx pid $NGINX_PID (worker on CPU 0): http $P_HTTP, https $P_HTTPS, xml $P_XML, scrobble $P_SCR/$P_SCRS"

# ---------------------------------------------------------------- 4. interleaved rounds
RESULTS=$WORK/results.txt
: > "$RESULTS"
val() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
rec() { echo "$1|$2|$3|$4" >> "$RESULTS"; }   # group|row|contender|value

# Rotate the contenders' order from round to round so none always goes first.
rotate() { local r=$1; shift; local a=("$@") n=$#; for ((i = 0; i < n; i++)); do echo "${a[$(( (i + r) % n ))]}"; done; }

run_sign() {  # round
  local c w v
  for w in love batch; do
    for c in $(rotate "$1" lfm openssl plainc rustmd5 pylast); do
      case $c in
        rustmd5) v=$(taskset -c 1 "$RUSTMD5" "$w" "$SIGN_SECS" | val ns_per_op) ;;
        pylast) v=$(taskset -c 1 "$PY" benches/pylast_bench.py sign "$w" "$SIGN_SECS" | val ns_per_op) ;;
        *) v=$(taskset -c 1 "$BUILD/sign_bench" "$c" "$w" "$SIGN_SECS" | val ns_per_op) ;;
      esac
      rec sign "$w" "$c" "$v"
    done
  done
}

run_calls() {  # round
  local proto place c v port cpus threads
  for proto in http https; do
    port=$P_HTTP; [ "$proto" = https ] && port=$P_HTTPS
    for place in same other four; do
      case $place in same) cpus=0; threads=1 ;; other) cpus=1; threads=1 ;; four) cpus=0,1; threads=4 ;; esac
      local who=(lfm bare libcurl)
      [ "$threads" = 1 ] && who+=(curlcmd)
      [ "$threads" = 1 ] && [ "$proto" = https ] && who+=(pylast)
      for c in $(rotate "$1" "${who[@]}"); do
        if [ "$c" = pylast ]; then
          v=$(SSL_CERT_FILE=$CA taskset -c "$cpus" "$PY" benches/pylast_bench.py calls "$P_XML" "$CALL_SECS" | val calls_per_s)
        else
          v=$(taskset -c "$cpus" "$BUILD/calls_bench" "$c" "$proto" "$threads" "$CALL_SECS" "$port" "$CA" | val calls_per_s)
        fi
        rec calls "$proto-$place" "$c" "$v"
      done
    done
  done
}

run_queue() {  # round
  local c v d
  for c in $(rotate "$1" lfm bare); do
    d=$(mktemp -d "$WORK/q.XXXXXX")
    v=$(taskset -c 1 "$BUILD/queue_bench" push "$c" "$PUSHES" "$d" | val plays_per_s)
    rec queue push "$c" "$v"
    rm -rf "$d"
  done
  local proto port
  for proto in http https; do
    port=$P_SCR; [ "$proto" = https ] && port=$P_SCRS
    for c in $(rotate "$1" lfm bare); do
      d=$(mktemp -d "$WORK/q.XXXXXX")
      v=$(taskset -c 1 "$BUILD/queue_bench" flush "$c" "$FLUSH_PLAYS" "$d" "$proto" "$port" "$CA" | val seconds)
      rec queue "flush-$proto" "$c" "$v"
      rm -rf "$d"
    done
  done
}

run_read() {  # round: normalization on CPU 1; pages with read_bench's own server thread, both CPUs
  local c
  for c in $(rotate "$1" parse normalize tree); do
    rec read normalize "$c" "$(taskset -c 1 "$BUILD/read_bench" normalize "$c" "$SIGN_SECS" | val ns_per_page)"
  done
  for c in $(rotate "$1" bare call parsed pager); do
    rec read pages "$c" "$(taskset -c 0,1 "$BUILD/read_bench" pages "$c" "$CALL_SECS" | val pages_per_s)"
  done
}

for r in $(seq "$ROUNDS"); do
  log "round $r/$ROUNDS: reading"
  run_read "$r"
  log "round $r/$ROUNDS: signing"
  run_sign "$r"
  log "round $r/$ROUNDS: calls"
  run_calls "$r"
  log "round $r/$ROUNDS: durable queue"
  run_queue "$r"
  v=$("$BUILD/footprint" client "$CLIENT_ITERS" "https://127.0.0.1:$P_HTTPS/2.0/" "$CA" | val median_us)
  rec footprint client_new_us lfm "$v"
done

rec read page_bytes size "$("$BUILD/read_bench" size | val bytes)"

# ---------------------------------------------------------------- 5. footprint (once)
log "footprint: $RSS_CALLS calls for the resident set, stripped sizes"
line=$(taskset -c 1 "$BUILD/footprint" rss "$RSS_CALLS" "$RSS_SAMPLE" "https://127.0.0.1:$P_HTTPS/2.0/" "$CA")
rec footprint rss_sample lfm "$(val rss_kb_sample <<< "$line")"
rec footprint rss_end lfm "$(val rss_kb_end <<< "$line")"
rec footprint rss_hwm lfm "$(val hwm_kb <<< "$line")"
stripped_size() { local t; t=$(mktemp "$WORK/strip.XXXXXX"); cp -L "$1" "$t"; strip --strip-all "$t"; stat -c %s "$t"; rm -f "$t"; }
rec footprint size liblfm "$(stripped_size "$BUILD/lib/liblfm.so")"
CURL_SO=$(ldconfig -p | awk '/libcurl\.so\.4 .*x86-64/ {print $NF; exit}')
rec footprint size libcurl "$(stripped_size "$CURL_SO")"
# libcurl's TLS, HTTP/2, IDN, Kerberos... dependencies (liblfm carries rustls and ring inside);
# the C library, which both link, is left out.
deps=0
for lib in $(ldd "$CURL_SO" | awk '/=>/ {print $3}' | grep -vE '/(libc|libm|libpthread|libdl|ld-linux[^/]*)\.so'); do
  deps=$(( deps + $(stripped_size "$lib") ))
done
rec footprint size libcurl_deps "$deps"

stop_nginx
log "nginx stopped"

# ---------------------------------------------------------------- 6. the report
python3 benches/report.py "$RESULTS" "$OUT" \
  rounds="$ROUNDS" call_seconds="$CALL_SECS" sign_seconds="$SIGN_SECS" pushes="$PUSHES" \
  flush_plays="$FLUSH_PLAYS" rss_calls="$RSS_CALLS" rss_sample="$RSS_SAMPLE" \
  client_iters="$CLIENT_ITERS" quick="$QUICK" nginx="$("$NGINX" -v 2>&1 | sed 's/.*\///')" \
  curl="$(curl --version | head -n1 | cut -d' ' -f2)" pylast="$("$PY" -c 'import pylast; print(pylast.__version__)')" \
  commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo +dirty-src)" \
  cpus="$(nproc)" cpu_model="$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)" \
  load="$(cut -d' ' -f1-3 /proc/loadavg)" elapsed="$(( $(date +%s) - STARTED ))"
log "wrote $OUT"
