#!/usr/bin/env bash
# compare_model.sh — rnnbptt-bench --model against its peers (oneDNN, PyTorch) over the model
# sweep, interleaved, then a side-by-side markdown table (compare_table.py).
#
# usage: bench/peers/compare_model.sh [options] BUILD_DIR
#   BUILD_DIR            a CMake build dir holding bench/rnnbptt-bench
#   --cells LIST         default tanh,lstm,gru
#   --models LIST        L/D/T/B/I/H,... (D = 1 + bidirectional; default rnnbptt-bench --model's
#                        sweep: 2/1/50/64/512/512, 2/2/50/32/512/512, 3/1/100/32/256/256,
#                        3/2/100/32/256/256)
#   --O N                the head's outputs (default 16)
#   --threads N          threads for every implementation (default 2): rnnbptt's
#                        config.threads and BLAS threads, oneDNN's OpenMP threads, PyTorch's
#   --rounds R           interleaved rounds (default 3)
#   --reps N --warmup W  timed and warm-up steps inside each process (default 3 and 1)
#   --seconds S          ... and keep repeating until S seconds are spent (default 0)
#   --native             run every command under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`
#   --impls LIST         default rnnbptt,onednn,pytorch
#   --out DIR            default BUILD_DIR/peer-compare/model-<as-is|native>
#
# Interleaving: for each round, for each cell and model: rnnbptt, onednn, pytorch, one process
# each. OUT/raw/ holds one CSV per process (rnnbptt-bench --model's columns), OUT/logs/ their
# output, OUT/table.md the table: per model, the median over the rounds of each process's median
# step time, the peer / rnnbptt ratios (>= 1: rnnbptt faster) and how far the three losses differ
# (they compute the same model on the same data, see bench/common.h golden()); OUT/table-best.md
# the same with the best step over every round and rep (compare_table.py --figure best), the
# figure least disturbed by other load on a shared machine. The peers get
# --peak with the sgemm peak the bench measured just before them, for their pct_peak.
# Threads and wait policies as in compare.sh (oneDNN: libgomp's default; PyTorch: PASSIVE).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CELLS=tanh,lstm,gru MODELS=2/1/50/64/512/512,2/2/50/32/512/512,3/1/100/32/256/256,3/2/100/32/256/256
O=16 THREADS=2 ROUNDS=3 REPS=3 WARMUP=1 SECONDS_MIN=0 NATIVE=0 IMPLS=rnnbptt,onednn,pytorch OUT= BUILD=
CMDLINE="$0 $*"

die() { echo "compare_model.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --cells) CELLS=$2; shift 2 ;;
    --models) MODELS=$2; shift 2 ;;
    --O) O=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --seconds) SECONDS_MIN=$2; shift 2 ;;
    --native) NATIVE=1; shift ;;
    --impls) IMPLS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$BUILD" ] || die "more than one BUILD_DIR"; BUILD=$1; shift ;;
    esac
done
[ -n "$BUILD" ] || die "usage: compare_model.sh [options] BUILD_DIR (see --help)"

if [ "$NATIVE" = 1 ]; then
    SETTING=native RUN=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    SETTING_TEXT="native OpenBLAS kernels: every command run under env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
else
    SETTING=as-is RUN=(env)
    SETTING_TEXT="environment as it is: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
fi
OUT=${OUT:-$BUILD/peer-compare/model-$SETTING}
mkdir -p "$OUT/raw" "$OUT/logs"
rm -f "$OUT"/raw/*.csv
PY=${PYTHON:-/usr/bin/python3}
command -v "$PY" >/dev/null || PY=$(command -v python3 || true)
BENCH=$BUILD/bench/rnnbptt-bench

want=()
IFS=, read -r -a req <<<"$IMPLS"
for impl in "${req[@]}"; do
    case $impl in
    rnnbptt) [ -x "$BENCH" ] || die "$BENCH not found: build the library with its bench first"
        want+=(rnnbptt) ;;
    onednn)
        if ! command -v "${CXX:-g++}" >/dev/null || [ ! -f /usr/include/oneapi/dnnl/dnnl.hpp ]; then
            echo "compare_model.sh: skipping onednn: no ${CXX:-g++} or no oneDNN headers (apt-get install libdnnl-dev)" >&2
        elif ! make -s -C "$HERE" O="$(cd "$OUT" && pwd)" "$(cd "$OUT" && pwd)/onednn_model" >"$OUT/logs/onednn-build.log" 2>&1; then
            echo "compare_model.sh: skipping onednn: the build failed (see $OUT/logs/onednn-build.log)" >&2
        else want+=(onednn); fi ;;
    pytorch)
        if [ -n "$PY" ] && "$PY" -c 'import torch, numpy' 2>/dev/null; then want+=(pytorch)
        else echo "compare_model.sh: skipping pytorch: no torch for ${PY:-python3} (apt-get install python3-torch)" >&2; fi ;;
    *) die "unknown impl '$impl' (rnnbptt, onednn, pytorch)" ;;
    esac
done
[ ${#want[@]} -gt 0 ] || die "nothing to run"
echo "compare_model.sh: cells $CELLS, models $MODELS, O = $O, $THREADS threads, $ROUNDS rounds x ($WARMUP warm-up + >= $REPS reps), impls: ${want[*]}"
echo "compare_model.sh: setting: $SETTING_TEXT; output in $OUT"

# ---- one process: impl at one (cell, model), round r ----
run_one() {
    local impl=$1 cell=$2 mdl=$3 r=$4
    local L D T B I H
    IFS=/ read -r L D T B I H <<<"$mdl"
    local tag="${impl}-${cell}-${mdl//\//x}-r$r"
    local csv="$OUT/raw/$tag.csv" log="$OUT/logs/$tag.log"
    local common=(--cell "$cell" --layers "$L" --bidirectional $((D - 1)) --points "$T/$B/$I/$H"
                  --O "$O" --threads "$THREADS" --reps "$REPS" --warmup "$WARMUP" --seconds "$SECONDS_MIN"
                  --csv "$csv")
    local peak=()
    [ -z "$PEAK" ] || peak=(--peak "$PEAK")
    case $impl in
    rnnbptt) "${RUN[@]}" "$BENCH" --model "${common[@]}" ;;
    onednn) "${RUN[@]}" OMP_NUM_THREADS="$THREADS" "$OUT/onednn_model" "${common[@]}" "${peak[@]}" ;;
    pytorch) "${RUN[@]}" "$PY" "$HERE/torch_model.py" "${common[@]}" "${peak[@]}" ;;
    esac >"$log" 2>&1 || { echo "compare_model.sh: $tag FAILED (see $log)" >&2; return 0; }
    [ "$impl" != rnnbptt ] || PEAK=$(sed -n 's|^# peak.*: *\([0-9.]*\) GFLOP/s.*|\1|p' "$log" | head -1)
    local ms
    ms=$(awk -F, 'NR == 2 { print $13 }' "$csv" 2>/dev/null)
    printf 'compare_model.sh: round %d/%d  %-5s %-20s %-8s %10s ms\n' "$r" "$ROUNDS" "$cell" "$mdl" "$impl" "${ms:-?}" >&2
}

IFS=, read -r -a cells <<<"$CELLS"
IFS=, read -r -a mdls <<<"$MODELS"
PEAK=
for ((r = 1; r <= ROUNDS; r++)); do
    for cell in "${cells[@]}"; do
        for mdl in "${mdls[@]}"; do
            for impl in "${want[@]}"; do run_one "$impl" "$cell" "$mdl" "$r"; done
        done
    done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
first_log=$OUT/logs/rnnbptt-${cells[0]}-${mdls[0]//\//x}-r1.log
corename= blas_line=
if [ -f "$first_log" ]; then
    grep '^#' "$first_log" >"$OUT/rnnbptt-header.txt" || true
    corename=$(sed -n 's/^# BLAS.*| core \([^ |]*\).*/\1/p' "$first_log" | head -1)
    blas_line=$(sed -n 's/^# BLAS *//p' "$first_log" | head -1)
fi
peaks=$(for f in "$OUT"/logs/rnnbptt-*.log; do sed -n 's|^# peak.*: *\([0-9.]*\) GFLOP/s.*|\1|p' "$f"; done 2>/dev/null | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%s–%s GFLOP/s over %d runs, median %s", v[1], v[NR], NR, v[int((NR + 1) / 2)] }')
versions=$(cat "$OUT"/logs/*-r1.log 2>/dev/null | grep -h -o -E 'oneDNN [0-9.]+|torch [0-9][0-9a-z.]*' | sort -u | paste -sd, - | sed 's/,/, /g')

csvs=()
for cell in "${cells[@]}"; do
    for mdl in "${mdls[@]}"; do
        for impl in "${want[@]}"; do
            for f in "$OUT/raw/${impl}-${cell}-${mdl//\//x}-r"*.csv; do [ -f "$f" ] && csvs+=("$f"); done
        done
    done
done
[ ${#csvs[@]} -gt 0 ] || die "no run produced a CSV (see $OUT/logs/)"
meta=(
    --meta "**rnnbptt models vs peers: one training step, $THREADS threads, $(date -u +%Y-%m-%d)**" \
    --meta "" \
    --meta "- Machine: ${cpu:-unknown CPU}, $(nproc) CPUs; $(uname -sr)" \
    --meta "- Setting: $SETTING_TEXT" \
    --meta "- OpenBLAS core (openblas_get_corename() as rnnbptt-bench reports it): **${corename:-?}**; BLAS: ${blas_line:-?}" \
    --meta "- sgemm peak measured by rnnbptt-bench (N = 2048, $THREADS threads): ${peaks:-?}" \
    --meta "- Peers: ${versions:-none}; oneDNN one primitive per layer, explicit zero h0, libgomp default wait policy; PyTorch with OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS=$THREADS" \
    --meta "- Step: forward through L layers (D directions), head y = h·W_yᵀ + b_y (O = $O), MSE ½Σ(y − target)² at every step, backward; rnnbptt: rnnbptt_model_train_step with config.threads = $THREADS" \
    --meta "- $ROUNDS interleaved rounds (rnnbptt, then each peer, model by model), each process $WARMUP warm-up + at least $REPS timed steps" \
    --meta "- Command: \`$CMDLINE\`")
"$PY" "$HERE/compare_table.py" --out "$OUT/table.md" "${meta[@]}" "${csvs[@]}"
"$PY" "$HERE/compare_table.py" --figure best --out "$OUT/table-best.md" "${meta[@]}" "${csvs[@]}" >/dev/null
