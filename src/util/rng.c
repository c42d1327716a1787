/* rng.c — the library's seeded generator (rnnbptt_rng: xoshiro256** seeded by SplitMix64) and its
 * uniform and normal floats, bit for bit as the header specifies. The real arithmetic must not be
 * contracted into fused multiply-adds: the build compiles this file with -ffp-contract=off (GCC,
 * Clang); other compilers get the standard pragma. */
#include "util/util.h"

#include <math.h>

#if !defined(__GNUC__)
#pragma STDC FP_CONTRACT OFF
#endif

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rnnbptt_rng_seed(rnnbptt_rng *r, uint64_t seed)
{
    if (!r)
        return;
    uint64_t z = seed;
    for (int k = 0; k < 4; k++) {
        z += 0x9E3779B97F4A7C15u;
        uint64_t y = z;
        y = (y ^ (y >> 30)) * 0xBF58476D1CE4E5B9u;
        y = (y ^ (y >> 27)) * 0x94D049BB133111EBu;
        r->s[k] = y ^ (y >> 31);
    }
}

/* xoshiro256** 1.0, as Blackman and Vigna's reference xoshiro256starstar.c. */
static uint64_t next(rnnbptt_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

uint64_t rnnbptt_rng_next(rnnbptt_rng *r) { return r ? next(r) : 0; }

uint64_t rnnbptt_rng_below(rnnbptt_rng *r, uint64_t bound)
{
    if (!r || bound == 0)
        return 0;
    const uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
    uint64_t x;
    do
        x = next(r);
    while (x < threshold);
    return x % bound;
}

rnnbptt_status rnnbptt_rng_uniform(rnnbptt_rng *r, float *out, size_t n, float lo, float hi)
{
    RETURN_IF(!r || (!out && n), RNNBPTT_EINVAL);
    RETURN_IF(!isfinite(lo) || !isfinite(hi) || lo > hi, RNNBPTT_EINVAL);
    const double d = (double)hi - (double)lo;
    for (size_t i = 0; i < n; i++) {
        const double u = (double)(next(r) >> 40) * 0x1p-24;
        const double e = d * u;
        out[i] = (float)((double)lo + e);
    }
    return RNNBPTT_OK;
}

/* ln x for a normal double 0 < x < 1 (the polar method's s >= 2^-104): the header's ln, from
 * exact steps (frexp, the scaling by 2, m − 1 by Sterbenz's lemma) and a fixed sequence of
 * rounded double operations, so that its bits depend on no libm. Within a few ulps of ln x. */
static double ln(double x)
{
    /* 1/(2k + 1), k = 0..11: the atanh series ln m = 2 Σ w^(2k+1)/(2k+1), w = (m − 1)/(m + 1);
     * |w| <= 0.1716 on [√½, √2), so the term k = 12 is below 2^-60 of the sum. */
    static const double inv_odd[12] = {1.0,        1.0 / 3,  1.0 / 5,  1.0 / 7,
                                       1.0 / 9,    1.0 / 11, 1.0 / 13, 1.0 / 15,
                                       1.0 / 17,   1.0 / 19, 1.0 / 21, 1.0 / 23};
    static const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
    int e;
    double m = frexp(x, &e); /* x = m·2^e, m in [½, 1) */
    if (m < 0x1.6a09e667f3bcdp-1) { /* √½ rounded: m in [√½, √2) after this */
        m *= 2.0;
        e -= 1;
    }
    const double w = (m - 1.0) / (m + 1.0), q = w * w;
    double p = inv_odd[11];
    for (int k = 10; k >= 0; k--) {
        p *= q;
        p += inv_odd[k];
    }
    const double lo = (double)e * ln2_lo + (2.0 * w) * p;
    return (double)e * ln2_hi + lo;
}

rnnbptt_status rnnbptt_rng_normal(rnnbptt_rng *r, float *out, size_t n, float mean, float sigma)
{
    RETURN_IF(!r || (!out && n), RNNBPTT_EINVAL);
    RETURN_IF(!isfinite(mean) || !isfinite(sigma) || sigma < 0.0f, RNNBPTT_EINVAL);
    for (size_t i = 0; i < n; i += 2) {
        double a, b, s;
        do {
            a = (double)(next(r) >> 11) * 0x1p-52 - 1.0;
            b = (double)(next(r) >> 11) * 0x1p-52 - 1.0;
            const double aa = a * a, bb = b * b;
            s = aa + bb;
        } while (s >= 1.0 || s == 0.0);
        const double t = -2.0 * ln(s), f = sqrt(t / s);
        const double za = a * f, zb = b * f;
        const double ta = (double)sigma * za, tb = (double)sigma * zb;
        out[i] = (float)((double)mean + ta);
        if (i + 1 < n)
            out[i + 1] = (float)((double)mean + tb);
    }
    return RNNBPTT_OK;
}
