/* test_ref.c — the library against the plain-loop double reference (tests/ref.c): recurrent
 * forward/backward/backward_work for all four cells over randomized shapes, the dense layer and
 * the two losses.
 *
 * Legend: T steps, B batch, I input, H hidden, G gates, N rows, K summation length.
 * Inputs are drawn as floats; the reference runs on exactly those values promoted to double, so
 * every difference is the library's float rounding (plus its choice of summation order).
 *
 * Tolerances (benchdnn style): per array, allowed |got − ref| <= C_TOL · ⌈log2 K⌉ · FLT_EPSILON ·
 * max(1, max|ref|), where K is the summation length behind the quantity:
 *   h, hT, cT        K_f = (I + H + 1) · T       a length-(I+H+1) dot product per step, and the
 *                                                error of each step is carried (contracted, the
 *                                                weights being ±1/sqrt(H)) through up to T steps
 *   dx, dh0, dc0     K_b = K_f · G·H · T         the forward error, then a length-G·H product
 *                                                (W_hᵀ δ, W_xᵀ δ) carried back through T steps
 *   dparams          K_w = K_b · T·B             the backward error, then a sum over T·B rows
 *   dense y / dW, db / dx                        K = in + 1 / N / out (one GEMM each)
 *   softmax dlogits  K = C                        (values in [-1, 1])
 * Errors of stages that feed each other add, so the log2 of a product of lengths is the sum of
 * their log2s. The pairwise-summation model bounds a length-K sum's error by ⌈log2 K⌉ · u ·
 * Σ|terms| (u = FLT_EPSILON/2); with C_TOL = 4 one level may carry 8 u, which absorbs
 * Σ|terms| / max|ref| up to ~8 (random-sign data: ~sqrt(K)/4 for the dense GEMMs here) and the
 * few extra roundings of the nonlinearities (expf, tanhf: ~1-2 ulp each). Measured with OpenBLAS
 * 0.3.21 (Haswell kernels), the worst error/allowed ratio is ~0.06 for the recurrent layers and
 * ~0.16 for the dense layer: errors run at ~¼·⌈log2 K⌉·FLT_EPSILON, so C_TOL = 4 leaves a 6-16x
 * margin for other BLAS kernels and summation orders while a wrong term (an error of the size of
 * the data) exceeds it by many orders of magnitude. The observed worst ratio is printed per test.
 * Losses are tighter, see there.
 * Do not loosen these to make a failure pass: a failure is a library bug until shown otherwise.
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

#include "exec/exec.h" /* rb_cpu_l2, rb_gemm_avx512, rb_team_stats_of */
#include "ref.h"
#include "rnnbptt.h"

#define C_TOL 4.0

enum { USE_H0 = 1, USE_C0 = 2, USE_DH = 4, USE_DHT = 8, USE_DCT = 16, USE_ALL = 31 };

typedef struct {
    const char *name;
    int T, B, I, H;
    const int *lengths; /* NULL: all T, unless random_lengths */
    int random_lengths; /* draw every length uniformly in 1..T */
    unsigned use;       /* which optional inputs are non-NULL */
} rcase;

static const int len_unsorted[] = {3, 7, 1, 5, 2};     /* T = 7 */
static const int len_short[] = {3, 1, 6, 2};           /* T = 9: all shorter than T */
static const int len_b1[] = {3};                       /* T = 5, B = 1 */
static const int len_two[] = {2, 5};                   /* T = 5 */
static const int len_medium[] = {37, 12, 1, 29, 36};   /* T = 37 */

static const rcase cases[] = {
    {"T1_B1_I1_H1", 1, 1, 1, 1, NULL, 0, USE_ALL},
    {"T1_B3_dhT_NULL", 1, 3, 4, 5, NULL, 0, USE_H0 | USE_C0 | USE_DH},
    {"B1_I<H_h0_NULL", 6, 1, 3, 7, NULL, 0, USE_DH | USE_DHT | USE_DCT},
    {"I>H_all_inputs", 6, 4, 9, 4, NULL, 0, USE_ALL},
    {"unsorted_lengths", 7, 5, 5, 6, len_unsorted, 0, USE_ALL},
    {"all_short_dh_NULL", 9, 4, 6, 5, len_short, 0, USE_H0 | USE_C0 | USE_DHT | USE_DCT},
    {"dhT_dcT_NULL", 4, 3, 5, 3, NULL, 0, USE_H0 | USE_C0 | USE_DH},
    {"B1_short_length", 5, 1, 4, 4, len_b1, 0, USE_ALL},
    {"only_dcT", 5, 2, 3, 4, len_two, 0, USE_C0 | USE_DCT},
    {"h0_NULL_lengths_NULL", 12, 7, 33, 17, NULL, 0, USE_DH | USE_DHT},
    {"medium_T37_B5_I19_H33", 37, 5, 19, 33, len_medium, 0, USE_ALL},
    {"medium_T8_B16_I64_H48", 8, 16, 64, 48, NULL, 1, USE_ALL},
    {"B1_small_gemv_H99", 5, 1, 9, 99, len_b1, 0, USE_ALL}, /* own-GEMV range, G·H odd (tanh, GRU) */
};

static const char *cell_name(rnnbptt_cell c)
{
    static const char *names[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"};
    return names[c];
}

/* ---- small helpers --------------------------------------------------------------------- */

static float *fnan(size_t n)
{
    float *p = ref_malloc(sizeof(float) * n);
    for (size_t k = 0; k < n; k++)
        p[k] = NAN;
    return p;
}

static float *fdup(const float *src, size_t n)
{
    if (!src)
        return NULL;
    float *p = ref_malloc(sizeof(float) * (n ? n : 1));
    memcpy(p, src, sizeof(float) * n);
    return p;
}

static double *ddup(const double *src, size_t n)
{
    double *p = ref_malloc(sizeof(double) * (n ? n : 1));
    memcpy(p, src, sizeof(double) * n);
    return p;
}

static float *frand(ref_rng *r, size_t n, double a)
{
    float *p = ref_malloc(sizeof(float) * n);
    ref_fill_uniform(r, p, n, a);
    return p;
}

/* Prints a failed expectation with its context; returns cond. */
static int expect(int cond, const char *ctx, const char *what)
{
    if (!cond)
        printf("FAIL %s: %s\n", ctx, what);
    return cond;
}

static int same_bits(const void *a, const void *b, size_t bytes)
{
    if (!a || !b)
        return a == b;
    return memcmp(a, b, bytes) == 0;
}

/* Number of elements of a (T,B,W) array that are not exactly 0 at steps t >= len[b]. */
static size_t nonzero_past_length(const float *a, int T, int B, int W, const int *len)
{
    size_t bad = 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (len && t >= len[b])
                for (int k = 0; k < W; k++)
                    bad += a[((size_t)t * (size_t)B + (size_t)b) * (size_t)W + (size_t)k] != 0.0f;
    return bad;
}

/* dparams compared section by section (W_x, W_h, b or b_x, b_h), each scaled by its own max. */
static int check_params(const char *ctx, rnnbptt_cell cell, int I, int H, const float *got,
                        const double *ref, double K)
{
    static const char *sect[] = {"W_x", "W_h", "b_x", "b_h"};
    const size_t GH = (size_t)ref_gates(cell) * (size_t)H;
    const size_t len[4] = {GH * (size_t)I, GH * (size_t)H, GH, cell == RNNBPTT_GRU ? GH : 0};
    size_t off = 0;
    int ok = 1;
    char name[160];
    for (int s = 0; s < 4; s++) {
        if (!len[s])
            continue;
        snprintf(name, sizeof name, "%s dparams.%s", ctx, sect[s]);
        ok &= ref_check_scaled(name, got + off, ref + off, len[s], C_TOL, K);
        off += len[s];
    }
    return ok;
}

static int check_arr(const char *ctx, const char *what, const float *got, const double *ref,
                     size_t n, double K)
{
    char name[160];
    snprintf(name, sizeof name, "%s %s", ctx, what);
    return ref_check_scaled(name, got, ref, n, C_TOL, K);
}

/* ---- the recurrent-layer driver --------------------------------------------------------- */

/* Layer calls run_case has made (its team's counters must show each one that ran on it). */
static unsigned long run_case_calls;
#define CALL(call) (run_case_calls++, (call))

static int run_case(rnnbptt_cell cell, const rcase *cs, uint64_t seed, rnnbptt_team *team)
{
    const int T = cs->T, B = cs->B, I = cs->I, H = cs->H, G = ref_gates(cell);
    const int lstm = cell == RNNBPTT_LSTM;
    const rnnbptt_layer L = {cell, I, H, team};
    const size_t P = ref_param_count(cell, I, H);
    const size_t nx = (size_t)T * (size_t)B * (size_t)I, nh = (size_t)T * (size_t)B * (size_t)H;
    const size_t ns = (size_t)B * (size_t)H;
    const double K_f = (double)(I + H + 1) * T;
    const double K_b = K_f * G * H * T;
    const double K_w = K_b * T * B;
    char ctx[128];
    int ok = 1;
    ref_rng rng;

    snprintf(ctx, sizeof ctx, "%s/%s", cell_name(cell), cs->name);
    ref_rng_seed(&rng, seed);

    /* sizes promised by the header */
    const size_t TBH = nh, BH = ns;
    const size_t want_reserve = lstm ? 5 * TBH : cell == RNNBPTT_GRU ? 4 * TBH + 3 * BH : 0;
    const size_t want_work = lstm ? 4 * TBH + 2 * BH : cell == RNNBPTT_GRU ? 6 * TBH + BH : TBH;
    if (!expect(rnnbptt_param_count(&L) == P, ctx, "rnnbptt_param_count != header layout"))
        return 0; /* nothing below would mean anything */
    ok &= expect(rnnbptt_reserve_count(&L, T, B) == want_reserve, ctx,
                 "rnnbptt_reserve_count != header formula");
    ok &= expect(rnnbptt_workspace_count(&L, T, B) == want_work, ctx,
                 "rnnbptt_workspace_count != header formula");

    /* inputs, drawn as floats; weights ±1/sqrt(H) like PyTorch's init */
    int *len = NULL;
    if (cs->lengths || cs->random_lengths) {
        len = ref_malloc(sizeof(int) * (size_t)B);
        for (int b = 0; b < B; b++)
            len[b] = cs->lengths ? cs->lengths[b] : ref_rng_int(&rng, 1, T);
    }
    float *p = frand(&rng, P, 1.0 / sqrt((double)H));
    float *x = frand(&rng, nx, 1.0); /* random (finite) values past the lengths too */
    float *h0 = (cs->use & USE_H0) ? frand(&rng, ns, 1.0) : NULL;
    float *c0 = (cs->use & USE_C0) ? frand(&rng, ns, 1.0) : NULL;
    float *dh = (cs->use & USE_DH) ? frand(&rng, nh, 1.0) : NULL;
    float *dhT = (cs->use & USE_DHT) ? frand(&rng, ns, 1.0) : NULL;
    float *dcT = (cs->use & USE_DCT) ? frand(&rng, ns, 1.0) : NULL;
    float *dp0 = frand(&rng, P, 1.0); /* nonzero start: dparams must accumulate */

    /* the reference on the same values in double */
    double *pd = ref_dup_f2d(p, P), *xd = ref_dup_f2d(x, nx);
    double *h0d = ref_dup_f2d(h0, ns), *c0d = ref_dup_f2d(c0, ns);
    double *dhd = ref_dup_f2d(dh, nh), *dhTd = ref_dup_f2d(dhT, ns), *dcTd = ref_dup_f2d(dcT, ns);
    double *rh = ref_malloc(sizeof(double) * nh), *rhT = ref_malloc(sizeof(double) * ns);
    double *rcT = ref_malloc(sizeof(double) * ns);
    double *rdp = ref_dup_f2d(dp0, P), *rdx = ref_malloc(sizeof(double) * nx);
    double *rdh0 = ref_malloc(sizeof(double) * ns), *rdc0 = ref_malloc(sizeof(double) * ns);
    ref_forward(cell, I, H, T, B, len, pd, xd, h0d, c0d, rh, rhT, rcT);
    ref_backward(cell, I, H, T, B, len, pd, xd, h0d, c0d, dhd, dhTd, dcTd, rdp, rdx, rdh0, rdc0);
    double *rdp2 = ddup(rdp, P); /* init + 2 · gradient */
    ref_backward(cell, I, H, T, B, len, pd, xd, h0d, c0d, dhd, dhTd, dcTd, rdp2, NULL, NULL, NULL);

    /* forward (training): outputs start as NaN so "WRITTEN" is checked */
    const size_t nres = rnnbptt_reserve_count(&L, T, B);
    float *reserve = nres ? fnan(nres) : NULL;
    float *h = fnan(nh), *hT = fnan(ns), *cT = fnan(ns), *cT_before = fdup(cT, ns);
    ok &= expect(CALL(rnnbptt_forward(&L, p, T, B, len, x, h0, c0, h, hT, cT, reserve)) == RNNBPTT_OK,
                 ctx, "rnnbptt_forward did not return OK");
    ok &= check_arr(ctx, "h", h, rh, nh, K_f);
    ok &= check_arr(ctx, "hT", hT, rhT, ns, K_f);
    if (lstm)
        ok &= check_arr(ctx, "cT", cT, rcT, ns, K_f);
    else
        ok &= expect(same_bits(cT, cT_before, sizeof(float) * ns), ctx,
                     "forward wrote cT for a non-LSTM cell (documented as ignored)");
    ok &= expect(nonzero_past_length(h, T, B, H, len) == 0, ctx,
                 "h is not exactly 0 past a length");

    /* forward (inference): no reserve, no final states */
    float *hi = fnan(nh);
    ok &= expect(CALL(rnnbptt_forward(&L, p, T, B, len, x, h0, c0, hi, NULL, NULL, NULL)) == RNNBPTT_OK,
                 ctx, "inference rnnbptt_forward did not return OK");
    ok &= check_arr(ctx, "h (inference)", hi, rh, nh, K_f);

    /* backward: dparams accumulates onto dp0; dx, dh0, dc0 start as NaN */
    float *reserve_before = fdup(reserve, nres);
    float *dp = fdup(dp0, P), *dx = fnan(nx), *dh0 = fnan(ns), *dc0 = fnan(ns);
    float *dc0_before = fdup(dc0, ns);
    ok &= expect(CALL(rnnbptt_backward(&L, p, T, B, len, x, h0, c0, h, reserve, dh, dhT, dcT, dp, dx,
                                  dh0, dc0)) == RNNBPTT_OK,
                 ctx, "rnnbptt_backward did not return OK");
    ok &= expect(same_bits(reserve, reserve_before, sizeof(float) * nres), ctx,
                 "backward modified reserve");
    ok &= check_params(ctx, cell, I, H, dp, rdp, K_w);
    ok &= check_arr(ctx, "dx", dx, rdx, nx, K_b);
    ok &= check_arr(ctx, "dh0", dh0, rdh0, ns, K_b);
    if (lstm)
        ok &= check_arr(ctx, "dc0", dc0, rdc0, ns, K_b);
    else
        ok &= expect(same_bits(dc0, dc0_before, sizeof(float) * ns), ctx,
                     "backward wrote dc0 for a non-LSTM cell (documented as ignored)");
    ok &= expect(nonzero_past_length(dx, T, B, I, len) == 0, ctx,
                 "dx is not exactly 0 past a length");

    /* backward_work: misaligned, NaN-filled scratch; must be bit-identical to backward */
    const size_t nwork = rnnbptt_workspace_count(&L, T, B);
    float *work_base = fnan(nwork + 1);
    float *dpw = fdup(dp0, P), *dxw = fnan(nx), *dh0w = fnan(ns), *dc0w = fdup(dc0_before, ns);
    ok &= expect(CALL(rnnbptt_backward_work(&L, p, T, B, len, x, h0, c0, h, reserve, dh, dhT, dcT, dpw,
                                       dxw, dh0w, dc0w, work_base + 1)) == RNNBPTT_OK,
                 ctx, "rnnbptt_backward_work did not return OK");
    ok &= expect(same_bits(dpw, dp, sizeof(float) * P), ctx, "backward_work dparams != backward");
    ok &= expect(same_bits(dxw, dx, sizeof(float) * nx), ctx, "backward_work dx != backward");
    ok &= expect(same_bits(dh0w, dh0, sizeof(float) * ns), ctx, "backward_work dh0 != backward");
    ok &= expect(same_bits(dc0w, dc0, sizeof(float) * ns), ctx, "backward_work dc0 != backward");

    /* NaN in dh past each length must not leak: results bit-identical to the finite dh */
    int any_short = 0;
    for (int b = 0; len && b < B; b++)
        any_short |= len[b] < T;
    if (dh && any_short) {
        float *dhn = fdup(dh, nh);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                if (t >= len[b])
                    for (int j = 0; j < H; j++)
                        dhn[((size_t)t * (size_t)B + (size_t)b) * (size_t)H + (size_t)j] = NAN;
        float *dpn = fdup(dp0, P), *dxn = fnan(nx), *dh0n = fnan(ns), *dc0n = fdup(dc0_before, ns);
        ok &= expect(CALL(rnnbptt_backward(&L, p, T, B, len, x, h0, c0, h, reserve, dhn, dhT, dcT, dpn,
                                      dxn, dh0n, dc0n)) == RNNBPTT_OK,
                     ctx, "rnnbptt_backward (NaN past lengths) did not return OK");
        ok &= expect(same_bits(dpn, dp, sizeof(float) * P) && same_bits(dxn, dx, sizeof(float) * nx)
                         && same_bits(dh0n, dh0, sizeof(float) * ns)
                         && same_bits(dc0n, dc0, sizeof(float) * ns),
                     ctx, "NaN in dh past a length changed an output (leak)");
        free(dhn);
        free(dpn);
        free(dxn);
        free(dh0n);
        free(dc0n);
    }

    /* a second call adds the same gradient again: dp = dp0 + 2 g; dx, dh0 rewritten identically */
    float *dx2 = fnan(nx), *dh02 = fnan(ns), *dc02 = fdup(dc0_before, ns);
    ok &= expect(CALL(rnnbptt_backward(&L, p, T, B, len, x, h0, c0, h, reserve, dh, dhT, dcT, dp, dx2,
                                  dh02, dc02)) == RNNBPTT_OK,
                 ctx, "second rnnbptt_backward did not return OK");
    ok &= check_params(ctx, cell, I, H, dp, rdp2, K_w);
    ok &= expect(same_bits(dx2, dx, sizeof(float) * nx) && same_bits(dh02, dh0, sizeof(float) * ns)
                     && same_bits(dc02, dc0, sizeof(float) * ns),
                 ctx, "second backward call wrote different dx/dh0/dc0");
    ok &= expect(same_bits(reserve, reserve_before, sizeof(float) * nres), ctx,
                 "second backward modified reserve");

    /* optional outputs NULL: dparams alone */
    float *dpo = fdup(dp0, P);
    ok &= expect(CALL(rnnbptt_backward(&L, p, T, B, len, x, h0, c0, h, reserve, dh, dhT, dcT, dpo, NULL,
                                  NULL, NULL)) == RNNBPTT_OK,
                 ctx, "rnnbptt_backward with NULL dx/dh0/dc0 did not return OK");
    ok &= check_params(ctx, cell, I, H, dpo, rdp, K_w);

    if (!ok)
        printf("FAILED case %s (seed %llu, T=%d B=%d I=%d H=%d)\n", ctx, (unsigned long long)seed,
               T, B, I, H);

    free(len);
    free(p);
    free(x);
    free(h0);
    free(c0);
    free(dh);
    free(dhT);
    free(dcT);
    free(dp0);
    free(pd);
    free(xd);
    free(h0d);
    free(c0d);
    free(dhd);
    free(dhTd);
    free(dcTd);
    free(rh);
    free(rhT);
    free(rcT);
    free(rdp);
    free(rdp2);
    free(rdx);
    free(rdh0);
    free(rdc0);
    free(reserve);
    free(reserve_before);
    free(h);
    free(hT);
    free(cT);
    free(cT_before);
    free(hi);
    free(dp);
    free(dx);
    free(dh0);
    free(dc0);
    free(dc0_before);
    free(work_base);
    free(dpw);
    free(dxw);
    free(dh0w);
    free(dc0w);
    free(dx2);
    free(dh02);
    free(dc02);
    free(dpo);
    return ok;
}

static void run_cell(rnnbptt_cell cell)
{
    int ok = 1;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        ok &= run_case(cell, &cases[k], 0x5EED0000u + 977u * (uint64_t)cell + (uint64_t)k, NULL);
    ref_check_report(cell_name(cell));
    assert_true(ok);
}

/* ---- with an rnnbptt_team ------------------------------------------------------------------
 * Where a team runs is policy.c's rule (its edges: test_tuning). The B = 1 cases' H put every
 * cell just inside the B = 1 range of cores with 1 MiB of L2 or more (T = 64 reaches the B = 1
 * products over panel matrices, shorter calls those on W_h in place); the B > 1 cases' Hb give
 * 116509 <= G·Hb·Hb <= 131072, so B = 9 and 15 run on the team with 2 or 3 threads on cores with
 * 512 KiB of L2 or more (slices of at most 256 KiB; B = 2 is below the B > 1 range); each team
 * is also told the L2 sizes it was not made with. All H are odd, with G·H mod 32 in 25..31 so the parts' ranges leave ragged ends: the kernel's strips of two vectors, of one and
 * the scalar columns all run with AVX-512 and AVX2 alike; B = 15 and the hoisted GEMMs' G·H rows
 * use the full row tiles (8 with AVX-512, 6 with AVX2, 4 otherwise) and the remainder tiles of
 * 4, 2 and 1; H > 256 and T·B > 256 run the reductions in more than one block, and the dW
 * products (A transposed) pack their blocks. B = 25, 16 and 40 (the last at H = 61) run the
 * batch split where the rule gives it (B = 16 with 2 threads only; W_h within 3/4 of the L2), each
 * thread's range of rows through every step. Teams of 2 and 3 threads (3 > this machine's
 * cores: the spin-waits must still make progress), against the same reference with the same
 * tolerances. */
/* run_case on team, and the path its calls took (the team's counters): on the team exactly where
 * rnnbptt_team_used says so, in the batch split exactly where rb_split_fits says that. Where
 * those decisions flip is test_tuning's. 0: no team, 1: the split by steps, 2: the batch split. */
static int run_team_case(rnnbptt_cell cell, const rcase *cs, uint64_t seed, rnnbptt_team *team)
{
    const rnnbptt_layer L = {cell, cs->I, cs->H, team};
    const size_t n_wh = (size_t)ref_gates(cell) * (size_t)cs->H * (size_t)cs->H;
    const int rule = !rnnbptt_team_used(&L, cs->B) ? 0 : rb_split_fits(team, cs->B, n_wh) ? 2 : 1;
    int ok = 1;
    const rb_team_stats before = rb_team_stats_of(team);
    const unsigned long calls = run_case_calls;
    ok &= run_case(cell, cs, seed, team);
    const rb_team_stats after = rb_team_stats_of(team);
    const unsigned long made = run_case_calls - calls;
    ok &= expect(after.calls - before.calls == (rule > 0 ? made : 0), cs->name,
                 "the calls ran on the team where the rule says they do not, or the reverse");
    ok &= expect(after.batch_split - before.batch_split == (rule == 2 ? made : 0), cs->name,
                 "the calls split the batch where the rule says they do not, or the reverse");
    return ok;
}

static void test_team(void **state)
{
    (void)state;
    static const int len1[] = {5};
    static const struct {
        rnnbptt_cell cell;
        int H, Hb; /* for B = 1, for B > 1 */
    } sizes[] = {{RNNBPTT_RNN_TANH, 397, 345}, {RNNBPTT_RNN_RELU, 371, 347},
                 {RNNBPTT_LSTM, 187, 175}, {RNNBPTT_GRU, 213, 201}};
    int ok = 1;
    /* each team as the system makes it, then told the other L2 sizes the rule tells apart (a test
     * build's rb_team_assume_l2), so that every machine runs the paths of each */
    static const size_t l2s[] = {0, (size_t)1 << 19, (size_t)1 << 20};
    for (int run = 0; run < 2 * 3; run++) {
        const int threads = 2 + run / 3;
        const size_t l2 = l2s[run % 3];
        if (l2 == rb_cpu_l2())
            continue; /* the system's size: run 0 of this team size */
        rnnbptt_team *team = NULL;
        assert_int_equal(rnnbptt_team_create(threads, &team), RNNBPTT_OK);
        assert_non_null(team);
        if (l2)
            rb_team_assume_l2(team, l2);
        print_message("team of %d threads, %zu KiB of L2\n", threads, rb_team_l2(team) >> 10);
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            const int H = sizes[k].H, Hb = sizes[k].Hb;
            const rcase cs[] = {{"team_B1", 6, 1, 29, H, NULL, 0, USE_ALL},
                                {"team_B1_short", 6, 1, 13, H, len1, 0, USE_H0 | USE_DH},
                                {"team_B1_T64", 64, 1, 5, H, NULL, 0, USE_ALL},
                                {"team_B2", 3, 2, 7, Hb, NULL, 1, USE_ALL},
                                {"team_B15", 3, 15, 5, Hb, NULL, 1, USE_ALL},
                                {"team_B9_h0_NULL", 2, 9, 11, Hb, NULL, 0, USE_DH | USE_DHT},
                                {"team_B9_T30", 30, 9, 3, Hb, NULL, 1, USE_ALL},
                                {"team_B25_split", 5, 25, 7, Hb, NULL, 1, USE_ALL},
                                {"team_B16_split_h0_NULL", 4, 16, 9, Hb, NULL, 0,
                                 USE_DH | USE_DHT},
                                {"team_B40_split_small", 4, 40, 5, 61, NULL, 1, USE_ALL}};
            for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++)
                ok &= run_team_case(sizes[k].cell, &cs[c], 0x7EA40000u + 131u * k + 17u * c,
                                    team);
            /* the small shapes of the other tests: too small for the team but for the batch
             * split of B = 16 with 2 threads at LSTM's and GRU's H = 48, so the calls must drop
             * it and give the team-less results, or split the batch */
            for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
                ok &= run_team_case(sizes[k].cell, &cases[c], 0x7EA50000u + 131u * k + 17u * c,
                                    team);
        }
        rnnbptt_team_destroy(team);
    }
    ref_check_report("team");
    assert_true(ok);
}

static void test_rnn_tanh(void **state)
{
    (void)state;
    run_cell(RNNBPTT_RNN_TANH);
}

static void test_rnn_relu(void **state)
{
    (void)state;
    run_cell(RNNBPTT_RNN_RELU);
}

static void test_lstm(void **state)
{
    (void)state;
    run_cell(RNNBPTT_LSTM);
}

static void test_gru(void **state)
{
    (void)state;
    run_cell(RNNBPTT_GRU);
}

/* ---- the reference itself: the seed document's worked example --------------------------- */

/* 1-unit tanh RNN without bias, x = 1, 2, 3, h0 = 0, W_xh = 0.5, W_hh = 0.1, W_hy = 1,
 * dh_t = W_hy (y_t − target_t): the seed gives dW_xh = −0.4893041, dW_hh = −0.1124942. */
static void test_reference_seed_example(void **state)
{
    (void)state;
    const double p[3] = {0.5, 0.1, 0.0}, x[3] = {1.0, 2.0, 3.0}, target[3] = {0.5, 1.0, 1.5};
    double h[3], dh[3], dp[3] = {0.0, 0.0, 0.0}, loss = 0.0;
    ref_forward(RNNBPTT_RNN_TANH, 1, 1, 3, 1, NULL, p, x, NULL, NULL, h, NULL, NULL);
    for (int t = 0; t < 3; t++) {
        dh[t] = 1.0 * (1.0 * h[t] - target[t]);
        loss += 0.5 * (h[t] - target[t]) * (h[t] - target[t]);
    }
    ref_backward(RNNBPTT_RNN_TANH, 1, 1, 3, 1, NULL, p, x, NULL, NULL, dh, NULL, NULL, dp, NULL,
                 NULL, NULL);
    assert_true(fabs(loss - 0.194036) < 5e-7);
    assert_true(fabs(dp[0] - -0.4893041) < 5e-8);
    assert_true(fabs(dp[1] - -0.1124942) < 5e-8);
}

/* ---- dense layer ------------------------------------------------------------------------ */

static void test_dense(void **state)
{
    (void)state;
    static const struct {
        int N, in, out, bias, want_db, want_dx;
    } sh[] = {{1, 1, 1, 1, 1, 1},  {7, 13, 5, 1, 1, 1},   {64, 33, 17, 1, 1, 1},
              {5, 100, 3, 0, 0, 1}, {37, 19, 29, 1, 0, 0}, {2, 513, 7, 1, 1, 1}};
    int ok = 1;
    for (size_t k = 0; k < sizeof sh / sizeof sh[0]; k++) {
        const int N = sh[k].N, in = sh[k].in, out = sh[k].out;
        const size_t nW = (size_t)out * (size_t)in, nx = (size_t)N * (size_t)in;
        const size_t ny = (size_t)N * (size_t)out;
        char ctx[96];
        ref_rng rng;
        snprintf(ctx, sizeof ctx, "dense N=%d in=%d out=%d", N, in, out);
        ref_rng_seed(&rng, 0xDE45Eu + k);
        float *W = frand(&rng, nW, 1.0 / sqrt((double)in));
        float *b = sh[k].bias ? frand(&rng, (size_t)out, 1.0) : NULL;
        float *x = frand(&rng, nx, 1.0), *dy = frand(&rng, ny, 1.0);
        float *dW = frand(&rng, nW, 1.0);
        float *db = sh[k].want_db ? frand(&rng, (size_t)out, 1.0) : NULL;
        float *y = fnan(ny), *dx = sh[k].want_dx ? fnan(nx) : NULL;
        double *Wd = ref_dup_f2d(W, nW), *bd = ref_dup_f2d(b, (size_t)out);
        double *xd = ref_dup_f2d(x, nx), *dyd = ref_dup_f2d(dy, ny);
        double *rdW = ref_dup_f2d(dW, nW), *rdb = ref_dup_f2d(db, (size_t)out);
        double *ry = ref_malloc(sizeof(double) * ny), *rdx = ref_malloc(sizeof(double) * nx);

        ref_dense_forward(N, in, out, Wd, bd, xd, ry);
        ref_dense_backward(N, in, out, Wd, xd, dyd, rdW, rdb, rdx);
        ok &= expect(rnnbptt_dense_forward(N, in, out, W, b, x, y) == RNNBPTT_OK, ctx,
                     "rnnbptt_dense_forward did not return OK");
        ok &= ref_check_scaled(ctx, y, ry, ny, C_TOL, in + 1);
        ok &= expect(rnnbptt_dense_backward(N, in, out, W, x, dy, dW, db, dx) == RNNBPTT_OK, ctx,
                     "rnnbptt_dense_backward did not return OK");
        ok &= ref_check_scaled(ctx, dW, rdW, nW, C_TOL, N);
        if (db)
            ok &= ref_check_scaled(ctx, db, rdb, (size_t)out, C_TOL, N);
        if (dx)
            ok &= ref_check_scaled(ctx, dx, rdx, nx, C_TOL, out);
        free(W);
        free(b);
        free(x);
        free(dy);
        free(dW);
        free(db);
        free(y);
        free(dx);
        free(Wd);
        free(bd);
        free(xd);
        free(dyd);
        free(rdW);
        free(rdb);
        free(ry);
        free(rdx);
    }
    ref_check_report("dense");
    assert_true(ok);
}

/* ---- losses ------------------------------------------------------------------------------ */

/* MSE: y − target of two floats is exact in double and correctly rounded in float, so dy must be
 * within ½ ulp of the reference (we allow 1 ulp: tol_rel = FLT_EPSILON). The loss is summed in
 * double from those differences: at most ½ ulp from each rounded difference (squared: 1 ulp)
 * plus ½ ulp for the final rounding to float, so tol_rel = 2·FLT_EPSILON. */
static void test_mse(void **state)
{
    (void)state;
    static const int sh[][2] = {{1, 1}, {13, 7}, {100, 3}, {3, 257}};
    int ok = 1;
    for (size_t k = 0; k < sizeof sh / sizeof sh[0]; k++) {
        const int N = sh[k][0], D = sh[k][1];
        const size_t n = (size_t)N * (size_t)D;
        char ctx[64];
        ref_rng rng;
        snprintf(ctx, sizeof ctx, "mse N=%d D=%d", N, D);
        ref_rng_seed(&rng, 0x35Eu + k);
        float *y = frand(&rng, n, 2.0), *t = frand(&rng, n, 2.0), *dy = fnan(n), loss = NAN;
        float loss2 = NAN;
        double *yd = ref_dup_f2d(y, n), *td = ref_dup_f2d(t, n);
        double *rdy = ref_malloc(sizeof(double) * n);
        double rloss;
        ref_mse_loss(N, D, yd, td, &rloss, rdy);
        ok &= expect(rnnbptt_mse_loss(N, D, y, t, &loss, dy) == RNNBPTT_OK, ctx,
                     "rnnbptt_mse_loss did not return OK");
        ok &= ref_check(ctx, &loss, &rloss, 1, 0.0, 2.0 * FLT_EPSILON);
        ok &= ref_check(ctx, dy, rdy, n, 0.0, FLT_EPSILON);
        ok &= expect(rnnbptt_mse_loss(N, D, y, t, &loss2, NULL) == RNNBPTT_OK, ctx,
                     "rnnbptt_mse_loss (dy NULL) did not return OK");
        ok &= ref_check(ctx, &loss2, &rloss, 1, 0.0, 2.0 * FLT_EPSILON);
        free(y);
        free(t);
        free(dy);
        free(yd);
        free(td);
        free(rdy);
    }
    ref_check_report("mse");
    assert_true(ok);
}

/* Softmax cross-entropy. The loss is computed in double (header), so its error is the final
 * rounding to float (½ ulp; we allow 2·FLT_EPSILON relative) plus a double-precision term,
 * 64·DBL_EPSILON·N·C·max(1, max|logit|) absolute. dlogits lie in [-1, 1]; computed through
 * exp(l − lse) they carry ~|l − lse|·u relative error where they matter, covered by the scaled
 * tolerance with K = C. Ignored rows (label < 0) must be exactly 0. */
static void test_softmax_xent(void **state)
{
    (void)state;
    static const struct {
        int N, C;
        double scale, offset; /* logits = offset + uniform[-scale, scale] */
        int ignore;           /* 0: none, 1: some rows, 2: all rows */
    } sh[] = {{1, 1, 1.0, 0.0, 0},   {9, 5, 3.0, 0.0, 1},     {64, 10, 5.0, 0.0, 1},
              {4, 7, 2.0, 0.0, 2},   {6, 3, 20.0, 1000.0, 1}, {5, 33, 30.0, -800.0, 0},
              {3, 1000, 4.0, 0.0, 0}};
    int ok = 1;
    for (size_t k = 0; k < sizeof sh / sizeof sh[0]; k++) {
        const int N = sh[k].N, C = sh[k].C;
        const size_t n = (size_t)N * (size_t)C;
        char ctx[80];
        ref_rng rng;
        snprintf(ctx, sizeof ctx, "xent N=%d C=%d offset=%g", N, C, sh[k].offset);
        ref_rng_seed(&rng, 0x7E47u + k);
        float *logits = ref_malloc(sizeof(float) * n), *dl = fnan(n), loss = NAN, loss2 = NAN;
        int *labels = ref_malloc(sizeof(int) * (size_t)N);
        for (size_t i = 0; i < n; i++)
            logits[i] = (float)(sh[k].offset + sh[k].scale * (2.0 * ref_rng_unit(&rng) - 1.0));
        for (int r = 0; r < N; r++) {
            labels[r] = ref_rng_int(&rng, 0, C - 1);
            if (sh[k].ignore == 2 || (sh[k].ignore == 1 && r % 3 == 1))
                labels[r] = -1 - (r % 2); /* -1 and -2: any negative label is ignored */
        }
        if (sh[k].ignore != 2)
            labels[N - 1] = C - 1; /* the last class is a valid label */
        double *ld = ref_dup_f2d(logits, n), *rdl = ref_malloc(sizeof(double) * n), rloss;
        ref_softmax_xent_loss(N, C, ld, labels, &rloss, rdl);
        const double tabs = 64.0 * DBL_EPSILON * N * C * fmax(1.0, ref_max_abs(ld, n));
        ok &= expect(rnnbptt_softmax_xent_loss(N, C, logits, labels, &loss, dl) == RNNBPTT_OK, ctx,
                     "rnnbptt_softmax_xent_loss did not return OK");
        ok &= ref_check(ctx, &loss, &rloss, 1, tabs, 2.0 * FLT_EPSILON);
        ok &= ref_check_scaled(ctx, dl, rdl, n, C_TOL, C);
        for (int r = 0; r < N; r++)
            if (labels[r] < 0)
                for (int c = 0; c < C; c++)
                    ok &= expect(dl[(size_t)r * (size_t)C + (size_t)c] == 0.0f, ctx,
                                 "dlogits of an ignored row is not exactly 0");
        if (sh[k].ignore == 2)
            ok &= expect(loss == 0.0f, ctx, "loss is not 0 when every row is ignored");
        ok &= expect(rnnbptt_softmax_xent_loss(N, C, logits, labels, &loss2, NULL) == RNNBPTT_OK,
                     ctx, "rnnbptt_softmax_xent_loss (dlogits NULL) did not return OK");
        ok &= ref_check(ctx, &loss2, &rloss, 1, tabs, 2.0 * FLT_EPSILON);
        free(logits);
        free(dl);
        free(labels);
        free(ld);
        free(rdl);
    }
    ref_check_report("softmax_xent");
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_seed_example),
        cmocka_unit_test(test_rnn_tanh),
        cmocka_unit_test(test_rnn_relu),
        cmocka_unit_test(test_lstm),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_team),
        cmocka_unit_test(test_dense),
        cmocka_unit_test(test_mse),
        cmocka_unit_test(test_softmax_xent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
