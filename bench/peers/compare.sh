#!/usr/bin/env bash
# compare.sh — rnnbptt-bench against its peers (oneDNN, PyTorch, numpy per-step) over one grid,
# interleaved, then a side-by-side markdown table (compare_table.py).
#
# usage: bench/peers/compare.sh [options] BUILD_DIR
#   BUILD_DIR            a CMake build dir holding bench/rnnbptt-bench
#   --cell C             tanh (default) | relu | lstm | gru      (numpy runs tanh only)
#   --points LIST        T/B/I/H,...   (default: the benchmark issue's grid: 100/1/128/128,
#                        100/1/512/512, 1000/1/64/64, 100/32/256/256, 100/64/512/512,
#                        50/64/1024/1024, 500/16/256/256, 20/128/512/512)
#   --threads N          threads for every implementation (default 2)
#   --rounds R           interleaved rounds (default 3)
#   --reps N --warmup W  timed and warm-up reps inside each process (default 5 and 2)
#   --seconds S          ... and keep repeating until S seconds are spent (default 0.2)
#   --native             run EVERY command under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`
#                        (OpenBLAS picks its native kernels); default: the environment as it is
#   --impls LIST         default rnnbptt,rnnbptt-team,onednn,pytorch,numpy (rnnbptt-team: the
#                        library with an rnnbptt_team of --threads threads; when it runs, the
#                        ratios are taken against it, and rnnbptt's column shows the team's gain)
#   --team-env LIST      extra environment for the rnnbptt-team processes only, as VAR=VALUE,...
#                        (e.g. OPENBLAS_THREAD_TIMEOUT=4, to see how OpenBLAS's pool affects them)
#   --out DIR            default BUILD_DIR/peer-compare/<cell>-<as-is|native>
#
# Interleaving: for each round, for each point: rnnbptt, rnnbptt-team, onednn, pytorch, numpy,
# one process each, so drift and other load on the machine hit all of them alike. Each process writes one CSV
# (rnnbptt-bench's columns) to OUT/raw/; OUT/table.md is the table (per point: median over the
# rounds of each process's median total ms, and peer / rnnbptt ratios: >= 1 means rnnbptt is
# faster); OUT/logs/ keeps every process's stdout and stderr; OUT/rnnbptt-header.txt the bench's
# run header (BLAS, OpenBLAS core, measured sgemm peak). Each round's peers get --peak with the
# sgemm peak rnnbptt-bench measured just before them at the same point, for their pct_peak.
#
# Threads: rnnbptt-bench sets its BLAS threads itself (--threads); onednn_rnn (libgomp) gets
# OMP_NUM_THREADS and calls omp_set_num_threads; torch_rnn.py re-executes itself with
# OMP_WAIT_POLICY=PASSIVE, OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to the thread count.
# A peer that is not available (no g++ or oneDNN headers, no torch, no numpy) is skipped with a
# message. The oneDNN peer is compiled into OUT/ with the line in bench/peers/Makefile ($CXX, default
# g++). The Python peers run with $PYTHON (default /usr/bin/python3).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GRID="100/1/128/128,100/1/512/512,1000/1/64/64,100/32/256/256,100/64/512/512,50/64/1024/1024,500/16/256/256,20/128/512/512"
CELL=tanh POINTS=$GRID THREADS=2 ROUNDS=3 REPS=5 WARMUP=2 SECONDS_MIN=0.2 NATIVE=0
IMPLS=rnnbptt,rnnbptt-team,onednn,pytorch,numpy OUT= BUILD= TEAM_ENV=
CMDLINE="$0 $*"

die() { echo "compare.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --cell) CELL=$2; shift 2 ;;
    --points) POINTS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --seconds) SECONDS_MIN=$2; shift 2 ;;
    --native) NATIVE=1; shift ;;
    --impls) IMPLS=$2; shift 2 ;;
    --team-env) TEAM_ENV=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$BUILD" ] || die "more than one BUILD_DIR"; BUILD=$1; shift ;;
    esac
done
[ -n "$BUILD" ] || die "usage: compare.sh [options] BUILD_DIR (see --help)"
case $CELL in tanh|relu|lstm|gru) ;; *) die "--cell must be tanh, relu, lstm or gru" ;; esac

if [ "$NATIVE" = 1 ]; then
    SETTING=native
    RUN=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    SETTING_TEXT="native OpenBLAS kernels: every command run under env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
else
    SETTING=as-is
    RUN=(env)
    SETTING_TEXT="environment as it is: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
fi
OUT=${OUT:-$BUILD/peer-compare/$CELL-$SETTING}
mkdir -p "$OUT/raw" "$OUT/logs"
rm -f "$OUT"/raw/*.csv
PY=${PYTHON:-/usr/bin/python3}   # Debian's python3 with python3-numpy / python3-torch
command -v "$PY" >/dev/null || PY=$(command -v python3 || true)

# ---- which implementations can run ----
want=() 
IFS=, read -r -a req <<<"$IMPLS"
for impl in "${req[@]}"; do
    case $impl in
    rnnbptt|rnnbptt-team)
        BENCH=$BUILD/bench/rnnbptt-bench
        [ -x "$BENCH" ] || die "$BENCH not found: build the library with its bench first"
        want+=("$impl") ;;
    onednn)
        if ! command -v "${CXX:-g++}" >/dev/null || [ ! -f /usr/include/oneapi/dnnl/dnnl.hpp ]; then
            echo "compare.sh: skipping onednn: no ${CXX:-g++} or no oneDNN headers (apt-get install libdnnl-dev)" >&2
        elif ! make -s -C "$HERE" O="$(cd "$OUT" && pwd)" >"$OUT/logs/onednn-build.log" 2>&1; then
            echo "compare.sh: skipping onednn: the build failed (see $OUT/logs/onednn-build.log)" >&2
        else
            want+=(onednn)
        fi ;;
    pytorch)
        if [ -n "$PY" ] && "$PY" -c 'import torch, numpy' 2>/dev/null; then want+=(pytorch)
        else echo "compare.sh: skipping pytorch: no torch for ${PY:-python3} (apt-get install python3-torch)" >&2; fi ;;
    numpy)
        if [ "$CELL" != tanh ]; then echo "compare.sh: skipping numpy: it runs the tanh cell only" >&2
        elif [ -n "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then want+=(numpy)
        else echo "compare.sh: skipping numpy: no numpy for ${PY:-python3} (apt-get install python3-numpy)" >&2; fi ;;
    *) die "unknown impl '$impl' (rnnbptt, rnnbptt-team, onednn, pytorch, numpy)" ;;
    esac
done
[ ${#want[@]} -gt 0 ] || die "nothing to run"

echo "compare.sh: cell $CELL, $THREADS threads, $ROUNDS rounds x ($WARMUP warm-up + >= $REPS reps and >= ${SECONDS_MIN} s), impls: ${want[*]}"
echo "compare.sh: setting: $SETTING_TEXT"
echo "compare.sh: output in $OUT"

# ---- one process: impl at one point, round r ----
run_one() {
    local impl=$1 pt=$2 r=$3
    local tag="${impl}-${pt//\//x}-r$r"
    local csv="$OUT/raw/$tag.csv" log="$OUT/logs/$tag.log"
    local common=(--cell "$CELL" --points "$pt" --threads "$THREADS" --reps "$REPS" --warmup "$WARMUP"
                  --seconds "$SECONDS_MIN" --csv "$csv")
    local peak=()
    [ -z "$PEAK" ] || peak=(--peak "$PEAK")
    case $impl in
    rnnbptt) "${RUN[@]}" "$BENCH" --impl "$impl" "${common[@]}" ;;
    rnnbptt-team) "${RUN[@]}" "${TEAM_VARS[@]}" "$BENCH" --impl "$impl" "${common[@]}" ;;
    onednn) "${RUN[@]}" OMP_NUM_THREADS="$THREADS" "$OUT/onednn_rnn" "${common[@]}" "${peak[@]}" ;;
    pytorch|numpy) "${RUN[@]}" "$PY" "$HERE/torch_rnn.py" --impl "$impl" "${common[@]}" "${peak[@]}" ;;
    esac >"$log" 2>&1 || { echo "compare.sh: $tag FAILED (see $log)" >&2; return 0; }
    # the sgemm peak the bench measured in this process (its "# peak ... : X GFLOP/s" header line)
    [ "$impl" != rnnbptt ] || PEAK=$(sed -n 's|^# peak.*: *\([0-9.]*\) GFLOP/s.*|\1|p' "$log" | head -1)
    local ms
    ms=$(awk -F, 'NR == 2 { print $10 }' "$csv" 2>/dev/null)
    printf 'compare.sh: round %d/%d  %-16s %-8s %10s ms\n' "$r" "$ROUNDS" "$pt" "$impl" "${ms:-?}" >&2
}

TEAM_VARS=()
[ -z "$TEAM_ENV" ] || IFS=, read -r -a TEAM_VARS <<<"$TEAM_ENV"
IFS=, read -r -a pts <<<"$POINTS"
PEAK=
for ((r = 1; r <= ROUNDS; r++)); do
    for pt in "${pts[@]}"; do
        for impl in "${want[@]}"; do run_one "$impl" "$pt" "$r"; done
    done
done

# ---- what ran: machine, OpenBLAS core (as rnnbptt-bench reports it), versions ----
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
corename="(rnnbptt not run)" blas_line= peak_line=
first_log=$OUT/logs/rnnbptt-${pts[0]//\//x}-r1.log
if [ -f "$first_log" ]; then
    grep '^#' "$first_log" >"$OUT/rnnbptt-header.txt" || true
    corename=$(sed -n 's/^# BLAS.*| core \([^ |]*\).*/\1/p' "$first_log" | head -1)
    blas_line=$(sed -n 's/^# BLAS *//p' "$first_log" | head -1)
    peak_line=$(sed -n 's/^# peak *//p' "$first_log" | head -1)
fi
peaks=$(for f in "$OUT"/logs/rnnbptt-*.log; do sed -n 's|^# peak.*: *\([0-9.]*\) GFLOP/s.*|\1|p' "$f"; done 2>/dev/null | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s–%s GFLOP/s over %d runs, median %s", v[1], v[NR], NR, v[int((NR + 1) / 2)] }')
py_core=$("${RUN[@]}" "${PY:-python3}" -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())' 2>/dev/null || echo unknown)
versions=$(cat "$OUT"/logs/*-r1.log 2>/dev/null | grep -h -o -E 'oneDNN [0-9.]+|torch [0-9][0-9a-z.]*|numpy [0-9.]+' | sort -u | paste -sd, - | sed 's/,/, /g')

# the CSVs in grid order, so the table follows the grid
csvs=()
for pt in "${pts[@]}"; do
    for impl in "${want[@]}"; do
        for f in "$OUT/raw/${impl}-${pt//\//x}-r"*.csv; do [ -f "$f" ] && csvs+=("$f"); done
    done
done
[ ${#csvs[@]} -gt 0 ] || die "no run produced a CSV (see $OUT/logs/)"
OURS=rnnbptt
[[ " ${want[*]} " != *" rnnbptt-team "* ]] || OURS=rnnbptt-team
"${PY:-python3}" "$HERE/compare_table.py" --ours "$OURS" --out "$OUT/table.md" \
    --meta "**rnnbptt vs peers: cell $CELL, $THREADS threads, $(date -u +%Y-%m-%d)**" \
    --meta "" \
    --meta "- Machine: ${cpu:-unknown CPU}, $(nproc) CPUs; $(uname -sr)" \
    --meta "- Setting: $SETTING_TEXT${TEAM_ENV:+; rnnbptt-team processes also with $TEAM_ENV}" \
    --meta "- OpenBLAS core (openblas_get_corename() as rnnbptt-bench reports it): **${corename:-?}** (from Python under the same setting: $py_core); BLAS: ${blas_line:-?}" \
    --meta "- sgemm peak measured by rnnbptt-bench (${peak_line:-?}): ${peaks:-?}" \
    --meta "- Peers: ${versions:-none}; oneDNN runs on libgomp with OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-(unset, libgomp default: spin, then sleep)}; PyTorch and numpy with OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=$THREADS" \
    --meta "- $ROUNDS interleaved rounds (rnnbptt, then each peer, point by point), each process $WARMUP warm-up + at least $REPS timed reps and ${SECONDS_MIN} s" \
    --meta "- Command: \`$CMDLINE\`" \
    "${csvs[@]}"
