/* test_fd.c — central finite-difference checks of the library's BPTT against its own forward pass
 * (no reference involved), for all four cells with variable lengths and nonzero dhT / dcT; plus a
 * double-precision finite-difference check of the reference itself (tests/ref.c).
 *
 * Legend: T steps, B batch, I input, H hidden, G gates, P parameter count.
 *
 * The scalar checked is L = Σ dh⊙h + Σ dhT⊙hT (+ Σ dcT⊙cT for the LSTM), summed in double from the
 * library's float outputs; its gradient is exactly what rnnbptt_backward returns for (dh, dhT,
 * dcT). dh also holds random values past each length: h is 0 there, so they add nothing to L,
 * and a backward pass that read them would disagree with the finite differences.
 *
 * Method (after KANN's kad_check_grad, made to work in float):
 *   - Every input (params, x, h0, c0) is drawn on a grid of 2^-20 with |v| <= 1, so v + m·s·u is
 *     exactly representable in float for the power-of-two steps s used here: the perturbation is
 *     exactly the intended one (asserted).
 *   - The derivative along u (one element, or a random direction over a block) is the 4-point
 *     central difference  D4(s) = [8 (L(+s) − L(−s)) − (L(+2s) − L(−2s))] / (12 s),
 *     whose truncation error is s⁴/30 · L⁽⁵⁾. It is estimated from the same evaluations plus
 *     L(±4s): trunc ≈ |D4(s) − D4(2s)| / 15 (the s⁴ law), and 2·trunc is allowed. (Measured on
 *     the double reference at s = 2^-6: ≤ 5e-8 per element for the smooth cells.)
 *   - Float rounding of L. Each float output o (h, hT, cT) is off by some e_o; the 4-point
 *     combination sees ẽ_o = Σ_m c_m e_o(m) over its evaluations, |ẽ_o| <= (Σ|c_m|)·ē_o =
 *     (1.5/s)·ē_o, where ē_o = ⌈log2 K_f⌉·FLT_EPSILON·max(1, |o|), K_f = (I+H+1)·T: 2u per
 *     summation level. (test_ref allows 4x that per element; the largest error it measures is
 *     ~¼ of ē_o, so ē_o bounds the errors with a 4x margin.) The rounding part of D4 is
 *     Σ_o w_o·ẽ_o with the loss weights w = dh, dhT, dcT drawn uniform in [-1, 1] independently of
 *     the forward computation, hence of ẽ: by Hoeffding's inequality it exceeds
 *     6·sqrt(Σ_o ẽ_o²) with probability below 2·e^-18 ≈ 3e-8 per check. (Assuming every error at
 *     its bound with the sign of its weight, Σ|w_o|·ē_o, is the worst case; measured, it is ~1000x
 *     the real noise and would hide any gradient error smaller than the gradient itself.)
 *   - The library gradient itself carries at most e_g = C_TOL·⌈log2 K⌉·FLT_EPSILON·max(1, max|g|)
 *     per element (K = K_b or K_w, the tolerance test_ref verifies), i.e. Σ_k |u_k|·e_g along u.
 *   Allowed |D4 − g·u| <= 6·(1.5/s)·sqrt(Σ_o ē_o²) + 2·trunc + Σ|u_k|·e_g. The observed worst
 *   ratio is printed so the margin is visible.
 *   - RNN_RELU: L is smooth only while no pre-activation crosses 0. The forward pass gives no
 *     pre-activations, but a crossing between evaluations shows as a change of the pattern h > 0,
 *     so every evaluation compares that pattern with the unperturbed one. An element whose
 *     evaluations change it is skipped (its FD straddles a kink and means nothing) — the exact
 *     version of "skip elements whose pre-activation lies within 2ε of 0" — with a smaller step
 *     (2^-9) so that at least 75% of the elements are still checked. A direction that changes
 *     it is tried again with half the step, down to 2^-12 (a dense random direction, the point of
 *     the directional check, crosses a kink somewhere at 2^-7), the tolerance following the step
 *     actually used. Within one activation pattern a ReLU network is a polynomial in each input,
 *     so the 4-point formula is exact up to rounding there.
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

#include "ref.h"
#include "rnnbptt.h"

#define C_TOL 4.0          /* the constant of test_ref's scaled tolerances */
#define GRID 0x1p-20       /* every input is a multiple of this */
#define STEP_ELEM 0x1p-6   /* per-element step (≈ 0.016) */
#define STEP_ELEM_RELU 0x1p-9 /* per-element step for RNN_RELU (kinks) */
#define STEP_DIR 0x1p-7    /* directional step, direction entries in [-1, 1] */
#define STEP_DIR_MIN 0x1p-12 /* RNN_RELU: the step is halved down to this before a redraw */
#define SIGMAS 6.0         /* Hoeffding: P(noise > SIGMAS·sqrt(Σ ẽ²)) <= 2·exp(-SIGMAS²/2) */
#define DIR_GRID 0x1p-8    /* direction entries are multiples of this */
#define MIN_CHECKED 0.75   /* RNN_RELU: at least this fraction must avoid the kinks */

static const char *cell_name(rnnbptt_cell c)
{
    static const char *names[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"};
    return names[c];
}

/* ---- one problem: inputs on the grid, loss weights, library gradients ------------------ */

typedef struct {
    rnnbptt_layer L;
    int T, B;
    const int *len;
    size_t P, nx, nh, ns;
    float *p, *x, *h0, *c0;    /* the evaluation point (on the grid) */
    float *dh, *dhT, *dcT;     /* loss weights */
    float *h, *hT, *cT;        /* outputs of the latest evaluation */
    unsigned char *pattern;    /* RNN_RELU: h > 0 at the unperturbed point */
    double L0;                 /* L at the unperturbed point */
    double rms;                /* sqrt(Σ_o ē_o²): the output rounding bounds, in quadrature */
    float *gp, *gx, *gh0, *gc0; /* library gradients: dparams (from 0), dx, dh0, dc0 */
    double Kf, Kb, Kw;         /* summation lengths as in test_ref */
} problem;

/* One block of inputs perturbed together, with its gradient. */
typedef struct {
    const char *name;
    float *v;
    const float *g;
    size_t n;
    double K; /* summation length behind g */
    int is_x; /* elements past a length are checked for exact independence */
} block;

static double loss_at(problem *Q, int *flipped)
{
    const int lstm = Q->L.cell == RNNBPTT_LSTM;
    assert_int_equal(rnnbptt_forward(&Q->L, Q->p, Q->T, Q->B, Q->len, Q->x, Q->h0, Q->c0, Q->h,
                                     Q->hT, Q->cT, NULL),
                     RNNBPTT_OK);
    double L = 0.0;
    for (size_t k = 0; k < Q->nh; k++)
        L += (double)Q->dh[k] * (double)Q->h[k];
    for (size_t k = 0; k < Q->ns; k++) {
        L += (double)Q->dhT[k] * (double)Q->hT[k];
        if (lstm)
            L += (double)Q->dcT[k] * (double)Q->cT[k];
    }
    if (Q->pattern)
        for (size_t k = 0; k < Q->nh; k++)
            if ((Q->h[k] > 0.0f) != (Q->pattern[k] != 0))
                *flipped = 1;
    return L;
}

static float *grid_array(ref_rng *r, size_t n, double a)
{
    float *p = ref_malloc(sizeof(float) * (n ? n : 1));
    ref_fill_grid(r, p, n, a, GRID);
    return p;
}

static void problem_init(problem *Q, rnnbptt_cell cell, int T, int B, int I, int H,
                         const int *len, uint64_t seed)
{
    const int lstm = cell == RNNBPTT_LSTM;
    ref_rng r;
    memset(Q, 0, sizeof *Q);
    ref_rng_seed(&r, seed);
    Q->L.cell = cell;
    Q->L.input_size = I;
    Q->L.hidden_size = H;
    Q->T = T;
    Q->B = B;
    Q->len = len;
    Q->P = rnnbptt_param_count(&Q->L);
    assert_int_equal(Q->P, ref_param_count(cell, I, H));
    Q->nx = (size_t)T * (size_t)B * (size_t)I;
    Q->nh = (size_t)T * (size_t)B * (size_t)H;
    Q->ns = (size_t)B * (size_t)H;
    Q->Kf = (double)(I + H + 1) * T;
    Q->Kb = Q->Kf * ref_gates(cell) * H * T;
    Q->Kw = Q->Kb * T * B;

    /* weights ±1/sqrt(H) as PyTorch initializes them; states and data ±1 */
    Q->p = grid_array(&r, Q->P, 1.0 / sqrt((double)H));
    Q->x = grid_array(&r, Q->nx, 1.0);
    Q->h0 = grid_array(&r, Q->ns, 1.0);
    Q->c0 = grid_array(&r, Q->ns, 1.0);
    Q->dh = grid_array(&r, Q->nh, 1.0);
    Q->dhT = grid_array(&r, Q->ns, 1.0);
    Q->dcT = grid_array(&r, Q->ns, 1.0);
    Q->h = ref_malloc(sizeof(float) * Q->nh);
    Q->hT = ref_malloc(sizeof(float) * Q->ns);
    Q->cT = ref_malloc(sizeof(float) * Q->ns);

    /* the unperturbed point, the ReLU pattern, and the output rounding bounds ē_o */
    int unused = 0;
    Q->L0 = loss_at(Q, &unused);
    if (cell == RNNBPTT_RNN_RELU) {
        Q->pattern = ref_malloc(Q->nh);
        for (size_t k = 0; k < Q->nh; k++)
            Q->pattern[k] = Q->h[k] > 0.0f;
    }
    const double e = ref_log2_ceil(Q->Kf) * FLT_EPSILON;
    double sq = 0.0;
    for (size_t k = 0; k < Q->nh; k++)
        sq += pow(e * fmax(1.0, fabs((double)Q->h[k])), 2.0);
    for (size_t k = 0; k < Q->ns; k++) {
        sq += pow(e * fmax(1.0, fabs((double)Q->hT[k])), 2.0);
        if (lstm)
            sq += pow(e * fmax(1.0, fabs((double)Q->cT[k])), 2.0);
    }
    Q->rms = sqrt(sq);

    /* the library's gradients: forward with reserve, then backward from dparams = 0 */
    const size_t nres = rnnbptt_reserve_count(&Q->L, T, B);
    float *reserve = nres ? ref_malloc(sizeof(float) * nres) : NULL;
    Q->gp = ref_calloc(Q->P, sizeof(float));
    Q->gx = ref_malloc(sizeof(float) * Q->nx);
    Q->gh0 = ref_malloc(sizeof(float) * Q->ns);
    Q->gc0 = ref_malloc(sizeof(float) * Q->ns);
    assert_int_equal(rnnbptt_forward(&Q->L, Q->p, T, B, len, Q->x, Q->h0, Q->c0, Q->h, Q->hT,
                                     Q->cT, reserve),
                     RNNBPTT_OK);
    assert_int_equal(rnnbptt_backward(&Q->L, Q->p, T, B, len, Q->x, Q->h0, Q->c0, Q->h, reserve,
                                      Q->dh, Q->dhT, Q->dcT, Q->gp, Q->gx, Q->gh0, Q->gc0),
                     RNNBPTT_OK);
    free(reserve);
}

static void problem_free(problem *Q)
{
    free(Q->p);
    free(Q->x);
    free(Q->h0);
    free(Q->c0);
    free(Q->dh);
    free(Q->dhT);
    free(Q->dcT);
    free(Q->h);
    free(Q->hT);
    free(Q->cT);
    free(Q->pattern);
    free(Q->gp);
    free(Q->gx);
    free(Q->gh0);
    free(Q->gc0);
}

/* The blocks of a problem: W_x, W_h, b (b_x, b_h for the GRU), x, h0 (and c0 for the LSTM). */
static int problem_blocks(problem *Q, block *out)
{
    const rnnbptt_cell cell = Q->L.cell;
    const size_t GH = (size_t)ref_gates(cell) * (size_t)Q->L.hidden_size;
    const size_t I = (size_t)Q->L.input_size, H = (size_t)Q->L.hidden_size;
    int n = 0;
    out[n++] = (block){"W_x", Q->p, Q->gp, GH * I, Q->Kw, 0};
    out[n++] = (block){"W_h", Q->p + GH * I, Q->gp + GH * I, GH * H, Q->Kw, 0};
    out[n++] = (block){cell == RNNBPTT_GRU ? "b_x" : "b", Q->p + GH * (I + H),
                       Q->gp + GH * (I + H), GH, Q->Kw, 0};
    if (cell == RNNBPTT_GRU)
        out[n++] = (block){"b_h", Q->p + GH * (I + H + 1), Q->gp + GH * (I + H + 1), GH, Q->Kw, 0};
    out[n++] = (block){"x", Q->x, Q->gx, Q->nx, Q->Kb, 1};
    out[n++] = (block){"h0", Q->h0, Q->gh0, Q->ns, Q->Kb, 0};
    if (cell == RNNBPTT_LSTM)
        out[n++] = (block){"c0", Q->c0, Q->gc0, Q->ns, Q->Kb, 0};
    return n;
}

/* Is element k of x at a step past its sequence's length? */
static int x_past_length(const problem *Q, size_t k)
{
    const size_t row = k / (size_t)Q->L.input_size;
    const int t = (int)(row / (size_t)Q->B), b = (int)(row % (size_t)Q->B);
    return Q->len && t >= Q->len[b];
}

/* L at v + m·s·u for m = ±1, ±2, ±4 (u = e_k when dir is NULL); returns the 4-point derivative
 * D4(s), its truncation estimate, whether a ReLU pattern changed, and whether every L equalled L0
 * bit for bit. v is restored. */
static void fd_eval(problem *Q, const block *blk, size_t k, const double *dir, double s,
                    double *d4, double *trunc, int *flipped, int *unchanged)
{
    static const int m[6] = {1, -1, 2, -2, 4, -4};
    const size_t lo = dir ? 0 : k, hi = dir ? blk->n : k + 1;
    float *save = ref_malloc(sizeof(float) * (hi - lo));
    double L[6];
    memcpy(save, blk->v + lo, sizeof(float) * (hi - lo));
    *flipped = 0;
    *unchanged = 1;
    for (int j = 0; j < 6; j++) {
        for (size_t i = lo; i < hi; i++) {
            const double target = (double)save[i - lo] + m[j] * s * (dir ? dir[i] : 1.0);
            blk->v[i] = (float)target;
            assert_true((double)blk->v[i] == target); /* the perturbation is exact */
        }
        L[j] = loss_at(Q, flipped);
        *unchanged &= L[j] == Q->L0;
    }
    memcpy(blk->v + lo, save, sizeof(float) * (hi - lo));
    free(save);
    const double d4s = (8.0 * (L[0] - L[1]) - (L[2] - L[3])) / (12.0 * s);
    const double d42s = (8.0 * (L[2] - L[3]) - (L[4] - L[5])) / (24.0 * s);
    *d4 = d4s;
    *trunc = fabs(d4s - d42s) / 15.0;
}

typedef struct {
    size_t checked, skipped, failed;
    double worst; /* largest |D4 − g·u| / allowed */
} tally;

static int judge(const char *ctx, const char *what, size_t k, double d4, double gu, double allowed,
                 tally *tl)
{
    const double err = fabs(d4 - gu);
    const double r = err / allowed;
    tl->checked++;
    if (!(r <= tl->worst) || isnan(r))
        tl->worst = isnan(r) ? INFINITY : r;
    if (err <= allowed)
        return 1;
    tl->failed++;
    printf("MISMATCH %s %s[%zu]: finite difference %.9g, library gradient %.9g, |diff| %.3g > "
           "allowed %.3g\n",
           ctx, what, k, d4, gu, err, allowed);
    return 0;
}

static double block_max_abs(const block *blk)
{
    double m = 0.0;
    for (size_t k = 0; k < blk->n; k++)
        m = fmax(m, fabs((double)blk->g[k]));
    return m;
}

/* ---- every element of a tiny problem ---------------------------------------------------- */

static void check_every_element(rnnbptt_cell cell)
{
    static const int len[3] = {2, 3, 1}; /* unsorted, one of length 1, one full */
    problem Q;
    block blk[8];
    tally tl = {0, 0, 0, 0.0};
    char ctx[64];
    int ok = 1;
    snprintf(ctx, sizeof ctx, "%s per-element", cell_name(cell));
    problem_init(&Q, cell, 3, 3, 3, 4, len, 0xFD00u + (uint64_t)cell);
    const int nb = problem_blocks(&Q, blk);
    const double s = cell == RNNBPTT_RNN_RELU ? STEP_ELEM_RELU : STEP_ELEM;
    const double noise = SIGMAS * 1.5 / s * Q.rms;
    for (int bi = 0; bi < nb; bi++) {
        const double eg = C_TOL * ref_log2_ceil(blk[bi].K) * FLT_EPSILON
                          * fmax(1.0, block_max_abs(&blk[bi]));
        for (size_t k = 0; k < blk[bi].n; k++) {
            double d4, trunc;
            int flipped, unchanged;
            fd_eval(&Q, &blk[bi], k, NULL, s, &d4, &trunc, &flipped, &unchanged);
            if (blk[bi].is_x && x_past_length(&Q, k)) {
                /* x past a length affects nothing, and its gradient is exactly 0 */
                ok &= unchanged && blk[bi].g[k] == 0.0f;
                if (!(unchanged && blk[bi].g[k] == 0.0f))
                    printf("MISMATCH %s x[%zu] past its length: L changed (%d) or dx = %.9g != 0\n",
                           ctx, k, !unchanged, (double)blk[bi].g[k]);
                continue;
            }
            if (flipped) {
                tl.skipped++;
                continue;
            }
            ok &= judge(ctx, blk[bi].name, k, d4, (double)blk[bi].g[k], noise + 2.0 * trunc + eg,
                        &tl);
        }
    }
    printf("[%s] %zu checked, %zu skipped at ReLU kinks, %zu failed; worst |diff|/allowed %.3g "
           "(rounding term %.3g)\n",
           ctx, tl.checked, tl.skipped, tl.failed, tl.worst, noise);
    ok &= (double)tl.checked >= MIN_CHECKED * (double)(tl.checked + tl.skipped);
    problem_free(&Q);
    assert_true(ok);
}

/* ---- random directions, one block at a time, on a larger problem ----------------------- */

static void check_directions(rnnbptt_cell cell)
{
    static const int len[5] = {10, 4, 1, 7, 9};
    enum { DIRS = 3, MAX_DRAWS = 40 };
    problem Q;
    block blk[8];
    tally tl = {0, 0, 0, 0.0};
    char ctx[64], what[32];
    int ok = 1;
    ref_rng r;
    snprintf(ctx, sizeof ctx, "%s directional", cell_name(cell));
    problem_init(&Q, cell, 10, 5, 6, 8, len, 0xD1Du + (uint64_t)cell);
    ref_rng_seed(&r, 0xD1E0u + (uint64_t)cell);
    const int nb = problem_blocks(&Q, blk);
    for (int bi = 0; bi < nb; bi++) {
        const size_t n = blk[bi].n;
        const double eg = C_TOL * ref_log2_ceil(blk[bi].K) * FLT_EPSILON
                          * fmax(1.0, block_max_abs(&blk[bi]));
        double *u = ref_malloc(sizeof(double) * n);
        float *uf = ref_malloc(sizeof(float) * n);
        int done = 0, fresh = 1;
        double s = STEP_DIR;
        for (int draw = 0; draw < MAX_DRAWS && done < DIRS; draw++) {
            if (fresh) {
                ref_fill_grid(&r, uf, n, 1.0, DIR_GRID);
                ref_f2d(uf, u, n);
                s = STEP_DIR;
            }
            double gu = 0.0, su = 0.0, d4, trunc;
            int flipped, unchanged;
            for (size_t k = 0; k < n; k++) {
                gu += (double)blk[bi].g[k] * u[k];
                su += fabs(u[k]);
            }
            fd_eval(&Q, &blk[bi], 0, u, s, &d4, &trunc, &flipped, &unchanged);
            if (flipped) {
                /* a ReLU kink lies within 4s: halve the step, or give up on this direction */
                tl.skipped++;
                fresh = s <= STEP_DIR_MIN;
                s *= 0.5;
                continue;
            }
            const double noise = SIGMAS * 1.5 / s * Q.rms;
            snprintf(what, sizeof what, "%s·u%d(s=2^%d)", blk[bi].name, done, (int)log2(s));
            ok &= judge(ctx, what, (size_t)draw, d4, gu, noise + 2.0 * trunc + su * eg, &tl);
            done++;
            fresh = 1;
        }
        if (done < DIRS) {
            printf("FAIL %s %s: only %d of %d directions avoid the ReLU kinks\n", ctx,
                   blk[bi].name, done, DIRS);
            ok = 0;
        }
        free(u);
        free(uf);
    }
    printf("[%s] %zu checked, %zu skipped at ReLU kinks, %zu failed; worst |diff|/allowed %.3g "
           "(rounding term %.3g at the step 2^-7)\n",
           ctx, tl.checked, tl.skipped, tl.failed, tl.worst, SIGMAS * 1.5 / STEP_DIR * Q.rms);
    problem_free(&Q);
    assert_true(ok);
}

static void test_elements_rnn_tanh(void **state)
{
    (void)state;
    check_every_element(RNNBPTT_RNN_TANH);
}

static void test_elements_rnn_relu(void **state)
{
    (void)state;
    check_every_element(RNNBPTT_RNN_RELU);
}

static void test_elements_lstm(void **state)
{
    (void)state;
    check_every_element(RNNBPTT_LSTM);
}

static void test_elements_gru(void **state)
{
    (void)state;
    check_every_element(RNNBPTT_GRU);
}

static void test_directions_rnn_tanh(void **state)
{
    (void)state;
    check_directions(RNNBPTT_RNN_TANH);
}

static void test_directions_rnn_relu(void **state)
{
    (void)state;
    check_directions(RNNBPTT_RNN_RELU);
}

static void test_directions_lstm(void **state)
{
    (void)state;
    check_directions(RNNBPTT_LSTM);
}

static void test_directions_gru(void **state)
{
    (void)state;
    check_directions(RNNBPTT_GRU);
}

/* ---- the reference in double: its backward is the derivative of its forward -------------- */

/* L of the reference at (p, x, h0, c0), and whether the ReLU pattern differs from pat. */
static double ref_loss(rnnbptt_cell cell, int I, int H, int T, int B, const int *len,
                       const double *p, const double *x, const double *h0, const double *c0,
                       const double *dh, const double *dhT, const double *dcT,
                       unsigned char *pat, int set_pattern, int *flipped)
{
    const size_t nh = (size_t)T * (size_t)B * (size_t)H, ns = (size_t)B * (size_t)H;
    double *h = ref_malloc(sizeof(double) * nh), *hT = ref_malloc(sizeof(double) * ns);
    double *cT = ref_malloc(sizeof(double) * ns), L = 0.0;
    ref_forward(cell, I, H, T, B, len, p, x, h0, c0, h, hT, cT);
    for (size_t k = 0; k < nh; k++) {
        L += dh[k] * h[k];
        if (set_pattern)
            pat[k] = h[k] > 0.0;
        else if (cell == RNNBPTT_RNN_RELU && (h[k] > 0.0) != (pat[k] != 0))
            *flipped = 1;
    }
    for (size_t k = 0; k < ns; k++)
        L += dhT[k] * hT[k] + (cell == RNNBPTT_LSTM ? dcT[k] * cT[k] : 0.0);
    free(h);
    free(hT);
    free(cT);
    return L;
}

/* Central differences with step 1e-6 in double: truncation ~1e-12·L''', rounding ~1e-16·|L|/1e-6;
 * allowed 1e-7·max(1, |g|), far above both and far below any wrong term. */
static void test_reference_double(void **state)
{
    (void)state;
    static const int len[3] = {2, 3, 1};
    const int T = 3, B = 3, I = 3, H = 4;
    const double eps = 1e-6;
    int ok = 1;
    for (int cell = 0; cell < 4; cell++) {
        const size_t P = ref_param_count((rnnbptt_cell)cell, I, H);
        const size_t nx = (size_t)T * B * I, nh = (size_t)T * B * H, ns = (size_t)B * H;
        ref_rng r;
        ref_rng_seed(&r, 0xDB1Eu + (uint64_t)cell);
        double *v[4], *g[4];
        const size_t n[4] = {P, nx, ns, ns};
        const double a[4] = {1.0 / sqrt((double)H), 1.0, 1.0, 1.0};
        for (int i = 0; i < 4; i++) {
            v[i] = ref_malloc(sizeof(double) * n[i]);
            for (size_t k = 0; k < n[i]; k++)
                v[i][k] = a[i] * (2.0 * ref_rng_unit(&r) - 1.0);
        }
        double *dh = ref_malloc(sizeof(double) * nh), *dhT = ref_malloc(sizeof(double) * ns);
        double *dcT = ref_malloc(sizeof(double) * ns);
        for (size_t k = 0; k < nh; k++)
            dh[k] = 2.0 * ref_rng_unit(&r) - 1.0;
        for (size_t k = 0; k < ns; k++) {
            dhT[k] = 2.0 * ref_rng_unit(&r) - 1.0;
            dcT[k] = 2.0 * ref_rng_unit(&r) - 1.0;
        }
        g[0] = ref_calloc(P, sizeof(double));
        g[1] = ref_malloc(sizeof(double) * nx);
        g[2] = ref_malloc(sizeof(double) * ns);
        g[3] = ref_malloc(sizeof(double) * ns);
        unsigned char *pat = ref_malloc(nh);
        int flipped = 0;
        ref_loss((rnnbptt_cell)cell, I, H, T, B, len, v[0], v[1], v[2], v[3], dh, dhT, dcT, pat, 1,
                 &flipped);
        ref_backward((rnnbptt_cell)cell, I, H, T, B, len, v[0], v[1], v[2], v[3], dh, dhT, dcT,
                     g[0], g[1], g[2], g[3]);
        const int nblocks = cell == RNNBPTT_LSTM ? 4 : 3;
        size_t skipped = 0;
        for (int i = 0; i < nblocks; i++) {
            for (size_t k = 0; k < n[i]; k++) {
                const double v0 = v[i][k];
                flipped = 0;
                v[i][k] = v0 + eps;
                const double Lp = ref_loss((rnnbptt_cell)cell, I, H, T, B, len, v[0], v[1], v[2],
                                           v[3], dh, dhT, dcT, pat, 0, &flipped);
                v[i][k] = v0 - eps;
                const double Lm = ref_loss((rnnbptt_cell)cell, I, H, T, B, len, v[0], v[1], v[2],
                                           v[3], dh, dhT, dcT, pat, 0, &flipped);
                v[i][k] = v0;
                if (flipped) {
                    skipped++;
                    continue;
                }
                const double fd = (Lp - Lm) / (2.0 * eps);
                if (!(fabs(fd - g[i][k]) <= 1e-7 * fmax(1.0, fabs(g[i][k])))) {
                    printf("MISMATCH reference %s block %d [%zu]: fd %.12g, backward %.12g\n",
                           cell_name((rnnbptt_cell)cell), i, k, fd, g[i][k]);
                    ok = 0;
                }
            }
        }
        ok &= skipped == 0; /* at 1e-6 no ReLU kink should be this close with these seeds */
        for (int i = 0; i < 4; i++) {
            free(v[i]);
            free(g[i]);
        }
        free(dh);
        free(dhT);
        free(dcT);
        free(pat);
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_double),
        cmocka_unit_test(test_elements_rnn_tanh),
        cmocka_unit_test(test_elements_rnn_relu),
        cmocka_unit_test(test_elements_lstm),
        cmocka_unit_test(test_elements_gru),
        cmocka_unit_test(test_directions_rnn_tanh),
        cmocka_unit_test(test_directions_rnn_relu),
        cmocka_unit_test(test_directions_lstm),
        cmocka_unit_test(test_directions_gru),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
