#!/bin/sh
# run.sh — the acceptance check: the INSTALLED librnnbptt against PyTorch float64.
#
# Usage:  tests/torch_check/run.sh PREFIX [N=200] [SEED=1]
#   PREFIX  where librnnbptt is installed (cmake --install BUILD --prefix PREFIX)
# Builds torch_check.c with pkg-config only (as a user would), draws N random problems with
# gen_problems.py (PyTorch float64 via /usr/bin/python3), runs torch_check on them and exits with
# its status: 0 all passed, 1 a mismatch, 2 unreadable problems; 77 (skip) without PyTorch.
# Environment: CC (default cc), CFLAGS (default -O2 -Wall -Wextra -Wpedantic), PYTHON
# (default /usr/bin/python3), KEEP=1 keeps the scratch directory.
set -eu

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
    echo "usage: $0 PREFIX [N=200] [SEED=1]" >&2
    exit 2
fi
prefix=$(cd "$1" && pwd)
n=${2:-200}
seed=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}

if ! "$python" -c 'import torch, numpy' >/dev/null 2>&1; then
    echo "run.sh: SKIP: $python cannot import torch (and numpy); the PyTorch check needs them" >&2
    exit 77
fi

# Every libdir GNUInstallDirs may have chosen, ahead of whatever the caller already has.
pcpath=
for d in lib lib64 "lib/$(${CC:-cc} -print-multiarch 2>/dev/null || true)" share; do
    [ -d "$prefix/$d/pkgconfig" ] && pcpath="$pcpath${pcpath:+:}$prefix/$d/pkgconfig"
done
PKG_CONFIG_PATH="$pcpath${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
if ! pkg-config --exists rnnbptt; then
    echo "run.sh: pkg-config finds no rnnbptt.pc under $prefix" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/torch_check.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    echo "run.sh: scratch directory $work"
else
    trap 'rm -rf "$work"' EXIT
fi

# The documented build line; a static-only install also needs the private libraries.
# shellcheck disable=SC2086,SC2046
if ! ${CC:-cc} ${CFLAGS:--O2 -Wall -Wextra -Wpedantic} "$here/torch_check.c" \
        $(pkg-config --cflags --libs rnnbptt) -lm -o "$work/torch_check" 2>"$work/cc.log"; then
    cat "$work/cc.log" >&2
    echo "run.sh: retrying with pkg-config --static" >&2
    ${CC:-cc} ${CFLAGS:--O2 -Wall -Wextra -Wpedantic} "$here/torch_check.c" \
        $(pkg-config --static --cflags --libs rnnbptt) -lm -o "$work/torch_check"
else
    cat "$work/cc.log" >&2
fi

"$python" "$here/gen_problems.py" "$work/problems.bin" "$n" "$seed"

libdir=$(pkg-config --variable=libdir rnnbptt)
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
status=0
"$work/torch_check" "$work/problems.bin" || status=$?
exit "$status"
