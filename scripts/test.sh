#!/usr/bin/env bash
# test.sh — the project's test command: a -Werror build + ctest in build/, a benchmark smoke run,
# then the same build under AddressSanitizer + UBSan in build-asan/ with ctest again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=2

cmake -S . -B build -DRNNBPTT_WERROR=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
if [[ -x build/bench/rnnbptt-bench ]]; then
  build/bench/rnnbptt-bench --quick # a smoke run: timings are printed, never asserted
fi

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRNNBPTT_SANITIZE=ON -DRNNBPTT_WERROR=ON
cmake --build build-asan -j"$jobs"

# LeakSanitizer cannot run under ptrace (some CI sandboxes): probe it and keep ASan without it there.
probe=build-asan/lsan-probe
printf 'int main(void) { return 0; }\n' >"$probe.c"
leaks=1
cc -fsanitize=address "$probe.c" -o "$probe" && ASAN_OPTIONS=detect_leaks=1 "$probe" >/dev/null 2>&1 || leaks=0
((leaks)) || echo "test.sh: LeakSanitizer does not work here; running ASan with detect_leaks=0" >&2

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"
