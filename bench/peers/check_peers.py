#!/usr/bin/python3
"""check_peers.py — validates the peers once: they must compute the workload they are timed on.

1. numpy per-step loop (torch_rnn.py's numpy_fwd/numpy_bwd, float32) against PyTorch nn.RNN(tanh):
   h, dW_xh, dW_hh, db (PyTorch's bias_ih.grad and bias_hh.grad each equal db), dx, dh0.
2. oneDNN (onednn_rnn --check, through the same library-layout -> ldigo/ldgo conversion and gate
   mapping the benchmark uses) against PyTorch for tanh, relu, lstm and gru (lbr_gru): h, dx, dh0
   (and dc0 for LSTM) and every weight and bias gradient, in the library's flat layout
   (include/rnnbptt.h): W_x = weight_ih, W_h = weight_hh, b = bias_ih + bias_hh (GRU: b_x, b_h).
Each comparison passes when max|a − ref| ≤ 1e-4 · max(1, max|ref|) (float32, short sums).
Exits non-zero on any failure.

usage: /usr/bin/python3 check_peers.py [--onednn PATH/TO/onednn_rnn]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep bench/peers/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_rnn  # noqa: E402  (numpy_fwd, numpy_bwd, torch_module)

SHAPES = [(7, 3, 5, 4), (6, 1, 3, 8), (12, 16, 96, 128), (10, 1, 256, 256)]  # T, B, I, H
failures = 0


def compare(what, got, ref):
    global failures
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    err = float(np.max(np.abs(got - ref))) if ref.size else 0.0
    tol = 1e-4 * max(1.0, float(np.max(np.abs(ref))))
    ok = got.shape == ref.shape and err <= tol
    failures += not ok
    print(f"  {'ok  ' if ok else 'FAIL'} {what:<28} max abs err {err:.2e} (tol {tol:.1e})")


def torch_case(cell, T, B, I, H, seed):
    """Runs PyTorch once; returns the inputs and outputs in the library's layouts."""
    torch.manual_seed(seed)
    m = torch_rnn.torch_module(torch, cell, I, H)
    with torch.no_grad():
        for p in m.parameters():
            p.uniform_(-0.5, 0.5)
    x = torch.empty(T, B, I).uniform_(-1, 1).requires_grad_()
    h0 = torch.empty(1, B, H).uniform_(-1, 1).requires_grad_()
    c0 = torch.empty(1, B, H).uniform_(-1, 1).requires_grad_()
    dh = torch.empty(T, B, H).uniform_(-1, 1)
    h, _ = m(x, (h0, c0) if cell == "lstm" else h0)
    h.backward(dh)
    wi, wh, bi, bh = m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0
    n = lambda t: t.detach().numpy().astype(np.float32).ravel()  # noqa: E731
    if cell == "gru":
        params = np.concatenate([n(wi), n(wh), n(bi), n(bh)])
        dparams = np.concatenate([n(wi.grad), n(wh.grad), n(bi.grad), n(bh.grad)])
    else:
        params = np.concatenate([n(wi), n(wh), n(bi) + n(bh)])
        dparams = np.concatenate([n(wi.grad), n(wh.grad), n(bi.grad)])
        compare("bias_ih.grad == bias_hh.grad", n(bh.grad), n(bi.grad))
    return dict(params=params, x=n(x), h0=n(h0), c0=n(c0), dh=n(dh), h=n(h), dx=n(x.grad),
                dh0=n(h0.grad), dc0=n(c0.grad) if cell == "lstm" else None, dparams=dparams)


def check_numpy(T, B, I, H):
    print(f"numpy per-step vs PyTorch, tanh {T}/{B}/{I}/{H}")
    r = torch_case("tanh", T, B, I, H, seed=1)
    p = r["params"]
    Wxh = p[:H * I].reshape(H, I)
    Whh = p[H * I:H * I + H * H].reshape(H, H)
    b = p[H * I + H * H:]
    x, h0, dh = r["x"].reshape(T, B, I), r["h0"].reshape(B, H), r["dh"].reshape(T, B, H)
    h = torch_rnn.numpy_fwd(np, Wxh, Whh, b, x, h0)
    dWxh, dWhh, db = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(b)
    dx, dh0 = torch_rnn.numpy_bwd(np, Wxh, Whh, x, h0, h, dh, dWxh, dWhh, db)
    compare("h", h.ravel(), r["h"])
    compare("dparams (dW_xh|dW_hh|db)", np.concatenate([dWxh.ravel(), dWhh.ravel(), db]), r["dparams"])
    compare("dx", dx.ravel(), r["dx"])
    compare("dh0", dh0.ravel(), r["dh0"])


def check_onednn(exe, cell, T, B, I, H):
    print(f"oneDNN vs PyTorch, {cell} {T}/{B}/{I}/{H}")
    r = torch_case(cell, T, B, I, H, seed=2)
    with tempfile.TemporaryDirectory() as d:
        for k in ("params", "x", "h0", "c0", "dh"):
            r[k].tofile(os.path.join(d, k + ".f32"))
        subprocess.run([exe, "--check", d, "--cell", cell, "--points", f"{T}/{B}/{I}/{H}",
                        "--threads", "2"], check=True)
        got = lambda k: np.fromfile(os.path.join(d, "onednn_" + k + ".f32"), dtype=np.float32)  # noqa
        G = torch_rnn.GATES[cell]
        o_wh, o_b = G * H * I, G * H * I + G * H * H
        compare("h", got("h"), r["h"])
        compare("dx", got("dx"), r["dx"])
        compare("dh0", got("dh0"), r["dh0"])
        if cell == "lstm":
            compare("dc0", got("dc0"), r["dc0"])
        dp = got("dparams")
        compare("dW_x", dp[:o_wh], r["dparams"][:o_wh])
        compare("dW_h", dp[o_wh:o_b], r["dparams"][o_wh:o_b])
        compare("db" + (" (b_x | b_h)" if cell == "gru" else ""), dp[o_b:], r["dparams"][o_b:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--onednn", help="path to the built onednn_rnn (skipped if not given)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    for s in SHAPES:
        check_numpy(*s)
    if a.onednn:
        for cell in ("tanh", "relu", "lstm", "gru"):
            for s in SHAPES:
                check_onednn(a.onednn, cell, *s)
    else:
        print("oneDNN: skipped (no --onednn PATH)")
    print("check_peers: " + ("all passed" if failures == 0 else f"{failures} FAILED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
