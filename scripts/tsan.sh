#!/usr/bin/env bash
# tsan.sh — the ThreadSanitizer leg: a RelWithDebInfo -Werror build with RNNBPTT_TSAN=ON in
# build-tsan/, then ctest on the tests that run threads (test_team, test_concurrency). Any TSan
# report fails the run (halt_on_error=1).
# OPENBLAS_NUM_THREADS=1: OpenBLAS is not instrumented, so TSan cannot see how its threads hand
# data over (spin waits on plain variables) and a report involving them could not be trusted; its
# idle threads' spinning would also slow the instrumented ones. (With OpenBLAS 0.3.21's threads
# on, these tests gave no report either.)
# Settings in TSAN_OPTIONS are added after this script's own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=2

mkdir -p build-tsan
probe=build-tsan/tsan-probe
printf 'int main(void) { return 0; }\n' >"$probe.c"
if ! "${CC:-cc}" -fsanitize=thread "$probe.c" -o "$probe" 2>"$probe.log"; then
  echo "leg tsan: skipped: this compiler has no ThreadSanitizer runtime"
  exit 0
fi
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRNNBPTT_TSAN=ON -DRNNBPTT_WERROR=ON >/dev/null
cmake --build build-tsan -j"$jobs" >build-tsan/build.log 2>&1 || { cat build-tsan/build.log; exit 1; }

# TSan maps its shadow memory at fixed addresses; on kernels with more ASLR entropy than its
# runtime expects (vm.mmap_rnd_bits above 28), programs die with "unexpected memory mapping".
# Probe it, and there run the tests with address randomization off (setarch -R, inherited by
# ctest's children).
wrap=()
if ! "$probe" >"$probe.log" 2>&1; then
  if grep -q "unexpected memory mapping" "$probe.log" && setarch "$(uname -m)" -R "$probe"; then
    bits=$(sysctl -n vm.mmap_rnd_bits 2>/dev/null || echo "?")
    echo "tsan.sh: TSan cannot run with this kernel's ASLR (vm.mmap_rnd_bits = $bits);" \
      "running the tests under setarch -R" >&2
    wrap=(setarch "$(uname -m)" -R)
  else
    cat "$probe.log" >&2
    echo "tsan.sh: a ThreadSanitizer program does not run here" >&2
    exit 1
  fi
fi

OPENBLAS_NUM_THREADS=1 \
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1${TSAN_OPTIONS:+:$TSAN_OPTIONS}" \
  "${wrap[@]}" ctest --test-dir build-tsan --output-on-failure -R 'test_team|test_concurrency'
