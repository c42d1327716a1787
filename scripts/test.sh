#!/usr/bin/env bash
# test.sh — the project's test command: the CI legs (docs/testing.md), each in its own build tree,
# each printing its time. `bash scripts/test.sh` runs all of them; `bash scripts/test.sh plain asan`
# runs the named ones. A leg this CPU or toolchain cannot run is skipped with a message.
#   plain     the include-direction check (scripts/check_includes.sh), a -Werror Release build in
#             build/, ctest with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset (OpenBLAS picks its own
#             kernels; the examples run as tests too), then benchmark smoke runs of the layer
#             and the model modes (never timed)
#   haswell   the same binaries, ctest with OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512
#   asan      ASan + UBSan build in build-asan/, ctest (unset)
#   v3        the library capped to x86-64-v3 (AVX2 + FMA), build-v3/, ctest (unset)
#   baseline  the library capped to the SSE2 baseline, build-baseline/, ctest (unset)
#   l2-512k   the team rules as on cores with 512 KiB of L2, build-l2-512k/, ctest (unset)
#   tsan      ThreadSanitizer build, the team and concurrency tests (scripts/tsan.sh)
#   coverage  -O0 --coverage builds at native, v3 and baseline, gcovr over src/ merged
#   fuzz      clang + libFuzzer build of the model loader's harness in build-fuzz/, seeds from
#             its make_seeds, then a run of RNNBPTT_FUZZ_SECONDS (30) seconds
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=2
all_legs=(plain haswell asan v3 baseline l2-512k tsan coverage fuzz)
legs=("$@")
((${#legs[@]})) || legs=("${all_legs[@]}")

unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE # every leg but haswell: OpenBLAS's own choice

skip() { echo "leg $1: skipped: $2"; }

# 1 if this CPU runs x86-64-v3 (AVX2 and FMA), the level the v3 leg and OpenBLAS's Haswell
# kernels need.
cpu_has_v3() { grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; }

# configure DIR [cmake options...]: a -Werror build of library, tests, examples and benchmark.
configure() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -DRNNBPTT_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; return 1; }
}

run_ctest() { ctest --test-dir "$@" --output-on-failure -j"$jobs"; }

leg_plain() {
  bash scripts/check_includes.sh
  configure build
  run_ctest build
  if [[ -x build/bench/rnnbptt-bench ]]; then
    build/bench/rnnbptt-bench --quick # a smoke run: timings are printed, never asserted
    build/bench/rnnbptt-bench --model --quick # tiny stacked and bidirectional models, the same
  fi
}

leg_haswell() {
  cpu_has_v3 || { skip haswell "OpenBLAS's Haswell kernels need AVX2 and FMA"; return 0; }
  [[ -d build ]] || configure build
  OPENBLAS_CORETYPE=Haswell OPENBLAS_L2_SIZE=512 run_ctest build
}

# lsan_works LEG DIR: prints 1 if LeakSanitizer runs here, else 0 with a note. It cannot run
# under ptrace (some CI sandboxes); the leg then keeps ASan without it.
lsan_works() {
  local probe=$2/lsan-probe
  printf 'int main(void) { return 0; }\n' >"$probe.c"
  if cc -fsanitize=address "$probe.c" -o "$probe" && ASAN_OPTIONS=detect_leaks=1 "$probe" >/dev/null 2>&1; then
    echo 1
  else
    echo "leg $1: LeakSanitizer does not work here; running ASan with detect_leaks=0" >&2
    echo 0
  fi
}

leg_asan() {
  configure build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRNNBPTT_SANITIZE=ON
  local leaks
  leaks=$(lsan_works asan build-asan)
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=$leaks} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    run_ctest build-asan -LE exhaustive
}

leg_v3() {
  cpu_has_v3 || { skip v3 "this CPU has no AVX2 and FMA"; return 0; }
  configure build-v3 -DRNNBPTT_CPU_LEVEL=v3 -DRNNBPTT_BUILD_BENCH=OFF
  run_ctest build-v3 -LE exhaustive
}

leg_baseline() {
  configure build-baseline -DRNNBPTT_CPU_LEVEL=baseline -DRNNBPTT_BUILD_BENCH=OFF
  run_ctest build-baseline -LE exhaustive
}

leg_l2-512k() {
  configure build-l2-512k -DRNNBPTT_L2_BYTES=524288 -DRNNBPTT_BUILD_BENCH=OFF
  run_ctest build-l2-512k -LE exhaustive
}

leg_tsan() { bash scripts/tsan.sh; }

leg_coverage() { bash scripts/coverage.sh; }

# The loader's fuzzer (tests/fuzz): ASan + UBSan + libFuzzer; any crash, leak, abort of the
# harness's checks or allocation over 64 MiB (the inputs are a few KiB) fails the leg.
leg_fuzz() {
  command -v clang >/dev/null || { skip fuzz "no clang"; return 0; }
  mkdir -p build-fuzz
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
    >build-fuzz/fuzzer-probe.c
  clang -fsanitize=fuzzer,address build-fuzz/fuzzer-probe.c -o build-fuzz/fuzzer-probe 2>/dev/null ||
    { skip fuzz "clang cannot link libFuzzer (Debian: libclang-rt-14-dev)"; return 0; }
  configure build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRNNBPTT_FUZZ=ON \
    -DRNNBPTT_BUILD_TESTS=OFF -DRNNBPTT_BUILD_BENCH=OFF \
    -DRNNBPTT_BUILD_EXAMPLES=OFF
  local corpus=build-fuzz/corpus log=build-fuzz/fuzz.log leaks status=0
  rm -rf "$corpus" && mkdir "$corpus"
  build-fuzz/tests/fuzz/make_seeds "$corpus"
  leaks=$(lsan_works fuzz build-fuzz)
  build-fuzz/tests/fuzz/fuzz_load -max_total_time="${RNNBPTT_FUZZ_SECONDS:-30}" -malloc_limit_mb=64 \
    -detect_leaks="$leaks" -print_final_stats=1 -artifact_prefix=build-fuzz/ "$corpus" >"$log" 2>&1 ||
    status=$?
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  if ((status)); then
    tail -n 60 "$log"
    echo "leg fuzz: the fuzzer failed (status $status); the input is in build-fuzz/, the log $log"
    return 1
  fi
}

for leg in "${legs[@]}"; do
  if ! declare -F "leg_$leg" >/dev/null; then
    echo "test.sh: no leg '$leg' (legs: ${all_legs[*]})" >&2
    exit 2
  fi
done
for leg in "${legs[@]}"; do
  echo "== leg $leg"
  start=$SECONDS
  "leg_$leg"
  echo "leg $leg: done in $((SECONDS - start)) s"
done
