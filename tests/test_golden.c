/* test_golden.c — rnnbptt_forward / rnnbptt_backward against PyTorch float64 golden data.
 *
 * The data (tests/golden/golden_data.h) is produced by tests/golden/gen_golden.py:
 *     /usr/bin/python3 tests/golden/gen_golden.py > tests/golden/golden_data.h
 * Every input there is an exact float32 value, so the library sees exactly the numbers PyTorch
 * saw and the only difference is the library's float32 arithmetic.
 *
 * Per case (legend as in rnnbptt.h: T steps, B batch, I input, H hidden, G gates):
 *   1. forward with a reserve of rnnbptt_reserve_count floats, then backward with dparams = 0;
 *      h, hT, cT, dparams, dx, dh0, dc0 are compared with the float64 reference. Every WRITTEN
 *      output is NaN-filled beforehand, so an element the library forgets to write fails.
 *      h and dx past each sequence's length must be exactly 0.
 *   2. backward again with dh poisoned by NaN past each length (the header: never read) and
 *      dparams holding the first result (ACCUMULATED): dparams must be 2·reference, the WRITTEN
 *      outputs the reference again.
 *
 * Tolerance, per array:  tol = 8 · ⌈log2 K⌉ · FLT_EPSILON · max(1, max|ref|),
 *   K = T·B·(I + H + G·H + 1), an upper bound on the length of the longest chain of sums any
 *   output depends on: the forward runs T chained steps of (I + H + 1)-term dot products, the
 *   backward chains T steps of G·H-term products W_hᵀδ, and dW sums T·B outer-product rows.
 *   A float32 sum of n terms computed by BLAS (blocked or pairwise) carries ≈ ⌈log2 n⌉ roundings
 *   of FLT_EPSILON/2; on top of that each level adds a product rounding and ≤ 2 ulp from
 *   glibc's expf/tanhf and the gate products, which the constant 8 covers. The recurrence itself
 *   grows the error at most linearly in T (the step Jacobians here have gain ≲ 1), and for these
 *   small cases T ≤ ⌈log2 K⌉, so the bound holds for it too. The scale max(1, max|ref|) makes
 *   it relative for large arrays and absolute near zero. A failure is a library bug: never
 *   loosen this to make a test pass.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref.h"
#include "rnnbptt.h"

#include "golden/golden_data.h"

#define TOL_C 8.0

static int gates_of(rnnbptt_cell cell)
{
    return cell == RNNBPTT_LSTM ? 4 : cell == RNNBPTT_GRU ? 3 : 1;
}

static double golden_tol(const golden_case *gc, const double *ref, size_t n, double scale)
{
    double K = (double)gc->T * gc->B * (gc->I + gc->H + gates_of(gc->cell) * gc->H + 1);
    double amax = 1.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(scale * ref[i]) > amax)
            amax = fabs(scale * ref[i]);
    return TOL_C * ceil(log2(K)) * FLT_EPSILON * amax;
}

/* Compares got[n] with scale·ref[n]; prints the worst element and returns 1 if it is off. */
static int check_array(const golden_case *gc, const char *what, const float *got,
                       const double *ref, size_t n, double scale)
{
    double tol = golden_tol(gc, ref, n, scale), worst = 0.0;
    size_t iworst = 0;
    worst = ref_worst_error(got, ref, n, scale, &iworst);
    if (!(worst <= tol)) {
        print_error("%s: %s[%zu] = %.9g, expected %.17g (|err| %.3g > tol %.3g)\n", gc->name,
                    what, iworst, (double)got[iworst], scale * ref[iworst], worst, tol);
        return 1;
    }
    return 0;
}

/* Steps past each sequence's length must be exactly zero in a (T,B,D) output. */
static int check_zero_tail(const golden_case *gc, const char *what, const float *a, int D)
{
    for (int t = 0; t < gc->T; t++)
        for (int b = 0; b < gc->B; b++)
            for (int k = 0; k < D; k++)
                if (t >= gc->lengths[b] && a[((size_t)t * gc->B + b) * D + k] != 0.0f) {
                    print_error("%s: %s[t=%d][b=%d][%d] = %.9g past length %d, expected 0\n",
                                gc->name, what, t, b, k, (double)a[((size_t)t * gc->B + b) * D + k],
                                gc->lengths[b]);
                    return 1;
                }
    return 0;
}

static float *nan_filled(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = NAN;
    return p;
}

static void test_golden_case(void **state)
{
    const golden_case *gc = *state;
    const int T = gc->T, B = gc->B, I = gc->I, H = gc->H;
    const int lstm = gc->cell == RNNBPTT_LSTM;
    const rnnbptt_layer L = {gc->cell, I, H, NULL};
    const int *lengths = gc->null_lengths ? NULL : gc->lengths;
    const size_t P = (size_t)gc->nparams, TBH = (size_t)T * B * H, TBI = (size_t)T * B * I,
                 BH = (size_t)B * H;
    int bad = 0;

    assert_int_equal(rnnbptt_param_count(&L), P);
    size_t nres = rnnbptt_reserve_count(&L, T, B);
    float *reserve = nres ? nan_filled(nres) : NULL;
    float *h = nan_filled(TBH), *hT = nan_filled(BH), *cT = lstm ? nan_filled(BH) : NULL;
    float *dparams = calloc(P, sizeof *dparams);
    float *dx = nan_filled(TBI), *dh0 = nan_filled(BH), *dc0 = lstm ? nan_filled(BH) : NULL;
    float *dh_poisoned = malloc(TBH * sizeof *dh_poisoned);
    assert_non_null(dparams);
    assert_non_null(dh_poisoned);

    /* 1. forward + backward, dparams from zero */
    assert_int_equal(rnnbptt_forward(&L, gc->params, T, B, lengths, gc->x, gc->h0, gc->c0, h, hT,
                                     cT, reserve),
                     RNNBPTT_OK);
    bad |= check_array(gc, "h", h, gc->h, TBH, 1.0);
    bad |= check_zero_tail(gc, "h", h, H);
    bad |= check_array(gc, "hT", hT, gc->hT, BH, 1.0);
    if (lstm)
        bad |= check_array(gc, "cT", cT, gc->cT, BH, 1.0);

    assert_int_equal(rnnbptt_backward(&L, gc->params, T, B, lengths, gc->x, gc->h0, gc->c0, h,
                                      reserve, gc->dh, gc->dhT, gc->dcT, dparams, dx, dh0, dc0),
                     RNNBPTT_OK);
    bad |= check_array(gc, "dparams", dparams, gc->dparams, P, 1.0);
    bad |= check_array(gc, "dx", dx, gc->dx, TBI, 1.0);
    bad |= check_zero_tail(gc, "dx", dx, I);
    bad |= check_array(gc, "dh0", dh0, gc->dh0, BH, 1.0);
    if (lstm)
        bad |= check_array(gc, "dc0", dc0, gc->dc0, BH, 1.0);

    /* 2. dh NaN past each length (never read), dparams accumulating onto the first result */
    memcpy(dh_poisoned, gc->dh, TBH * sizeof *dh_poisoned);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t >= gc->lengths[b])
                for (int k = 0; k < H; k++)
                    dh_poisoned[((size_t)t * B + b) * H + k] = NAN;
    for (size_t i = 0; i < TBI; i++)
        dx[i] = NAN;
    for (size_t i = 0; i < BH; i++) {
        dh0[i] = NAN;
        if (lstm)
            dc0[i] = NAN;
    }
    assert_int_equal(rnnbptt_backward(&L, gc->params, T, B, lengths, gc->x, gc->h0, gc->c0, h,
                                      reserve, dh_poisoned, gc->dhT, gc->dcT, dparams, dx, dh0,
                                      dc0),
                     RNNBPTT_OK);
    bad |= check_array(gc, "dparams (accumulated twice)", dparams, gc->dparams, P, 2.0);
    bad |= check_array(gc, "dx (NaN dh past lengths)", dx, gc->dx, TBI, 1.0);
    bad |= check_zero_tail(gc, "dx (NaN dh past lengths)", dx, I);
    bad |= check_array(gc, "dh0 (NaN dh past lengths)", dh0, gc->dh0, BH, 1.0);
    if (lstm)
        bad |= check_array(gc, "dc0 (NaN dh past lengths)", dc0, gc->dc0, BH, 1.0);

    free(reserve);
    free(h);
    free(hT);
    free(cT);
    free(dparams);
    free(dx);
    free(dh0);
    free(dc0);
    free(dh_poisoned);
    if (bad)
        fail_msg("%s: mismatch against the PyTorch golden data (see above)", gc->name);
}

int main(void)
{
    struct CMUnitTest tests[GOLDEN_NCASES];
    for (size_t i = 0; i < GOLDEN_NCASES; i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_golden_case,
                                                                 (void *)&golden_cases[i]);
        tests[i].name = golden_cases[i].name;
    }
    return cmocka_run_group_tests_name("golden (PyTorch float64)", tests, NULL, NULL);
}
