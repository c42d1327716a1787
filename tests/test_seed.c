/* test_seed.c — the seed document's worked example (../shared/seeds/README.md), through the public
 * API only: a 1-unit tanh RNN without biases, inputs 1,2,3, targets 0.5,1.0,1.5, W_xh = 0.5,
 * W_hh = 0.1, W_hy = 1.0, h0 = 0, L = ½ Σ (y − target)², one SGD step with learning rate 0.1.
 *
 * Tolerance: the chain is ~30 float operations on values of order 1, each rounding by at most
 * FLT_EPSILON/2 ≈ 6e-8, so the float result is within ~2e-6 of the exact value; we check 5e-6
 * against the seed's 7-place values and, for the printed 5- and 6-place figures, half a unit of
 * their last place (5e-6 and 5e-7 plus that float error). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "rnnbptt.h"

static void expect_near(double got, double want, double tol, const char *what)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("%s: got %.9f, want %.9f (tol %.1e)\n", what, got, want, tol);
        fail();
    }
}

static void seed_worked_example(void **state)
{
    (void)state;
    const rnnbptt_layer L = {RNNBPTT_RNN_TANH, 1, 1, NULL};
    assert_int_equal(rnnbptt_param_count(&L), 3);
    float params[3] = {0.5f, 0.1f, 0.0f}; /* W_xh | W_hh | b_h (the seed has no bias) */
    float W_hy = 1.0f;
    const float x[3] = {1.0f, 2.0f, 3.0f}, target[3] = {0.5f, 1.0f, 1.5f};
    float h[3], y[3], dy[3], dh[3], loss = -1.0f;

    /* forward: T = 3, B = 1, h0 = 0; output layer y_t = W_hy h_t; loss */
    assert_int_equal(rnnbptt_forward(&L, params, 3, 1, NULL, x, NULL, NULL, h, NULL, NULL, NULL),
                     RNNBPTT_OK);
    expect_near(h[0], 0.4621, 5e-5, "h_1");
    expect_near(h[1], 0.7803, 5e-5, "h_2");
    expect_near(h[2], 0.9183, 5e-5, "h_3");
    assert_int_equal(rnnbptt_dense_forward(3, 1, 1, &W_hy, NULL, h, y), RNNBPTT_OK);
    assert_int_equal(rnnbptt_mse_loss(3, 1, y, target, &loss, dy), RNNBPTT_OK);
    expect_near(loss, 0.194036, 5e-7 + 2e-6, "loss");

    /* backward: output layer, then BPTT */
    float dparams[3] = {0}, dW_hy = 0.0f;
    assert_int_equal(rnnbptt_dense_backward(3, 1, 1, &W_hy, h, dy, &dW_hy, NULL, dh), RNNBPTT_OK);
    float dh0 = NAN;
    assert_int_equal(rnnbptt_backward(&L, params, 3, 1, NULL, x, NULL, NULL, h, NULL, dh, NULL, NULL,
                                      dparams, NULL, &dh0, NULL),
                     RNNBPTT_OK);
    expect_near(dparams[0], -0.4893041, 5e-6, "dW_xh");
    expect_near(dparams[1], -0.1124942, 5e-6, "dW_hh");
    expect_near(dW_hy, -0.7230989, 5e-6, "dW_hy");
    expect_near(dparams[0], -0.48930, 5e-6 + 2e-6, "dW_xh (seed's 5 places)");
    expect_near(dparams[1], -0.11249, 5e-6 + 2e-6, "dW_hh (seed's 5 places)");
    expect_near(dW_hy, -0.72310, 5e-6 + 2e-6, "dW_hy (seed's 5 places)");
    assert_false(isnan(dh0)); /* written although h0 was NULL */

    /* one SGD step, learning rate 0.1 */
    params[0] -= 0.1f * dparams[0];
    params[1] -= 0.1f * dparams[1];
    W_hy -= 0.1f * dW_hy;
    expect_near(params[0], 0.54893, 5e-6 + 2e-6, "W_xh after the step");
    expect_near(params[1], 0.11125, 5e-6 + 2e-6, "W_hh after the step");
    expect_near(W_hy, 1.07231, 5e-6 + 2e-6, "W_hy after the step");
}

/* The same example as a batch of two identical sequences with the output layer on all T·B rows:
 * every gradient doubles, which checks the batched (sgemm) path against the seed too. */
static void seed_batched_twice(void **state)
{
    (void)state;
    const rnnbptt_layer L = {RNNBPTT_RNN_TANH, 1, 1, NULL};
    const float params[3] = {0.5f, 0.1f, 0.0f}, W_hy = 1.0f;
    const float x[6] = {1, 1, 2, 2, 3, 3}, target[6] = {0.5f, 0.5f, 1.0f, 1.0f, 1.5f, 1.5f};
    float h[6], y[6], dy[6], dh[6], loss, dparams[3] = {0}, dW_hy = 0.0f;
    assert_int_equal(rnnbptt_forward(&L, params, 3, 2, NULL, x, NULL, NULL, h, NULL, NULL, NULL),
                     RNNBPTT_OK);
    assert_int_equal(rnnbptt_dense_forward(6, 1, 1, &W_hy, NULL, h, y), RNNBPTT_OK);
    assert_int_equal(rnnbptt_mse_loss(6, 1, y, target, &loss, dy), RNNBPTT_OK);
    assert_int_equal(rnnbptt_dense_backward(6, 1, 1, &W_hy, h, dy, &dW_hy, NULL, dh), RNNBPTT_OK);
    assert_int_equal(rnnbptt_backward(&L, params, 3, 2, NULL, x, NULL, NULL, h, NULL, dh, NULL, NULL,
                                      dparams, NULL, NULL, NULL),
                     RNNBPTT_OK);
    expect_near(loss, 2 * 0.194036, 2 * (5e-7 + 2e-6), "loss");
    expect_near(dparams[0], 2 * -0.4893041, 1e-5, "dW_xh");
    expect_near(dparams[1], 2 * -0.1124942, 1e-5, "dW_hh");
    expect_near(dW_hy, 2 * -0.7230989, 1e-5, "dW_hy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seed_worked_example),
        cmocka_unit_test(seed_batched_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
