#!/usr/bin/python3
"""gen_optim.py - writes tests/golden/optim_data.h: torch.optim float64 golden data for the
optimizers (tests/test_optim.c).

Regenerate (from the repository root; needs PyTorch for /usr/bin/python3):

    /usr/bin/python3 tests/golden/gen_optim.py > tests/golden/optim_data.h

For each kind (SGD, SGD with momentum, SGD with Nesterov momentum, Adagrad, RMSprop, Adam, AdamW)
one case: N parameters and STEPS gradients drawn as float32 values on a 2^-20 grid in (-1, 1)
(exact in float32, so the C test feeds the library the very same numbers), hyperparameters with a
nonzero weight decay, and torch.optim (float64 tensors, foreach=False: the single-tensor code
path) run for STEPS steps; the parameters after each step are written as float64 (%.17g).
"""
import sys

import torch

SEED = 20261205
N = 37     # not a multiple of any vector width: the loops' tails run too
STEPS = 5

# (C kind, torch class, torch keyword arguments, the C config's fields)
CASES = [
    ("RNNBPTT_SGD", torch.optim.SGD, dict(lr=0.1, weight_decay=0.05),
     dict(lr=0.1, weight_decay=0.05)),
    ("RNNBPTT_SGD_MOMENTUM", torch.optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.1),
     dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("RNNBPTT_SGD_NESTEROV", torch.optim.SGD,
     dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True),
     dict(lr=0.05, momentum=0.8, weight_decay=0.1)),
    ("RNNBPTT_ADAGRAD", torch.optim.Adagrad, dict(lr=0.1, eps=0.05, weight_decay=0.05),
     dict(lr=0.1, eps=0.05, weight_decay=0.05)),
    ("RNNBPTT_RMSPROP", torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=0.01, weight_decay=0.1),
     dict(lr=0.01, alpha=0.9, eps=0.01, weight_decay=0.1)),
    ("RNNBPTT_ADAM", torch.optim.Adam,
     dict(lr=0.01, betas=(0.8, 0.95), eps=0.01, weight_decay=0.1),
     dict(lr=0.01, beta1=0.8, beta2=0.95, eps=0.01, weight_decay=0.1)),
    ("RNNBPTT_ADAMW", torch.optim.AdamW,
     dict(lr=0.01, betas=(0.8, 0.95), eps=0.01, weight_decay=0.5),
     dict(lr=0.01, beta1=0.8, beta2=0.95, eps=0.01, weight_decay=0.5)),
]
FIELDS = ["lr", "momentum", "alpha", "beta1", "beta2", "eps", "weight_decay"]


def draw(gen, *shape):
    """float32-exact values on a 2^-20 grid in (-1, 1), as float64."""
    k = torch.randint(-(2**20) + 1, 2**20, shape, generator=gen, dtype=torch.int64)
    return k.double() / 2**20


def floats(name, ctype, vals, fmt):
    out = ["static const %s %s[%d] = {" % (ctype, name, len(vals))]
    for i in range(0, len(vals), 6):
        out.append("    " + " ".join((fmt % v) + "," for v in vals[i:i + 6]))
    out.append("};")
    return "\n".join(out)


def main():
    gen = torch.Generator().manual_seed(SEED)
    w = sys.stdout.write
    w("/* optim_data.h - torch.optim float64 golden data for tests/test_optim.c.\n")
    w(" * GENERATED, do not edit. Produced by tests/golden/gen_optim.py\n")
    w(" * with torch %s (float64), seed %d:\n" % (torch.__version__, SEED))
    w(" *     /usr/bin/python3 tests/golden/gen_optim.py > tests/golden/optim_data.h\n")
    w(" * Inputs (float, %.9g) are exact float32 values; the expected parameters\n")
    w(" * after each step are float64 (%.17g). */\n")
    w("#ifndef OPTIM_DATA_H\n#define OPTIM_DATA_H\n\n#include \"rnnbptt.h\"\n\n")
    w("enum { OPTIM_N = %d, OPTIM_STEPS = %d, OPTIM_CASES = %d };\n\n" % (N, STEPS, len(CASES)))
    names = []
    for c, (kind, cls, kw, cfg) in enumerate(CASES):
        p0 = draw(gen, N)
        grads = draw(gen, STEPS, N)
        p = torch.nn.Parameter(p0.clone())
        opt = cls([p], foreach=False, **kw)
        expect = []
        for s in range(STEPS):
            p.grad = grads[s].clone()
            opt.step()
            expect.append(p.detach().clone())
        w("/* case %d: %s, torch.optim.%s(%s) */\n" % (
            c, kind, cls.__name__, ", ".join("%s=%r" % kv for kv in kw.items())))
        w(floats("optim%d_params" % c, "float", p0.tolist(), "%.9g") + "\n")
        w(floats("optim%d_grads" % c, "float", grads.flatten().tolist(), "%.9g") + "\n")
        w(floats("optim%d_expect" % c, "double", torch.stack(expect).flatten().tolist(), "%.17g")
          + "\n\n")
        names.append((kind, cfg, c))
    w("static const struct {\n    rnnbptt_optim_config cfg;\n"
      "    const float *params;   /* [OPTIM_N] before the first step */\n"
      "    const float *grads;    /* (OPTIM_STEPS, OPTIM_N) */\n"
      "    const double *expect;  /* (OPTIM_STEPS, OPTIM_N): params after each step */\n"
      "} optim_cases[OPTIM_CASES] = {\n")
    for kind, cfg, c in names:
        fields = ", ".join(".%s = %r" % (f, cfg[f]) for f in FIELDS if f in cfg)
        w("    {{.kind = %s, %s}, optim%d_params, optim%d_grads, optim%d_expect},\n"
          % (kind, fields, c, c, c))
    w("};\n\n#endif /* OPTIM_DATA_H */\n")


if __name__ == "__main__":
    main()
