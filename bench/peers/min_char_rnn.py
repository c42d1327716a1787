#!/usr/bin/python3
"""min_char_rnn.py — the reference for examples/char_rnn: Karpathy's min-char-rnn in Python 3.

A port of the published gist (https://gist.github.com/karpathy/d4dee566867f8291f086, "Minimal
character-level Vanilla RNN model", BSD) to Python 3 with numpy float64, keeping its model and its
update rules line for line:
  h_t = tanh(Wxh x_t + Whh h_{t-1} + bh),  y_t = Why h_t + by,  p_t = softmax(y_t)
  loss = Σ_t −log p_t[target_t] over a 25-step window (a sum, not a mean)
  x_t one-hot (the gist's np.dot(Wxh, x) on a one-hot column), H = 100, weights 0.01·randn,
  zero biases, BPTT over the window from the carried hprev, every gradient clipped to [−5, 5],
  Adagrad: mem += g², p −= lr·g / sqrt(mem + 1e-8) (eps inside the root), lr 0.1,
  smooth_loss = 0.999·smooth_loss + 0.001·loss, starting from −log(1/V)·25,
  hprev reset to zeros (and p to 0) when p + 25 + 1 >= len(data) or at the first iteration.
--torch-eps moves eps outside the root, p −= lr·g / (sqrt(mem) + 1e-8), torch's and rnnbptt's
Adagrad: the one change of arithmetic, off by default. It is not small: the gist's sqrt(mem + 1e-8)
never goes below 1e-4, so a parameter with a tiny gradient moves lr·g/1e-4, where torch's rule moves
it about lr·sign(g); on GPL-3 the smoothed loss at 5,000 iterations drops from about 73 to 51.
Changes from the gist, none of which touches the arithmetic: bytes instead of characters (the
vocabulary is the sorted set of bytes present, as char_rnn's), a seed, a fixed iteration count, a
progress line every 100 iterations on stderr (after that many updates), and sampling only after
the timed loop (the gist samples every 100 iterations inside it).

Output: stderr `min_char_rnn iter N loss L smooth_loss S` every 100 iterations; stdout a sample
(with --sample N > 0) and, last, the line char_rnn prints, under this program's name:
  min_char_rnn iters N seconds S it_per_s R smooth_loss L vocab V
S is the wall time of the training loop alone (no start-up, no sampling).
Run it with OPENBLAS_NUM_THREADS=1 for the single-thread comparison (bench/peers/char_rnn_compare.sh
does). Needs numpy (Debian: python3-numpy).
"""
import argparse
import sys
import time

import numpy as np


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="/usr/share/common-licenses/GPL-3", help="training text")
    ap.add_argument("--seed", type=int, default=1, help="numpy seed (initial weights, sampling)")
    ap.add_argument("--iters", type=int, default=20000, help="training iterations")
    ap.add_argument("--torch-eps", action="store_true",
                    help="Adagrad's eps outside the square root (torch's placement)")
    ap.add_argument("--sample", type=int, default=200,
                    help="characters to sample after training (0: none)")
    a = ap.parse_args()
    if a.iters < 1 or a.sample < 0:
        ap.error("--iters must be >= 1 and --sample >= 0")
    return a


def main():
    a = parse_args()
    with open(a.data, "rb") as f:
        data = f.read()
    seq_length, hidden_size, learning_rate = 25, 100, 1e-1
    if len(data) < seq_length + 2:
        print(f"min_char_rnn: {a.data}: needs at least {seq_length + 2} bytes", file=sys.stderr)
        sys.exit(2)
    chars = sorted(set(data))
    data_size, vocab_size = len(data), len(chars)
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    np.random.seed(a.seed)

    Wxh = np.random.randn(hidden_size, vocab_size) * 0.01  # input to hidden
    Whh = np.random.randn(hidden_size, hidden_size) * 0.01  # hidden to hidden
    Why = np.random.randn(vocab_size, hidden_size) * 0.01  # hidden to output
    bh = np.zeros((hidden_size, 1))
    by = np.zeros((vocab_size, 1))

    def lossFun(inputs, targets, hprev):
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab_size, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys[t] = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Why.T, dy) + dhnext
            dhraw = (1 - hs[t] * hs[t]) * dh
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -5, 5, out=dparam)
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]

    def sample(h, seed_ix, n):
        x = np.zeros((vocab_size, 1))
        x[seed_ix] = 1
        ixes = []
        for _ in range(n):
            h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
            y = np.dot(Why, h) + by
            p = np.exp(y) / np.sum(np.exp(y))
            ix = np.random.choice(range(vocab_size), p=p.ravel())
            x = np.zeros((vocab_size, 1))
            x[ix] = 1
            ixes.append(ix)
        return ixes

    n, p = 0, 0
    mWxh, mWhh, mWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    mbh, mby = np.zeros_like(bh), np.zeros_like(by)
    smooth_loss = -np.log(1.0 / vocab_size) * seq_length
    hprev = np.zeros((hidden_size, 1))
    t0 = time.perf_counter()
    while n < a.iters:
        if p + seq_length + 1 >= len(data) or n == 0:
            hprev = np.zeros((hidden_size, 1))
            p = 0
        inputs = [char_to_ix[ch] for ch in data[p:p + seq_length]]
        targets = [char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]
        loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(inputs, targets, hprev)
        smooth_loss = smooth_loss * 0.999 + loss * 0.001
        for param, dparam, mem in zip([Wxh, Whh, Why, bh, by],
                                      [dWxh, dWhh, dWhy, dbh, dby],
                                      [mWxh, mWhh, mWhy, mbh, mby]):
            mem += dparam * dparam
            if a.torch_eps:
                param += -learning_rate * dparam / (np.sqrt(mem) + 1e-8)
            else:
                param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
        p += seq_length
        n += 1
        if n % 100 == 0:
            print(f"min_char_rnn iter {n} loss {loss:.6f} smooth_loss {smooth_loss:.6f}",
                  file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0

    if a.sample > 0:
        ixes = sample(hprev, char_to_ix[data[p % data_size]], a.sample)
        text = bytes(chars[ix] for ix in ixes).decode("utf-8", errors="replace")
        print(f"----\n{text}\n----")
    print(f"min_char_rnn iters {n} seconds {seconds:.3f} it_per_s {n / seconds:.1f} "
          f"smooth_loss {smooth_loss:.4f} vocab {vocab_size}")


if __name__ == "__main__":
    main()
