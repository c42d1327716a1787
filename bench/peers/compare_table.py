#!/usr/bin/env python3
"""compare_table.py — side-by-side markdown table of rnnbptt-bench and peer CSVs (stdlib only).

Reads any number of CSV files with rnnbptt-bench's columns (impl,cell,T,B,I,H,threads,fwd_ms,
bwd_ms,total_ms,total_best_ms,gflops,pct_peak,tokens_per_s,bytes), as compare.sh collects them: one
file per (round, point, impl) process. For every (cell, T/B/I/H) and impl the figure is the median,
over the rounds, of each process's median total_ms (forward + backward); the ratio column is
peer / rnnbptt at that point (≥ 1 means rnnbptt is faster). rnnbptt's own GFLOP/s and % of peak
are the medians of what the bench reported.
Model mode (rnnbptt-bench --model, torch_model.py, onednn_model: CSVs with the columns layers,
bidirectional, O and loss): the points are (cell, L, bidirectional, T/B/I/H), with the two extra
columns L and bidir, and a last column "loss Δ": the largest relative difference between the
implementations' losses at that point (they compute the same model on the same data).

--figure best: the best step over every round instead (the minimum of total_best_ms), the figure
least disturbed by other load on a shared machine; GFLOP/s and % of peak then follow that time.

usage: compare_table.py [--ours rnnbptt] [--figure median|best] [--meta LINE ...] [--out table.md]
                        FILE.csv...
"""
import argparse
import csv
import statistics
import sys

PEER_ORDER = ["rnnbptt", "onednn", "pytorch", "numpy", "perstep", "naive"]


def fnum(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def load(paths):
    runs = {}  # (cell, T, B, I, H) -> impl -> list of rows
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                if fnum(row.get("total_ms")) is None:
                    continue
                key = (row["cell"], int(row["T"]), int(row["B"]), int(row["I"]), int(row["H"]))
                if "layers" in row:  # model mode
                    key += (int(row["layers"]), int(row["bidirectional"]))
                runs.setdefault(key, {}).setdefault(row["impl"], []).append(row)
    return runs


def med(rows, col):
    vals = [v for v in (fnum(r.get(col)) for r in rows) if v is not None]
    return statistics.median(vals) if vals else None


def fmt_ms(v):
    if v is None:
        return "—"
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def figure(rows, best):
    if not best:
        return med(rows, "total_ms")
    vals = [v for v in (fnum(r.get("total_best_ms")) for r in rows) if v is not None]
    return min(vals) if vals else None


def table(runs, ours, best=False):
    impls = {i for per in runs.values() for i in per}
    peers = [p for p in PEER_ORDER if p in impls and p != ours]
    peers += sorted(impls - set(PEER_ORDER) - {ours})
    model = any(len(k) > 5 for k in runs)
    head = ["cell"] + (["L", "bidir"] if model else []) + ["T/B/I/H", f"{ours} ms", "GFLOP/s",
                                                          "% peak"]
    for p in peers:
        head += [f"{p} ms", f"{p}/{ours}"]
    if model:
        head.append("loss Δ")
    lead = 4 if model else 2
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] * lead + ["--:"] * (len(head) - lead)) + "|"]
    for key in runs:  # first-seen order: the grid's
        per = runs[key]
        cell, T, B, I, H = key[:5]
        # ours where it ran; else (rnnbptt-team where the team does not run) rnnbptt, marked *
        mine = per.get(ours) or per.get("rnnbptt", [])
        star = "" if per.get(ours) else "*"
        o = figure(mine, best)
        gf, pk = med(mine, "gflops"), med(mine, "pct_peak")
        if best and o:  # GFLOP/s and % of peak of the process with the best step, at that step
            r = min((r for r in mine if fnum(r.get("total_best_ms"))),
                    key=lambda r: fnum(r["total_best_ms"]))
            scale = fnum(r["total_ms"]) / o
            gf = fnum(r.get("gflops")) and fnum(r["gflops"]) * scale
            pk = fnum(r.get("pct_peak")) and fnum(r["pct_peak"]) * scale
        cells = [cell] + ([str(key[5]), str(key[6])] if model else []) + [
                 f"{T}/{B}/{I}/{H}", fmt_ms(o) + star,
                 "—" if gf is None else f"{gf:.0f}", "—" if pk is None else f"{pk:.0f}%"]
        for p in peers:
            v = figure(per.get(p, []), best)
            r = "—" if v is None or not o else f"{v / o:.2f}"
            cells += [fmt_ms(v), "—" if p == "rnnbptt" and star else r]
        if model:
            losses = [v for rows in per.values() for v in (fnum(r.get("loss")) for r in rows)
                      if v is not None]
            ref = max((abs(v) for v in losses), default=0.0)
            cells.append(f"{(max(losses) - min(losses)) / ref:.0e}" if losses and ref else "—")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", default="rnnbptt")
    ap.add_argument("--figure", choices=("median", "best"), default="median")
    ap.add_argument("--meta", action="append", default=[], help="a line printed above the table")
    ap.add_argument("--out", help="also write the markdown here")
    ap.add_argument("csv", nargs="+")
    a = ap.parse_args()
    runs = load(a.csv)
    if not runs:
        print("compare_table: no results in the given CSV files", file=sys.stderr)
        return 1
    text = "".join(f"{m}\n" for m in a.meta) + ("\n" if a.meta else "") + table(runs, a.ours, a.figure == "best") + "\n"
    what = ("the best step over every round and rep" if a.figure == "best" else
            "median over the interleaved rounds of one process's median")
    text += (f"\nEach figure: {what} total (forward + BPTT; model mode: the whole training "
             f"step) ms. ratio = peer ms / {a.ours} ms (≥ 1: {a.ours} faster).\n")
    if a.ours != "rnnbptt":
        text += (f"\n\\* {a.ours} does not run at this point (its team is not used at these "
                 "sizes: rnnbptt_team_used), so the figures and ratios are rnnbptt's.\n")
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
