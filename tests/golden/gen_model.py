#!/usr/bin/python3
"""gen_model.py - writes tests/golden/model_data.h: PyTorch float64 golden data for the models
(rnnbptt_model_*, tests/test_model_torch.c).

Regenerate (from the repository root; needs PyTorch for /usr/bin/python3):

    /usr/bin/python3 tests/golden/gen_model.py > tests/golden/model_data.h

Each case is a model of include/rnnbptt.h's "models" section built from PyTorch modules:
    nn.RNN(tanh | relu) / nn.LSTM / nn.GRU (input I, hidden H, num_layers L, bidirectional D-1,
    batch_first=False) over pack_padded_sequence(x, lengths, enforce_sorted=False), its padded
    output (pad_packed_sequence, total_length=T: (T,B,H·D), zeros past each length) into
    nn.Linear(H·D, O), then the SUMMED loss
        MSE           ½ Σ (y − target)²
        SOFTMAX_XENT  cross_entropy(reduction="sum", ignore_index=-1)
    over every valid step (t < lengths[b]; EVERY_STEP) or over each sequence's last step
    (row lengths[b] − 1 of the padded output: [forward h, reverse h] there; LAST_STEP).
Every input (weights, x, targets) is a float32 value on a 2^-20 grid in (-1, 1), so it is exact
in float32 and so is b_ih + b_hh: the C test feeds the library the very same numbers, and the
only difference left is the library's float32 arithmetic. PyTorch runs in float64 and autograd
gives the gradients, written in the model's flat layout (per layer l, per direction d = forward,
reverse; then the head):
    RNN/LSTM: weight_ih_l{l}[_reverse] | weight_hh | bias_ih + bias_hh   (gate order i,f,g,o)
              (d bias = grad bias_ih == grad bias_hh, asserted)
    GRU:      weight_ih_l{l}[_reverse] | weight_hh | bias_ih | bias_hh   (gate order r,z,n)
    head:     linear.weight (O, H·D) | linear.bias (O)
as tests/torch_rnn.py maps one layer. Also written: the loss (float64) and the head's outputs
(predict: (T,B,O) with zero rows past each length for EVERY_STEP, (B,O) for LAST_STEP).
Token cases give ids (T,B) in 0..I-1 and x = their one-hot rows (what PyTorch gets); the C test
runs them both ways. Past a sequence's length, x, tokens, targets and labels hold random values
that PyTorch never reads (the C test also poisons them). A ReLU case whose pre-activations come
within 1e-3 of the kink at a valid step is redrawn (float32 noise could flip the branch there);
an independent plain-loop forward of the RNN cases checks the packed, bidirectional semantics.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_rnn import CELLS, GATES, draw  # noqa: E402

SEED = 20260314
T, B, O = 5, 3, 3
LOSSES = [("MSE", "EVERY_STEP"), ("SOFTMAX_XENT", "EVERY_STEP"),
          ("MSE", "LAST_STEP"), ("SOFTMAX_XENT", "LAST_STEP")]
LD = [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)]   # (num_layers, bidirectional)


def case_matrix():
    """(cell, L, bidir, loss, at, I, H, tokens, full_lengths) for every case.
    Per cell the six (L, bidir) pairs; the (loss, loss_at) pair rotates with the cell, so every
    cell meets all four pairs and every (L, bidir) pair meets all four across the cells. Then
    per cell one token case and one case with every length T (the test passes lengths = NULL)."""
    cases = []
    for c, cell in enumerate(CELLS):
        for j, (L, bd) in enumerate(LD):
            loss, at = LOSSES[(j + c) % 4]
            I, H = 3 + (j + c) % 2, 3 if L * (1 + bd) >= 4 else 3 + (j + c) % 3
            cases.append((cell, L, bd, loss, at, I, H, False, False))
    for c, cell in enumerate(CELLS):  # tokens: vocabulary I = 6
        L, bd = [(2, 1), (1, 0), (3, 0), (2, 0)][c]
        loss, at = LOSSES[(c + 1) % 4]
        cases.append((cell, L, bd, loss, at, 6, 4, True, False))
    for c, cell in enumerate(CELLS):  # lengths = NULL
        L, bd = [(2, 0), (1, 1), (2, 1), (1, 0)][c]
        loss, at = LOSSES[(c + 3) % 4]
        cases.append((cell, L, bd, loss, at, 4, 3, False, True))
    return cases


def make_model(cell, I, H, L, bd):
    kw = dict(num_layers=L, bidirectional=bool(bd))
    if cell == "RNN_TANH":
        return torch.nn.RNN(I, H, nonlinearity="tanh", **kw)
    if cell == "RNN_RELU":
        return torch.nn.RNN(I, H, nonlinearity="relu", **kw)
    if cell == "LSTM":
        return torch.nn.LSTM(I, H, **kw)
    return torch.nn.GRU(I, H, **kw)


def suffix(l, d):
    return "_l%d%s" % (l, "_reverse" if d else "")


def plain_rnn(rnn, relu, x, lengths, L, D, H):
    """Plain-loop forward of a stacked (bidirectional) RNN over packed sequences; returns its
    top output (T,B,H·D) zero past lengths, and the smallest |pre-activation| at a valid step."""
    margin = float("inf")
    inp = x
    for l in range(L):
        out = torch.zeros(T, B, H * D)
        for d in range(D):
            s = suffix(l, d)
            wx, wh = getattr(rnn, "weight_ih" + s), getattr(rnn, "weight_hh" + s)
            bias = getattr(rnn, "bias_ih" + s) + getattr(rnn, "bias_hh" + s)
            for b in range(B):
                h = torch.zeros(H)
                steps = range(lengths[b]) if d == 0 else range(lengths[b] - 1, -1, -1)
                for t in steps:
                    a = wx @ inp[t, b] + wh @ h + bias
                    margin = min(margin, float(a.abs().min()))
                    h = torch.relu(a) if relu else torch.tanh(a)
                    out[t, b, d * H:(d + 1) * H] = h
        inp = out
    return inp.detach(), margin


def draw_labels(gen, n):
    """Class ids in 0..O-1, about a quarter of them -1 (ignored)."""
    u = torch.randint(0, 4 * O, (n,), generator=gen)
    return torch.where(u < O, torch.full_like(u, -1), u % O)


def solve(gen, spec):
    cell, L, bd, loss_kind, at, I, H, tokens, full = spec
    D, G = 1 + bd, GATES[cell]
    lengths = [T] * B if full else [1, T, 2 + int(torch.randint(0, T - 2, (1,), generator=gen))]
    if not full:
        lengths = [lengths[int(i)] for i in torch.randperm(B, generator=gen)]

    while True:
        rnn = make_model(cell, I, H, L, bd)
        head = torch.nn.Linear(H * D, O)
        k = 1.0 / H ** 0.5  # PyTorch's own init ranges
        with torch.no_grad():
            for p in rnn.parameters():
                p.copy_(draw(gen, *p.shape, scale=k))
            head.weight.copy_(draw(gen, O, H * D, scale=1.0 / (H * D) ** 0.5))
            head.bias.copy_(draw(gen, O, scale=1.0 / (H * D) ** 0.5))
        if tokens:
            tok = torch.randint(0, I, (T, B), generator=gen)
            x = torch.nn.functional.one_hot(tok, I).double()
        else:
            tok, x = None, draw(gen, T, B, I)
        if cell.startswith("RNN"):
            with torch.no_grad():
                ref, margin = plain_rnn(rnn, cell == "RNN_RELU", x, lengths, L, D, H)
            if cell == "RNN_RELU" and margin <= 1e-3:
                continue
        break

    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths),
                                                     enforce_sorted=False)
    out, _ = rnn(packed)
    h, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)   # (T,B,H·D)
    if cell.startswith("RNN"):
        assert torch.allclose(h.detach(), ref, rtol=1e-12, atol=1e-12), "plain-loop forward"
    valid = torch.tensor([[t < lengths[b] for b in range(B)] for t in range(T)])
    if at == "EVERY_STEP":
        y = head(h)                                            # (T,B,O)
        outputs = (y * valid.unsqueeze(-1)).detach()
        rows, yv = valid, y[valid]
    else:
        last = h[torch.tensor(lengths) - 1, torch.arange(B)]   # (B,H·D)
        y = head(last)                                         # (B,O)
        outputs = y.detach()
        rows, yv = None, y
    p = {"spec": spec, "lengths": lengths, "x": x.reshape(-1),
         "tokens": tok.reshape(-1).tolist() if tokens else None}
    shape = (T, B) if at == "EVERY_STEP" else (B,)
    if loss_kind == "MSE":
        target = draw(gen, *shape, O)
        tv = target[rows] if rows is not None else target
        loss = 0.5 * ((yv - tv) ** 2).sum()
        p["targets"] = target.reshape(-1)
    else:
        labels = draw_labels(gen, B if at == "LAST_STEP" else T * B).reshape(shape)
        if at == "LAST_STEP":  # at least one ignored row and two that count
            labels[0], labels[1] = -1, int(labels[1]) % O
            labels[2] = int(labels[2]) % O
        lv = labels[rows] if rows is not None else labels
        assert int((lv >= 0).sum()) >= 2
        loss = torch.nn.functional.cross_entropy(yv, lv, reduction="sum", ignore_index=-1)
        p["labels"] = labels.reshape(-1).tolist()
    loss.backward()

    params, grads, tensors, off = [], [], [], 0

    def put(layer, d, which, v, g):
        nonlocal off
        rows_, cols = (v.shape[0], v.shape[1]) if v.dim() == 2 else (v.shape[0], 1)
        tensors.append((layer, d, which, off, rows_, cols))
        off += v.numel()
        params.append(v.detach().reshape(-1))
        grads.append(g.detach().reshape(-1))

    for l in range(L):
        for d in range(D):
            s = suffix(l, d)
            w_ih, w_hh = getattr(rnn, "weight_ih" + s), getattr(rnn, "weight_hh" + s)
            b_ih, b_hh = getattr(rnn, "bias_ih" + s), getattr(rnn, "bias_hh" + s)
            put(l, d, 0, w_ih, w_ih.grad)
            put(l, d, 1, w_hh, w_hh.grad)
            if cell == "GRU":
                put(l, d, 2, b_ih, b_ih.grad)
                put(l, d, 3, b_hh, b_hh.grad)
            else:
                assert torch.allclose(b_ih.grad, b_hh.grad, rtol=1e-13, atol=1e-13)
                put(l, d, 2, b_ih + b_hh, b_ih.grad)
    put(-1, 0, 0, head.weight, head.weight.grad)
    put(-1, 0, 1, head.bias, head.bias.grad)
    p["params"], p["dparams"] = torch.cat(params), torch.cat(grads)
    assert torch.equal(p["params"].float().double(), p["params"]), "params exact in float32"
    assert len(p["params"]) == off
    p.update(tensors=tensors, loss=float(loss), outputs=outputs.reshape(-1))
    return p


def c_array(ctype, name, values, fmt, per_line):
    vals = [fmt % v for v in values]
    lines = ["    " + ", ".join(vals[i:i + per_line]) + "," for i in range(0, len(vals), per_line)]
    return "static const %s %s[%d] = {\n%s\n};\n" % (ctype, name, len(vals), "\n".join(lines))


def case_name(p):
    cell, L, bd, loss, at, I, H, tokens, full = p["spec"]
    return "%s L=%d %s %s %s I=%d H=%d O=%d T=%d B=%d lengths=%s%s" % (
        cell, L, "bidir" if bd else "unidir", loss, at, I, H, O, T, B,
        "NULL" if full else "{" + ",".join(map(str, p["lengths"])) + "}",
        " tokens" if tokens else "")


def main():
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    cases = [solve(gen, spec) for spec in case_matrix()]

    out = sys.stdout
    out.write("/* model_data.h - PyTorch float64 golden data for tests/test_model_torch.c.\n"
              " * GENERATED, do not edit. Produced by tests/golden/gen_model.py\n"
              " * with torch %s (float64), seed %d:\n"
              " *     /usr/bin/python3 tests/golden/gen_model.py > tests/golden/model_data.h\n"
              " * Inputs (float, %%.9g) are exact float32 values; the expected loss, gradients\n"
              " * and outputs are float64 (%%.17g). Layouts: include/rnnbptt.h (models); the\n"
              " * generator's docstring says how PyTorch's tensors map onto them. */\n"
              "#ifndef MODEL_DATA_H\n#define MODEL_DATA_H\n\n#include \"rnnbptt.h\"\n\n"
              "/* one tensor of the flat layout: rnnbptt_model_tensor's arguments and answers */\n"
              "typedef struct {\n    int layer, dir, which, offset, rows, cols;\n"
              "} model_tensor_ref;\n\n" % (torch.__version__, SEED))
    for n, p in enumerate(cases):
        tokens = p["spec"][7]
        out.write("/* case %d: %s */\n" % (n, case_name(p)))
        out.write(c_array("int", "model%d_lengths" % n, p["lengths"], "%d", 8))
        out.write(c_array("float", "model%d_x" % n, p["x"].tolist(), "%.9g", 6))
        if tokens:
            out.write(c_array("int", "model%d_tokens" % n, p["tokens"], "%d", 15))
        if "targets" in p:
            out.write(c_array("float", "model%d_targets" % n, p["targets"].tolist(), "%.9g", 6))
        else:
            out.write(c_array("int", "model%d_labels" % n, p["labels"], "%d", 15))
        out.write(c_array("float", "model%d_params" % n, p["params"].tolist(), "%.9g", 6))
        out.write(c_array("double", "model%d_dparams_ref" % n, p["dparams"].tolist(), "%.17g", 3))
        out.write(c_array("double", "model%d_outputs_ref" % n, p["outputs"].tolist(), "%.17g", 3))
        out.write("static const model_tensor_ref model%d_tensors[] = {\n" % n)
        for t in p["tensors"]:
            out.write("    {%d, %d, %d, %d, %d, %d},\n" % t)
        out.write("};\n\n")

    out.write("typedef struct {\n"
              "    const char *name;\n"
              "    rnnbptt_model_config cfg; /* threads 0 */\n"
              "    int T, B, nparams, ntensors;\n"
              "    int null_lengths; /* every length is T: the test passes lengths = NULL */\n"
              "    const int *lengths;\n"
              "    const float *x;         /* (T,B,I); the one-hot rows of tokens if given */\n"
              "    const int *tokens;      /* (T,B) or NULL */\n"
              "    const float *targets;   /* MSE: (T,B,O) or (B,O); else NULL */\n"
              "    const int *labels;      /* SOFTMAX_XENT: (T,B) or (B); else NULL */\n"
              "    const float *params;    /* [nparams] */\n"
              "    double loss;\n"
              "    const double *dparams;  /* [nparams] */\n"
              "    const double *outputs;  /* (T,B,O) or (B,O) */\n"
              "    const model_tensor_ref *tensors; /* [ntensors] */\n"
              "} model_case;\n\n")
    out.write("static const model_case model_cases[] = {\n")
    for n, p in enumerate(cases):
        cell, L, bd, loss, at, I, H, tokens, full = p["spec"]
        out.write("    {\"%s\",\n" % case_name(p))
        out.write("     {.cell = RNNBPTT_%s, .input_size = %d, .hidden_size = %d,\n"
                  "      .num_layers = %d, .bidirectional = %d, .output_size = %d,\n"
                  "      .loss = RNNBPTT_LOSS_%s, .loss_at = RNNBPTT_LOSS_%s},\n"
                  % (cell, I, H, L, bd, O, loss, at))
        out.write("     %d, %d, %d, %d, %d, model%d_lengths, model%d_x, %s, %s, %s,\n"
                  % (T, B, len(p["params"]), len(p["tensors"]), int(full), n, n,
                     "model%d_tokens" % n if tokens else "NULL",
                     "model%d_targets" % n if "targets" in p else "NULL",
                     "model%d_labels" % n if "labels" in p else "NULL"))
        out.write("     model%d_params, %.17g,\n     model%d_dparams_ref, model%d_outputs_ref, "
                  "model%d_tensors},\n" % (n, p["loss"], n, n, n))
    out.write("};\n\n#define MODEL_NCASES (sizeof model_cases / sizeof model_cases[0])\n\n"
              "#endif /* MODEL_DATA_H */\n")


if __name__ == "__main__":
    main()
