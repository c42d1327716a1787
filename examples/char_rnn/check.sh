#!/bin/sh
# check.sh — char_rnn's ctest checks (examples/CMakeLists.txt registers one test per check):
#   check.sh learns  CHAR_RNN WORKDIR  300 iterations: the mean raw loss of iterations 250–300 is at
#                                      most 0.85× that of iterations 1–50
#   check.sh resume  CHAR_RNN WORKDIR  100 iterations, --save, --resume for 100 more: the trace CSV
#                                      lines (loss, smoothed loss, gradient norms; 17 digits) equal
#                                      those of 200 iterations in one run; for the default model
#                                      and for a 2-layer LSTM over 3 streams
#   check.sh usage   CHAR_RNN WORKDIR  bad flags, a missing and an empty text file: exit status 2
# Exit status 0 pass, 1 fail, 77 skipped (no default text: /usr/share/common-licenses/GPL-3).
set -u
check=$1 prog=$2 dir=$3
text=/usr/share/common-licenses/GPL-3
[ -r "$text" ] || { echo "skipped: no $text"; exit 77; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
run() { "$prog" --sample-every 0 --seed 7 "$@" >"$dir/out" 2>"$dir/err"; }

case $check in
learns)
    run --iters 300 --trace-csv "$dir/trace.csv" || { cat "$dir/err"; exit 1; }
    awk -F, 'NR > 1 && $1 <= 50 { a += $2; na++ }
             NR > 1 && $1 >= 250 { b += $2; nb++ }
             END { ra = a / na; rb = b / nb
                   printf "mean raw loss: iterations 1-50 %.3f, 250-300 %.3f, ratio %.3f (<= 0.85)\n",
                          ra, rb, rb / ra
                   exit !(na == 50 && nb == 51 && rb <= 0.85 * ra) }' "$dir/trace.csv"
    ;;
resume)
    # The default model, then an LSTM (a carried c too) of 2 layers over 3 streams.
    for cfg in "" "--cell lstm --layers 2 --hidden 32 --batch 3"; do
        # shellcheck disable=SC2086
        { run $cfg --iters 200 --trace-csv "$dir/whole.csv" &&
          run $cfg --iters 100 --trace-csv "$dir/first.csv" --save "$dir/model" &&
          run --iters 100 --trace-csv "$dir/second.csv" --resume "$dir/model"; } ||
            { cat "$dir/err"; exit 1; }
        tail -n +2 "$dir/second.csv" | cat "$dir/first.csv" - >"$dir/joined.csv"
        if cmp "$dir/whole.csv" "$dir/joined.csv"; then
            echo "char_rnn ${cfg:-(defaults)}: 200 iterations = 100, --save, --resume, 100:" \
                 "$(wc -l <"$dir/whole.csv") identical lines"
        else
            diff "$dir/whole.csv" "$dir/joined.csv" | head -5
            exit 1
        fi
    done
    run --iters 1 --resume "$dir/model" --hidden 50
    [ $? -eq 2 ] || { echo "FAIL: --resume with another --hidden: want status 2"; exit 1; }
    echo "ok: --resume with another --hidden: $(head -n 1 "$dir/err")"
    ;;
usage)
    : >"$dir/empty.txt"
    fail=0
    expect2() {
        "$prog" --iters 1 --sample-every 0 "$@" >"$dir/out" 2>"$dir/err"
        st=$?
        if [ "$st" -ne 2 ] || [ ! -s "$dir/err" ]; then
            echo "FAIL: char_rnn $* gave status $st (want 2 and a message)"
            fail=1
        else
            echo "ok: char_rnn $*: $(head -n 1 "$dir/err")"
        fi
    }
    expect2 --bogus
    expect2 --hidden
    expect2 --hidden 0
    expect2 --hidden 12x
    expect2 --cell lstn
    expect2 --lr -1
    expect2 --temperature nan
    expect2 --iters 5 --iters 6
    expect2 --text "$dir/no-such-file.txt"
    expect2 --text "$dir/empty.txt"
    expect2 --resume "$dir/no-such-model"
    exit $fail
    ;;
*)
    echo "usage: check.sh learns|resume|usage CHAR_RNN WORKDIR" >&2
    exit 1
    ;;
esac
