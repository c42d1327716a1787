#!/usr/bin/python3
"""gen_init.py - writes tests/golden/init_data.h: rnnbptt_rng's outputs and the checksums of
rnnbptt_model_init, from an independent implementation of the header's specification
(include/rnnbptt.h, "random numbers" and "initialization") in plain Python (tests/test_init.c).

Regenerate (from the repository root; the Python standard library only):

    python3 tests/golden/gen_init.py > tests/golden/init_data.h

Python's float is an IEEE-754 double with round-to-nearest and no contraction, math.sqrt is
correctly rounded and math.frexp exact; struct's 'f' rounds a double to the nearest float. So the
numbers below are the specification's, computed without the library's code: the C test expects
them bit for bit. The model checksums are FNV-1a 64 over each parameter's float32 bits written
little-endian, in flat-buffer order.
"""
import math
import struct

M64 = (1 << 64) - 1


def f32(x):
    """x rounded to float32 (round to nearest even), as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Rng:
    def __init__(self, seed):
        z, self.s = seed, []
        for _ in range(4):
            z = (z + 0x9E3779B97F4A7C15) & M64
            y = z
            y = ((y ^ (y >> 30)) * 0xBF58476D1CE4E5B9) & M64
            y = ((y ^ (y >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(y ^ (y >> 31))

    def next(self):
        s = self.s
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return out

    def below(self, bound):
        threshold = (2**64 - bound) % bound
        while True:
            x = self.next()
            if x >= threshold:
                return x % bound

    def uniform(self, n, lo, hi):
        lo, hi = f32(lo), f32(hi)
        d = hi - lo
        return [f32(lo + d * ((self.next() >> 40) * 2.0**-24)) for _ in range(n)]

    def normal(self, n, mean, sigma):
        mean, sigma, out = f32(mean), f32(sigma), []
        while len(out) < n:
            while True:
                a = (self.next() >> 11) * 2.0**-52 - 1.0
                b = (self.next() >> 11) * 2.0**-52 - 1.0
                s = a * a + b * b
                if 0.0 < s < 1.0:
                    break
            f = math.sqrt(-2.0 * ln(s) / s)
            out += [f32(mean + sigma * (a * f)), f32(mean + sigma * (b * f))]
        return out[:n]


INV_ODD = [1.0 / (2 * k + 1) for k in range(12)]
LN2_HI = float.fromhex("0x1.62e42feep-1")
LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")
SQRT_HALF = float.fromhex("0x1.6a09e667f3bcdp-1")


def ln(x):
    m, e = math.frexp(x)
    if m < SQRT_HALF:
        m, e = m * 2.0, e - 1
    w = (m - 1.0) / (m + 1.0)
    q = w * w
    p = INV_ODD[11]
    for k in range(10, -1, -1):
        p = p * q + INV_ODD[k]
    return e * LN2_HI + (e * LN2_LO + (2.0 * w) * p)


# ---- the model initialization, as the header's order of draws describes it ----

GATES = {"RNNBPTT_RNN_TANH": 1, "RNNBPTT_RNN_RELU": 1, "RNNBPTT_LSTM": 4, "RNNBPTT_GRU": 3}


def weight(r, kind, rows, cols, k, c):
    n = rows * cols
    if kind == "TORCH":
        return r.uniform(n, -f32(k), f32(k))
    if kind == "NORMAL":
        return r.normal(n, 0.0, c["sigma"])
    if kind == "XAVIER":
        b = f32(math.sqrt(6.0 / (rows + cols)))
        return r.uniform(n, -b, b)
    assert kind == "CONSTANT"
    return [f32(c["value"])] * n


def bias(r, kind, n, k, pair, c):
    if kind == "TORCH" and pair:
        u = r.uniform(2 * n, -f32(k), f32(k))
        return [f32(u[2 * i] + u[2 * i + 1]) for i in range(n)]
    return weight(r, kind, n, 1, k, c)


def model_init(m, c, seed):
    r, p = Rng(seed), []
    G, H, D = GATES[m["cell"]], m["H"], 1 + m["bidirectional"]
    k = 1.0 / math.sqrt(H)
    for layer in range(m["L"]):
        I = m["I"] if layer == 0 else D * H
        for _ in range(D):
            p += weight(r, c["input"], G * H, I, k, c)
            if c["recurrent"] == "IDENTITY":
                g = f32(c["gain"])
                p += [g if i % H == j else 0.0 for i in range(G * H) for j in range(H)]
            else:
                p += weight(r, c["recurrent"], G * H, H, k, c)
            b = bias(r, c["bias"], G * H, k, m["cell"] != "RNNBPTT_GRU", c)
            if m["cell"] == "RNNBPTT_LSTM" and c["forget_bias"] != 0.0:
                b[H:2 * H] = [f32(c["forget_bias"])] * H
            p += b
            if m["cell"] == "RNNBPTT_GRU":
                p += bias(r, c["bias"], G * H, k, False, c)
    kh = 1.0 / math.sqrt(D * H)
    p += weight(r, c["head_weight"], m["O"], D * H, kh, c)
    p += bias(r, c["head_bias"], m["O"], kh, False, c)
    return p


def fnv1a(values):
    h = 0xCBF29CE484222325
    for v in values:
        for byte in struct.pack("<f", v):
            h = ((h ^ byte) * 0x100000001B3) & M64
    return h


DEFAULTS = dict(input="TORCH", recurrent="TORCH", bias="TORCH", head_weight="TORCH",
                head_bias="TORCH", sigma=0.01, gain=1.0, value=0.0, forget_bias=0.0)
# (model, init config changes, seed): odd tensor sizes, so NORMAL drops a value somewhere
CASES = [
    (dict(cell="RNNBPTT_LSTM", I=3, H=4, L=2, bidirectional=1, O=5), {}, 42),
    (dict(cell="RNNBPTT_GRU", I=5, H=3, L=2, bidirectional=0, O=2),
     dict(input="XAVIER", recurrent="NORMAL", sigma=0.1, bias="CONSTANT", value=0.25,
          head_weight="NORMAL"), 7),
    (dict(cell="RNNBPTT_RNN_TANH", I=2, H=5, L=3, bidirectional=0, O=3),
     dict(input="NORMAL", sigma=0.5, recurrent="IDENTITY", gain=0.9, head_weight="XAVIER",
          head_bias="CONSTANT", value=-1.5), 0xFFFFFFFFFFFFFFFF),
    (dict(cell="RNNBPTT_LSTM", I=4, H=3, L=1, bidirectional=1, O=1),
     dict(input="XAVIER", recurrent="XAVIER", bias="NORMAL", sigma=0.3, forget_bias=1.0,
          head_weight="CONSTANT", value=0.125, head_bias="NORMAL"), 0),
    (dict(cell="RNNBPTT_RNN_RELU", I=1, H=2, L=1, bidirectional=0, O=1),
     dict(forget_bias=5.0), 1),  # forget_bias is LSTM only: ignored
]


def rows(items, per_line):
    """A C initializer's rows: {a, b, c,\n     d, e},"""
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "    {" + ",\n     ".join(lines) + "},"


def c_double(x):
    return repr(x) if x != int(x) else "%.1f" % x


def main():
    print("/* init_data.h - rnnbptt_rng and rnnbptt_model_init golden data for tests/test_init.c.")
    print(" * GENERATED, do not edit. Produced by tests/golden/gen_init.py, an independent Python")
    print(" * implementation of include/rnnbptt.h's specification (standard library only):")
    print(" *     python3 tests/golden/gen_init.py > tests/golden/init_data.h")
    print(" * Floats are given by their bits (uint32). */")
    print("#ifndef INIT_DATA_H\n#define INIT_DATA_H\n")
    print('#include <stdint.h>\n\n#include "rnnbptt.h"\n')
    print("enum { GOLD_N = 9 };\n")
    print("static const uint64_t gold_seeds[2] = {0, 1};")
    # (comment, C type and name, the values of one fresh generator, hex digits, per line)
    tables = [
        ("rnnbptt_rng_next: the first GOLD_N outputs after rnnbptt_rng_seed",
         "uint64_t gold_next[2][GOLD_N]", lambda r: [r.next() for _ in range(9)], 16, 4),
        ("rnnbptt_rng_uniform(-1, 1) then (0, 1), GOLD_N values each",
         "uint32_t gold_uniform[2][2 * GOLD_N]",
         lambda r: [f32_bits(x) for x in r.uniform(9, -1.0, 1.0) + r.uniform(9, 0.0, 1.0)],
         8, 7),
        ("rnnbptt_rng_normal(0, 1) then (2, 0.5), GOLD_N values each (odd: one dropped)",
         "uint32_t gold_normal[2][2 * GOLD_N]",
         lambda r: [f32_bits(x) for x in r.normal(9, 0.0, 1.0) + r.normal(9, 2.0, 0.5)], 8, 7),
        ("rnnbptt_rng_below(10) GOLD_N times, then below(2^63 + 1) GOLD_N times (about half\n"
         " * of its draws rejected)", "uint64_t gold_below[2][2 * GOLD_N]",
         lambda r: [r.below(10) for _ in range(9)] + [r.below((1 << 63) + 1) for _ in range(9)],
         0, 4),
    ]
    for comment, decl, draw, digits, per_line in tables:
        print("/* %s, seeds 0 and 1 */\nstatic const %s = {" % (comment, decl))
        fmt = "0x%%0%dxu" % digits if digits else "%du"
        for s in (0, 1):
            print(rows([fmt % x for x in draw(Rng(s))], per_line))
        print("};")
    print("/* long streams from fresh generators: FNV-1a 64 of the float32 bits (see the cases) of")
    print(" * 2^20 rnnbptt_rng_normal(0.5, 3) values from seed 3 and 2^20 rnnbptt_rng_uniform(-0.1,")
    print(" * 0.3) values from seed 4: ln over the whole range the polar method gives it */")
    print("enum { GOLD_STREAM = 1 << 20 };")
    print("static const uint64_t gold_stream_normal = 0x%016xu;"
          % fnv1a(Rng(3).normal(1 << 20, 0.5, 3.0)))
    print("static const uint64_t gold_stream_uniform = 0x%016xu;\n"
          % fnv1a(Rng(4).uniform(1 << 20, -0.1, 0.3)))
    print("typedef struct {\n    rnnbptt_model_config model;\n    rnnbptt_init_config init;")
    print("    uint64_t seed;\n    size_t n;         /* parameters */")
    print("    uint64_t fnv;     /* FNV-1a 64 of their float32 bits, little-endian */")
    print("} gold_init_case;\n")
    print("static const gold_init_case gold_init[%d] = {" % len(CASES))
    for m, changes, seed in CASES:
        c = dict(DEFAULTS, **changes)
        p = model_init(m, c, seed)
        print("    {{.cell = %s, .input_size = %d, .hidden_size = %d, .num_layers = %d,"
              % (m["cell"], m["I"], m["H"], m["L"]))
        print("      .bidirectional = %d, .output_size = %d}," % (m["bidirectional"], m["O"]))
        kinds = [".%s = RNNBPTT_INIT_%s" % (f, c[f]) for f in
                 ("input", "recurrent", "bias", "head_weight", "head_bias")]
        print("     {%s,\n      %s," % (", ".join(kinds[:3]), ", ".join(kinds[3:])))
        print("      .sigma = %s, .gain = %s, .value = %s, .forget_bias = %s},"
              % tuple(c_double(c[f]) for f in ("sigma", "gain", "value", "forget_bias")))
        print("     0x%016xu, %d, 0x%016xu}," % (seed, len(p), fnv1a(p)))
    print("};\n\n#endif /* INIT_DATA_H */")


if __name__ == "__main__":
    main()
