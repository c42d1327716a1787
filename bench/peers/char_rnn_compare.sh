#!/usr/bin/env bash
# char_rnn_compare.sh — examples/char_rnn against its reference, bench/peers/min_char_rnn.py
# (numpy float64), side by side in one run: for each seed, char_rnn, the reference as the gist
# has it (Adagrad's eps inside the square root) and the reference with --torch-eps (eps outside,
# as char_rnn's Adagrad has it) run one after the other on the same text with sampling off, one
# thread each (--threads 1, OPENBLAS_NUM_THREADS=1 for all). Reports per seed the iterations per
# second (the training loop's wall time alone, as each program prints it) and the smoothed loss
# after 5,000 and --iters iterations; then the median speeds and their ratio (target >= 10), and
# whether every char_rnn loss lies in [min − 2, max + 2] of each reference's over the seeds (the
# issue's band).
#
# Usage: bench/peers/char_rnn_compare.sh [--seeds "1 2 3"] [--iters N] [--text FILE]
#                                         [--out DIR] BUILD_DIR
# BUILD_DIR holds examples/char_rnn. Writes DIR/table.md (default: a new directory under /tmp)
# and the programs' outputs beside it; prints the table. Needs /usr/bin/python3 with numpy.
set -euo pipefail

seeds="1 2 3"
iters=20000
text=/usr/share/common-licenses/GPL-3
out=""
while [[ $# -gt 1 ]]; do
    case $1 in
    --seeds) seeds=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --text) text=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done
[[ $# -eq 1 ]] || { echo "usage: $0 [--seeds \"1 2 3\"] [--iters N] [--text FILE] [--out DIR] BUILD_DIR" >&2; exit 2; }
prog=$1/examples/char_rnn
here=$(cd "$(dirname "$0")" && pwd)
[[ -x $prog ]] || { echo "$prog: not built" >&2; exit 2; }
(( iters >= 5000 )) || { echo "--iters must be at least 5000" >&2; exit 2; }
out=${out:-$(mktemp -d /tmp/char_rnn_compare.XXXXXX)}
mkdir -p "$out"

export OPENBLAS_NUM_THREADS=1
for s in $seeds; do
    echo "seed $s: char_rnn" >&2
    "$prog" --text "$text" --seed "$s" --iters "$iters" --threads 1 --sample-every 0 \
        >"$out/c.$s.out" 2>"$out/c.$s.err"
    echo "seed $s: min_char_rnn.py" >&2
    /usr/bin/python3 "$here/min_char_rnn.py" --data "$text" --seed "$s" --iters "$iters" \
        --sample 0 >"$out/py.$s.out" 2>"$out/py.$s.err"
    echo "seed $s: min_char_rnn.py --torch-eps" >&2
    /usr/bin/python3 "$here/min_char_rnn.py" --data "$text" --seed "$s" --iters "$iters" \
        --sample 0 --torch-eps >"$out/pyt.$s.out" 2>"$out/pyt.$s.err"
done

# shellcheck disable=SC2086
/usr/bin/python3 "$here/char_rnn_table.py" "$out" "$iters" "$text" $seeds | tee "$out/table.md"
