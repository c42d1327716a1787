#!/bin/bash
# run.sh BEFORE_BUILD AFTER_BUILD — the batch-split measurement of 2026-12-05 (Zen 3): the layer
# bench at T = 64, I = H, B 16/32/64 x H 32..256 (and the adding problem's 50/32/2/100) for tanh,
# LSTM and GRU, without and with a team of 2, BLAS threads 2; the two builds alternating, 2 rounds,
# into r<round>-before.csv / r<round>-after.csv here. an.py makes table.md from them.
# Measured: BEFORE = 03a2b74 (split only with AVX-512 and 1 MiB of L2), AFTER = afd4af8.
set -euo pipefail
cd "$(dirname "$0")"
pts=""
for B in 16 32 64; do for H in 32 64 100 128 256; do pts="$pts,64/$B/$H/$H"; done; done
pts="${pts#,},50/32/2/100"
for r in 1 2; do
  for v in before after; do
    if [ $v = before ]; then d=$1; else d=$2; fi
    "$d/bench/rnnbptt-bench" --points "$pts" --cell tanh,lstm,gru --impl rnnbptt,rnnbptt-team \
      --threads 2 --team 2 --seconds 0.15 --csv "r$r-$v.csv" > /dev/null
  done
done
