#!/usr/bin/python3
"""torch_model.py — peer of rnnbptt-bench --model: one PyTorch training step of a stacked model.

Legend: L layers, D = 1 + bidirectional, T steps, B batch, I input, H hidden, O head outputs,
G gates (1 vanilla, 4 LSTM, 3 GRU).
Workload (the same as rnnbptt-bench --model): nn.RNN (tanh, relu) / nn.LSTM / nn.GRU with
num_layers = L and bidirectional = D − 1, float32, time-major x (T,B,I) without requires_grad (no
dx at the first layer), zero initial states (none passed), then nn.Linear(D·H, O) over all T·B
rows and the summed MSE loss ½ Σ (y − target)²; loss.backward() gives every weight and bias
gradient. Between reps (untimed) every .grad is set to None, as zero_grad(set_to_none=True) does.
Timed per rep: forward (layers, head, loss) and backward, each with time.perf_counter().

Parameters, x and targets are filled as rnnbptt-bench fills its model (bench/common.h golden()):
element k of the library's flat parameter buffer is golden(k, 1, 1/√H), x[k] = golden(k, 2, 1),
target[k] = golden(k, 3, 1); the library's layout maps to PyTorch's as weight_ih_l{l}[_reverse]
= W_x, weight_hh = W_h, bias_ih = b (b_x for GRU), bias_hh = 0 (b_h for GRU), head weight = W_y,
bias = b_y. So the loss column equals rnnbptt-bench's and onednn_model's to float rounding.

Environment: re-executes itself with OMP_WAIT_POLICY=PASSIVE, OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS = --threads, as torch_rnn.py does (see there for why).
CSV columns are rnnbptt-bench --model's: impl,cell,layers,bidirectional,T,B,I,H,O,threads,
fwd_ms,bwd_ms,total_ms,total_best_ms,gflops,pct_peak,tokens_per_s,bytes,loss (gflops from the same
FLOP formula, rnnbptt-bench --model --help; bytes empty).

usage: /usr/bin/python3 torch_model.py --cell lstm --layers 2 --bidirectional 1
           --points 50/32/512/512 --threads 2 [--O 16] [--reps 5] [--warmup 1] [--seconds 0]
           [--csv FILE] [--peak GFLOPS] [--dump FILE]
--dump FILE: one step from zero gradients at the (single) point, the gradients written as float32
in the library's flat layout (for check_model_peers.py).
"""
import argparse
import os
import sys
import time

sys.dont_write_bytecode = True  # keep bench/peers/ free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_rnn  # noqa: E402  (reexec_with_env, openblas_corename, median, timed_loop)

COLUMNS = ("impl,cell,layers,bidirectional,T,B,I,H,O,threads,fwd_ms,bwd_ms,total_ms,total_best_ms,"
           "gflops,pct_peak,tokens_per_s,bytes,loss")
GATES = torch_rnn.GATES
ELEMENTWISE = torch_rnn.ELEMENTWISE


def model_flops(cell, L, bidir, T, B, I, H, O):
    """rnnbptt-bench --model's count (bench/common.c model_flops)."""
    D, R, G = 1 + bidir, T * B, GATES[cell]
    ef, eb = ELEMENTWISE[cell]
    f = 0.0
    for l in range(L):
        Il = I if l == 0 else D * H
        f += D * (6.0 * R * G * H * (Il + H) + (ef + eb) * R * H)
    return f - D * 2.0 * R * G * H * I + 6.0 * R * O * D * H


def golden(np, n, salt, scale):
    u = np.mod(np.arange(n, dtype=np.float64) * 0.6180339887498949 + salt * 0.1234567, 1.0)
    return (scale * (2.0 * u - 1.0)).astype(np.float32)


def layer_params(cell, Il, H):
    """Floats of one layer and direction in the library's layout: W_x, W_h, b (, b_h)."""
    G = GATES[cell]
    return G * H * Il + G * H * H + G * H * (2 if cell == "gru" else 1)


def build(torch, np, cell, L, bidir, I, H, O):
    """The module pair with the library-layout golden parameters; also returns a function that
    gathers the gradients into the library's flat layout."""
    D, G = 1 + bidir, GATES[cell]
    kw = dict(num_layers=L, bidirectional=bool(bidir))
    if cell in ("tanh", "relu"):
        rnn = torch.nn.RNN(I, H, nonlinearity=cell, **kw)
    elif cell == "lstm":
        rnn = torch.nn.LSTM(I, H, **kw)
    else:
        rnn = torch.nn.GRU(I, H, **kw)
    lin = torch.nn.Linear(D * H, O)
    total = sum(layer_params(cell, I if l == 0 else D * H, H) for l in range(L) for _ in range(D))
    total += O * D * H + O
    flat = torch.from_numpy(golden(np, total, 1, 1.0 / np.sqrt(H)))
    slots = []  # (offset, tensor) in the library's order
    off = 0
    with torch.no_grad():
        for l in range(L):
            Il = I if l == 0 else D * H
            for d in range(D):
                sfx = f"_l{l}" + ("_reverse" if d else "")
                wih, whh = getattr(rnn, "weight_ih" + sfx), getattr(rnn, "weight_hh" + sfx)
                bih, bhh = getattr(rnn, "bias_ih" + sfx), getattr(rnn, "bias_hh" + sfx)
                n_x, n_h, n_b = G * H * Il, G * H * H, G * H
                wih.copy_(flat[off:off + n_x].view(G * H, Il))
                whh.copy_(flat[off + n_x:off + n_x + n_h].view(G * H, H))
                bih.copy_(flat[off + n_x + n_h:off + n_x + n_h + n_b])
                slots += [(off, wih), (off + n_x, whh), (off + n_x + n_h, bih)]
                if cell == "gru":
                    bhh.copy_(flat[off + n_x + n_h + n_b:off + n_x + n_h + 2 * n_b])
                    slots.append((off + n_x + n_h + n_b, bhh))
                else:
                    bhh.zero_()
                off += layer_params(cell, Il, H)
        lin.weight.copy_(flat[off:off + O * D * H].view(O, D * H))
        lin.bias.copy_(flat[off + O * D * H:])
        slots += [(off, lin.weight), (off + O * D * H, lin.bias)]

    def grads():
        g = np.zeros(total, dtype=np.float32)
        for o, t in slots:
            g[o:o + t.numel()] = t.grad.detach().numpy().reshape(-1)  # b: bias_ih's (= bias_hh's)
        return g

    return rnn, lin, grads


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--impl", default="pytorch")
    ap.add_argument("--cell", default="tanh")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--bidirectional", type=int, default=0, choices=(0, 1))
    ap.add_argument("--points", required=True, help="T/B/I/H[,...]")
    ap.add_argument("--O", type=int, default=16)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=0.0)
    ap.add_argument("--csv")
    ap.add_argument("--peak", type=float, default=0.0)
    ap.add_argument("--dump")
    a = ap.parse_args(argv)
    if a.impl != "pytorch" or a.cell not in GATES or a.layers < 1:
        ap.error("--impl pytorch only; --cell tanh|relu|lstm|gru; --layers >= 1")
    pts = [tuple(int(v) for v in s.split("/")) for s in a.points.split(",") if s]
    torch_rnn.reexec_with_env(a.threads)
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    print(f"torch_model: torch {torch.__version__}, {torch.get_num_threads()} threads, OpenBLAS "
          f"core {torch_rnn.openblas_corename()}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}",
          file=sys.stderr)
    rows = []
    for (T, B, I, H) in pts:
        rnn, lin, grads = build(torch, np, a.cell, a.layers, a.bidirectional, I, H, a.O)
        x = torch.from_numpy(golden(np, T * B * I, 2, 1.0)).view(T, B, I)
        tgt = torch.from_numpy(golden(np, T * B * a.O, 3, 1.0)).view(T, B, a.O)
        leaves = list(rnn.parameters()) + list(lin.parameters())
        last = {}

        def step():
            for p in leaves:
                p.grad = None
            t0 = time.perf_counter()
            h, _ = rnn(x)
            loss = 0.5 * (lin(h) - tgt).pow(2).sum()
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            last["loss"] = float(loss)
            return (t1 - t0) * 1e3, (t2 - t1) * 1e3

        if a.dump:
            step()
            grads().tofile(a.dump)
        tf, tb = torch_rnn.timed_loop(step, a.warmup, a.reps, a.seconds)
        tt = [f + b for f, b in zip(tf, tb)]
        total = torch_rnn.median(tt)
        gflops = model_flops(a.cell, a.layers, a.bidirectional, T, B, I, H, a.O) / (total * 1e6)
        pct = f"{100.0 * gflops / a.peak:.1f}" if a.peak > 0 else ""
        row = ["pytorch", a.cell, a.layers, a.bidirectional, T, B, I, H, a.O, a.threads,
               f"{torch_rnn.median(tf):.4f}", f"{torch_rnn.median(tb):.4f}", f"{total:.4f}",
               f"{min(tt):.4f}", f"{gflops:.2f}", pct, f"{T * B / (total * 1e-3):.0f}", "",
               f"{last['loss']:.9g}"]
        rows.append(row)
        print(" ".join(str(v) for v in row), flush=True)
    if a.csv:
        with open(a.csv, "w") as f:
            f.write(COLUMNS + "\n")
            for row in rows:
                f.write(",".join(str(v) for v in row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
