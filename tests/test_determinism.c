/* test_determinism.c — repeated calls give the same bits. The header names what may change them
 * (the team's size or none, the BLAS's kernel and thread count, the CPU's x86-64 level); with all
 * of those fixed, the same call repeated gives bitwise the same outputs: every cell, B = 1 and
 * B > 1, variable lengths, without a team and on teams of 2 and 3 threads (where the sizes put
 * the call on a team: rnnbptt_team_used, confirmed by the team's counters).
 * Legend: T steps, B batch, I input, H hidden. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "exec/exec.h" /* rb_team_stats_of */
#include "ref.h"
#include "rnnbptt.h"

enum { T = 9, I = 13, REPEATS = 4 };

static const rnnbptt_cell CELLS[] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_LSTM, RNNBPTT_GRU};

/* Forward (hT, cT, reserve) and backward (dparams, dx, dh0, dc0) once on L; all outputs, in one
 * freshly allocated block of *n floats. */
static float *run_once(const rnnbptt_layer *L, int B, const int *lengths, const float *p,
                       const float *x, const float *h0, const float *dh, size_t *n)
{
    const int H = L->hidden_size;
    const size_t np = rnnbptt_param_count(L), nr = rnnbptt_reserve_count(L, T, B);
    const size_t nh = (size_t)T * B * H, nx = (size_t)T * B * I, ns = (size_t)B * H;
    *n = nh + 2 * ns + nr + np + nx + 2 * ns;
    float *out = calloc(*n + 1, sizeof(float));
    assert_non_null(out);
    float *h = out, *hT = h + nh, *cT = hT + ns, *reserve = cT + ns, *dp = reserve + nr;
    float *dx = dp + np, *dh0 = dx + nx, *dc0 = dh0 + ns;
    assert_int_equal(rnnbptt_forward(L, p, T, B, lengths, x, h0, h0, h, hT, cT, nr ? reserve : NULL),
                     RNNBPTT_OK);
    assert_int_equal(rnnbptt_backward(L, p, T, B, lengths, x, h0, h0, h, nr ? reserve : NULL, dh,
                                      hT, cT, dp, dx, dh0, dc0),
                     RNNBPTT_OK);
    return out;
}

/* REPEATS runs of the same call on L (team or none): each bitwise equal to the first, and on the
 * team exactly where rnnbptt_team_used says so. */
static void repeat_case(const rnnbptt_layer *L, int B, int ragged, uint32_t seed)
{
    int *lengths = NULL;
    if (ragged) { /* 1..T in a scattered order, T for every third row */
        lengths = malloc((size_t)B * sizeof *lengths);
        assert_non_null(lengths);
        for (int b = 0; b < B; b++)
            lengths[b] = b % 3 ? 1 + (7 * b) % T : T;
    }
    const int H = L->hidden_size;
    const size_t np = rnnbptt_param_count(L);
    float *p = ref_frand(np, &seed, 1.0f), *x = ref_frand((size_t)T * B * I, &seed, 1.0f);
    float *h0 = ref_frand((size_t)B * H, &seed, 1.0f);
    float *dh = ref_frand((size_t)T * B * H, &seed, 1.0f);
    const unsigned long before = L->team ? rb_team_stats_of(L->team).calls : 0;
    size_t n = 0;
    float *first = run_once(L, B, lengths, p, x, h0, dh, &n);
    for (int r = 1; r < REPEATS; r++) {
        size_t n2 = 0;
        float *again = run_once(L, B, lengths, p, x, h0, dh, &n2);
        assert_int_equal(n2, n);
        assert_memory_equal(again, first, n * sizeof(float));
        free(again);
    }
    if (L->team) {
        const int used = rnnbptt_team_used(L, B);
        assert_int_equal(rb_team_stats_of(L->team).calls - before, used ? 2 * REPEATS : 0);
    }
    free(first), free(p), free(x), free(h0), free(dh), free(lengths);
}

static void repeated_calls_give_the_same_bits(void **state)
{
    (void)state;
    /* H and B: small (no team anywhere), and sizes where teams run on most CPUs, at B = 1 and
     * B > 1 (B = 16: the batch split where the CPU has it) */
    static const struct {
        int H, B;
    } sizes[] = {{17, 1}, {17, 5}, {200, 1}, {176, 16}, {345, 9}, {64, 48}};
    /* none, 2 threads, 3 threads, and 2 threads told 2 MiB of L2 (the B = 1 paths on any CPU) */
    rnnbptt_team *teams[4] = {NULL, NULL, NULL, NULL};
    assert_int_equal(rnnbptt_team_create(2, &teams[1]), RNNBPTT_OK);
    assert_int_equal(rnnbptt_team_create(3, &teams[2]), RNNBPTT_OK);
    assert_int_equal(rnnbptt_team_create(2, &teams[3]), RNNBPTT_OK);
    rb_team_assume_l2(teams[3], (size_t)2 << 20);
    int on_team = 0, cases = 0;
    for (size_t c = 0; c < sizeof CELLS / sizeof CELLS[0]; c++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (int k = 0; k < 4; k++) {
                const rnnbptt_layer L = {CELLS[c], I, sizes[s].H, teams[k]};
                const int B = sizes[s].B;
                repeat_case(&L, B, 0, 1000u + 37u * (uint32_t)(c * 8 + s));
                repeat_case(&L, B, 1, 2000u + 37u * (uint32_t)(c * 8 + s));
                on_team += teams[k] && rnnbptt_team_used(&L, B);
                cases++;
            }
    print_message("%d of %d cases ran on a team\n", on_team, cases);
    for (int k = 1; k < 4; k++)
        rnnbptt_team_destroy(teams[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repeated_calls_give_the_same_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
