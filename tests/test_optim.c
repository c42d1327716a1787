/* test_optim.c — the optimizers (rnnbptt_optim_*): every kind against torch.optim over 5 steps,
 * hand-computed SGD and Adam steps, the non-finite guard, every invalid argument, and allocation
 * failure.
 *
 * Tolerance against torch (float64) for our float32 run, after t steps:
 *     |p_t − ref_t| <= 16·t·u·max(1, |ref_t|),   u = 2^-24 (float32's unit roundoff).
 * Why: one step computes p − lr·d with d from about 8 float roundings (weight decay, the moment's
 * multiply and add, the square, the root, the division by √(1 − β2^t), eps, the step size and the
 * quotient), each at most u relative to operands that are O(1) here (params and gradients in
 * (−1, 1), |d| at most a few, lr <= 0.1), the hyperparameters rounded to float (u/2 each), plus u
 * of |p| for the subtraction; so each step adds at most ~16u·max(1, |p|) and the moments carry
 * earlier steps' errors forward, giving the factor t. The measured worst case is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec.h" /* rb_fault_arm */
#include "rnnbptt.h"

#include "golden/optim_data.h"

static const double U = 0x1p-24;
/* What *o is set to before a call that must leave it untouched. */
#define MARK ((rnnbptt_optim *)(uintptr_t)0xA5A5A5A5u)

/* One clean step with g on o (params p) and on fresh (params q) gives bitwise the same params;
 * then both are destroyed. */
static void same_next_step(rnnbptt_optim *o, float *p, rnnbptt_optim *fresh, float *q,
                           const float *g, size_t n)
{
    assert_int_equal(rnnbptt_optim_step(o, p, g), RNNBPTT_OK);
    assert_int_equal(rnnbptt_optim_step(fresh, q, g), RNNBPTT_OK);
    assert_memory_equal(p, q, n * sizeof *p);
    rnnbptt_optim_destroy(o);
    rnnbptt_optim_destroy(fresh);
}

/* Every kind's golden case, run step by step from its first parameters. */
static void kinds_match_torch(void **state)
{
    (void)state;
    double worst = 0; /* max |p − ref| / (t·u·max(1, |ref|)) */
    for (int c = 0; c < OPTIM_CASES; c++) {
        rnnbptt_optim *o = NULL;
        assert_int_equal(rnnbptt_optim_create(&optim_cases[c].cfg, OPTIM_N, &o), RNNBPTT_OK);
        float p[OPTIM_N];
        memcpy(p, optim_cases[c].params, sizeof p);
        for (int t = 1; t <= OPTIM_STEPS; t++) {
            const float *g = optim_cases[c].grads + (size_t)(t - 1) * OPTIM_N;
            const double *ref = optim_cases[c].expect + (size_t)(t - 1) * OPTIM_N;
            assert_int_equal(rnnbptt_optim_step(o, p, g), RNNBPTT_OK);
            for (int i = 0; i < OPTIM_N; i++) {
                double scale = t * U * fmax(1.0, fabs(ref[i]));
                double err = fabs((double)p[i] - ref[i]) / scale;
                if (err > worst)
                    worst = err;
                if (err > 16)
                    fail_msg("case %d (kind %d) step %d element %d: %.9g, torch %.17g", c,
                             (int)optim_cases[c].cfg.kind, t, i, (double)p[i], ref[i]);
            }
        }
        rnnbptt_optim_destroy(o);
    }
    print_message("worst error: %.2f·t·u·max(1,|ref|) (bound 16)\n", worst);
}

/* SGD, lr = 0.5, wd = 0.25, p = [1, −2, 0.5] (every value below is exact in float):
 *   step 1, g = [0.5, 0.25, −1]:  g + wd·p = [0.75, −0.25, −0.875]
 *                                 p − 0.5·that = [0.625, −1.875, 0.9375]
 *   step 2, g = [0, 1, 0.5]:      g + wd·p = [0.15625, 0.53125, 0.734375]
 *                                 p − 0.5·that = [0.546875, −2.140625, 0.5703125] */
static void sgd_by_hand(void **state)
{
    (void)state;
    rnnbptt_optim_config cfg = rnnbptt_optim_defaults(RNNBPTT_SGD, 0.5);
    cfg.weight_decay = 0.25;
    rnnbptt_optim *o = NULL;
    assert_int_equal(rnnbptt_optim_create(&cfg, 3, &o), RNNBPTT_OK);
    float p[3] = {1, -2, 0.5f};
    const float g1[3] = {0.5f, 0.25f, -1}, g2[3] = {0, 1, 0.5f};
    const float e1[3] = {0.625f, -1.875f, 0.9375f}, e2[3] = {0.546875f, -2.140625f, 0.5703125f};
    assert_int_equal(rnnbptt_optim_step(o, p, g1), RNNBPTT_OK);
    assert_memory_equal(p, e1, sizeof p);
    assert_int_equal(rnnbptt_optim_step(o, p, g2), RNNBPTT_OK);
    assert_memory_equal(p, e2, sizeof p);
    rnnbptt_optim_destroy(o);
}

/* Adam, lr = 0.5, β1 = 0.5, β2 = 0.75, eps = 0, wd = 0.5, p = [1, 1, 1]:
 *   step 1, g = [0.5, −2.5, 0]:   g + wd·p = [1, −2, 0.5]
 *     m = 0.5·g = [0.5, −1, 0.25],  v = 0.25·g² = [0.25, 1, 0.0625]
 *     step size lr/(1 − 0.5) = 1,  √(1 − 0.75) = 0.5,  √v/0.5 = [1, 2, 0.5]
 *     p = 1 − m/[1, 2, 0.5] = [0.5, 1.5, 0.5]                        (exact: lr·sign(g))
 *   step 2, g = [0.25, 1.25, 0.25]: g + wd·p = [0.5, 2, 0.5]
 *     m = 0.5·m + 0.5·g = [0.5, 0.5, 0.375],  v = 0.75·v + 0.25·g² = [0.25, 1.75, 0.109375]
 *     step size 0.5/(1 − 0.25) = 2/3,  √(1 − 0.5625) = √7/4
 *     √v/(√7/4) = [2/√7, 2, 0.5]
 *     p = [0.5 − (2/3)·0.5·√7/2, 1.5 − (2/3)·0.5/2, 0.5 − (2/3)·0.375/0.5]
 *       = [0.5 − √7/6, 4/3, 0] = [0.0590414481..., 1.3333333..., 0]
 * Step 1 is exact in float; step 2 rounds (2/3, √7/4, the quotient) and is checked within
 * 8u·max(1, |p|): a few roundings of O(1) terms. */
static void adam_by_hand(void **state)
{
    (void)state;
    rnnbptt_optim_config cfg = rnnbptt_optim_defaults(RNNBPTT_ADAM, 0.5);
    cfg.beta1 = 0.5, cfg.beta2 = 0.75, cfg.eps = 0, cfg.weight_decay = 0.5;
    rnnbptt_optim *o = NULL;
    assert_int_equal(rnnbptt_optim_create(&cfg, 3, &o), RNNBPTT_OK);
    float p[3] = {1, 1, 1};
    const float g1[3] = {0.5f, -2.5f, 0}, g2[3] = {0.25f, 1.25f, 0.25f};
    const float e1[3] = {0.5f, 1.5f, 0.5f};
    const double e2[3] = {0.5 - sqrt(7.0) / 6, 4.0 / 3, 0};
    assert_int_equal(rnnbptt_optim_step(o, p, g1), RNNBPTT_OK);
    assert_memory_equal(p, e1, sizeof p);
    assert_int_equal(rnnbptt_optim_step(o, p, g2), RNNBPTT_OK);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(p[i] - e2[i]) <= 8 * U * fmax(1.0, fabs(e2[i])));
    rnnbptt_optim_destroy(o);
}

/* The guard: a NaN, +Inf or −Inf in one gradient element (first, middle, last), at the first
 * step or after two clean ones, gives RNNBPTT_ENONFINITE with params byte-identical; the state is
 * too: a clean step afterwards gives bitwise what an optimizer that never saw the bad step gives
 * (the moments and the step count, which sets the bias corrections and the momentum's first step,
 * all enter it). */
static void nonfinite_changes_nothing(void **state)
{
    (void)state;
    enum { N = OPTIM_N };
    const float bad[] = {NAN, INFINITY, -INFINITY};
    const int where[] = {0, N / 2, N - 1};
    for (int c = 0; c < OPTIM_CASES; c++)
        for (int clean = 0; clean <= 2; clean += 2)
            for (size_t b = 0; b < sizeof bad / sizeof *bad; b++)
                for (size_t w = 0; w < sizeof where / sizeof *where; w++) {
                    const float *g = optim_cases[c].grads;
                    rnnbptt_optim *o = NULL, *fresh = NULL;
                    assert_int_equal(rnnbptt_optim_create(&optim_cases[c].cfg, N, &o),
                                     RNNBPTT_OK);
                    assert_int_equal(rnnbptt_optim_create(&optim_cases[c].cfg, N, &fresh),
                                     RNNBPTT_OK);
                    float p[N], q[N], snap[N], gbad[N];
                    memcpy(p, optim_cases[c].params, sizeof p);
                    memcpy(q, p, sizeof q);
                    for (int s = 0; s < clean; s++) {
                        assert_int_equal(rnnbptt_optim_step(o, p, g + s * N), RNNBPTT_OK);
                        assert_int_equal(rnnbptt_optim_step(fresh, q, g + s * N), RNNBPTT_OK);
                    }
                    memcpy(gbad, g + clean * N, sizeof gbad);
                    gbad[where[w]] = bad[b];
                    memcpy(snap, p, sizeof snap);
                    assert_int_equal(rnnbptt_optim_step(o, p, gbad), RNNBPTT_ENONFINITE);
                    assert_memory_equal(p, snap, sizeof p);
                    same_next_step(o, p, fresh, q, g + 3 * N, N);
                }
}

/* create: every rejected argument returns RNNBPTT_EINVAL with *o untouched. */
static void create_rejects_bad_arguments(void **state)
{
    (void)state;
    rnnbptt_optim *o = MARK;
    rnnbptt_optim_config ok = rnnbptt_optim_defaults(RNNBPTT_ADAM, 1e-3), c;
    assert_int_equal(rnnbptt_optim_create(NULL, 4, &o), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_optim_create(&ok, 4, NULL), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_optim_create(&ok, 0, &o), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_optim_create(&ok, SIZE_MAX, &o), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_optim_create(&ok, SIZE_MAX / 8, &o), RNNBPTT_EINVAL);
    c = ok, c.kind = (rnnbptt_optim_kind)(RNNBPTT_ADAMW + 1);
    assert_int_equal(rnnbptt_optim_create(&c, 4, &o), RNNBPTT_EINVAL);
    c = ok, c.kind = (rnnbptt_optim_kind)-1;
    assert_int_equal(rnnbptt_optim_create(&c, 4, &o), RNNBPTT_EINVAL);
    assert_ptr_equal(o, MARK);

    /* Each field a kind reads, set to each bad value in turn. */
    const double nonneg_bad[] = {-1e-30, NAN, INFINITY, -INFINITY};
    const double unit_bad[] = {-1e-30, 1.0, 1.5, NAN, INFINITY};
    static const struct {
        rnnbptt_optim_kind kind;
        size_t offset;
        int unit; /* 1: must be in [0, 1); 0: finite and >= 0 */
    } reads[] = {
#define F(k, field, unit) {k, offsetof(rnnbptt_optim_config, field), unit}
        F(RNNBPTT_SGD, lr, 0),           F(RNNBPTT_SGD, weight_decay, 0),
        F(RNNBPTT_SGD_MOMENTUM, lr, 0),  F(RNNBPTT_SGD_MOMENTUM, weight_decay, 0),
        F(RNNBPTT_SGD_MOMENTUM, momentum, 1),
        F(RNNBPTT_SGD_NESTEROV, lr, 0),  F(RNNBPTT_SGD_NESTEROV, weight_decay, 0),
        F(RNNBPTT_SGD_NESTEROV, momentum, 1),
        F(RNNBPTT_ADAGRAD, lr, 0),       F(RNNBPTT_ADAGRAD, eps, 0),
        F(RNNBPTT_ADAGRAD, weight_decay, 0),
        F(RNNBPTT_RMSPROP, lr, 0),       F(RNNBPTT_RMSPROP, eps, 0),
        F(RNNBPTT_RMSPROP, weight_decay, 0), F(RNNBPTT_RMSPROP, alpha, 1),
        F(RNNBPTT_ADAM, lr, 0),          F(RNNBPTT_ADAM, eps, 0),
        F(RNNBPTT_ADAM, weight_decay, 0), F(RNNBPTT_ADAM, beta1, 1), F(RNNBPTT_ADAM, beta2, 1),
        F(RNNBPTT_ADAMW, lr, 0),         F(RNNBPTT_ADAMW, eps, 0),
        F(RNNBPTT_ADAMW, weight_decay, 0), F(RNNBPTT_ADAMW, beta1, 1),
        F(RNNBPTT_ADAMW, beta2, 1),
#undef F
    };
    for (size_t r = 0; r < sizeof reads / sizeof *reads; r++) {
        const double *vals = reads[r].unit ? unit_bad : nonneg_bad;
        size_t nv = reads[r].unit ? sizeof unit_bad / sizeof *unit_bad
                                  : sizeof nonneg_bad / sizeof *nonneg_bad;
        for (size_t v = 0; v < nv; v++) {
            c = rnnbptt_optim_defaults(reads[r].kind, 0.01);
            memcpy((char *)&c + reads[r].offset, &vals[v], sizeof(double));
            assert_int_equal(rnnbptt_optim_create(&c, 4, &o), RNNBPTT_EINVAL);
            assert_ptr_equal(o, MARK);
        }
    }

    /* The edges that are accepted: 0 for every field; fields a kind does not read are not
     * checked (plain SGD with a NaN momentum, eps and betas). */
    for (int k = RNNBPTT_SGD; k <= RNNBPTT_ADAMW; k++) {
        c = (rnnbptt_optim_config){.kind = (rnnbptt_optim_kind)k};
        assert_int_equal(rnnbptt_optim_create(&c, 1, &o), RNNBPTT_OK);
        rnnbptt_optim_destroy(o);
    }
    c = (rnnbptt_optim_config){RNNBPTT_SGD, 0.1, NAN, NAN, NAN, NAN, NAN, 0};
    o = MARK;
    assert_int_equal(rnnbptt_optim_create(&c, 1, &o), RNNBPTT_OK);
    assert_ptr_not_equal(o, MARK);
    rnnbptt_optim_destroy(o);
    rnnbptt_optim_destroy(NULL);
}

/* step: a NULL optimizer, params or grads returns RNNBPTT_EINVAL with params untouched (and the
 * optimizer's state too: the next clean step equals a fresh optimizer's first). */
static void step_rejects_bad_arguments(void **state)
{
    (void)state;
    const float g[2] = {0.5f, -0.25f};
    float p[2] = {1, 2}, q[2] = {1, 2};
    rnnbptt_optim *o = NULL, *fresh = NULL;
    rnnbptt_optim_config cfg = rnnbptt_optim_defaults(RNNBPTT_ADAM, 0.1);
    assert_int_equal(rnnbptt_optim_create(&cfg, 2, &o), RNNBPTT_OK);
    assert_int_equal(rnnbptt_optim_create(&cfg, 2, &fresh), RNNBPTT_OK);
    assert_int_equal(rnnbptt_optim_step(NULL, p, g), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_optim_step(o, NULL, g), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_optim_step(o, p, NULL), RNNBPTT_EINVAL);
    assert_memory_equal(p, q, sizeof p);
    same_next_step(o, p, fresh, q, g, 2);
}

/* create's one allocation failing gives RNNBPTT_ENOMEM with *o untouched, for a kind with state
 * and for plain SGD (whose optimizer still allocates its own struct). */
static void create_out_of_memory(void **state)
{
    (void)state;
    const rnnbptt_optim_kind kinds[] = {RNNBPTT_SGD, RNNBPTT_ADAM};
    for (size_t k = 0; k < 2; k++) {
        rnnbptt_optim_config cfg = rnnbptt_optim_defaults(kinds[k], 0.1);
        rnnbptt_optim *o = MARK;
        long live = rb_fault_get().live;
        rb_fault_arm(0, -1);
        assert_int_equal(rnnbptt_optim_create(&cfg, 16, &o), RNNBPTT_ENOMEM);
        rb_fault_arm(-1, -1);
        assert_ptr_equal(o, MARK);
        assert_int_equal(rb_fault_get().live, live);
        assert_int_equal(rnnbptt_optim_create(&cfg, 16, &o), RNNBPTT_OK);
        assert_int_equal(rb_fault_get().allocs, 1);
        rnnbptt_optim_destroy(o);
        assert_int_equal(rb_fault_get().live, live);
    }
}

/* torch.optim's constructor defaults (momentum 0.9 for the momentum kinds). */
static void defaults_are_torchs(void **state)
{
    (void)state;
    rnnbptt_optim_config c = rnnbptt_optim_defaults(RNNBPTT_SGD, 0.1);
    assert_true(c.kind == RNNBPTT_SGD && c.lr == 0.1 && c.momentum == 0 && c.weight_decay == 0);
    c = rnnbptt_optim_defaults(RNNBPTT_SGD_NESTEROV, 0.2);
    assert_true(c.lr == 0.2 && c.momentum == 0.9 && c.weight_decay == 0);
    c = rnnbptt_optim_defaults(RNNBPTT_SGD_MOMENTUM, 0.2);
    assert_true(c.momentum == 0.9);
    c = rnnbptt_optim_defaults(RNNBPTT_ADAGRAD, 0.01);
    assert_true(c.eps == 1e-10 && c.weight_decay == 0);
    c = rnnbptt_optim_defaults(RNNBPTT_RMSPROP, 0.01);
    assert_true(c.alpha == 0.99 && c.eps == 1e-8 && c.weight_decay == 0);
    c = rnnbptt_optim_defaults(RNNBPTT_ADAM, 1e-3);
    assert_true(c.beta1 == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8 && c.weight_decay == 0);
    c = rnnbptt_optim_defaults(RNNBPTT_ADAMW, 1e-3);
    assert_true(c.kind == RNNBPTT_ADAMW && c.lr == 1e-3 && c.beta1 == 0.9 && c.beta2 == 0.999 &&
                c.eps == 1e-8 && c.weight_decay == 1e-2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kinds_match_torch),
        cmocka_unit_test(sgd_by_hand),
        cmocka_unit_test(adam_by_hand),
        cmocka_unit_test(nonfinite_changes_nothing),
        cmocka_unit_test(create_rejects_bad_arguments),
        cmocka_unit_test(step_rejects_bad_arguments),
        cmocka_unit_test(create_out_of_memory),
        cmocka_unit_test(defaults_are_torchs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
