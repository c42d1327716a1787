#!/usr/bin/python3
"""torch_rnn.py — peer benchmarks: PyTorch's CPU nn.RNN/nn.LSTM/nn.GRU and a per-step numpy loop.

Legend: T steps, B batch, I input, H hidden, G gates (1 vanilla, 4 LSTM, 3 GRU).
Workload (the same as rnnbptt-bench): ONE layer, float32, time-major x (T,B,I); forward over all T
steps from a given h0 (and c0 for LSTM); then backward from dL/dh for every step (h.backward(dh),
nothing from beyond the window), producing the weight gradients, dx and dh0 (x and h0 have
requires_grad; LSTM's c0 too).

impl=pytorch   nn.RNN (tanh, relu), nn.LSTM, nn.GRU with torch.set_num_threads(threads). Between
               reps (untimed) every .grad is set to None, as zero_grad(set_to_none=True) does.
impl=numpy     vanilla tanh only: the textbook per-step loop (no hoisted GEMM), float32 —
               forward h_t = tanh(x_t W_xhᵀ + h_{t-1} W_hhᵀ + b) one step at a time; backward one
               step at a time with dW_xh += δ_tᵀ x_t, dW_hh += δ_tᵀ h_{t-1} (np.outer when B = 1,
               np.dot otherwise), db += Σ δ_t, dx_t = δ_t W_xh, dh_{t-1} = δ_t W_hh.

Environment: the script re-executes itself with OMP_WAIT_POLICY=PASSIVE (without it PyTorch's OpenMP
threads spin against OpenBLAS's pthreads and run several times slower on 2 cores),
OMP_NUM_THREADS=threads and OPENBLAS_NUM_THREADS=threads (numpy and PyTorch both call Debian's
OpenBLAS, whose thread count torch.set_num_threads does not set). OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE are passed through untouched; the OpenBLAS core in use is printed on stderr.

Timing: per rep, forward then backward, each with time.perf_counter(); --warmup reps first.
CSV columns are rnnbptt-bench's: impl,cell,T,B,I,H,threads,fwd_ms,bwd_ms,total_ms,total_best_ms,
gflops,pct_peak,tokens_per_s,bytes (*_ms medians, total_best_ms the best rep; gflops at the median
total from rnnbptt-bench's FLOP formula, R = T·B: forward 2·R·G·H·(I + H) + e_f·R·H, backward
4·R·G·H·(I + H) + e_b·R·H, with e_f/e_b = 0/0 tanh, relu, 9/24 LSTM, 11/17 GRU; pct_peak only when
--peak GFLOPS is given, else empty; bytes: numpy = h (T,B,H) floats, the only state it keeps;
pytorch = empty, autograd's saved tensors are not visible).
Reps: --warmup untimed, then at least --reps timed and more until --seconds have been spent.

Needs /usr/bin/python3 with numpy (and torch for impl=pytorch): Debian's python3-numpy,
python3-torch. Example:
  /usr/bin/python3 torch_rnn.py --impl pytorch,numpy --cell tanh --points 100/1/128/128 \
      --threads 2 --reps 10 --warmup 2 --csv out.csv
"""
import argparse
import ctypes
import ctypes.util
import os
import sys
import time

CSV_HEADER = ("impl,cell,T,B,I,H,threads,fwd_ms,bwd_ms,total_ms,total_best_ms,gflops,pct_peak,"
              "tokens_per_s,bytes")
GATES = {"tanh": 1, "relu": 1, "lstm": 4, "gru": 3}
ELEMENTWISE = {"tanh": (0, 0), "relu": (0, 0), "lstm": (9, 24), "gru": (11, 17)}  # e_f, e_b


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--impl", default="pytorch,numpy", help="pytorch,numpy (comma list)")
    ap.add_argument("--cell", default="tanh", help="tanh,relu,lstm,gru (comma list)")
    ap.add_argument("--points", required=True, help="T/B/I/H[,T/B/I/H...]")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=0.2,
                    help="keep repeating until this much time is spent, after --reps")
    ap.add_argument("--csv", help="write the results to this CSV file")
    ap.add_argument("--peak", type=float, default=0.0, help="sgemm peak GFLOP/s for pct_peak")
    ap.add_argument("--seed", type=int, default=12345)
    a = ap.parse_args(argv)
    a.impl = [s for s in a.impl.split(",") if s]
    a.cell = [s for s in a.cell.split(",") if s]
    for s in a.impl:
        if s not in ("pytorch", "numpy"):
            ap.error(f"unknown impl '{s}'")
    for s in a.cell:
        if s not in GATES:
            ap.error(f"unknown cell '{s}'")
    pts = []
    for s in a.points.split(","):
        try:
            p = tuple(int(v) for v in s.split("/"))
        except ValueError:
            p = ()
        if len(p) != 4 or min(p) < 1:
            ap.error(f"bad point '{s}' (want T/B/I/H)")
        pts.append(p)
    a.points = pts
    if a.reps < 1 or a.warmup < 0 or a.threads < 1 or a.seconds < 0:
        ap.error("--reps and --threads must be >= 1, --warmup and --seconds >= 0")
    return a


def reexec_with_env(threads):
    """Re-executes this script once with the thread and wait-policy environment it needs."""
    want = {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": str(threads),
            "OPENBLAS_NUM_THREADS": str(threads)}
    if all(os.environ.get(k) == v for k, v in want.items()):
        return
    env = dict(os.environ, **want)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def openblas_corename():
    for name in ("libopenblas.so.0", ctypes.util.find_library("openblas")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode()
        except (OSError, AttributeError):
            continue
    return "unknown"


def flops(cell, T, B, I, H):
    R, (ef, eb) = T * B, ELEMENTWISE[cell]
    return 6.0 * R * GATES[cell] * H * (I + H) + (ef + eb) * R * H


def timed_loop(step, warmup, reps, seconds):
    """step() runs one forward + backward and returns (fwd_ms, bwd_ms). It runs warmup times
    untimed, then at least reps times and until seconds have passed; returns the two lists."""
    for _ in range(warmup):
        step()
    tf, tb = [], []
    t_start = time.perf_counter()
    while len(tf) < reps or time.perf_counter() - t_start < seconds:
        f, b = step()
        tf.append(f)
        tb.append(b)
    return tf, tb


# ---- numpy: the textbook per-step loop (vanilla tanh) ---------------------------------------
def numpy_fwd(np, Wxh, Whh, b, x, h0):
    """x (T,B,I), h0 (B,H) -> h (T,B,H); one step at a time, nothing hoisted."""
    T, B = x.shape[0], x.shape[1]
    h = np.empty((T, B, Whh.shape[0]), dtype=x.dtype)
    if B == 1:
        hp = h0[0]
        for t in range(T):
            hp = np.tanh(np.dot(Wxh, x[t, 0]) + np.dot(Whh, hp) + b)
            h[t, 0] = hp
    else:
        hp = h0
        for t in range(T):
            hp = np.tanh(np.dot(x[t], Wxh.T) + np.dot(hp, Whh.T) + b)
            h[t] = hp
    return h


def numpy_bwd(np, Wxh, Whh, x, h0, h, dh, dWxh, dWhh, db):
    """BPTT one step at a time; dW*, db ACCUMULATED; returns dx (T,B,I), dh0 (B,H)."""
    T, B = x.shape[0], x.shape[1]
    dx = np.empty_like(x)
    if B == 1:
        dnext = np.zeros_like(h0[0])
        for t in range(T - 1, -1, -1):
            hp = h[t - 1, 0] if t > 0 else h0[0]
            d = (dh[t, 0] + dnext) * (1.0 - h[t, 0] * h[t, 0])
            dWxh += np.outer(d, x[t, 0])
            dWhh += np.outer(d, hp)
            db += d
            dx[t, 0] = np.dot(d, Wxh)
            dnext = np.dot(d, Whh)
        return dx, dnext[None, :]
    dnext = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        hp = h[t - 1] if t > 0 else h0
        d = (dh[t] + dnext) * (1.0 - h[t] * h[t])
        dWxh += np.dot(d.T, x[t])
        dWhh += np.dot(d.T, hp)
        db += d.sum(axis=0)
        dx[t] = np.dot(d, Wxh)
        dnext = np.dot(d, Whh)
    return dx, dnext


def time_numpy(np, T, B, I, H, reps, warmup, seconds, rng):
    k = 1.0 / np.sqrt(H)
    f32 = np.float32
    Wxh = rng.uniform(-k, k, (H, I)).astype(f32)
    Whh = rng.uniform(-k, k, (H, H)).astype(f32)
    b = rng.uniform(-k, k, H).astype(f32)
    x = rng.uniform(-1, 1, (T, B, I)).astype(f32)
    h0 = rng.uniform(-1, 1, (B, H)).astype(f32)
    dh = rng.uniform(-1, 1, (T, B, H)).astype(f32)
    dWxh, dWhh, db = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(b)

    def step():
        t0 = time.perf_counter()
        h = numpy_fwd(np, Wxh, Whh, b, x, h0)
        t1 = time.perf_counter()
        numpy_bwd(np, Wxh, Whh, x, h0, h, dh, dWxh, dWhh, db)
        t2 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3

    return timed_loop(step, warmup, reps, seconds) + (4 * T * B * H,)


# ---- PyTorch ----------------------------------------------------------------------------------
def torch_module(torch, cell, I, H):
    if cell in ("tanh", "relu"):
        return torch.nn.RNN(I, H, num_layers=1, nonlinearity=cell)
    if cell == "lstm":
        return torch.nn.LSTM(I, H, num_layers=1)
    return torch.nn.GRU(I, H, num_layers=1)


def time_torch(torch, cell, T, B, I, H, reps, warmup, seconds, seed):
    torch.manual_seed(seed)
    m = torch_module(torch, cell, I, H)
    x = torch.empty(T, B, I).uniform_(-1, 1).requires_grad_()
    h0 = torch.empty(1, B, H).uniform_(-1, 1).requires_grad_()
    c0 = torch.empty(1, B, H).uniform_(-1, 1).requires_grad_()
    dh = torch.empty(T, B, H).uniform_(-1, 1)
    state = (h0, c0) if cell == "lstm" else h0
    leaves = list(m.parameters()) + [x, h0, c0]

    def step():
        for p in leaves:
            p.grad = None
        t0 = time.perf_counter()
        h, _ = m(x, state)
        t1 = time.perf_counter()
        h.backward(dh)
        t2 = time.perf_counter()
        return (t1 - t0) * 1e3, (t2 - t1) * 1e3

    return timed_loop(step, warmup, reps, seconds) + (None,)


def median(v):
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def main(argv):
    a = parse_args(argv)
    reexec_with_env(a.threads)
    import numpy as np
    torch = None
    if "pytorch" in a.impl:
        try:
            import torch
        except ImportError:
            print("torch_rnn: PyTorch is not installed (Debian: python3-torch); skipping impl=pytorch",
                  file=sys.stderr)
            a.impl = [s for s in a.impl if s != "pytorch"]
    if torch is not None:
        torch.set_num_threads(a.threads)
        print(f"torch_rnn: torch {torch.__version__}, {torch.get_num_threads()} threads, "
              f"mkldnn {'on' if torch.backends.mkldnn.is_available() else 'off'}", file=sys.stderr)
    print(f"torch_rnn: numpy {np.__version__}, OpenBLAS core {openblas_corename()}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}", file=sys.stderr)

    rows = []
    print(f"{'impl':<8} {'cell':<5} {'T':>5} {'B':>4} {'I':>5} {'H':>5} {'thr':>3} {'fwd_ms':>10} "
          f"{'bwd_ms':>10} {'total_ms':>10} {'best_ms':>10} {'gflops':>8} {'%peak':>6} "
          f"{'tokens/s':>12} {'bytes':>12}")
    rng = np.random.default_rng(a.seed)
    for impl in a.impl:
        for cell in a.cell:
            if impl == "numpy" and cell != "tanh":
                print(f"torch_rnn: impl=numpy runs the tanh cell only; skipping {cell}", file=sys.stderr)
                continue
            for (T, B, I, H) in a.points:
                print(f"torch_rnn: {impl} {cell} {T}/{B}/{I}/{H}", file=sys.stderr)
                if impl == "numpy":
                    tf, tb, nbytes = time_numpy(np, T, B, I, H, a.reps, a.warmup, a.seconds, rng)
                else:
                    tf, tb, nbytes = time_torch(torch, cell, T, B, I, H, a.reps, a.warmup, a.seconds, a.seed)
                tt = [f + b for f, b in zip(tf, tb)]
                total = median(tt)
                gflops = flops(cell, T, B, I, H) / (total * 1e6)
                pct = f"{100.0 * gflops / a.peak:.1f}" if a.peak > 0 else ""
                row = [impl, cell, T, B, I, H, a.threads, f"{median(tf):.4f}", f"{median(tb):.4f}",
                       f"{total:.4f}", f"{min(tt):.4f}", f"{gflops:.2f}", pct,
                       f"{T * B / (total * 1e-3):.0f}", "" if nbytes is None else str(nbytes)]
                rows.append(row)
                print(f"{impl:<8} {cell:<5} {T:>5} {B:>4} {I:>5} {H:>5} {a.threads:>3} "
                      f"{median(tf):>10.3f} {median(tb):>10.3f} {total:>10.3f} {min(tt):>10.3f} "
                      f"{gflops:>8.1f} {pct:>6} {T * B / (total * 1e-3):>12.0f} {row[-1]:>12}",
                      flush=True)
    if a.csv:
        with open(a.csv, "w") as f:
            f.write(CSV_HEADER + "\n")
            for row in rows:
                f.write(",".join(str(v) for v in row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
