/* test_tuning.c — every decision of src/exec/policy.c on both sides of each number in src/exec/tuning.h,
 * from the table's names (so a change of a number moves the test with it, and a decision that
 * stops reading its number fails here). Teams are told their L2 size (rb_team_assume_l2); what
 * needs AVX-512 (the any-slice rule) is checked on both sides where the library runs its AVX-512
 * kernel (rb_gemm_avx512), and to be off elsewhere.
 * n_wh: elements of W_h (G·H·H); B·n_wh: multiply-adds per step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "exec/exec.h"

/* A team of n threads whose rules read l2 bytes of L2. */
static rnnbptt_team *team_with(int n, size_t l2)
{
    rnnbptt_team *tm = NULL;
    assert_int_equal(rnnbptt_team_create(n, &tm), RNNBPTT_OK);
    rb_team_assume_l2(tm, l2);
    return tm;
}

static void own_gemv_range(void **state)
{
    (void)state;
    assert_false(rb_own_gemv(1, RB_OWN_GEMV_MIN - 1));
    assert_true(rb_own_gemv(1, RB_OWN_GEMV_MIN));
    assert_true(rb_own_gemv(1, RB_OWN_GEMV_MAX));
    assert_false(rb_own_gemv(1, RB_OWN_GEMV_MAX + 1));
    assert_false(rb_own_gemv(2, RB_OWN_GEMV_MIN)); /* B = 1 only */
}

static void b1_panels_from_their_steps(void **state)
{
    (void)state;
    assert_false(rb_b1_panels(1, RB_B1_PANEL_STEPS - 1));
    assert_true(rb_b1_panels(1, RB_B1_PANEL_STEPS));
    assert_true(rb_b1_panels(2, 1)); /* B > 1: always */
}

/* B = 1: above RB_TEAM_B1_MIN elements, on large-L2 cores only, slices within 2 L2s (any slice
 * with AVX-512). */
static void team_at_b1(void **state)
{
    (void)state;
    const int avx512 = rb_gemm_avx512();
    const size_t big = RB_BIG_L2;
    rnnbptt_team *tm = team_with(2, big), *small = team_with(2, big - 1), *one = team_with(1, big);
    assert_int_equal(rb_team_useful(tm, 1, RB_TEAM_B1_MIN), 0);
    assert_int_equal(rb_team_useful(tm, 1, RB_TEAM_B1_MIN + 1), RB_HAVE_TILES);
    assert_int_equal(rb_team_useful(small, 1, RB_TEAM_B1_MIN + 1), 0);
    assert_int_equal(rb_team_useful(one, 1, RB_TEAM_B1_MIN + 1), 0);
    /* the slice limit: n_wh·4 bytes <= threads · L2 · NUM / DEN */
    const size_t edge = 2 * big * RB_SLICE_BIG_L2_NUM / RB_SLICE_BIG_L2_DEN / sizeof(float);
    assert_int_equal(rb_team_useful(tm, 1, edge), RB_HAVE_TILES);
    assert_int_equal(rb_team_useful(tm, 1, edge + 1), avx512);
    rnnbptt_team_destroy(tm), rnnbptt_team_destroy(small), rnnbptt_team_destroy(one);
}

/* B > 1, split by steps: from RB_TEAM_STEP_MIN multiply-adds per step, slices within 3/4 of a
 * small L2 or 2 large L2s (any slice with AVX-512 on large-L2 cores). The batch is below the
 * batch split's rows (RB_SPLIT_ROWS_MIN per thread), so only this rule decides. */
static void team_at_b_over_1(void **state)
{
    (void)state;
    const int avx512 = rb_gemm_avx512();
    const size_t small_l2 = RB_BIG_L2 / 2;
    rnnbptt_team *small = team_with(2, small_l2), *big = team_with(2, RB_BIG_L2);
    const int B = RB_SPLIT_ROWS_MIN; /* 2 threads: below the batch split's rows */
    /* the step minimum */
    const size_t at = RB_TEAM_STEP_MIN / B;
    assert_int_equal(RB_TEAM_STEP_MIN % B, 0);
    assert_int_equal(rb_team_useful(small, B, at - 1), 0);
    assert_int_equal(rb_team_useful(small, B, at), RB_HAVE_TILES);
    /* the small-L2 slice limit */
    const size_t s_edge =
        2 * small_l2 * RB_SLICE_SMALL_L2_NUM / RB_SLICE_SMALL_L2_DEN / sizeof(float);
    assert_true((size_t)B * s_edge >= RB_TEAM_STEP_MIN);
    assert_int_equal(rb_team_useful(small, B, s_edge), RB_HAVE_TILES);
    assert_int_equal(rb_team_useful(small, B, s_edge + 1), 0);
    /* the large-L2 slice limit, lifted by the AVX-512 kernel */
    const size_t b_edge = 2 * RB_BIG_L2 * RB_SLICE_BIG_L2_NUM / RB_SLICE_BIG_L2_DEN / sizeof(float);
    assert_int_equal(rb_team_useful(big, B, b_edge), RB_HAVE_TILES);
    assert_int_equal(rb_team_useful(big, B, b_edge + 1), avx512);
    rnnbptt_team_destroy(small), rnnbptt_team_destroy(big);
}

/* The batch split, where the kernel runs its AVX2 or AVX-512 instance (not the portable one),
 * with any L2 size: RB_SPLIT_ROWS_MIN.. rows per thread, at most RB_SPLIT_ROWS_MAX where a step
 * reaches RB_TEAM_STEP_MIN; from RB_SPLIT_STEP_MIN per step; W_h within RB_SPLIT_WH_L2 of the L2
 * (a large one and a small one). Where it fits, the call runs on the team even below
 * RB_TEAM_STEP_MIN. */
static void batch_split(void **state)
{
    (void)state;
    const int on = RB_HAVE_TILES && rb_cpu_level() >= RB_LEVEL_V3; /* where the split exists */
    const int n = 2;
    const size_t small_l2 = RB_BIG_L2 / 2;
    rnnbptt_team *tm = team_with(n, RB_BIG_L2), *small = team_with(n, small_l2);
    const int rows_min = RB_SPLIT_ROWS_MIN * n, rows_max = RB_SPLIT_ROWS_MAX * n;
    const size_t thin = RB_SPLIT_STEP_MIN / rows_min; /* rows_min · thin: the step minimum */
    assert_int_equal(RB_SPLIT_STEP_MIN % rows_min, 0);
    assert_true((size_t)rows_max * thin < RB_TEAM_STEP_MIN);
    /* rows per thread, from below */
    assert_int_equal(rb_split_fits(tm, rows_min - 1, 2 * thin), 0);
    assert_int_equal(rb_split_fits(tm, rows_min, thin), on);
    assert_int_equal(rb_team_useful(tm, rows_min, thin), on); /* below RB_TEAM_STEP_MIN */
    /* the step minimum */
    assert_int_equal(rb_split_fits(tm, rows_min, thin - 1), 0);
    assert_int_equal(rb_team_useful(tm, rows_min, thin - 1), 0);
    /* rows per thread, from above: only where a step reaches RB_TEAM_STEP_MIN */
    const size_t wide = RB_TEAM_STEP_MIN / rows_max; /* rows_max · wide: the step split's minimum */
    assert_int_equal(rb_split_fits(tm, rows_max, wide), on);
    assert_int_equal(rb_split_fits(tm, rows_max + 1, wide), 0);
    assert_int_equal(rb_split_fits(tm, rows_max + 1, thin), on); /* a step below it */
    /* W_h within NUM/DEN of the L2 */
    const size_t wh_edge = RB_BIG_L2 * RB_SPLIT_WH_L2_NUM / RB_SPLIT_WH_L2_DEN / sizeof(float);
    assert_int_equal(rb_split_fits(tm, rows_min, wh_edge), on);
    assert_int_equal(rb_split_fits(tm, rows_min, wh_edge + 1), 0);
    /* a small L2: the same rules, its W_h limit NUM/DEN of that L2 */
    const size_t s_edge = small_l2 * RB_SPLIT_WH_L2_NUM / RB_SPLIT_WH_L2_DEN / sizeof(float);
    assert_int_equal(rb_split_fits(small, rows_min, thin), on);
    assert_int_equal(rb_team_useful(small, rows_min, thin), on);
    assert_int_equal(rb_split_fits(small, rows_min, s_edge), on);
    assert_int_equal(rb_split_fits(small, rows_min, s_edge + 1), 0);
    rnnbptt_team_destroy(tm), rnnbptt_team_destroy(small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_gemv_range),
        cmocka_unit_test(b1_panels_from_their_steps),
        cmocka_unit_test(team_at_b1),
        cmocka_unit_test(team_at_b_over_1),
        cmocka_unit_test(batch_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
