#!/usr/bin/python3
"""gen_problems.py - random RNN/LSTM/GRU problems solved by PyTorch in float64, for torch_check.

Usage:  /usr/bin/python3 gen_problems.py OUTFILE [N=200] [SEED=1]

Each problem: a cell drawn in turn (RNN tanh, RNN relu, LSTM, GRU), T in 1..20, B in 1..8,
I and H in 1..40, lengths uniform in 1..T per sequence (any order), weights uniform in
±1/sqrt(H) (PyTorch's init range), x, h0, c0, dh, dhT, dcT uniform in (-1, 1). Every input is a
float32 value on a 2^-20 grid, so it is exact in float32 and b_ih + b_hh is exact too. PyTorch
(float64) computes, with packed-sequence semantics,
    h = pad_packed_sequence(rnn(pack_padded_sequence(x, lengths, enforce_sorted=False),
                                (h0, c0)), total_length=T)   and   h_n, c_n,
    L = sum(dh * h) + sum(dhT * h_n) [+ sum(dcT * c_n)],
and autograd the gradients, mapped onto the flat layout of rnnbptt.h:
    RNN/LSTM params = weight_ih | weight_hh | bias_ih + bias_hh  (d bias = grad bias_ih)
    GRU      params = weight_ih | weight_hh | bias_ih | bias_hh
ReLU problems whose smallest |pre-activation| is within 1e-5 · max(1, max|pre-activation|) of
the kink are redrawn: float32 rounding could put such an element on the other side of 0.

Binary format (little-endian, no padding; torch_check.c reads the same):
    file     := "RNNBPTC1" (8 bytes)  int32 count  problem[count]
    problem  := int32 cell T B I H P          cell: 0 RNN_TANH, 1 RNN_RELU, 2 LSTM, 3 GRU
                                              (the rnnbptt_cell order); P = parameter count
                int32   lengths[B]
                float32 params[P] x[T*B*I] h0[B*H] c0[B*H]* dh[T*B*H] dhT[B*H] dcT[B*H]*
                float64 h[T*B*H] hT[B*H] cT[B*H]* dparams[P] dx[T*B*I] dh0[B*H] dc0[B*H]*
    (* present only when cell == LSTM).  x and dh hold random finite values past each length.
"""
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_rnn import CELLS, GATES, draw, run_layer  # noqa: E402

MAGIC = b"RNNBPTC1"


def relu_margin(w_ih, w_hh, b, x, h0, lengths):
    """min |a| / max(1, max |a|) over the valid steps of a ReLU RNN, a = pre-activation."""
    T, B, _ = x.shape
    h, amin, amax = h0.clone(), float("inf"), 1.0
    for t in range(T):
        live = [bb for bb in range(B) if t < lengths[bb]]
        if not live:
            break
        a = x[t, live] @ w_ih.T + h[live] @ w_hh.T + b
        amin, amax = min(amin, float(a.abs().min())), max(amax, float(a.abs().max()))
        h[live] = torch.relu(a)
    return amin / amax


def solve(gen, cell, T, B, I, H, lengths):
    G, k = GATES[cell], 1.0 / H ** 0.5
    while True:
        w_ih, w_hh = draw(gen, G * H, I, scale=k), draw(gen, G * H, H, scale=k)
        b_ih, b_hh = draw(gen, G * H, scale=k), draw(gen, G * H, scale=k)
        x, h0, c0 = draw(gen, T, B, I), draw(gen, B, H), draw(gen, B, H)
        if cell != "RNN_RELU" or relu_margin(w_ih, w_hh, b_ih + b_hh, x, h0, lengths) > 1e-5:
            break
    dh, dhT, dcT = draw(gen, T, B, H), draw(gen, B, H), draw(gen, B, H)

    r = run_layer(cell, I, H, w_ih, w_hh, b_ih, b_hh, x, h0, c0, lengths, dh, dhT, dcT)
    params, g = r["params"], r["dparams"]
    lstm = cell == "LSTM"
    f32 = [params, [x], [h0]] + ([[c0]] if lstm else []) + [[dh], [dhT]] + ([[dcT]] if lstm else [])
    f64 = [[r["h"]], [r["hT"]]] + ([[r["cT"]]] if lstm else []) + \
        [g, [r["dx"]], [r["dh0"]]] + ([[r["dc0"]]] if lstm else [])
    flat = lambda ts: torch.cat([t.reshape(-1) for t in ts]).detach().numpy()  # noqa: E731
    f32 = [flat(a) for a in f32]
    for a in f32:
        assert np.array_equal(a.astype(np.float32).astype(np.float64), a), "not exact in float32"
    P = f32[0].size
    blob = struct.pack("<6i", CELLS.index(cell), T, B, I, H, P)
    blob += np.asarray(lengths, dtype="<i4").tobytes()
    blob += b"".join(a.astype("<f4").tobytes() for a in f32)
    blob += b"".join(flat(a).astype("<f8").tobytes() for a in f64)
    return blob


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: gen_problems.py OUTFILE [N=200] [SEED=1]")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    ri = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=gen))  # noqa: E731
    with open(sys.argv[1], "wb") as f:
        f.write(MAGIC + struct.pack("<i", n))
        for p in range(n):
            T, B, I, H = ri(1, 20), ri(1, 8), ri(1, 40), ri(1, 40)
            lengths = [ri(1, T) for _ in range(B)]
            f.write(solve(gen, CELLS[p % 4], T, B, I, H, lengths))


if __name__ == "__main__":
    main()
