/* colsum.c — column sums of a row-major matrix, added into a float vector: the bias gradients,
 * summed in double, cloned per x86-64 level; on the calling thread or split over a team. */
#include "exec/exec.h"

/* sum[0..nc-1] += the column sums of rows 0..M-1 of A (nc <= RB_COLSUM_BLOCK), in double. */
RB_ROW void colsum_block(int M, int nc, const float *A, int lda, float *sum)
{
    double acc[RB_COLSUM_BLOCK] = {0};
    for (int r = 0; r < M; r++) {
        const float *row = A + (size_t)r * lda;
        for (int c = 0; c < nc; c++)
            acc[c] += row[c];
    }
    for (int c = 0; c < nc; c++)
        sum[c] += (float)acc[c];
}

/* Blocks of RB_COLSUM_BLOCK columns, whose double sums stay in registers over all M rows (whole
 * blocks with a constant trip count; cloned per x86-64 level like the element-wise passes). */
RB_CLONES static void colsum_add(int M, int N, const float *A, int lda, float *sum)
{
    int c0 = 0;
    for (; c0 + RB_COLSUM_BLOCK <= N; c0 += RB_COLSUM_BLOCK)
        colsum_block(M, RB_COLSUM_BLOCK, A + c0, lda, sum + c0);
    if (c0 < N)
        colsum_block(M, N - c0, A + c0, lda, sum + c0);
}

void rb_colsum_add(int M, int N, const float *A, int lda, float *sum)
{
    colsum_add(M, N, A, lda, sum);
}

/* rb_colsum_add on a team, each thread on a range of the columns (whole blocks, so no two
 * threads write one cache line of sum). */
static void colsum_range(void *ctx, int c0, int c1)
{
    const rb_vec_job *j = ctx;
    rb_colsum_add(j->rows, c1 - c0, j->W + c0, (int)j->ld, j->y + c0);
}

void rb_team_colsum_add(rnnbptt_team *team, int M, int N, const float *A, int lda, float *sum)
{
    rb_vec_job j = {.rows = M, .cols = N, .W = A, .ld = (size_t)lda, .y = sum};
    rb_team_split(team, N, RB_COLSUM_BLOCK, colsum_range, &j);
}
