"""torch_rnn.py — what the PyTorch-driven test generators share (tests/golden/gen_golden.py and
tests/torch_check/gen_problems.py): exact float32 draws, and one layer run through PyTorch with
packed-sequence semantics, its results mapped onto rnnbptt.h's flat layout. Run with /usr/bin/python3
(Debian's python3-torch); the callers set torch's default dtype to float64."""
import torch

GRID = 2.0 ** -20
CELLS = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def draw(gen, *shape, scale=1.0):
    """Uniform(-scale, scale) drawn in float32, snapped to the 2^-20 grid, promoted to float64."""
    u = torch.rand(*shape, generator=gen, dtype=torch.float32) * 2 - 1
    v = (torch.round(u.double() * scale / GRID) * GRID).clamp(-1 + GRID, 1 - GRID)
    assert torch.equal(v.float().double(), v)
    return v


def make_module(cell, I, H):
    if cell == "RNN_TANH":
        return torch.nn.RNN(I, H, nonlinearity="tanh")
    if cell == "RNN_RELU":
        return torch.nn.RNN(I, H, nonlinearity="relu")
    if cell == "LSTM":
        return torch.nn.LSTM(I, H)
    return torch.nn.GRU(I, H)


def run_layer(cell, I, H, w_ih, w_hh, b_ih, b_hh, x, h0, c0, lengths, dh, dhT, dcT):
    """Forward x (T,B,I) with lengths, then autograd of L = Σ dh⊙h + Σ dhT⊙h_n (+ Σ dcT⊙c_n).
    Returns a dict: h (T,B,H) zero past lengths, hT, cT (LSTM, else None), params and dparams as
    lists of tensors in the library's flat order (RNN/LSTM merge the two biases), dx, dh0, dc0."""
    T = x.shape[0]
    rnn = make_module(cell, I, H)
    with torch.no_grad():
        for name, v in (("weight_ih_l0", w_ih), ("weight_hh_l0", w_hh),
                        ("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)):
            getattr(rnn, name).copy_(v)
    xg = x.clone().requires_grad_(True)
    h0g = h0.clone().unsqueeze(0).requires_grad_(True)
    c0g = c0.clone().unsqueeze(0).requires_grad_(True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xg, torch.tensor(lengths), enforce_sorted=False)
    lstm = cell == "LSTM"
    if lstm:
        out, (hn, cn) = rnn(packed, (h0g, c0g))
    else:
        out, hn = rnn(packed, h0g)
    h, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=T)
    loss = (dh * h).sum() + (dhT * hn[0]).sum()
    if lstm:
        loss = loss + (dcT * cn[0]).sum()
    loss.backward()

    gw_ih, gw_hh = rnn.weight_ih_l0.grad, rnn.weight_hh_l0.grad
    gb_ih, gb_hh = rnn.bias_ih_l0.grad, rnn.bias_hh_l0.grad
    if cell == "GRU":
        params, dparams = [w_ih, w_hh, b_ih, b_hh], [gw_ih, gw_hh, gb_ih, gb_hh]
    else:
        assert torch.allclose(gb_ih, gb_hh, rtol=1e-13, atol=1e-13), "merged-bias gradient"
        params, dparams = [w_ih, w_hh, b_ih + b_hh], [gw_ih, gw_hh, gb_ih]
    return {"h": h.detach(), "hT": hn.detach()[0], "cT": cn.detach()[0] if lstm else None,
            "params": params, "dparams": dparams, "dx": xg.grad, "dh0": h0g.grad[0],
            "dc0": c0g.grad[0] if lstm else None}
