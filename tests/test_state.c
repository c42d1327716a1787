/* test_state.c — rnnbptt_state_get / rnnbptt_state_set: what get copies out is exactly the state
 * a step carries (a predict from a fresh state set to it continues bit for bit as the original),
 * set with c NULL zeroes c, and EINVAL writes nothing. Also the model's edges test_model leaves:
 * a configuration whose parameter count overflows, too many threads, and last-step labels out of
 * range, each EINVAL with nothing written.
 * Legend: L layers, B batch, I input, H hidden, O outputs, T steps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "ref.h"
#include "rnnbptt.h"

enum { L = 2, B = 3, I = 4, H = 5, O = 2, T = 6 };

static int mark_edges; /* an address no model has */

/* predict of T steps from state s, into y (T,B,O) */
static void run(rnnbptt_model *m, rnnbptt_state *s, const float *x, float *y)
{
    const rnnbptt_batch bt = {T, B, NULL, x, NULL, NULL, NULL};
    assert_int_equal(rnnbptt_model_predict(m, &bt, s, y), RNNBPTT_OK);
}

static void get_set_round_trip(void **state)
{
    (void)state;
    const rnnbptt_cell cells[] = {RNNBPTT_RNN_TANH, RNNBPTT_LSTM, RNNBPTT_GRU};
    for (int k = 0; k < 3; k++) {
        ref_rng rng;
        ref_rng_seed(&rng, 5 + (uint64_t)k);
        const rnnbptt_model_config cfg = {cells[k], I, H, L, 0, O, RNNBPTT_LOSS_MSE,
                                          RNNBPTT_LOSS_EVERY_STEP, 0};
        rnnbptt_model *m;
        rnnbptt_state *a, *b;
        assert_int_equal(rnnbptt_model_create(&cfg, &m), RNNBPTT_OK);
        ref_fill_uniform(&rng, rnnbptt_model_params(m), rnnbptt_model_param_count(m), 0.5);
        assert_int_equal(rnnbptt_state_create(m, B, &a), RNNBPTT_OK);
        assert_int_equal(rnnbptt_state_create(m, B, &b), RNNBPTT_OK);
        float x[T * B * I], y1[T * B * O], y2[T * B * O], h[L * B * H], c[L * B * H];
        ref_fill_uniform(&rng, x, sizeof x / sizeof *x, 1.0);
        run(m, a, x, y1); /* a now carries a non-zero state */
        for (size_t j = 0; j < sizeof c / sizeof *c; j++)
            c[j] = -3.0f; /* sentinel: not written for the cells without c */
        assert_int_equal(rnnbptt_state_get(a, h, c), RNNBPTT_OK);
        assert_true(h[0] != 0.0f);
        assert_true(cells[k] == RNNBPTT_LSTM ? c[0] != -3.0f : c[0] == -3.0f);
        assert_int_equal(rnnbptt_state_set(b, h, cells[k] == RNNBPTT_LSTM ? c : NULL),
                         RNNBPTT_OK);
        run(m, a, x, y1);
        run(m, b, x, y2);
        assert_memory_equal(y1, y2, sizeof y1); /* b continues exactly as a */

        /* c NULL zeroes c: equals a state whose c was set to zeros explicitly */
        float z[L * B * H] = {0};
        assert_int_equal(rnnbptt_state_set(a, h, NULL), RNNBPTT_OK);
        assert_int_equal(rnnbptt_state_set(b, h, z), RNNBPTT_OK);
        run(m, a, x, y1);
        run(m, b, x, y2);
        assert_memory_equal(y1, y2, sizeof y1);

        /* EINVAL writes nothing */
        float h2[L * B * H];
        memcpy(h2, h, sizeof h);
        assert_int_equal(rnnbptt_state_get(NULL, h2, NULL), RNNBPTT_EINVAL);
        assert_int_equal(rnnbptt_state_get(a, NULL, c), RNNBPTT_EINVAL);
        assert_memory_equal(h, h2, sizeof h);
        assert_int_equal(rnnbptt_state_set(NULL, h, NULL), RNNBPTT_EINVAL);
        assert_int_equal(rnnbptt_state_get(a, h2, NULL), RNNBPTT_OK);
        assert_int_equal(rnnbptt_state_set(a, NULL, c), RNNBPTT_EINVAL);
        assert_int_equal(rnnbptt_state_get(a, h, NULL), RNNBPTT_OK);
        assert_memory_equal(h, h2, sizeof h); /* the failed set changed nothing */
        rnnbptt_state_destroy(a);
        rnnbptt_state_destroy(b);
        rnnbptt_model_destroy(m);
    }
}

static void model_edges(void **state)
{
    (void)state;
    rnnbptt_model *const mark = (rnnbptt_model *)(void *)&mark_edges, *m = mark;
    /* every width fits in int, but L layers of them do not fit in memory's size_t */
    rnnbptt_model_config c = {RNNBPTT_LSTM, INT_MAX, INT_MAX / 8, INT_MAX, 0, 1,
                              RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP, 0};
    assert_int_equal(rnnbptt_model_create(&c, &m), RNNBPTT_EINVAL);
    c = (rnnbptt_model_config){RNNBPTT_GRU, 3, 4, 1, 0, 2, RNNBPTT_LOSS_SOFTMAX_XENT,
                               RNNBPTT_LOSS_LAST_STEP, RNNBPTT_TEAM_MAX_THREADS + 1};
    assert_int_equal(rnnbptt_model_create(&c, &m), RNNBPTT_EINVAL);
    assert_true(m == mark);

    c.threads = 0;
    assert_int_equal(rnnbptt_model_create(&c, &m), RNNBPTT_OK);
    const size_t n = rnnbptt_model_param_count(m);
    ref_rng rng;
    ref_rng_seed(&rng, 9);
    ref_fill_uniform(&rng, rnnbptt_model_params(m), n, 0.5);
    float x[4 * 2 * 3], g0[128];
    ref_fill_uniform(&rng, x, sizeof x / sizeof *x, 1.0);
    const int bad[][2] = {{0, 2}, {-2, 1}, {1, 99}}, good[2] = {-1, 1};
    double loss = -7.0;
    assert_true(n <= sizeof g0 / sizeof *g0);
    memcpy(g0, rnnbptt_model_grads(m), n * sizeof(float));
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) { /* labels (B), each in -1..O-1 */
        const rnnbptt_batch bt = {4, 2, NULL, x, NULL, NULL, bad[k]};
        assert_int_equal(rnnbptt_model_train_step(m, &bt, NULL, &loss), RNNBPTT_EINVAL);
        assert_true(loss == -7.0);
        assert_memory_equal(g0, rnnbptt_model_grads(m), n * sizeof(float));
    }
    const rnnbptt_batch bt = {4, 2, NULL, x, NULL, NULL, good};
    assert_int_equal(rnnbptt_model_train_step(m, &bt, NULL, &loss), RNNBPTT_OK);
    assert_true(loss > 0.0);
    rnnbptt_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(get_set_round_trip),
                                       cmocka_unit_test(model_edges)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
