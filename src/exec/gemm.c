/* gemm.c — the team's GEMM kernel: C (+)= A · B split over a team's threads by columns of C, its
 * B = 1 twin (rb_team_gemv), and the panel matrices they read. One source (gemm_tiles.h)
 * instantiated per vector width: AVX-512, AVX2 + FMA and a portable 16-byte one, picked per call
 * from the CPU's level (rb_cpu_level). Used for the per-step products at B > 1 (forward
 * A = h_{t-1} (B, H), B = W_hᵀ (H, G·H); backward A = Δ_t (B, G·H), B = W_h; both made once per
 * call as panel matrices) and, in a call on a team, the hoisted GEMMs too, so that such a call
 * makes no BLAS call. Why not sgemm: docs/performance.md, "Kernel". */
#include "exec/exec.h"

int rb_gemm_avx512(void) { return RB_HAVE_TILES && rb_cpu_level() >= RB_LEVEL_V4; }

#if RB_HAVE_TILES
#include <string.h>

static inline rb_opa rb_opa_at(rb_opa A, size_t m, size_t r)
{
    A.p += m * A.sm + r * A.sr;
    return A;
}

#if defined(__x86_64__) && RB_CPU_CAP >= RB_LEVEL_V4
#define RB_SFX avx512
#define RB_VL 16
#define RB_MR 8
#define RB_TARGET "avx512f"
#include "exec/gemm_tiles.h"
#endif

#if defined(__x86_64__) && RB_CPU_CAP >= RB_LEVEL_V3
#define RB_SFX avx2
#define RB_VL 8
#define RB_MR 6
#define RB_TARGET "avx2,fma"
#include "exec/gemm_tiles.h"
#endif

#define RB_SFX vec4
#define RB_VL 4
#define RB_MR 4
#include "exec/gemm_tiles.h"

/* The widest instance this CPU runs, as far as the build may use it (rb_cpu_level). */
static void gemm_cols(int M, int R, int j0, int j1, rb_opa A, rb_opb Bm, float beta,
                      const float *bias, float *C, int ldc, float *scratch)
{
#if defined(__x86_64__)
    const int level = rb_cpu_level();
#if RB_CPU_CAP >= RB_LEVEL_V4
    if (level >= RB_LEVEL_V4) {
        gemm_cols_avx512(M, R, j0, j1, A, Bm, beta, bias, C, ldc, scratch);
        return;
    }
#endif
#if RB_CPU_CAP >= RB_LEVEL_V3
    if (level >= RB_LEVEL_V3) {
        gemm_cols_avx2(M, R, j0, j1, A, Bm, beta, bias, C, ldc, scratch);
        return;
    }
#endif
    (void)level;
#endif
    gemm_cols_vec4(M, R, j0, j1, A, Bm, beta, bias, C, ldc, scratch);
}

/* Columns per strip (2 vectors) of the instance gemm_cols runs: rb_cpu_level reports V3 or V4
 * only where that instance is built (x86-64, within RB_CPU_CAP). */
static int gemm_strip(void)
{
    const int level = rb_cpu_level();
    return level >= RB_LEVEL_V4 ? 32 : level >= RB_LEVEL_V3 ? 16 : 8;
}

typedef struct {
    int M, N, R;
    rb_opa A;
    rb_opb Bm;
    float beta;
    const float *bias;
    float *C;
    int ldc;
    float *scratch; /* RB_GEMM_SCRATCH floats per part */
} rb_gemm_job;

/* Rows m0..m1-1 of C, all its columns, on part `part`'s scratch. */
static void gemm_rows(void *ctx, int part, int m0, int m1)
{
    const rb_gemm_job *j = ctx;
    rb_opa A = j->A;
    A.p += (size_t)m0 * A.sm;
    gemm_cols(m1 - m0, j->R, 0, j->N, A, j->Bm, j->beta, j->bias, j->C + (size_t)m0 * j->ldc,
              j->ldc, j->scratch + (size_t)part * RB_GEMM_SCRATCH);
}

/* Columns j0..j1-1 of C, all its rows, on part `part`'s scratch. */
static void gemm_columns(void *ctx, int part, int j0, int j1)
{
    const rb_gemm_job *j = ctx;
    gemm_cols(j->M, j->R, j0, j1, j->A, j->Bm, j->beta, j->bias, j->C, j->ldc,
              j->scratch + (size_t)part * RB_GEMM_SCRATCH);
}

void rb_team_gemm(rnnbptt_team *team, int M, int N, int R, rb_opa A, rb_opb Bm, float beta,
                  const float *bias, float *C, int ldc)
{
    rb_gemm_job j = {M, N, R, A, Bm, beta, bias, C, ldc, rb_team_pack(team)->scratch};
    /* A transposed A (the dW products) is packed block by block; split by columns, every thread
     * would pack all of it. Column ranges are multiples of the instance's strip (2 vectors), so
     * that every thread works on whole strips: at N = 100 with AVX2, 48 and 52 columns (with 32,
     * 32 and 68; see docs/performance.md, § kernel). */
    if (A.sm == 1 && M >= RB_GEMM_ROWS_MIN * rb_team_threads(team))
        rb_team_split_parts(team, M, 16, gemm_rows, &j);
    else
        rb_team_split_parts(team, N, gemm_strip(), gemm_columns, &j);
}

void rb_part_gemm(rnnbptt_team *team, int part, int M, int N, int R, rb_opa A, rb_opb Bm,
                  float beta, const float *bias, float *C, int ldc)
{
    gemm_cols(M, R, 0, N, A, Bm, beta, bias, C, ldc,
              rb_team_pack(team)->scratch + (size_t)part * RB_GEMM_SCRATCH);
}

/* rb_team_gemv's kernel: axpys of Bm's rows whose sums stay in registers, NV vectors of 16
 * columns at a time, so each element of Bm is one load and the sums never go through memory.
 * (The dot-product form, gemv.c's small_gemv_n and small_gemv_t, spends a quarter of its time
 * in horizontal sums or in loads and stores of its sums: on a team at H = 512, 2 threads, about
 * 4.3 µs per product against 3.0.) */
typedef float rb_v16 __attribute__((vector_size(16 * sizeof(float))));

RB_ROW void axpy_block(const int NV, int R, rb_opb Bm, int j, const float *a, float beta,
                       float *y)
{
    const float *col[8];
    rb_v16 acc[8];
    for (int v = 0; v < NV; v++) {
        col[v] = rb_opb_at(Bm, 0, j + 16 * v);
        acc[v] = (rb_v16){0};
    }
    for (int r = 0; r < R; r++) {
        const float ar = a[r];
        for (int v = 0; v < NV; v++) {
            rb_v16 b;
            memcpy(&b, col[v] + (size_t)r * Bm.ld, sizeof b);
            acc[v] += ar * b;
        }
    }
    for (int v = 0; v < NV; v++) {
        rb_v16 out = acc[v];
        if (beta != 0.0f) {
            rb_v16 old;
            memcpy(&old, y + 16 * v, sizeof old);
            out += old;
        }
        memcpy(y + 16 * v, &out, sizeof out);
    }
}

/* y[j0..j1) (+)= Σ_{r<R} a[r] · Bm[r, j0..j1), j0 a multiple of 16. */
RB_CLONES static void axpy_rows(int R, int j0, int j1, rb_opb Bm, const float *a, float beta,
                                float *y)
{
    int j = j0;
    for (; j + 128 <= j1; j += 128)
        axpy_block(8, R, Bm, j, a, beta, y + j);
    for (; j + 64 <= j1; j += 64)
        axpy_block(4, R, Bm, j, a, beta, y + j);
    for (; j + 16 <= j1; j += 16)
        axpy_block(1, R, Bm, j, a, beta, y + j);
    for (; j < j1; j++) {
        float s = 0.0f;
        for (int r = 0; r < R; r++)
            s += a[r] * *rb_opb_at(Bm, r, j);
        y[j] = beta != 0.0f ? y[j] + s : s;
    }
}

static void gemv_range(void *ctx, int j0, int j1)
{
    const rb_vec_job *j = ctx;
    axpy_rows(j->rows, j0, j1, j->Wp, j->x, j->beta, j->y);
}

void rb_team_gemv(rnnbptt_team *team, int R, int N, rb_opb Bm, const float *a, float beta,
                  float *y)
{
    rb_vec_job j = {.rows = R, .cols = N, .Wp = Bm, .x = a, .beta = beta, .y = y};
    rb_team_split(team, N, 16, gemv_range, &j);
}

/* The panels q0..q1-1 of P (16 columns each, R rows) from S. */
typedef struct {
    int R, N;
    const float *src;
    size_t sr, sj;
    float *P;
} rb_panel_job;

static void panel_range(void *ctx, int q0, int q1)
{
    const rb_panel_job *j = ctx;
    for (int q = q0; q < q1; q++) {
        float *out = j->P + (size_t)q * 16 * (size_t)j->R;
        const int nc = j->N - 16 * q < 16 ? j->N - 16 * q : 16;
        const float *s = j->src + (size_t)(16 * q) * j->sj;
        for (int r = 0; r < j->R; r++) {
            float *o = out + (size_t)r * 16;
            const float *row = s + (size_t)r * j->sr;
            int c = 0;
            for (; c < nc; c++)
                o[c] = row[(size_t)c * j->sj];
            for (; c < 16; c++)
                o[c] = 0.0f;
        }
    }
}

rb_opb rb_team_panel(rnnbptt_team *team, int R, int N, const float *src, size_t sr, size_t sj,
                     float *P)
{
    rb_panel_job j = {R, N, src, sr, sj, P};
    rb_team_split(team, (N + 15) / 16, 1, panel_range, &j);
    return (rb_opb){P, 16, (size_t)16 * (size_t)R, 1};
}
#endif
