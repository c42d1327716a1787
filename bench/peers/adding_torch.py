#!/usr/bin/python3
"""adding_torch.py — examples/adding_problem's training in PyTorch, the peer for its speed.

The same task, model and training step as adding_problem (see docs/examples.md): each step of a
sequence is (a number in [0, 1), a marker); two marked steps, one in [0, T/2) and one in [T/2, T);
the target, at the last step, is the sum of the two marked numbers. One recurrent layer of H units
(nn.RNN tanh; irnn: nn.RNN relu with identity W_hh, zero biases and N(0, 0.001²) for the other
weights, Le et al. 2015; nn.LSTM with its forget-gate bias b_ih + b_hh at +1; nn.GRU), a linear
head on the last step's h, nn.MSELoss (the batch mean), gradients clipped to norm 1
(clip_grad_norm_), Adam lr 1e-3 (irnn: SGD lr 1e-2), B sequences per step. Other weights keep
PyTorch's default init.

Timed: each training step, zero_grad, forward, loss, backward, clip and update, with
time.perf_counter(); the data (numpy, its own generator: not the C program's sequences) and the
test evaluations (1,000 fixed sequences every 100 steps, under torch.no_grad) are not.
ms_per_step is the mean over all steps, as adding_problem reports it.

Threads: torch.set_num_threads(--threads, default 2); the script re-executes itself with
OMP_WAIT_POLICY=PASSIVE (without it, on 2 cores, PyTorch's OpenMP threads spin against
OpenBLAS's), OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set to --threads.

Output (stdout), one line per cell, the C program's format with its own first word:
  adding_torch cell C T N steps S test_mse X baseline Y ms_per_step Z
Needs /usr/bin/python3 with torch and numpy (Debian: python3-torch). Example:
  /usr/bin/python3 bench/peers/adding_torch.py --T 50 --cell all --steps 300
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_rnn import reexec_with_env  # noqa: E402  (the thread and wait-policy environment)

CELLS = ("tanh", "irnn", "lstm", "gru")
TEST_N = 1000
TEST_SEED = 0x7E57
EVAL_EVERY = 100


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--T", type=int, default=50)
    p.add_argument("--cell", default="all", choices=CELLS + ("all",))
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--hidden", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    if a.T < 2 or a.steps < 0 or a.batch < 1 or a.hidden < 1 or a.threads < 1:
        p.error("--T >= 2, --steps >= 0, --batch, --hidden and --threads >= 1")
    return a




def make_batch(rng, T, B):
    """x (T,B,2) float32 time-major, y (B,) float32."""
    import numpy as np
    v = rng.random((T, B), dtype=np.float32)
    half = T // 2
    p1 = rng.integers(0, half, size=B)
    p2 = rng.integers(half, T, size=B)
    x = np.zeros((T, B, 2), dtype=np.float32)
    x[:, :, 0] = v
    cols = np.arange(B)
    x[p1, cols, 1] = 1.0
    x[p2, cols, 1] = 1.0
    return x, v[p1, cols] + v[p2, cols]


def build(cell, H):
    import torch
    from torch import nn
    if cell in ("tanh", "irnn"):
        rnn = nn.RNN(2, H, nonlinearity="tanh" if cell == "tanh" else "relu")
    else:
        rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(2, H)
    head = nn.Linear(H, 1)
    with torch.no_grad():
        if cell == "irnn":
            rnn.weight_hh_l0.copy_(torch.eye(H))
            rnn.bias_ih_l0.zero_()
            rnn.bias_hh_l0.zero_()
            rnn.weight_ih_l0.normal_(0.0, 0.001)
            head.weight.normal_(0.0, 0.001)
            head.bias.zero_()
        elif cell == "lstm":
            rnn.bias_ih_l0[H:2 * H].fill_(1.0)  # gates i, f, g, o: the sum b_ih + b_hh is 1
            rnn.bias_hh_l0[H:2 * H].fill_(0.0)
    return rnn, head


def run_cell(a, cell, test_x, test_y):
    import numpy as np
    import torch
    from torch import nn
    torch.manual_seed(a.seed)
    rnn, head = build(cell, a.hidden)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = (torch.optim.SGD(params, lr=1e-2) if cell == "irnn"
           else torch.optim.Adam(params, lr=1e-3))
    loss_fn = nn.MSELoss()
    rng = np.random.default_rng(a.seed)
    tx, ty = torch.from_numpy(test_x), torch.from_numpy(test_y)

    def test_mse():
        with torch.no_grad():
            out, _ = rnn(tx)
            return float(((head(out[-1]).squeeze(1) - ty) ** 2).mean())

    seconds, mse = 0.0, test_mse()
    print(f"adding_torch: {cell} T {a.T} step 0 test_mse {mse:.5f} (initial)", file=sys.stderr)
    for step in range(1, a.steps + 1):
        x, y = make_batch(rng, a.T, a.batch)
        x, y = torch.from_numpy(x), torch.from_numpy(y)
        t0 = time.perf_counter()
        opt.zero_grad()
        out, _ = rnn(x)
        loss = loss_fn(head(out[-1]).squeeze(1), y)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        seconds += time.perf_counter() - t0
        if step % EVAL_EVERY == 0 or step == a.steps:
            mse = test_mse()
            print(f"adding_torch: {cell} T {a.T} step {step} train_mse {float(loss):.5f} "
                  f"test_mse {mse:.5f}", file=sys.stderr)
    ms = 1e3 * seconds / a.steps if a.steps else 0.0
    return mse, ms


def main(argv):
    a = parse_args(argv)
    reexec_with_env(a.threads)
    import numpy as np
    import torch
    torch.set_num_threads(a.threads)
    test_x, test_y = make_batch(np.random.default_rng(TEST_SEED), a.T, TEST_N)
    baseline = float(((test_y - 1.0) ** 2).mean())
    cells = CELLS if a.cell == "all" else (a.cell,)
    print(f"adding_torch: torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}", file=sys.stderr)
    for cell in cells:
        mse, ms = run_cell(a, cell, test_x, test_y)
        print(f"adding_torch cell {cell} T {a.T} steps {a.steps} test_mse {mse:.6g} "
              f"baseline {baseline:.6g} ms_per_step {ms:.4g}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
