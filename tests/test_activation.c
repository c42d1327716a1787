/* test_activation.c — the activations' contract: rb_tanh and rb_sigm (src/layers/layers.h) at
 * all 2^32 float inputs against double tanh() and 1/(1 + exp(-x)), and what the layers give for extreme
 * inputs through the public API (include/rnnbptt.h, "Range and special inputs").
 *
 * all_floats (ctest: test_activation, label `exhaustive`): every bit pattern u < 2^31 as x and,
 * with the sign bit set, as -x (so all 2^32 patterns, NaNs and infinities included). They are
 * evaluated CHUNK at a time by a loop compiled as the library's passes are (the same inline
 * functions, target clones and -fno-trapping-math: the vector instance this CPU runs is the one
 * checked; ISO C mode contracts no a·b + c, so every instance rounds alike). Checked exactly, at
 * every input: NaN in gives NaN out; |rb_tanh| <= 1 and 0 <= rb_sigm <= 1; rb_tanh(-x) is
 * -rb_tanh(x) bit for bit; rb_tanh(x) = x for |x| < RB_TANH_TINY (signed zeros included) and ±1
 * for |x| >= RB_TANH_ONE, rb_sigm(±x) = 1 / 0 for x >= 2·RB_TANH_ONE. Measured at every input
 * (or shown to be 0: see reference_chunk): the absolute errors of both and the relative error of
 * rb_tanh (x != 0, subnormals included), which must stay within RB_TANH_ABS, RB_TANH_REL and
 * RB_SIGM_ABS. Those bounds are the maxima printed here (4.102e-7, 4.102e-7, 2.271e-7 when they
 * were set) rounded up to two digits; a failure is a change in the functions, never a reason to
 * raise them.
 * The references are double tanh() and 1/(1 + exp(-x)), and below 2^-12 their Taylor series
 * (ref_tanh and ref_sigm say why that is as exact), which keeps the run to seconds on one core.
 *
 * extreme_inputs (ctest: test_activation_extreme, fast, in every CI leg): each cell through
 * rnnbptt_forward and rnnbptt_backward with saturating pre-activations (inputs ±1e30 and ±50),
 * pre-activations that overflow to +Inf, a NaN in x, h0 or c0, and subnormal weights; the
 * outputs must be what the header says.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layers/layers.h"
#include "ref.h"

/* ---- all 2^32 inputs -------------------------------------------------------------------- */

#define CHUNK 4096
#define SIGN 0x80000000u
#define INF_BITS 0x7f800000u /* a pattern without the sign bit is NaN above this */

/* One chunk: x = the patterns u0..u0+CHUNK-1 (sign bit clear), their negatives, the functions'
 * values at both, and the reference values at x (the negatives' follow from them). */
typedef union {
    float f[CHUNK];
    uint32_t u[CHUNK];
} fchunk;
static fchunk xp, xn, tp, tn, sp, sn;
static double rt[CHUNK], rsp[CHUNK], rsn[CHUNK]; /* tanh(x), σ(x), σ(-x) */

/* th = rb_tanh(x), sg = rb_sigm(x) over one chunk: vectorized like the library's gate passes. */
static RB_CLONES void eval_chunk(const float *restrict x, float *restrict th, float *restrict sg)
{
    for (int k = 0; k < CHUNK; k++) {
        th[k] = rb_tanh(x[k]);
        sg[k] = rb_sigm(x[k]);
    }
}

/* 1 if input k of the chunk (x and -x) keeps every exact guarantee (& rather than &&: no
 * branches, so count_broken vectorizes). */
static inline int holds_at(int k)
{
    const float x = xp.f[k], t = tp.f[k], s = sp.f[k], s_ = sn.f[k];
    const int nan_out = ((tp.u[k] & ~SIGN) > INF_BITS) & ((tn.u[k] & ~SIGN) > INF_BITS) &
                        ((sp.u[k] & ~SIGN) > INF_BITS) & ((sn.u[k] & ~SIGN) > INF_BITS);
    const int ok = (fabsf(t) <= 1.0f) & (tn.u[k] == (tp.u[k] ^ SIGN)) & (s >= 0.0f) &
                   (s <= 1.0f) & (s_ >= 0.0f) & (s_ <= 1.0f) &
                   ((x >= RB_TANH_TINY) | (tp.u[k] == xp.u[k])) &
                   ((x < RB_TANH_ONE) | (t == 1.0f)) &
                   ((x < 2.0f * RB_TANH_ONE) | ((s == 1.0f) & (s_ == 0.0f)));
    return xp.u[k] > INF_BITS ? nan_out : ok;
}

/* Inputs of the chunk that break an exact guarantee. */
static RB_CLONES int count_broken(void)
{
    int bad = 0;
    for (int k = 0; k < CHUNK; k++)
        bad += !holds_at(k);
    return bad;
}

/* Prints the first few broken inputs of the chunk with what the functions gave there. */
static void print_broken(void)
{
    for (int k = 0, shown = 0; k < CHUNK && shown < 5; k++)
        if (!holds_at(k)) {
            shown++;
            print_error("x = %a: rb_tanh(±x) = %a, %a; rb_sigm(±x) = %a, %a\n", (double)xp.f[k],
                        (double)tp.f[k], (double)tn.f[k], (double)sp.f[k], (double)sn.f[k]);
        }
}

/* The references: tanh(d) and σ(±d) for d >= 0, within ~1e-16 of the exact values. Double
 * tanh() and exp() compute them, except where a series or a constant is as exact and cheaper:
 *   d < 2^-12:  tanh d = d − d³/3 + 2d⁵/15 and σ(±d) = ½ ± (d/4 − d³/48 + d⁵/480); the terms
 *               alternate and shrink, so the first left out, 17d⁷/315 (17d⁷/80640 for σ), bounds
 *               the remainder: under 2^-76·d, far below a double's rounding;
 *   d >= 20:    tanh d = 1, as double tanh() returns it (1 − tanh 20 < 1e-17 is under half an
 *               ulp of 1); d >= 746: σ(d) = 1 and σ(−d) = 0, exp(−d) being 0 in double. */
static inline double tanh_series(double d)
{
    const double d2 = d * d;
    return d - d * d2 * (1.0 / 3.0 - d2 * (2.0 / 15.0));
}

static inline double sigm_series(double d) /* σ(d) − ½ */
{
    const double d2 = d * d;
    return d * (0.25 - d2 * (1.0 / 48.0 - d2 * (1.0 / 480.0)));
}

static double ref_tanh(double d)
{
    if (d < 0x1p-12)
        return tanh_series(d);
    if (d >= 20.0)
        return 1.0;
    return tanh(d);
}

static void ref_sigm(double d, double *pos, double *neg) /* σ(d), σ(−d) */
{
    if (d < 0x1p-12) {
        const double s = sigm_series(d);
        *pos = 0.5 + s;
        *neg = 0.5 - s;
    } else if (d >= 746.0) {
        *pos = 1.0;
        *neg = 0.0;
    } else {
        const double e = exp(-d), s = 1.0 / (1.0 + e);
        *pos = s;
        *neg = e * s;
    }
}

/* rt, rsp, rsn for the chunk; 0 when its errors need no computing. A chunk lies in one binade:
 * where all of it is below 2^-12, the series cover it, in a loop that vectorizes; where all of
 * it is at or above 746 (or NaN), every error is 0: count_broken has checked that
 * rb_tanh(±x) = ±1 and rb_sigm(±x) = 1, 0 there, and so are the references. Elsewhere the
 * references are called per input. */
static int reference_chunk(void)
{
    const float lo = xp.f[0], hi = xp.f[CHUNK - 1];
    if (lo >= 746.0f || isnan(lo))
        return 0;
    if (hi < 0x1p-12f) {
        for (int k = 0; k < CHUNK; k++) {
            const double d = xp.f[k], s = sigm_series(d);
            rt[k] = tanh_series(d);
            rsp[k] = 0.5 + s;
            rsn[k] = 0.5 - s;
        }
    } else {
        for (int k = 0; k < CHUNK; k++) {
            rt[k] = ref_tanh(xp.f[k]);
            ref_sigm(xp.f[k], &rsp[k], &rsn[k]);
        }
    }
    return 1;
}

/* The errors at input k of the chunk: of rb_tanh, absolute and relative, the larger of x's and
 * -x's; of rb_sigm, absolute at x (pos) and at -x (neg). All 0 for a NaN x. */
typedef struct {
    double tanh_abs, tanh_rel, sigm_pos, sigm_neg;
} errors;

static inline errors errors_at(int k)
{
    const double t = rt[k], ea = fabs(tp.f[k] - t), eb = fabs(tn.f[k] + t);
    const double e = ea > eb ? ea : eb;
    errors r = {e, t > 0.0 ? e / t : 0.0, fabs(sp.f[k] - rsp[k]), fabs(sn.f[k] - rsn[k])};
    if (xp.u[k] > INF_BITS)
        r = (errors){0.0, 0.0, 0.0, 0.0};
    return r;
}

/* A non-negative double's bits, which order as the values do (for the max reductions: GCC
 * vectorizes an integer max, but not a floating-point one that must honour NaN). */
static inline int64_t order_bits(double v)
{
    int64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* The chunk's largest errors (as order_bits): tanh absolute, tanh relative, sigm absolute. */
static RB_CLONES void chunk_max(int64_t m[3])
{
    int64_t a = 0, r = 0, s = 0;
    for (int k = 0; k < CHUNK; k++) {
        const errors e = errors_at(k);
        a = max64(a, order_bits(e.tanh_abs));
        r = max64(r, order_bits(e.tanh_rel));
        s = max64(s, max64(order_bits(e.sigm_pos), order_bits(e.sigm_neg)));
    }
    m[0] = a, m[1] = r, m[2] = s;
}

/* The chunk of the patterns from u0: x, -x, and the functions at both. */
static void load_chunk(uint32_t u0)
{
    for (uint32_t k = 0; k < CHUNK; k++) {
        xp.u[k] = u0 + k;
        xn.u[k] = (u0 + k) | SIGN;
    }
    eval_chunk(xp.f, tp.f, sp.f);
    eval_chunk(xn.f, tn.f, sn.f);
}

/* The input of the chunk from u0 where error i (0: tanh absolute, 1: tanh relative, 2: sigm
 * absolute) is largest; for tanh the error is the same at -x. */
static float argmax_in_chunk(uint32_t u0, int i)
{
    load_chunk(u0);
    reference_chunk();
    double best = -1.0;
    float x = 0.0f;
    for (int k = 0; k < CHUNK; k++) {
        const errors e = errors_at(k);
        const int neg = i == 2 && e.sigm_neg > e.sigm_pos;
        const double v = i == 0 ? e.tanh_abs : i == 1 ? e.tanh_rel : neg ? e.sigm_neg : e.sigm_pos;
        if (v > best) {
            best = v;
            x = neg ? xn.f[k] : xp.f[k];
        }
    }
    return x;
}

static void all_floats(void **state)
{
    (void)state;
    int64_t top[3] = {0, 0, 0}; /* order_bits of the largest errors */
    uint32_t at[3] = {0, 0, 0}; /* the first pattern of the chunk each is in */
    unsigned long long bad = 0;
    for (uint64_t u0 = 0; u0 < SIGN; u0 += CHUNK) {
        load_chunk((uint32_t)u0);
        const int nb = count_broken();
        if (nb && bad < 10)
            print_broken();
        bad += (unsigned)nb;
        if (!reference_chunk())
            continue;
        int64_t m[3];
        chunk_max(m);
        for (int i = 0; i < 3; i++)
            if (m[i] > top[i]) {
                top[i] = m[i];
                at[i] = (uint32_t)u0;
            }
    }
    double err[3];
    memcpy(err, top, sizeof err); /* back from order_bits */
    print_message("rb_tanh: max abs error %.4g at x = ±%.9g, max rel error %.4g at x = ±%.9g\n",
                  err[0], (double)argmax_in_chunk(at[0], 0), err[1],
                  (double)argmax_in_chunk(at[1], 1));
    print_message("rb_sigm: max abs error %.4g at x = %.9g\n", err[2],
                  (double)argmax_in_chunk(at[2], 2));
    if (bad)
        print_error("%llu inputs broke an exact guarantee\n", bad);
    assert_true(bad == 0);
    assert_true(err[0] <= RB_TANH_ABS);
    assert_true(err[1] <= RB_TANH_REL);
    assert_true(err[2] <= RB_SIGM_ABS);
}

/* ---- the layers on extreme inputs, through the public API ---------------------------------- */

enum { NT = 3, NB = 3, NI = 2, NH = 3 }; /* steps, batch, input, hidden */

static const char *cell_name(rnnbptt_cell c)
{
    static const char *names[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"};
    return names[c];
}

/* One forward + backward call of a layer (T = NT, B = NB, I = NI, H = NH, no lengths), with
 * dh = a fixed pattern of nonzero values and dhT, dcT NULL; every output is kept. */
typedef struct {
    float h[NT * NB * NH], hT[NB * NH], cT[NB * NH], reserve[8 * NT * NB * NH];
    float dparams[4 * NH * (NI + NH + 2)], dx[NT * NB * NI], dh0[NB * NH], dc0[NB * NH];
    size_t np; /* floats in params / dparams */
} outputs;

static void run_layer(rnnbptt_cell cell, const float *params, const float *x, const float *h0,
                      const float *c0, outputs *o)
{
    const rnnbptt_layer L = {.cell = cell, .input_size = NI, .hidden_size = NH};
    float dh[NT * NB * NH];
    for (int k = 0; k < NT * NB * NH; k++)
        dh[k] = 1.0f - 0.375f * (float)(k % 5); /* 1, 0.625, 0.25, -0.125, -0.5 */
    memset(o, 0, sizeof *o);
    o->np = rnnbptt_param_count(&L);
    assert_true(o->np <= sizeof o->dparams / sizeof(float));
    assert_true(rnnbptt_reserve_count(&L, NT, NB) <= sizeof o->reserve / sizeof(float));
    assert_int_equal(rnnbptt_forward(&L, params, NT, NB, NULL, x, h0, c0, o->h, o->hT, o->cT,
                                     o->reserve),
                     RNNBPTT_OK);
    assert_int_equal(rnnbptt_backward(&L, params, NT, NB, NULL, x, h0, c0, o->h, o->reserve, dh,
                                      NULL, NULL, o->dparams, o->dx, o->dh0, o->dc0),
                     RNNBPTT_OK);
}

/* Parameters uniform in [-0.5, 0.5], x and h0, c0 in [-1, 1], from a fixed seed. */
static void fill_inputs(rnnbptt_cell cell, uint64_t seed, float *params, float *x, float *h0,
                        float *c0)
{
    ref_rng r;
    ref_rng_seed(&r, seed);
    ref_fill_uniform(&r, params, ref_param_count(cell, NI, NH), 0.5);
    ref_fill_uniform(&r, x, NT * NB * NI, 1.0);
    ref_fill_uniform(&r, h0, NB * NH, 1.0);
    ref_fill_uniform(&r, c0, NB * NH, 1.0);
}

static int all_finite(const float *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(p[k]))
            return 0;
    return 1;
}

static int all_nan(const float *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isnan(p[k]))
            return 0;
    return 1;
}

static int any_nan(const float *p, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (isnan(p[k]))
            return 1;
    return 0;
}

/* Fails with the cell, the case and the array named. */
static void expect(int cond, rnnbptt_cell cell, const char *what)
{
    if (!cond) {
        print_error("%s: %s\n", cell_name(cell), what);
        fail();
    }
}

/* Inputs ±1e30 (sequences 0 and 2) and ±50 (sequence 1), with each gate row's W_x = (±0.5, ±0.25):
 * pre-activations of ±2.5e29 or more, and at least 12.5 − 2 in size for the ±50 sequence. The
 * gated cells give finite h in [-1, 1] and finite gradients; every unit of sequences 0 and 2
 * saturates, so no gradient reaches their x. RNN_TANH saturates everywhere (|a| >= 8): h = ±1
 * exactly, and dx = dh0 = 0. RNN_RELU stays finite at these sizes. */
static void saturating(rnnbptt_cell cell)
{
    const int G = ref_gates(cell);
    float params[4 * NH * (NI + NH + 2)], x[NT * NB * NI], h0[NB * NH], c0[NB * NH];
    fill_inputs(cell, 11, params, x, h0, c0);
    for (int g = 0; g < G * NH; g++) {
        params[g * NI] = g % 2 ? 0.5f : -0.5f;
        params[g * NI + 1] = g % 3 ? 0.25f : -0.25f;
    }
    for (int t = 0; t < NT; t++)
        for (int b = 0; b < NB; b++) {
            const float m = b == 1 ? 50.0f : 1e30f, s = (t + b) % 2 ? 1.0f : -1.0f;
            x[(t * NB + b) * NI] = s * m;
            x[(t * NB + b) * NI + 1] = -s * m;
        }
    outputs o;
    run_layer(cell, params, x, h0, c0, &o);
    expect(all_finite(o.h, NT * NB * NH) && all_finite(o.hT, NB * NH) &&
               all_finite(o.cT, NB * NH),
           cell, "saturating: h, hT, cT finite");
    expect(all_finite(o.dparams, o.np) && all_finite(o.dx, NT * NB * NI) &&
               all_finite(o.dh0, NB * NH) && all_finite(o.dc0, NB * NH),
           cell, "saturating: gradients finite");
    if (cell == RNNBPTT_RNN_RELU)
        return;
    for (int k = 0; k < NT * NB * NH; k++)
        expect(fabsf(o.h[k]) <= 1.0f, cell, "saturating: |h| <= 1");
    for (int t = 0; t < NT; t++)
        for (int b = 0; b < NB; b++)
            for (int i = 0; i < NI; i++)
                if (b != 1 || cell == RNNBPTT_RNN_TANH)
                    expect(o.dx[(t * NB + b) * NI + i] == 0.0f, cell, "saturating: dx = 0");
    if (cell == RNNBPTT_RNN_TANH) {
        for (int k = 0; k < NT * NB * NH; k++)
            expect(fabsf(o.h[k]) == 1.0f, cell, "saturating: h = ±1");
        for (int k = 0; k < NB * NH; k++)
            expect(o.dh0[k] == 0.0f, cell, "saturating: dh0 = 0");
    }
}

/* x = 1e30 and W_x = 1e9 (W_hh positive for RNN_RELU): every pre-activation overflows to +Inf.
 * The gated cells saturate on it as on any large value (h finite, gradients finite, dx = 0);
 * RNN_RELU gives h = +Inf, dW_hh is then non-finite, and its δ (the mask h > 0 times the
 * incoming gradient) keeps dx and dh0 finite. */
static void overflowing(rnnbptt_cell cell)
{
    const int G = ref_gates(cell);
    float params[4 * NH * (NI + NH + 2)], x[NT * NB * NI], h0[NB * NH], c0[NB * NH];
    fill_inputs(cell, 12, params, x, h0, c0);
    for (int k = 0; k < G * NH * NI; k++)
        params[k] = 1e9f;
    if (cell == RNNBPTT_RNN_RELU)
        for (int k = 0; k < NH * NH; k++)
            params[NH * NI + k] = 0.25f + 0.125f * (float)(k % 3);
    for (int k = 0; k < NT * NB * NI; k++)
        x[k] = 1e30f;
    outputs o;
    run_layer(cell, params, x, h0, c0, &o);
    expect(all_finite(o.dx, NT * NB * NI) && all_finite(o.dh0, NB * NH), cell,
           "overflowing: dx, dh0 finite");
    if (cell == RNNBPTT_RNN_RELU) {
        for (int k = 0; k < NT * NB * NH; k++)
            expect(o.h[k] == INFINITY, cell, "overflowing: relu h = +Inf");
        for (int k = 0; k < NH * NH; k++)
            expect(!isfinite(o.dparams[NH * NI + k]), cell, "overflowing: relu dW_hh not finite");
        return;
    }
    expect(all_finite(o.h, NT * NB * NH) && all_finite(o.hT, NB * NH) &&
               all_finite(o.cT, NB * NH) && all_finite(o.dparams, o.np) &&
               all_finite(o.dc0, NB * NH),
           cell, "overflowing: h, hT, cT, dparams, dc0 finite");
    for (int k = 0; k < NT * NB * NH; k++)
        expect(fabsf(o.h[k]) <= 1.0f, cell, "overflowing: |h| <= 1");
    for (int k = 0; k < NT * NB * NI; k++)
        expect(o.dx[k] == 0.0f, cell, "overflowing: dx = 0");
}

/* A NaN in x (step 1 of sequence 1), in h0 or in c0 (sequence 1, unit 0). It reaches h of
 * sequence 1 from that step on (from c0: only unit 0 at step 0, every unit after W_h has mixed
 * them), its hT and cT, its dx at every step, its dh0 and dc0, and every weight gradient (they
 * sum over the batch); the other sequences' outputs stay finite. RNN_RELU's δ is the mask h > 0
 * (0 where h is NaN) times the incoming gradient: its dx and dh0 stay finite, and only weight
 * gradients that multiply the NaN get it. */
enum { NAN_X, NAN_H0, NAN_C0 };

static void nan_input(rnnbptt_cell cell, int where)
{
    static const char *what[] = {"NaN in x", "NaN in h0", "NaN in c0"};
    float params[4 * NH * (NI + NH + 2)], x[NT * NB * NI], h0[NB * NH], c0[NB * NH];
    fill_inputs(cell, 13 + (uint64_t)where, params, x, h0, c0);
    const int t0 = where == NAN_X ? 1 : 0, b0 = 1;
    if (where == NAN_X)
        x[(t0 * NB + b0) * NI] = NAN;
    else if (where == NAN_H0)
        h0[b0 * NH] = NAN;
    else
        c0[b0 * NH] = NAN;
    outputs o;
    run_layer(cell, params, x, h0, c0, &o);
    char msg[96];
    for (int t = 0; t < NT; t++)
        for (int b = 0; b < NB; b++)
            for (int j = 0; j < NH; j++) {
                const int reached = b == b0 && t >= t0 && (where != NAN_C0 || t > 0 || j == 0);
                snprintf(msg, sizeof msg, "%s: h[%d][%d][%d] %s", what[where], t, b, j,
                         reached ? "NaN" : "finite");
                const float v = o.h[(t * NB + b) * NH + j];
                expect(reached ? isnan(v) : isfinite(v), cell, msg);
            }
    const int lstm = cell == RNNBPTT_LSTM, relu = cell == RNNBPTT_RNN_RELU;
    for (int b = 0; b < NB; b++) {
        snprintf(msg, sizeof msg, "%s: sequence %d's hT, cT, dh0, dc0, dx", what[where], b);
        const float *dxb[NT];
        for (int t = 0; t < NT; t++)
            dxb[t] = o.dx + (t * NB + b) * NI;
        if (b == b0) {
            expect(all_nan(o.hT + b * NH, NH) && (!lstm || all_nan(o.cT + b * NH, NH)), cell,
                   msg);
            if (relu) {
                expect(all_finite(o.dh0 + b * NH, NH), cell, msg);
                for (int t = 0; t < NT; t++)
                    expect(all_finite(dxb[t], NI), cell, msg);
            } else {
                expect(all_nan(o.dh0 + b * NH, NH) && (!lstm || all_nan(o.dc0 + b * NH, NH)),
                       cell, msg);
                for (int t = 0; t < NT; t++)
                    expect(all_nan(dxb[t], NI), cell, msg);
            }
        } else {
            expect(all_finite(o.hT + b * NH, NH) && all_finite(o.cT + b * NH, NH) &&
                       all_finite(o.dh0 + b * NH, NH) && all_finite(o.dc0 + b * NH, NH),
                   cell, msg);
            for (int t = 0; t < NT; t++)
                expect(all_finite(dxb[t], NI), cell, msg);
        }
    }
    snprintf(msg, sizeof msg, "%s: dparams %s", what[where], relu ? "has a NaN" : "all NaN");
    expect(relu ? any_nan(o.dparams, o.np) : all_nan(o.dparams, o.np), cell, msg);
}

/* Weights and biases ±2^-130 or ±2^-129 (subnormal), inputs ±1, ±2 (sequence 0), ±2^-140
 * (sequence 1, subnormal) and 0 (sequence 2): computed as is, no flush to zero. h, hT, cT, dx,
 * dh0 and dc0, which are subnormal or made of subnormal products, match the double reference
 * to 64 units of the smallest subnormal (a product rounds by at most half of one, and sums of
 * subnormals are exact) plus 1e-5 relative; the weight gradients, sums of products of order 1
 * that may cancel, to 1e-5 of their largest; and h holds nonzero subnormals. */
static void subnormal(rnnbptt_cell cell)
{
    const size_t np = ref_param_count(cell, NI, NH);
    float params[4 * NH * (NI + NH + 2)], x[NT * NB * NI];
    ref_rng r;
    ref_rng_seed(&r, 14);
    for (size_t k = 0; k < np; k++)
        params[k] = (ref_rng_unit(&r) < 0.5 ? -1.0f : 1.0f) *
                    (ref_rng_unit(&r) < 0.5 ? 0x1p-130f : 0x1p-129f);
    for (int t = 0; t < NT; t++)
        for (int b = 0; b < NB; b++)
            for (int i = 0; i < NI; i++)
                x[(t * NB + b) * NI + i] = b == 2   ? 0.0f
                                           : b == 1 ? ((t + i) % 2 ? 0x1p-140f : -0x1p-140f)
                                                    : (float)((t + i) % 2 ? 2 - i : -1 - i);
    outputs o;
    run_layer(cell, params, x, NULL, NULL, &o);

    double *pd = ref_dup_f2d(params, np), *xd = ref_dup_f2d(x, NT * NB * NI);
    double h[NT * NB * NH], hT[NB * NH], cT[NB * NH], dh[NT * NB * NH], dx[NT * NB * NI],
        dh0[NB * NH], dc0[NB * NH], dparams[4 * NH * (NI + NH + 2)] = {0};
    for (int k = 0; k < NT * NB * NH; k++)
        dh[k] = 1.0 - 0.375 * (k % 5); /* run_layer's */
    ref_forward(cell, NI, NH, NT, NB, NULL, pd, xd, NULL, NULL, h, hT, cT);
    ref_backward(cell, NI, NH, NT, NB, NULL, pd, xd, NULL, NULL, dh, NULL, NULL, dparams, dx, dh0,
                 dc0);
    const double abs_tol = 64 * 0x1p-149;
    expect(ref_check("h", o.h, h, NT * NB * NH, abs_tol, 1e-5) &&
               ref_check("hT", o.hT, hT, NB * NH, abs_tol, 1e-5) &&
               (cell != RNNBPTT_LSTM || ref_check("cT", o.cT, cT, NB * NH, abs_tol, 1e-5)) &&
               ref_check("dparams", o.dparams, dparams, np,
                         1e-5 * fmax(1.0, ref_max_abs(dparams, np)), 0.0) &&
               ref_check("dx", o.dx, dx, NT * NB * NI, abs_tol, 1e-5) &&
               ref_check("dh0", o.dh0, dh0, NB * NH, abs_tol, 1e-5) &&
               (cell != RNNBPTT_LSTM || ref_check("dc0", o.dc0, dc0, NB * NH, abs_tol, 1e-5)),
           cell, "subnormal: outputs against the double reference");
    int subnormals = 0;
    for (int k = 0; k < NT * NB * NH; k++)
        subnormals += fpclassify(o.h[k]) == FP_SUBNORMAL;
    expect(subnormals > 0, cell, "subnormal: h holds subnormals");
    free(pd);
    free(xd);
}

static void extreme_inputs(void **state)
{
    (void)state;
    for (int c = RNNBPTT_RNN_TANH; c <= RNNBPTT_GRU; c++) {
        const rnnbptt_cell cell = (rnnbptt_cell)c;
        saturating(cell);
        overflowing(cell);
        nan_input(cell, NAN_X);
        nan_input(cell, NAN_H0);
        if (cell == RNNBPTT_LSTM)
            nan_input(cell, NAN_C0);
        subnormal(cell);
    }
}

/* No argument: both tests. An argument: the tests whose name matches it (CMocka's filter). */
int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_floats),
        cmocka_unit_test(extreme_inputs),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
