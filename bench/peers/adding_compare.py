#!/usr/bin/env python3
"""adding_compare.py — adding_problem against its PyTorch peer (adding_torch.py), side by side.

Per round and per cell, one process each, interleaved so that drift and other load hit all of
them alike: adding_problem with each --threads value of --ours-threads, then adding_torch.py with
--torch-threads (torch.set_num_threads, OMP_WAIT_POLICY=PASSIVE). Every process trains one cell
for --steps steps at --T, B = --batch, H = --hidden, --seed, and prints its ms_per_step (the mean
time of a training step: forward, loss, backward, clip, update). The table (markdown, stdout) has
per cell the median over the rounds of each ms_per_step, every round's figure, and the ratios
PyTorch / ours (>= 1: ours is faster) and ours at the last thread count / ours at the first (> 1:
slower with more threads). The issue's targets: >= 5x for tanh and irnn, >= 3x for lstm and gru.

usage: bench/peers/adding_compare.py BUILD_DIR [--T 50] [--steps 300] [--rounds 3]
           [--cells tanh,irnn,lstm,gru] [--ours-threads 1,2] [--torch-threads 2] [--log DIR]
BUILD_DIR holds examples/adding_problem. PyTorch runs with $PYTHON (default /usr/bin/python3);
without torch the table has our columns only. Uses the Python standard library only.
"""
import argparse
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = {"tanh": 5.0, "irnn": 5.0, "lstm": 3.0, "gru": 3.0}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("build")
    p.add_argument("--T", type=int, default=50)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cells", default="tanh,irnn,lstm,gru")
    p.add_argument("--ours-threads", default="1,2")
    p.add_argument("--torch-threads", type=int, default=2)
    p.add_argument("--log", help="keep every process's stderr here")
    return p.parse_args(argv)


def run(cmd, env=None, log=None):
    """The ms_per_step of the one summary line a run prints."""
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if log:
        with open(log, "w") as f:
            f.write(" ".join(cmd) + "\n" + r.stderr)
    if r.returncode != 0:
        sys.exit(f"adding_compare: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}")
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) == 13 and f[1] == "cell" and f[11] == "ms_per_step":
            return float(f[12]), float(f[8])
    sys.exit(f"adding_compare: no summary line from {' '.join(cmd)}:\n{r.stdout}")


def have_torch(python):
    return subprocess.run([python, "-c", "import torch"], capture_output=True).returncode == 0


def main(argv):
    a = parse_args(argv)
    prog = os.path.join(a.build, "examples", "adding_problem")
    python = os.environ.get("PYTHON", "/usr/bin/python3")
    cells = a.cells.split(",")
    ours_threads = [int(t) for t in a.ours_threads.split(",")]
    torch_ok = have_torch(python)
    if not torch_ok:
        print(f"adding_compare: {python} cannot import torch: PyTorch skipped", file=sys.stderr)
    if a.log:
        os.makedirs(a.log, exist_ok=True)
    common = ["--T", str(a.T), "--steps", str(a.steps), "--batch", str(a.batch),
              "--hidden", str(a.hidden), "--seed", str(a.seed)]
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    ms = {(c, k): [] for c in cells for k in [f"ours{t}" for t in ours_threads] + ["torch"]}
    load = [os.getloadavg()[0]]
    for rnd in range(a.rounds):
        for c in cells:
            for t in ours_threads:
                log = a.log and os.path.join(a.log, f"ours-{c}-t{t}-r{rnd}.txt")
                ms[c, f"ours{t}"].append(run([prog, "--cell", c, "--threads", str(t)] + common,
                                             env, log)[0])
            if torch_ok:
                log = a.log and os.path.join(a.log, f"torch-{c}-r{rnd}.txt")
                ms[c, "torch"].append(run([python, os.path.join(HERE, "adding_torch.py"),
                                           "--cell", c, "--threads", str(a.torch_threads)]
                                          + common, None, log)[0])
            print(f"adding_compare: round {rnd + 1}/{a.rounds} {c} done", file=sys.stderr)
    load.append(os.getloadavg()[0])

    def fmt(v):
        return f"{statistics.median(v):.3g} ({', '.join(f'{x:.3g}' for x in v)})"

    print(f"adding_problem vs PyTorch: T = {a.T}, B = {a.batch}, H = {a.hidden}, {a.steps} steps, "
          f"{a.rounds} interleaved rounds; ms per training step, median (each round); "
          f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end\n")
    head = ["cell"] + [f"ours --threads {t}" for t in ours_threads]
    if torch_ok:
        head += [f"PyTorch ({a.torch_threads} threads)"]
        head += [f"PyTorch / ours t{t}" for t in ours_threads] + ["target"]
    if len(ours_threads) > 1:
        head += [f"ours t{ours_threads[-1]} / t{ours_threads[0]}"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" + "--:|" * (len(head) - 1))
    for c in cells:
        med = {k: statistics.median(v) for (cc, k), v in ms.items() if cc == c and v}
        row = [c] + [fmt(ms[c, f"ours{t}"]) for t in ours_threads]
        if torch_ok:
            row += [fmt(ms[c, "torch"])]
            row += [f"{med['torch'] / med[f'ours{t}']:.2f}x" for t in ours_threads]
            row += [f"{TARGET.get(c, 0):g}x"]
        if len(ours_threads) > 1:
            row += [f"{med[f'ours{ours_threads[-1]}'] / med[f'ours{ours_threads[0]}']:.2f}"]
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
