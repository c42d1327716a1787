#!/usr/bin/env python3
"""sweep_table.py — the README's default-sweep tables from one or more `rnnbptt-bench --json` files.

Usage: bench/sweep_table.py RUN.json[+TEAMRUN.json] ...
One table per argument; A.json+B.json merges the rows of two runs of the same setting (e.g. the
team's in a process of its own, with other environment). One row per point of the library (impl rnnbptt): median total ms, GFLOP/s and
% of that run's sgemm peak without a team and with one (impl rnnbptt-team, where the run has it),
the team's speed-up, and rnnbptt's speed-up over the perstep and naive baselines measured in the
same run ("–": not measured there). Standard library only."""
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


def table(rows):
    print()
    print("| cell | T | B | I | H | ms | GFLOP/s | % peak | team ms | team % peak | × team |"
          " × perstep | × naive |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for k in [k for k in rows if k[0] == "rnnbptt"]:
        r, t = rows[k], rows.get(("rnnbptt-team",) + k[1:])
        team = (f" {t['total_ms']:.3g} | {t['pct_peak']:.0f} | {r['total_ms'] / t['total_ms']:.2f} |"
                if t else " – | – | – |")
        print(f"| {k[1]} | {k[2]} | {k[3]} | {k[4]} | {k[5]} | {r['total_ms']:.3g} |"
              f" {r['gflops']:.0f} | {r['pct_peak']:.0f} |{team}"
              f" {ratio(rows, k, 'perstep')} | {ratio(rows, k, 'naive')} |")
    print()


def main(args):
    for arg in args:
        metas, rows = [], {}
        for p in arg.split("+"):
            m, r = load(p)
            metas.append(m)
            rows.update(r)
        print(f"- `{metas[0]['command']}`: core {metas[0]['blas_core']}, "
              f"{metas[0]['blas_threads']} threads, sgemm peak "
              f"{metas[0]['sgemm_peak_gflops']:.0f} GFLOP/s, {metas[0]['date']}")
        for m in metas[1:]:
            env = ", ".join(f"{k}={v}" for k, v in sorted(m["env"].items())) or "none"
            print(f"- team columns: `{m['command']}` (BLAS environment: {env}; sgemm peak "
                  f"{m['sgemm_peak_gflops']:.0f} GFLOP/s, {m['date']})")
        table(rows)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
