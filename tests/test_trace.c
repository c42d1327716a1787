/* test_trace.c — the gradient-norm trace (rnnbptt_model_set_trace) against a plain-loop
 * reference in double, built from tests/ref.c alone:
 *   for a one-layer model with an MSE head at every step, the total dL/dh_t of row b is the head's
 *   direct part (y_t − target_t)·W_y plus the part that reaches h_t through the recurrence, which
 *   is dh0 of a reference BPTT over the steps after t started from (h_t, c_t). Its batch norm per
 *   step is what the trace must hold.
 * Also: entries past T are left alone, a call longer than max_T is EINVAL with nothing written,
 * NULL turns the trace off.
 * Legend: T steps, B batch, I input, H hidden, O outputs, G gates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "rnnbptt.h"

enum { T = 7, B = 3, I = 3, H = 5, O = 2 };
static const int lengths[B] = {7, 2, 5};

/* The reference trace (T) of the one-layer model m (params P as double) on x, targets. */
static void reference(rnnbptt_cell cell, const rnnbptt_model *m, const double *P, const double *x,
                      const double *target, double *trace)
{
    size_t oWy, oby;
    assert_int_equal(rnnbptt_model_tensor(m, -1, 0, 0, &oWy, NULL, NULL), RNNBPTT_OK);
    assert_int_equal(rnnbptt_model_tensor(m, -1, 0, 1, &oby, NULL, NULL), RNNBPTT_OK);
    const double *Wy = P + oWy, *by = P + oby;
    double *h = ref_calloc((size_t)T * B * H, sizeof(double));
    double *y = ref_calloc((size_t)T * B * O, sizeof(double));
    double *dh = ref_calloc((size_t)T * B * H, sizeof(double));
    ref_forward(cell, I, H, T, B, lengths, P, x, NULL, NULL, h, NULL, NULL);
    ref_dense_forward(T * B, H, O, Wy, by, h, y);
    for (int r = 0; r < T * B; r++) /* the head's direct part, at valid steps only */
        if (r / B < lengths[r % B])
            for (int o = 0; o < O; o++)
                for (int j = 0; j < H; j++)
                    dh[(size_t)r * H + j] += (y[(size_t)r * O + o] - target[(size_t)r * O + o]) *
                                             Wy[(size_t)o * H + j];
    for (int t = 0; t < T; t++) {
        double ht[B * H], ct[B * H] = {0}, rec[B * H] = {0}, s = 0.0;
        int pre[B], suf[B];
        for (int b = 0; b < B; b++)
            pre[b] = lengths[b] < t + 1 ? lengths[b] : t + 1;
        double *hp = ref_calloc((size_t)(t + 1) * B * H, sizeof(double));
        ref_forward(cell, I, H, t + 1, B, pre, P, x, NULL, NULL, hp, ht, ct);
        free(hp);
        if (t + 1 < T) { /* dh0 of the steps after t, from (h_t, c_t): the recurrent part */
            const int Ts = T - 1 - t;
            double *dhs = ref_calloc((size_t)Ts * B * H, sizeof(double));
            for (int b = 0; b < B; b++) {
                suf[b] = lengths[b] - 1 - t >= 1 ? lengths[b] - 1 - t : 1;
                for (int k = 0; k < Ts && lengths[b] - 1 - t >= 1; k++)
                    memcpy(dhs + ((size_t)k * B + b) * H, dh + ((size_t)(t + 1 + k) * B + b) * H,
                           H * sizeof(double));
            }
            double *dP = ref_calloc(ref_param_count(cell, I, H), sizeof(double));
            ref_backward(cell, I, H, Ts, B, suf, P, x + (size_t)(t + 1) * B * I, ht, ct, dhs,
                         NULL, NULL, dP, NULL, rec, NULL);
            free(dP);
            free(dhs);
        }
        for (int b = 0; b < B; b++)
            for (int j = 0; t < lengths[b] && j < H; j++) {
                const double v = dh[((size_t)t * B + b) * H + j] +
                                 (lengths[b] - 1 - t >= 1 ? rec[b * H + j] : 0.0);
                s += v * v;
            }
        trace[t] = sqrt(s);
    }
    free(h);
    free(y);
    free(dh);
}

static void trace_matches_reference(void **state)
{
    (void)state;
    const rnnbptt_cell cells[] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_LSTM, RNNBPTT_GRU};
    for (int k = 0; k < 4; k++) {
        ref_rng rng;
        ref_rng_seed(&rng, 11 + (uint64_t)k);
        rnnbptt_model_config cfg = {cells[k], I, H, 1, 0, O, RNNBPTT_LOSS_MSE,
                                    RNNBPTT_LOSS_EVERY_STEP, 0};
        rnnbptt_model *m;
        assert_int_equal(rnnbptt_model_create(&cfg, &m), RNNBPTT_OK);
        const size_t n = rnnbptt_model_param_count(m);
        float x[T * B * I], tg[T * B * O];
        ref_fill_grid(&rng, rnnbptt_model_params(m), n, 0.6, 0x1p-20);
        ref_fill_grid(&rng, x, sizeof x / sizeof *x, 1.0, 0x1p-20);
        ref_fill_grid(&rng, tg, sizeof tg / sizeof *tg, 1.0, 0x1p-20);
        double tr[T + 2], ref[T], *P = ref_dup_f2d(rnnbptt_model_params(m), n);
        double *xd = ref_dup_f2d(x, sizeof x / sizeof *x);
        double *td = ref_dup_f2d(tg, sizeof tg / sizeof *tg);
        for (int t = 0; t < T + 2; t++)
            tr[t] = -7.0;
        assert_int_equal(rnnbptt_model_set_trace(m, tr, T + 2), RNNBPTT_OK);
        rnnbptt_batch bt = {T, B, lengths, x, NULL, tg, NULL};
        assert_int_equal(rnnbptt_model_train_step(m, &bt, NULL, NULL), RNNBPTT_OK);
        assert_true(tr[T] == -7.0 && tr[T + 1] == -7.0); /* past T: left alone */
        reference(cells[k], m, P, xd, td, ref);
        float got[T];
        for (int t = 0; t < T; t++)
            got[t] = (float)tr[t];
        /* test_golden's bound for one layer's BPTT (c = 8) over K = T·(I + H + O + G·H + 1)
         * terms: the trace is a norm of gradients that bound covers, plus the head's products. */
        assert_true(
            ref_check_scaled("trace", got, ref, T, 8.0, (double)T * (I + H + O + 4 * H + 1)));

        /* T > max_T: EINVAL, nothing written (trace, gradients) */
        const float g0 = rnnbptt_model_grads(m)[0];
        assert_int_equal(rnnbptt_model_set_trace(m, tr, T - 1), RNNBPTT_OK);
        tr[0] = -9.0;
        assert_int_equal(rnnbptt_model_train_step(m, &bt, NULL, NULL), RNNBPTT_EINVAL);
        assert_true(tr[0] == -9.0 && rnnbptt_model_grads(m)[0] == g0);
        /* off: nothing written */
        assert_int_equal(rnnbptt_model_set_trace(m, NULL, 0), RNNBPTT_OK);
        assert_int_equal(rnnbptt_model_train_step(m, &bt, NULL, NULL), RNNBPTT_OK);
        assert_true(tr[0] == -9.0);
        assert_int_equal(rnnbptt_model_set_trace(NULL, tr, 3), RNNBPTT_EINVAL);
        assert_int_equal(rnnbptt_model_set_trace(m, tr, 0), RNNBPTT_EINVAL);
        free(P);
        free(xd);
        free(td);
        rnnbptt_model_destroy(m);
    }
    ref_check_report("trace");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(trace_matches_reference)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
