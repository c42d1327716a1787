#!/usr/bin/env bash
# coverage.sh — the coverage leg: the library and its tests built at -O0 with --coverage at the
# native level, capped to x86-64-v3 and capped to the SSE2 baseline (build-cov-*/), ctest in each,
# then gcovr's line and branch coverage of src/ merged over the three (unreachable branches
# excluded). Writes build-cov/summary.txt, build-cov/coverage.txt (lines: per file, with the lines
# not run) and build-cov/branches.txt (branches); docs/testing.md names every uncovered region and why. install_consumers is not run: a
# --coverage library exports __gcov_* symbols, which that test rightly refuses. The counters are
# updated atomically: the team's threads run the same code at once. The element-wise passes are
# built without target_clones (RB_NO_CLONES): their copies per x86-64 level are one source, and a
# copy this CPU cannot run would count as untested lines; the levels' own code (the team kernel's
# instances, rb_cpu_level) is still built and counted per leg.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=2
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE

if ! command -v gcovr >/dev/null; then
  echo "leg coverage: skipped: gcovr is not installed (apt-get install gcovr)"
  exit 0
fi
levels=(native baseline)
if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then
  levels=(native v3 baseline)
else
  echo "leg coverage: this CPU has no AVX2 and FMA: merging native and baseline only"
fi

mkdir -p build-cov
tracefiles=()
for level in "${levels[@]}"; do
  dir=build-cov-$level
  find "$dir" -name '*.gcda' -delete 2>/dev/null || true
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DRNNBPTT_CPU_LEVEL="$level" \
    -DCMAKE_C_FLAGS="-O0 --coverage -fprofile-update=atomic -DRB_NO_CLONES=1" -DCMAKE_CXX_FLAGS="-O0 --coverage" \
    -DCMAKE_EXE_LINKER_FLAGS=--coverage -DCMAKE_SHARED_LINKER_FLAGS=--coverage \
    -DRNNBPTT_WERROR=ON -DRNNBPTT_BUILD_BENCH=OFF >/dev/null
  cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || { cat "$dir/build.log"; exit 1; }
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" -LE exhaustive -E '^install_consumers$'
  gcovr --root . "$dir" --filter 'src/' --exclude-unreachable-branches \
    --json "build-cov/$level.json"
  tracefiles+=(--add-tracefile "build-cov/$level.json")
done

# (Never -o /dev/null: gcovr replaces its output file, and /dev/null would become a plain file.)
gcovr --root . "${tracefiles[@]}" --branches -o build-cov/branches.txt
gcovr --root . "${tracefiles[@]}" --print-summary -o build-cov/coverage.txt | tee build-cov/summary.txt
