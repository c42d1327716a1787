#!/usr/bin/python3
"""char_rnn_table.py — the markdown table of char_rnn_compare.sh from the outputs it collected.

Usage: char_rnn_table.py OUT_DIR ITERS TEXT SEED... (stdlib only). Reads OUT_DIR/{c,py,pyt}.SEED.out
(the last line: `<prog> iters N seconds S it_per_s R smooth_loss L vocab V`) and .err (the
progress line `<prog> iter 5000 loss X smooth_loss Y`). Exit status 0 whatever the verdict.
"""
import re
import statistics
import sys


def read(out, kind, seed):
    last = open(f"{out}/{kind}.{seed}.out").read().strip().splitlines()[-1].split()
    prog = {"it": float(last[6]), "final": float(last[8])}
    for line in open(f"{out}/{kind}.{seed}.err"):
        m = re.search(r" iter 5000 loss \S+ smooth_loss (\S+)", line)
        if m:
            prog["5k"] = float(m.group(1))
    return prog


def main():
    out, iters, text, seeds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    c, py, pyt = ({s: read(out, kind, s) for s in seeds} for kind in ("c", "py", "pyt"))
    k_iters = f"{iters // 1000}k"
    print(f"char_rnn against min_char_rnn.py: {text}, {iters} iterations, seeds "
          f"{' '.join(seeds)}, 1 thread, OPENBLAS_NUM_THREADS=1, sampling off. *reference*: the "
          "gist's Adagrad (eps inside the root); *torch-eps*: the same port with eps outside it, "
          "as char_rnn's.\n")
    print(f"| seed | char_rnn it/s | reference it/s | ratio | loss @5k: char_rnn | reference "
          f"| torch-eps | loss @{k_iters}: char_rnn | reference | torch-eps |")
    print("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for s in seeds:
        print(f"| {s} | {c[s]['it']:.0f} | {py[s]['it']:.1f} | {c[s]['it'] / py[s]['it']:.1f}x "
              f"| {c[s]['5k']:.2f} | {py[s]['5k']:.2f} | {pyt[s]['5k']:.2f} "
              f"| {c[s]['final']:.2f} | {py[s]['final']:.2f} | {pyt[s]['final']:.2f} |")
    med = {(n, k): statistics.median(d[s][k] for s in seeds)
           for n, d in (("c", c), ("py", py), ("pyt", pyt)) for k in ("it", "5k", "final")}
    print(f"| median | {med['c', 'it']:.0f} | {med['py', 'it']:.1f} "
          f"| {med['c', 'it'] / med['py', 'it']:.1f}x "
          + " ".join(f"| {med[n, k]:.2f}" for k in ("5k", "final") for n in ("c", "py", "pyt"))
          + " |")
    mc, mp = med["c", "it"], med["py", "it"]
    print(f"\nmedian it/s: char_rnn {mc:.0f}, reference {mp:.1f}: **{mc / mp:.1f}x** "
          "(target >= 10x)\n")
    # Two readings of the band: char_rnn's median over the seeds inside it, and (stricter)
    # every seed's value inside it.
    ok = {r: {"median": mc / mp >= 10, "every seed": mc / mp >= 10}
          for r in ("reference", "torch-eps")}
    for key, name in (("5k", "5,000"), ("final", f"{iters:,}")):
        cm = statistics.median(c[s][key] for s in seeds)
        for rname, r in (("reference", py), ("torch-eps", pyt)):
            lo = min(r[s][key] for s in seeds) - 2
            hi = max(r[s][key] for s in seeds) + 2
            med = lo <= cm <= hi
            every = all(lo <= c[s][key] <= hi for s in seeds)
            ok[rname]["median"] &= med
            ok[rname]["every seed"] &= every
            out_of = [f"{c[s][key]:.2f}" for s in seeds if not lo <= c[s][key] <= hi]
            print(f"- at {name}: {rname}'s [min − 2, max + 2] = [{lo:.2f}, {hi:.2f}]; char_rnn's "
                  f"median {cm:.2f} {'inside' if med else 'OUTSIDE'}; "
                  + (f"{len(seeds)} of {len(seeds)} seeds inside" if every else
                     f"{len(seeds) - len(out_of)} of {len(seeds)} seeds inside "
                     f"(outside: {', '.join(out_of)})"))
    print("\nverdict (speed and both losses): " + "; ".join(
        f"against {r}: median {'PASS' if v['median'] else 'FAIL'}, every seed "
        f"{'PASS' if v['every seed'] else 'FAIL'}" for r, v in ok.items()))


if __name__ == "__main__":
    main()
