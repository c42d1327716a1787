#!/usr/bin/env python3
"""sweep_table.py — the README's default-sweep table from one or more `rnnbptt-bench --json` files.

Usage: bench/sweep_table.py RUN.json [RUN2.json ...]
One row per point of the library (impl rnnbptt); per run: median total ms, GFLOP/s, % of that
run's sgemm peak, and the speed-up over the perstep and naive baselines measured in the same run.
Standard library only."""
import json
import sys


def load(path):
    with open(path) as f:
        d = json.load(f)
    rows = {}
    for r in d["rows"]:
        rows[(r["impl"], r["cell"], r["T"], r["B"], r["I"], r["H"])] = r
    return d["meta"], rows


def ratio(rows, key, impl):
    base = rows.get((impl,) + key[1:])
    return f"{base['total_ms'] / rows[key]['total_ms']:.1f}" if base else "–"


def main(paths):
    runs = [load(p) for p in paths]
    for meta, _ in runs:
        print(f"- `{meta['command']}`: core {meta['blas_core']}, {meta['blas_threads']} threads, "
              f"sgemm peak {meta['sgemm_peak_gflops']:.0f} GFLOP/s, {meta['date']}")
    print()
    head = "| cell | T | B | I | H |"
    rule = "|---|--:|--:|--:|--:|"
    for meta, _ in runs:
        c = meta["blas_core"]
        head += f" ms ({c}) | GFLOP/s | % peak | × perstep | × naive |"
        rule += "--:|--:|--:|--:|--:|"
    print(head)
    print(rule)
    keys = [k for k in runs[0][1] if k[0] == "rnnbptt"]
    for k in keys:
        line = f"| {k[1]} | {k[2]} | {k[3]} | {k[4]} | {k[5]} |"
        for _, rows in runs:
            r = rows.get(k)
            if r is None:
                line += " – | – | – | – | – |"
                continue
            line += (f" {r['total_ms']:.3g} | {r['gflops']:.0f} | {r['pct_peak']:.0f} |"
                     f" {ratio(rows, k, 'perstep')} | {ratio(rows, k, 'naive')} |")
        print(line)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
