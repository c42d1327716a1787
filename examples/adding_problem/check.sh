#!/bin/sh
# check.sh — the ctest example_adding_problem: adding_problem at T = 10 for 300
# steps, every cell's final test MSE at most 0.5x its initial one (the step-0 test_mse row of the
# trace CSV), and a bad flag gives a message and exit status 2.
# usage: sh example_adding_problem.sh ADDING_PROBLEM WORK_DIR
set -u
prog=$1 work=$2
fail() { echo "example_adding_problem: FAIL: $*" >&2; exit 1; }
mkdir -p "$work" || fail "cannot make $work"

"$prog" --T 10 --steps 300 --cell all --seed 1 --trace-csv "$work/trace.csv" \
    >"$work/out.txt" 2>"$work/err.txt" || { cat "$work/err.txt" >&2; fail "exit status $?"; }
cat "$work/out.txt"
awk -v out="$work/out.txt" -F, '
    $3 == 0 && $4 == "test_mse" { init[$1] = $6 }
    END {
        n = 0; bad = 0
        while ((getline line < out) > 0) {
            split(line, f, " ")
            if (f[1] != "adding" || f[8] != "test_mse") continue
            n++
            if (!(f[3] in init)) { print "no initial test MSE for " f[3]; bad = 1; continue }
            printf "%s: initial test MSE %g, after %d steps %g (%.3fx)\n", f[3], init[f[3]], f[7], f[9], f[9] / init[f[3]]
            if (f[9] > 0.5 * init[f[3]]) { print f[3] ": not at most 0.5x the initial test MSE"; bad = 1 }
        }
        if (n != 4) { print "expected 4 summary lines, got " n; bad = 1 }
        exit bad
    }' "$work/trace.csv" || fail "test MSE check"

for args in "--T" "--T 1" "--T ten" "--cell elman" "--steps -3" "--threads 0" "--batch 0" \
            "--seed 1x" "--bogus" "--plot ''"; do
    eval "set -- $args"
    "$prog" "$@" >/dev/null 2>"$work/bad.txt"
    rc=$?
    [ "$rc" -eq 2 ] || fail "'$args': exit status $rc, expected 2"
    grep -q "^adding_problem: " "$work/bad.txt" || fail "'$args': no message on stderr"
    echo "'$args': exit status 2: $(head -n 1 "$work/bad.txt")"
done
echo "example_adding_problem: OK"
