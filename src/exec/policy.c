/* policy.c — the decisions that pick a path, each reading tuning.h's table and what the CPU
 * and the team are (rb_cpu_level, rb_team_l2, rb_team_threads). Nothing else in the library
 * compares a size with a threshold; tests/test_tuning.c checks each one on both sides of its
 * numbers. */
#include "exec/exec.h"

/* n_bytes <= num/den of l2 */
static int within(size_t n_bytes, size_t l2, size_t num, size_t den)
{
    return n_bytes * den <= l2 * num;
}

int rb_own_gemv(int B, size_t n) { return B == 1 && n >= RB_OWN_GEMV_MIN && n <= RB_OWN_GEMV_MAX; }

int rb_b1_panels(int B, int T) { return B > 1 || T >= RB_B1_PANEL_STEPS; }

int rb_split_fits(const rnnbptt_team *team, int B, size_t n_wh)
{
    const size_t l2 = rb_team_l2(team), n = (size_t)rb_team_threads(team), macs = (size_t)B * n_wh;
    if (!RB_HAVE_TILES || n < 2 || rb_cpu_level() < RB_LEVEL_V3) /* the portable instance loses */
        return 0;
    const int rows_ok = (size_t)B >= RB_SPLIT_ROWS_MIN * n &&
                        ((size_t)B <= RB_SPLIT_ROWS_MAX * n || macs < RB_TEAM_STEP_MIN);
    return rows_ok && macs >= RB_SPLIT_STEP_MIN &&
           within(n_wh * sizeof(float), l2, RB_SPLIT_WH_L2_NUM, RB_SPLIT_WH_L2_DEN);
}

int rb_team_useful(const rnnbptt_team *team, int B, size_t n_wh)
{
    const size_t n = (size_t)rb_team_threads(team), l2 = rb_team_l2(team);
    if (!RB_HAVE_TILES || n < 2) /* a call on a team runs every product on its kernel */
        return 0;
    const int big_l2 = l2 >= RB_BIG_L2;
    const int any_slice = big_l2 && rb_gemm_avx512();
    const int slice_ok = any_slice ||
                         (big_l2 ? within(n_wh * sizeof(float), n * l2, RB_SLICE_BIG_L2_NUM,
                                          RB_SLICE_BIG_L2_DEN)
                                 : within(n_wh * sizeof(float), n * l2, RB_SLICE_SMALL_L2_NUM,
                                          RB_SLICE_SMALL_L2_DEN));
    if (B == 1)
        return big_l2 && n_wh > RB_TEAM_B1_MIN && slice_ok;
    if (rb_split_fits(team, B, n_wh))
        return 1;
    return (size_t)B * n_wh >= RB_TEAM_STEP_MIN && slice_ok;
}
