#!/usr/bin/python3
"""check_model_peers.py — validates the model-mode peers: they must compute the model they are
timed on, the one rnnbptt-bench --model times.

For every cell (tanh, relu, lstm, gru), L = 1..3 and bidirectional 0 and 1, at small sizes, runs
one training step from zero gradients in rnnbptt-bench --model, torch_model.py and onednn_model
(each with --dump: the gradients in the library's flat layout; every tensor filled with
bench/common.h's golden()) and compares the losses and every gradient with PyTorch's. A
comparison passes when max|a − ref| ≤ 1e-4 · max(1, max|ref|). Exits non-zero on any failure.

usage: /usr/bin/python3 check_model_peers.py --bench BUILD/bench/rnnbptt-bench
           [--onednn PATH/TO/onednn_model]
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
POINT = "9/3/5/8"  # T/B/I/H


def run(cmd, dump, out_csv):
    subprocess.run(cmd + ["--points", POINT, "--O", "3", "--threads", "2", "--reps", "1",
                          "--warmup", "0", "--dump", dump, "--csv", out_csv],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out_csv, newline="") as f:
        loss = float(next(csv.DictReader(f))["loss"])
    return loss, np.fromfile(dump, dtype=np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--onednn")
    a = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for cell in ("tanh", "relu", "lstm", "gru"):
            for L in (1, 2, 3):
                for bidir in (0, 1):
                    model = ["--cell", cell, "--layers", str(L), "--bidirectional", str(bidir)]
                    impls = {"rnnbptt": [a.bench, "--model"] + model,
                             "pytorch": ["/usr/bin/python3", os.path.join(HERE, "torch_model.py")]
                             + model}
                    if a.onednn:
                        impls["onednn"] = [a.onednn] + model
                    got = {k: run(v, f"{tmp}/{k}.f32", f"{tmp}/{k}.csv") for k, v in impls.items()}
                    ref_loss, ref = got["pytorch"]
                    for k in impls:
                        if k == "pytorch":
                            continue
                        loss, g = got[k]
                        tol = 1e-4 * max(1.0, float(np.max(np.abs(ref))))
                        err = float(np.max(np.abs(g - ref))) if g.shape == ref.shape else np.inf
                        lerr = abs(loss - ref_loss) / max(1.0, abs(ref_loss))
                        ok = err <= tol and lerr <= 1e-5
                        failures += not ok
                        print(f"  {'ok  ' if ok else 'FAIL'} {k:<8} {cell:<5} L={L} bidir={bidir}: "
                              f"gradients max abs err {err:.2e} (tol {tol:.1e}), loss rel err "
                              f"{lerr:.1e}")
    print("check_model_peers: " + ("all agree" if not failures else f"{failures} FAILED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
