#!/usr/bin/env bash
# test-install.sh: install liblfm into a temporary prefix and prove every consumer works
# against that installed copy only, talking to the project's mock server on 127.0.0.1.
#
#   bash scripts/test-install.sh        (or: make test-install)
#   KEEP=1 bash scripts/test-install.sh keeps the temp dir (prefix, builds, logs) for a look.
#
# Installs with `make install`, i.e. `cargo cinstall` (cargo-c, installed once by
# scripts/ensure-cargo-c.sh) plus the CMake package files.
# Checks: the installed layout (and that the headers are the committed ones), SONAME, exported symbols, pkg-config metadata, a C program
# (pkg-config, shared), the same program statically linked with liblfm.a (pkg-config
# --static), a CMake project (find_package(lfm): lfm::lfm, lfm::lfm_static, C++), the C++17
# wrapper (-Wall -Wextra -Werror), `go test` (shared and -tags lfm_static), the Kotlin/JVM
# round trip (JNA), the Python pytest suite (ctypes), the Python and Kotlin mirrors of lfm.h's
# structs and constants against a C program (tests/bindings/abi_check.py: host, -m32, arm32),
# and a DESTDIR install + uninstall.
# Each consumer logs in over HTTPS with the mock's CA, sees a wrong password fail with API
# error 4, makes a signed call, sees an injected API error with its code, scrobbles, and
# pushes and flushes the durable queue. Missing tools are installed quietly (apt-get: cmake
# golang-go libjna-java pkg-config gcc-multilib; npm: kotlin-compiler; pip in
# target/install-venv: pytest).
# Ends with "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

say() { printf '== %s\n' "$*"; }

# --- tools ---------------------------------------------------------------------------------
ensure_tools() {
  local apt=()
  command -v cmake >/dev/null || apt+=(cmake)
  command -v go >/dev/null || apt+=(golang-go)
  command -v pkg-config >/dev/null || apt+=(pkg-config)
  [ -f /usr/share/java/jna.jar ] || apt+=(libjna-java)
  command -v java >/dev/null || apt+=(default-jdk-headless)
  command -v c++ >/dev/null || apt+=(g++)
  # tests/bindings/abi_check.py compiles lfm.h with -m32 (the i386 layout).
  if [ "$(uname -m)" = x86_64 ] && ! echo 'int main(void) { return 0; }' | cc -m32 -x c - -o /dev/null 2>/dev/null; then
    apt+=(gcc-multilib)
  fi
  if [ ${#apt[@]} -gt 0 ]; then
    say "installing ${apt[*]} (apt-get)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt[@]}" >/dev/null
  fi
  KOTLINC=""
  if command -v kotlinc >/dev/null; then
    KOTLINC=$(command -v kotlinc)
  elif command -v npm >/dev/null; then
    local npm_root
    npm_root=$(npm root -g)
    if [ ! -x "$npm_root/kotlin-compiler/bin/kotlinc" ]; then
      say "installing kotlin-compiler (npm -g)"
      npm install -g --silent kotlin-compiler >/dev/null 2>&1
    fi
    [ -x "$npm_root/kotlin-compiler/bin/kotlinc" ] && KOTLINC="$npm_root/kotlin-compiler/bin/kotlinc"
  fi
  VENV="$ROOT/target/install-venv"
  if ! "$VENV/bin/python" -c 'import pytest' 2>/dev/null; then
    say "installing pytest into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check pytest >/dev/null
  fi
}

# --- checks --------------------------------------------------------------------------------
PASSED=0
FAILED=0
RESULTS=()

# check NAME COMMAND...: run COMMAND with its output in a log; record PASS/FAIL.
check() {
  local name=$1 log
  shift
  log="$LOGS/$(tr -c 'A-Za-z0-9' '_' <<< "$name").log"
  if "$@" > "$log" 2>&1; then
    PASSED=$((PASSED + 1))
    RESULTS+=("PASS  $name")
    printf '  PASS  %s\n' "$name"
  else
    FAILED=$((FAILED + 1))
    RESULTS+=("FAIL  $name  (log: $log)")
    printf '  FAIL  %s\n' "$name"
    sed 's/^/        | /' "$log" | tail -n 40
  fi
}

check_layout() {
  local lib=$PREFIX/lib
  test -f "$lib/liblfm.so.$VERSION" && test ! -L "$lib/liblfm.so.$VERSION"
  test "$(readlink "$lib/liblfm.so.0")" = "liblfm.so.$VERSION"
  test "$(readlink -f "$lib/liblfm.so")" = "$(readlink -f "$lib/liblfm.so.$VERSION")"
  test -f "$lib/liblfm.a"
  # cargo-c installs the committed headers, not a header of its own.
  cmp "$PREFIX/include/lfm.h" include/lfm.h && cmp "$PREFIX/include/lfm.hpp" include/lfm.hpp
  test -f "$lib/pkgconfig/lfm.pc"
  test -f "$lib/cmake/lfm/lfmConfig.cmake" && test -f "$lib/cmake/lfm/lfmConfigVersion.cmake"
  find "$PREFIX" | sort
}

check_soname() {
  readelf -d "$PREFIX/lib/liblfm.so.$VERSION" | tee /dev/stderr | grep -q 'SONAME.*\[liblfm\.so\.0\]'
}

check_exports() {
  local all others declared
  all=$(nm -D --defined-only "$PREFIX/lib/liblfm.so.$VERSION" | awk '{print $3}' | sort)
  others=$(grep -v '^lfm_' <<< "$all" || true)
  declared=$(grep -oE '\blfm_[a-z_0-9]+\(' "$PREFIX/include/lfm.h" | tr -d '(' | sort -u)
  echo "exported: $(wc -l <<< "$all") symbols"
  if [ -n "$others" ]; then echo "non-lfm_ exports:"; echo "$others"; return 1; fi
  # Every function the header declares is exported, and nothing undeclared is.
  diff <(echo "$declared") <(echo "$all")
}

check_pkgconfig() {
  test "$(pkg-config --modversion lfm)" = "$VERSION"
  pkg-config --cflags --libs lfm
  pkg-config --static --libs lfm
  pkg-config --static --libs lfm | grep -q -- '-lpthread'
  test "$(pkg-config --variable=libdir lfm)" = "$PREFIX/lib"
}

run_c() { "$1" "$2" "$WORK"; }

c_shared() {
  cc -std=c99 -Wall -Wextra -Werror -pedantic tests/install/c/roundtrip.c -o "$BUILD/c_shared" \
    $(pkg-config --cflags --libs lfm) -Wl,-rpath,"$PREFIX/lib"
  readelf -d "$BUILD/c_shared" | grep -q 'NEEDED.*\[liblfm\.so\.0\]'
  run_c "$BUILD/c_shared" "c-shared-$TAG"
}

c_static() {
  # pkg-config --static adds Libs.private; -l:liblfm.a picks the archive over the .so.
  local flags
  flags=$(pkg-config --static --cflags --libs lfm | sed -E 's/(^| )-llfm( |$)/\1-l:liblfm.a\2/')
  echo "flags: $flags"
  cc -std=c99 -Wall -Wextra -Werror -pedantic tests/install/c/roundtrip.c -o "$BUILD/c_static" $flags
  if readelf -d "$BUILD/c_static" | grep -q 'liblfm'; then echo "links liblfm.so"; return 1; fi
  nm "$BUILD/c_static" | grep -q ' T lfm_client_new$'
  run_c "$BUILD/c_static" "c-static-$TAG"
}

cmake_build() {
  cmake -S tests/install/cmake -B "$BUILD/cmake" -DCMAKE_PREFIX_PATH="$PREFIX" \
    -DCMAKE_BUILD_TYPE=Release
  cmake --build "$BUILD/cmake" -j 2
}
cmake_shared() {
  readelf -d "$BUILD/cmake/roundtrip_cmake" | grep -q 'NEEDED.*\[liblfm\.so\.0\]'
  run_c "$BUILD/cmake/roundtrip_cmake" "cmake-shared-$TAG"
}
cmake_static() {
  if readelf -d "$BUILD/cmake/roundtrip_cmake_static" | grep -q liblfm; then return 1; fi
  run_c "$BUILD/cmake/roundtrip_cmake_static" "cmake-static-$TAG"
}
cmake_cpp() { run_c "$BUILD/cmake/roundtrip_cmake_cpp" "cmake-cpp-$TAG"; }

cpp_wrapper() {
  c++ -std=c++17 -O2 -Wall -Wextra -Werror -pedantic tests/install/cpp/roundtrip.cpp -o "$BUILD/cpp" \
    $(pkg-config --cflags --libs lfm) -Wl,-rpath,"$PREFIX/lib" -pthread
  run_c "$BUILD/cpp" "cpp-$TAG"
}

go_test() {
  (cd bindings/go && go vet "$@" ./... && go test -count=1 -v "$@" ./...) > "$BUILD/go.out" 2>&1 || {
    cat "$BUILD/go.out"; return 1; }
  cat "$BUILD/go.out"
  ! grep -q -- '--- SKIP' "$BUILD/go.out"
}
go_static() {
  go_test -tags lfm_static
  (cd bindings/go && go test -c -tags lfm_static -o "$BUILD/go-static.test" .)
  if readelf -d "$BUILD/go-static.test" | grep -q liblfm; then echo "links liblfm.so"; return 1; fi
}

kotlin() {
  [ -n "$KOTLINC" ] || { echo "kotlinc not available"; return 1; }
  "$KOTLINC" -nowarn bindings/kotlin/src/main/kotlin bindings/kotlin/src/test/kotlin \
    -cp /usr/share/java/jna.jar -include-runtime -d "$BUILD/lfm-roundtrip.jar"
  java -Djna.library.path="$PREFIX/lib" -cp "$BUILD/lfm-roundtrip.jar:/usr/share/java/jna.jar" \
    RoundTripKt "kotlin-$TAG" "$WORK"
}

# Needs the jar kotlin() built (AbiDumpKt), not liblfm.
abi_check() {
  [ -f "$BUILD/lfm-roundtrip.jar" ] || { echo "no Kotlin jar: the Kotlin check did not build it"; return 1; }
  "$VENV/bin/python" tests/bindings/abi_check.py --header "$PREFIX/include/lfm.h" \
    --kotlin "$BUILD/lfm-roundtrip.jar:/usr/share/java/jna.jar"
}

python_tests() {
  (cd bindings/python && LFM_EXPECT_LIBDIR="$PREFIX/lib" "$VENV/bin/python" -m pytest -v -p no:cacheprovider tests) \
    > "$BUILD/pytest.out" 2>&1 || { cat "$BUILD/pytest.out"; return 1; }
  cat "$BUILD/pytest.out"
  ! grep -q SKIPPED "$BUILD/pytest.out"
}

destdir_install() {
  local stage=$TMP/stage
  make -s install PREFIX=/opt/lfm DESTDIR="$stage"
  test -f "$stage/opt/lfm/lib/liblfm.so.$VERSION"
  grep -q '^prefix=/opt/lfm$' "$stage/opt/lfm/lib/pkgconfig/lfm.pc"
  make -s uninstall PREFIX=/opt/lfm DESTDIR="$stage"
  test -z "$(find "$stage" -type f -o -type l)"
}

# --- main ----------------------------------------------------------------------------------
ensure_tools

TMP=$(mktemp -d "${TMPDIR:-/tmp}/lfm-test-install.XXXXXX")
PREFIX=$TMP/prefix
BUILD=$TMP/build
WORK=$TMP/work
LOGS=$TMP/logs
mkdir -p "$BUILD" "$WORK" "$LOGS"
TAG="$$-$(date +%s)"

cleanup() {
  lfm_mock_stop 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

say "building lfm-mock (release)"
cargo build --release -q -p lfm-mock
VERSION=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)

bash scripts/ensure-cargo-c.sh
say "make install PREFIX=$PREFIX (cargo cinstall -p lfm-capi --prefix=$PREFIX, then the CMake files)"
make -s install PREFIX="$PREFIX" > "$LOGS/make-install.log" 2>&1 || { cat "$LOGS/make-install.log"; exit 1; }

# Only the installed copy from here on.
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig"
unset LFM_LIBRARY LD_LIBRARY_PATH
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GONOSUMDB=* GOFLAGS=-mod=mod
export CGO_LDFLAGS="-Wl,-rpath,$PREFIX/lib"
export GOCACHE="${GOCACHE:-$ROOT/target/go-cache}"

# shellcheck source=scripts/mock-env.sh
source scripts/mock-env.sh "$TMP/mock" || exit 1
say "mock server: $LFM_BASE_URL (pid $LFM_MOCK_PID)"

say "checks against $PREFIX"
check "installed layout (lib, symlinks, headers, pc, cmake)" check_layout
check "readelf -d: SONAME liblfm.so.0" check_soname
check "nm -D: only lfm_* exported, exactly the header's functions" check_exports
check "pkg-config lfm: version, flags, static Libs.private" check_pkgconfig
check "C via pkg-config (shared)" c_shared
check "C via pkg-config --static (liblfm.a)" c_static
check "CMake find_package(lfm): configure and build" cmake_build
check "CMake lfm::lfm (shared) round trip" cmake_shared
check "CMake lfm::lfm_static round trip" cmake_static
check "CMake C++ wrapper round trip" cmake_cpp
check "C++17 wrapper lfm.hpp (-Wall -Wextra -Werror -pedantic)" cpp_wrapper
check "Go: go test (shared, pkg-config)" go_test
check "Go: go test -tags lfm_static (liblfm.a)" go_static
check "Kotlin/JVM (JNA): compile and round trip" kotlin
check "Python (ctypes): pytest" python_tests
check "Python and Kotlin mirror lfm.h: structs (host, -m32, arm32) and constants" abi_check
check "make install DESTDIR=... / make uninstall" destdir_install

echo
say "summary"
printf '  %s\n' "${RESULTS[@]}"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
