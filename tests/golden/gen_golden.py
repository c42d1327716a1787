#!/usr/bin/python3
"""gen_golden.py - writes tests/golden/golden_data.h: PyTorch float64 forward + BPTT golden data.

Regenerate (from the repository root; needs PyTorch for /usr/bin/python3):

    /usr/bin/python3 tests/golden/gen_golden.py > tests/golden/golden_data.h

For each cell (nn.RNN tanh, nn.RNN relu, nn.LSTM, nn.GRU; one layer, unidirectional,
batch_first=False) two cases are drawn: B = 3 with unsorted variable lengths (exactly one equal
to T), and B = 1 with the full length T (the C test passes lengths = NULL there).
Every input (weights, x, h0, c0, dh, dhT, dcT) is a float32 value on a 2^-20 grid in (-1, 1),
so it is exact in float32 and b_ih + b_hh is exact too: the C test feeds the library the very
same numbers. PyTorch then runs in float64:
    h = pad_packed_sequence(rnn(pack_padded_sequence(x, lengths, enforce_sorted=False),
                                (h0, c0)), total_length=T)      (zeros past each length)
    L = sum(dh * h) + sum(dhT * h_n) [+ sum(dcT * c_n)]
and autograd gives the gradients, mapped onto the flat layout of include/rnnbptt.h:
    RNN/LSTM: weight_ih | weight_hh | bias_ih + bias_hh    (d bias = grad bias_ih == grad bias_hh)
    GRU:      weight_ih | weight_hh | bias_ih | bias_hh
Rows of x and dh past a sequence's length hold random (finite) values: PyTorch ignores them and
so must the library.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_rnn import CELLS, GATES, draw, run_layer  # noqa: E402

SEED = 20240611


def relu_margin(w_ih, w_hh, b, x, h0, lengths):
    """Smallest |pre-activation| over the valid steps of a ReLU RNN (kink distance)."""
    T, B, _ = x.shape
    m = float("inf")
    for bb in range(B):
        h = h0[bb]
        for t in range(lengths[bb]):
            a = w_ih @ x[t, bb] + w_hh @ h + b
            m = min(m, float(a.abs().min()))
            h = torch.relu(a)
    return m


def solve(gen, cell, T, B, I, H, lengths):
    """Draw one problem and return its float32 inputs and float64 PyTorch results (all flat)."""
    G = GATES[cell]
    k = 1.0 / H ** 0.5  # PyTorch's own init range
    while True:
        w_ih, w_hh = draw(gen, G * H, I, scale=k), draw(gen, G * H, H, scale=k)
        b_ih, b_hh = draw(gen, G * H, scale=k), draw(gen, G * H, scale=k)
        x, h0, c0 = draw(gen, T, B, I), draw(gen, B, H), draw(gen, B, H)
        # ReLU has a kink at 0: a pre-activation within float32 noise of 0 could take the other
        # branch in the library, so redraw (measure-zero in exact arithmetic).
        if cell != "RNN_RELU" or relu_margin(w_ih, w_hh, b_ih + b_hh, x, h0, lengths) > 1e-3:
            break
    dh, dhT, dcT = draw(gen, T, B, H), draw(gen, B, H), draw(gen, B, H)

    r = run_layer(cell, I, H, w_ih, w_hh, b_ih, b_hh, x, h0, c0, lengths, dh, dhT, dcT)
    flat = lambda ts: torch.cat([t.reshape(-1) for t in ts]).detach()  # noqa: E731
    p = {"cell": cell, "T": T, "B": B, "I": I, "H": H, "lengths": list(lengths),
         "params": flat(r["params"]), "x": x.reshape(-1), "h0": h0.reshape(-1),
         "dh": dh.reshape(-1), "dhT": dhT.reshape(-1),
         "h": r["h"].reshape(-1), "hT": r["hT"].reshape(-1),
         "dparams": flat(r["dparams"]), "dx": r["dx"].reshape(-1), "dh0": r["dh0"].reshape(-1)}
    assert torch.equal(p["params"].float().double(), p["params"])
    if cell == "LSTM":
        p.update(c0=c0.reshape(-1), dcT=dcT.reshape(-1), cT=r["cT"].reshape(-1),
                 dc0=r["dc0"].reshape(-1))
    return p


def c_array(ctype, name, values, fmt, per_line):
    vals = [fmt % v for v in values]
    lines = ["    " + ", ".join(vals[i:i + per_line]) + "," for i in range(0, len(vals), per_line)]
    return "static const %s %s[%d] = {\n%s\n};\n" % (ctype, name, len(vals), "\n".join(lines))


FLOAT_IN = ["params", "x", "h0", "c0", "dh", "dhT", "dcT"]
DOUBLE_OUT = ["h", "hT", "cT", "dparams", "dx", "dh0", "dc0"]


def main():
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    shapes = [  # (T, B, I, H, lengths): unsorted, exactly one == T; then B = 1, full length
        (5, 3, 2, 4, [3, 5, 1]), (5, 3, 2, 4, [2, 1, 5]), (5, 3, 2, 4, [5, 2, 4]),
        (5, 3, 2, 4, [1, 5, 3]),
    ]
    cases = [solve(gen, c, *s) for c, s in zip(CELLS, shapes)]
    cases += [solve(gen, c, 3, 1, 1, 2, [3]) for c in CELLS]

    out = sys.stdout
    out.write("/* golden_data.h - PyTorch float64 golden data for tests/test_golden.c.\n"
              " * GENERATED, do not edit. Produced by tests/golden/gen_golden.py\n"
              " * with torch %s (float64), seed %d:\n"
              " *     /usr/bin/python3 tests/golden/gen_golden.py > tests/golden/golden_data.h\n"
              " * Inputs (float, %%.9g) are exact float32 values; the expected outputs are\n"
              " * float64 (%%.17g).\n"
              " * Parameter layout and variable-length semantics: include/rnnbptt.h; see the\n"
              " * generator's docstring for how the PyTorch weights and gradients map onto it. */\n"
              "#ifndef GOLDEN_DATA_H\n#define GOLDEN_DATA_H\n\n#include \"rnnbptt.h\"\n\n"
              % (torch.__version__, SEED))
    for n, p in enumerate(cases):
        out.write("/* case %d: %s T=%d B=%d I=%d H=%d lengths=%s */\n"
                  % (n, p["cell"], p["T"], p["B"], p["I"], p["H"], p["lengths"]))
        out.write(c_array("int", "golden%d_lengths" % n, p["lengths"], "%d", 8))
        for k in FLOAT_IN:
            if k in p:
                out.write(c_array("float", "golden%d_%s" % (n, k), p[k].tolist(), "%.9g", 6))
        for k in DOUBLE_OUT:
            if k in p:
                out.write(c_array("double", "golden%d_%s_ref" % (n, k), p[k].tolist(), "%.17g", 3))
        out.write("\n")

    out.write("typedef struct {\n"
              "    const char *name;\n"
              "    rnnbptt_cell cell;\n"
              "    int T, B, I, H, nparams; /* nparams: length of params and dparams */\n"
              "    int null_lengths; /* every length is T: the test passes lengths = NULL */\n"
              "    const int *lengths;\n"
              "    const float *params, *x, *h0, *c0, *dh, *dhT, *dcT; /* c0, dcT: LSTM only */\n"
              "    const double *h, *hT, *cT, *dparams, *dx, *dh0, *dc0; /* cT, dc0: LSTM only */\n"
              "} golden_case;\n\n")
    out.write("static const golden_case golden_cases[] = {\n")
    for n, p in enumerate(cases):
        ref = lambda k, suf="": ("golden%d_%s%s" % (n, k, suf)) if k in p else "NULL"  # noqa: E731
        name = "%s T=%d B=%d I=%d H=%d lengths=%s" % (
            p["cell"], p["T"], p["B"], p["I"], p["H"],
            "NULL" if p["B"] == 1 else "{" + ",".join(map(str, p["lengths"])) + "}")
        out.write("    {\"%s\", RNNBPTT_%s, %d, %d, %d, %d, %d, %d, golden%d_lengths,\n"
                  % (name, p["cell"], p["T"], p["B"], p["I"], p["H"], len(p["params"]),
                     int(p["B"] == 1 and p["lengths"] == [p["T"]]), n))
        out.write("     %s,\n" % ", ".join(ref(k) for k in FLOAT_IN))
        out.write("     %s},\n" % ", ".join(ref(k, "_ref") for k in DOUBLE_OUT))
    out.write("};\n\n#define GOLDEN_NCASES (sizeof golden_cases / sizeof golden_cases[0])\n\n"
              "#endif /* GOLDEN_DATA_H */\n")


if __name__ == "__main__":
    main()
