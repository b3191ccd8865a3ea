#!/usr/bin/env bash
# Run every cargo-fuzz target of fuzz/ for a bounded time and report executions per target.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#   FUZZ_TARGETS="sign reply" scripts/fuzz.sh 30
#
# Installs cargo-fuzz if missing. The committed seeds in fuzz/corpus/<target>/ are read
# only; what the fuzzer discovers goes to fuzz/work/<target>/ (git-ignored). A crash leaves
# its input in fuzz/artifacts/<target>/ and makes the script exit non-zero (after the other
# targets have run). Needs nightly features: RUSTC_BOOTSTRAP=1 lets a stable toolchain build.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"

SECS=${1:-60}
case "$SECS" in ''|*[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked || exit 2
fi

TARGETS=${FUZZ_TARGETS:-$(cargo fuzz list)}
echo "== building fuzz targets: $(echo $TARGETS)"
cargo fuzz build || exit 2

failed=()
summary=()
for target in $TARGETS; do
  mkdir -p "work/$target" "corpus/$target" "artifacts/$target"
  log="work/$target.log"
  echo "== $target for ${SECS}s (log: fuzz/$log)"
  # -rss_limit_mb guards against a runaway allocation; -timeout flags a hang of one input.
  cargo fuzz run "$target" "work/$target" "corpus/$target" -- \
    -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    > "$log" 2>&1
  rc=$?
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$log" | tail -1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  corpus=$(ls "work/$target" | wc -l)
  if [ $rc -ne 0 ]; then
    failed+=("$target")
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" | head -5
    summary+=("$target: FAILED (exit $rc) after ${execs:-?} executions; see fuzz/$log and fuzz/artifacts/$target/")
  else
    summary+=("$target: ${execs:-?} executions in ${SECS}s (${rate:-?}/s), $cov, $corpus new corpus files")
  fi
done

echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]}"
  exit 1
fi
echo "all targets ran ${SECS}s without a crash"
