/* test_invalid.c — every invalid-argument path of every public function returns RNNBPTT_EINVAL and
 * leaves every output byte-identical; ignored LSTM-only pointers are never touched by the other
 * cells; every status has its own message. Allocation failure (RNNBPTT_ENOMEM): test_alloc.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "exec/exec.h" /* rb_team_stats_of */
#include "rnnbptt.h"

enum { T = 3, B = 2, I = 3, H = 4, CAP = 4096 };

/* Every buffer a call may read or write, each CAP floats, outputs filled with a byte pattern. */
typedef struct {
    float params[CAP], x[CAP], h0[CAP], c0[CAP], h[CAP], hT[CAP], cT[CAP], reserve[CAP];
    float dh[CAP], dhT[CAP], dcT[CAP], dparams[CAP], dx[CAP], dh0[CAP], dc0[CAP], work[CAP];
    float W[CAP], b[CAP], y[CAP], dy[CAP], dW[CAP], db[CAP], loss[1];
    int lengths[B], labels[CAP];
} bufs;

static bufs S, SNAP;

static void fill(float *p, size_t n, unsigned seed)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (float)((seed * 2654435761u + k * 40503u) % 1000u) / 1000.0f - 0.5f;
}

static void reset(void)
{
    memset(&S, 0xA5, sizeof S); /* outputs: a pattern no function would write */
    fill(S.params, CAP, 1);
    fill(S.x, CAP, 2);
    fill(S.h0, CAP, 3);
    fill(S.c0, CAP, 4);
    fill(S.dh, CAP, 5);
    fill(S.dhT, CAP, 6);
    fill(S.dcT, CAP, 7);
    fill(S.W, CAP, 8);
    fill(S.b, CAP, 9);
    fill(S.dy, CAP, 10);
    S.lengths[0] = 2;
    S.lengths[1] = 3;
    for (int k = 0; k < CAP; k++)
        S.labels[k] = k % 3;
    memcpy(&SNAP, &S, sizeof S);
}

#define EXPECT_EINVAL_UNTOUCHED(call)                                      \
    do {                                                                   \
        reset();                                                           \
        assert_int_equal((call), RNNBPTT_EINVAL);                          \
        assert_memory_equal(&S, &SNAP, sizeof S);                          \
    } while (0)

static const rnnbptt_cell CELLS[] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_LSTM, RNNBPTT_GRU};

static rnnbptt_status fwd(const rnnbptt_layer *L, int t, int b, const int *len, int null_mask)
{
    return rnnbptt_forward(L, null_mask & 1 ? NULL : S.params, t, b, len, null_mask & 2 ? NULL : S.x,
                           S.h0, S.c0, null_mask & 4 ? NULL : S.h, S.hT, S.cT, S.reserve);
}

static rnnbptt_status bwd(const rnnbptt_layer *L, int t, int b, const int *len, int null_mask,
                          int work)
{
    const float *params = null_mask & 1 ? NULL : S.params, *x = null_mask & 2 ? NULL : S.x;
    const float *h = null_mask & 4 ? NULL : S.h, *reserve = null_mask & 8 ? NULL : S.reserve;
    float *dparams = null_mask & 16 ? NULL : S.dparams;
    if (work)
        return rnnbptt_backward_work(L, params, t, b, len, x, S.h0, S.c0, h, reserve, S.dh, S.dhT,
                                     S.dcT, dparams, S.dx, S.dh0, S.dc0,
                                     null_mask & 32 ? NULL : S.work);
    return rnnbptt_backward(L, params, t, b, len, x, S.h0, S.c0, h, reserve, S.dh, S.dhT, S.dcT,
                            dparams, S.dx, S.dh0, S.dc0);
}

static void layer_calls_reject_bad_arguments(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof CELLS / sizeof CELLS[0]; c++) {
        const rnnbptt_layer L = {CELLS[c], I, H, NULL};
        const rnnbptt_layer bad[] = {
            {CELLS[c], 0, H, NULL},         {CELLS[c], -1, H, NULL},
            {CELLS[c], I, 0, NULL},         {CELLS[c], I, -5, NULL},
            {(rnnbptt_cell)99, I, H, NULL}, {CELLS[c], I, INT_MAX, NULL},
            {CELLS[c], INT_MAX, INT_MAX / 2, NULL}};
        const int bad_len[][B] = {{0, 3}, {2, 4}, {-1, 1}, {INT_MIN, 2}};
        for (int work = 0; work < 2; work++) {
            EXPECT_EINVAL_UNTOUCHED(fwd(NULL, T, B, NULL, 0));
            EXPECT_EINVAL_UNTOUCHED(bwd(NULL, T, B, NULL, 0, work));
            for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
                EXPECT_EINVAL_UNTOUCHED(fwd(&bad[k], T, B, NULL, 0));
                EXPECT_EINVAL_UNTOUCHED(bwd(&bad[k], T, B, NULL, 0, work));
            }
            const int sizes[][2] = {{0, B}, {T, 0}, {-1, B}, {T, -3}, {INT_MAX, 2}, {2, INT_MAX},
                                    {65536, 65536}};
            for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
                EXPECT_EINVAL_UNTOUCHED(fwd(&L, sizes[k][0], sizes[k][1], NULL, 0));
                EXPECT_EINVAL_UNTOUCHED(bwd(&L, sizes[k][0], sizes[k][1], NULL, 0, work));
            }
            for (size_t k = 0; k < sizeof bad_len / sizeof bad_len[0]; k++) {
                EXPECT_EINVAL_UNTOUCHED(fwd(&L, T, B, bad_len[k], 0));
                EXPECT_EINVAL_UNTOUCHED(bwd(&L, T, B, bad_len[k], 0, work));
            }
            for (int m = 1; m <= 4; m <<= 1) /* params, x, h */
                EXPECT_EINVAL_UNTOUCHED(fwd(&L, T, B, NULL, m));
            for (int m = 1; m <= 16; m <<= 1) { /* params, x, h, reserve, dparams */
                if (m == 8 && (CELLS[c] == RNNBPTT_RNN_TANH || CELLS[c] == RNNBPTT_RNN_RELU))
                    continue; /* the vanilla cells need no reserve: checked OK below */
                EXPECT_EINVAL_UNTOUCHED(bwd(&L, T, B, NULL, m, work));
            }
            if (work)
                EXPECT_EINVAL_UNTOUCHED(bwd(&L, T, B, NULL, 32, 1));
        }
        /* sanity: the same calls with good arguments succeed, so the rejections above are real */
        reset();
        assert_int_equal(fwd(&L, T, B, S.lengths, 0), RNNBPTT_OK);
        assert_int_equal(bwd(&L, T, B, S.lengths, 0, 0), RNNBPTT_OK);
        assert_int_equal(bwd(&L, T, B, S.lengths, 0, 1), RNNBPTT_OK);
        if (CELLS[c] == RNNBPTT_RNN_TANH || CELLS[c] == RNNBPTT_RNN_RELU)
            assert_int_equal(bwd(&L, T, B, S.lengths, 8, 0), RNNBPTT_OK);
    }
}

static void counts_are_zero_for_bad_arguments(void **state)
{
    (void)state;
    const rnnbptt_layer bad[] = {{RNNBPTT_LSTM, 0, 4, NULL},
                                 {RNNBPTT_GRU, 3, 0, NULL},
                                 {(rnnbptt_cell)-1, 3, 4, NULL},
                                 {RNNBPTT_LSTM, 3, INT_MAX / 2, NULL}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        assert_int_equal(rnnbptt_param_count(&bad[k]), 0);
        assert_int_equal(rnnbptt_reserve_count(&bad[k], T, B), 0);
        assert_int_equal(rnnbptt_workspace_count(&bad[k], T, B), 0);
    }
    assert_int_equal(rnnbptt_param_count(NULL), 0);
    const rnnbptt_layer L = {RNNBPTT_GRU, I, H, NULL};
    assert_int_equal(rnnbptt_workspace_count(&L, 0, B), 0);
    assert_int_equal(rnnbptt_workspace_count(&L, T, INT_MAX), 0);
    /* the documented formulas */
    const rnnbptt_layer tanh_l = {RNNBPTT_RNN_TANH, I, H, NULL}, lstm = {RNNBPTT_LSTM, I, H, NULL};
    assert_int_equal(rnnbptt_param_count(&tanh_l), H * I + H * H + H);
    assert_int_equal(rnnbptt_param_count(&lstm), 4 * H * I + 4 * H * H + 4 * H);
    assert_int_equal(rnnbptt_param_count(&L), 3 * H * I + 3 * H * H + 6 * H);
    assert_int_equal(rnnbptt_reserve_count(&tanh_l, T, B), 0);
    assert_int_equal(rnnbptt_reserve_count(&lstm, T, B), 5 * T * B * H);
    assert_int_equal(rnnbptt_reserve_count(&L, T, B), 4 * T * B * H + 3 * B * H);
    assert_int_equal(rnnbptt_workspace_count(&tanh_l, T, B), T * B * H);
    assert_int_equal(rnnbptt_workspace_count(&lstm, T, B), 4 * T * B * H + 2 * B * H);
    assert_int_equal(rnnbptt_workspace_count(&L, T, B), 6 * T * B * H + B * H);
}

static void dense_and_losses_reject_bad_arguments(void **state)
{
    (void)state;
    const int N = 5, in = 3, out = 4;
    const int bad_sizes[][3] = {{0, in, out}, {N, 0, out}, {N, in, 0}, {-1, in, out},
                                {INT_MAX, 2, out}, {N, INT_MAX, 2}, {2, 3, INT_MAX}};
    for (size_t k = 0; k < sizeof bad_sizes / sizeof bad_sizes[0]; k++) {
        const int *s = bad_sizes[k];
        EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_forward(s[0], s[1], s[2], S.W, S.b, S.x, S.y));
        EXPECT_EINVAL_UNTOUCHED(
            rnnbptt_dense_backward(s[0], s[1], s[2], S.W, S.x, S.dy, S.dW, S.db, S.dx));
    }
    const int bad_loss[][2] = {{0, out}, {N, 0}, {-1, out}, {N, -2}, {INT_MAX, 2}, {65536, 65536}};
    for (size_t k = 0; k < sizeof bad_loss / sizeof bad_loss[0]; k++) {
        const int *s = bad_loss[k];
        EXPECT_EINVAL_UNTOUCHED(rnnbptt_mse_loss(s[0], s[1], S.y, S.dy, S.loss, S.dx));
        EXPECT_EINVAL_UNTOUCHED(rnnbptt_softmax_xent_loss(s[0], s[1], S.dy, S.labels, S.loss, S.dx));
    }
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_forward(N, in, out, NULL, S.b, S.x, S.y));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_forward(N, in, out, S.W, S.b, NULL, S.y));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_forward(N, in, out, S.W, S.b, S.x, NULL));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_backward(N, in, out, NULL, S.x, S.dy, S.dW, S.db, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_backward(N, in, out, S.W, NULL, S.dy, S.dW, S.db, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_backward(N, in, out, S.W, S.x, NULL, S.dW, S.db, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_dense_backward(N, in, out, S.W, S.x, S.dy, NULL, S.db, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_mse_loss(N, out, NULL, S.dy, S.loss, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_mse_loss(N, out, S.y, NULL, S.loss, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_mse_loss(N, out, S.y, S.dy, NULL, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_softmax_xent_loss(N, out, NULL, S.labels, S.loss, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_softmax_xent_loss(N, out, S.dy, NULL, S.loss, S.dx));
    EXPECT_EINVAL_UNTOUCHED(rnnbptt_softmax_xent_loss(N, out, S.dy, S.labels, NULL, S.dx));
    /* a label >= C on the LAST row: nothing may have been written for the rows before it */
    reset();
    S.labels[N - 1] = out;
    memcpy(&SNAP, &S, sizeof S);
    assert_int_equal(rnnbptt_softmax_xent_loss(N, out, S.dy, S.labels, S.loss, S.dx), RNNBPTT_EINVAL);
    assert_memory_equal(&S, &SNAP, sizeof S);
    /* the good calls succeed */
    reset();
    assert_int_equal(rnnbptt_dense_forward(N, in, out, S.W, S.b, S.x, S.y), RNNBPTT_OK);
    assert_int_equal(rnnbptt_dense_backward(N, in, out, S.W, S.x, S.dy, S.dW, S.db, S.dx), RNNBPTT_OK);
    assert_int_equal(rnnbptt_mse_loss(N, out, S.y, S.dy, S.loss, S.dx), RNNBPTT_OK);
    assert_int_equal(rnnbptt_softmax_xent_loss(N, out, S.dy, S.labels, S.loss, S.dx), RNNBPTT_OK);
}

/* c0, cT, dcT and dc0 belong to LSTM: the other cells never read or write them. */
static void lstm_only_pointers_are_ignored(void **state)
{
    (void)state;
    const rnnbptt_cell others[] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_GRU};
    for (size_t c = 0; c < 3; c++) {
        const rnnbptt_layer L = {others[c], I, H, NULL};
        reset();
        for (int k = 0; k < CAP; k++)
            S.c0[k] = S.dcT[k] = NAN;
        float cT_before[CAP], dc0_before[CAP];
        memcpy(cT_before, S.cT, sizeof cT_before);
        memcpy(dc0_before, S.dc0, sizeof dc0_before);
        memset(S.dparams, 0, sizeof S.dparams);
        assert_int_equal(fwd(&L, T, B, S.lengths, 0), RNNBPTT_OK);
        assert_int_equal(bwd(&L, T, B, S.lengths, 0, 0), RNNBPTT_OK);
        assert_memory_equal(S.cT, cT_before, sizeof cT_before);
        assert_memory_equal(S.dc0, dc0_before, sizeof dc0_before);
        for (int k = 0; k < T * B * H; k++)
            assert_false(isnan(S.h[k]));
        for (size_t k = 0; k < rnnbptt_param_count(&L); k++)
            assert_false(isnan(S.dparams[k]));
    }
}

/* rnnbptt_team_create checks its arguments before it creates anything; a layer whose team is
 * not a live team (here: zeroed memory, so not the team's magic) is invalid like a bad size. */
static void teams_reject_bad_arguments(void **state)
{
    (void)state;
    rnnbptt_team *team = (rnnbptt_team *)&S; /* must stay as it is on every error */
    assert_int_equal(rnnbptt_team_create(2, NULL), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_team_create(0, &team), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_team_create(-3, &team), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_team_create(RNNBPTT_TEAM_MAX_THREADS + 1, &team), RNNBPTT_EINVAL);
    assert_ptr_equal(team, (rnnbptt_team *)&S);
    rnnbptt_team_destroy(NULL); /* a no-op */

    static _Alignas(max_align_t) unsigned char not_a_team[512];
    for (size_t c = 0; c < sizeof CELLS / sizeof CELLS[0]; c++) {
        const rnnbptt_layer L = {CELLS[c], I, H, (rnnbptt_team *)not_a_team};
        assert_int_equal(rnnbptt_param_count(&L), 0);
        assert_int_equal(rnnbptt_reserve_count(&L, T, B), 0);
        assert_int_equal(rnnbptt_workspace_count(&L, T, B), 0);
        for (int work = 0; work < 2; work++) {
            EXPECT_EINVAL_UNTOUCHED(fwd(&L, T, B, NULL, 0));
            EXPECT_EINVAL_UNTOUCHED(bwd(&L, T, B, NULL, 0, work));
        }
    }

    /* a live team of 1 thread is valid and changes nothing: the plain path */
    assert_int_equal(rnnbptt_team_create(1, &team), RNNBPTT_OK);
    const rnnbptt_layer L = {RNNBPTT_LSTM, I, H, team};
    assert_int_equal(fwd(&L, T, B, NULL, 0), RNNBPTT_OK);
    const rnnbptt_layer big = {RNNBPTT_LSTM, I, 256, team}, no_team = {RNNBPTT_LSTM, I, 256, NULL};
    assert_int_equal(rnnbptt_team_used(&big, 32), 0); /* 1 thread: never */
    rnnbptt_team_destroy(team);
    assert_int_equal(rnnbptt_team_create(2, &team), RNNBPTT_OK);
    /* 4·176² floats: 242 KiB per thread, on a team on cores with 512 KiB of L2 or more (the
     * header's rule, which test_ref checks): whichever it says, a call takes that path */
    const rnnbptt_layer big2 = {RNNBPTT_LSTM, I, 176, team}, bad_b = {RNNBPTT_LSTM, 0, 176, team};
    const int used = rnnbptt_team_used(&big2, 32);
    assert_true(used == 0 || used == 1);
    {
        const int B2 = 32;
        const size_t n = rnnbptt_reserve_count(&big2, 1, B2);
        float *p = calloc(rnnbptt_param_count(&big2), sizeof(float));
        float *x = calloc((size_t)B2 * I, sizeof(float)), *h = calloc((size_t)B2 * 176, sizeof(float));
        float *r = calloc(n, sizeof(float));
        assert_true(p && x && h && r);
        const unsigned long before = rb_team_stats_of(team).calls;
        assert_int_equal(rnnbptt_forward(&big2, p, 1, B2, NULL, x, NULL, NULL, h, NULL, NULL, r),
                         RNNBPTT_OK);
        assert_int_equal(rb_team_stats_of(team).calls - before, (unsigned long)used);
        free(p), free(x), free(h), free(r);
    }
    assert_int_equal(rnnbptt_team_used(&big2, 0), 0);
    assert_int_equal(rnnbptt_team_used(&bad_b, 32), 0);
    assert_int_equal(rnnbptt_team_used(&no_team, 32), 0);
    assert_int_equal(rnnbptt_team_used(NULL, 32), 0);
    rnnbptt_team_destroy(team);
}

static void every_status_has_its_own_message(void **state)
{
    (void)state;
    const rnnbptt_status all[] = {RNNBPTT_OK,  RNNBPTT_EINVAL,  RNNBPTT_ENOMEM, RNNBPTT_ENONFINITE,
                                  RNNBPTT_EIO, RNNBPTT_EFORMAT, RNNBPTT_ETHREAD,
                                  RNNBPTT_ECONVERGE};
    const size_t n = sizeof all / sizeof all[0];
    assert_int_equal(RNNBPTT_OK, 0);
    for (size_t a = 0; a < n; a++) {
        const char *m = rnnbptt_strerror(all[a]);
        assert_non_null(m);
        assert_true(strlen(m) > 5);
        assert_string_not_equal(m, "unknown status");
        for (size_t b = a + 1; b < n; b++)
            assert_string_not_equal(m, rnnbptt_strerror(all[b]));
    }
    assert_string_equal(rnnbptt_strerror((rnnbptt_status)12345), "unknown status");
    char v[32]; /* the library linked is the header's version */
    snprintf(v, sizeof v, "%d.%d.%d", RNNBPTT_VERSION_MAJOR, RNNBPTT_VERSION_MINOR,
             RNNBPTT_VERSION_PATCH);
    assert_string_equal(rnnbptt_version_string(), v);
    assert_int_equal(RNNBPTT_VERSION_NUMBER,
                     RNNBPTT_VERSION_MAJOR * 10000 + RNNBPTT_VERSION_MINOR * 100 +
                         RNNBPTT_VERSION_PATCH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layer_calls_reject_bad_arguments),
        cmocka_unit_test(counts_are_zero_for_bad_arguments),
        cmocka_unit_test(dense_and_losses_reject_bad_arguments),
        cmocka_unit_test(lstm_only_pointers_are_ignored),
        cmocka_unit_test(teams_reject_bad_arguments),
        cmocka_unit_test(every_status_has_its_own_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
