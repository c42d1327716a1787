/* recur.c — what every cell shares: parameter carving, the hoisted input projection, the per-step
 * recurrent products and the weight-gradient GEMMs after the time loop, each on the BLAS or, in a
 * call on a team, on the team's GEMM kernel. All BLAS calls of the recurrent layers are here, so
 * the backend's use is visible in one place.
 * Legend: T steps, B batch, I input, H hidden, G gates, GH = G*H, TB = T*B. */
#include "internal.h"

#include "blas.h"
#include <stdlib.h>
#include <string.h>

void rb_carve(const rb_dims *d, const float *params, rb_params *p)
{
    const size_t GH = (size_t)d->GH;
    p->Wx = params;
    p->Wh = p->Wx + GH * (size_t)d->I;
    p->bx = p->Wh + GH * (size_t)d->H;
    p->bh = d->cell == RNNBPTT_GRU ? p->bx + GH : NULL;
}

void rb_carve_grads(const rb_dims *d, float *dparams, rb_grads *g)
{
    const size_t GH = (size_t)d->GH;
    g->Wx = dparams;
    g->Wh = g->Wx + GH * (size_t)d->I;
    g->bx = g->Wh + GH * (size_t)d->H;
    g->bh = d->cell == RNNBPTT_GRU ? g->bx + GH : NULL;
}

/* At B = 1, products of RB_SMALL_GEMV_MIN..RB_SMALL_GEMV_MAX matrix elements run single-threaded
 * here instead of in cblas_sgemv: OpenBLAS 0.3.21 splits an sgemv over its threads from 9216
 * elements on, and at these sizes waking the second thread costs more than the product
 * (measured with 2 threads at H = 128: 2.9 µs per step against 0.65 µs single-threaded; the two
 * break even near H = 256..512). Below 9216 OpenBLAS runs one thread with a faster kernel than
 * ours. 131072 floats = 512 KiB, half this machine's L2.
 * With a team of n >= 2 threads, the B = 1 products above RB_SMALL_GEMV_MAX elements and up to
 * n * RB_TEAM_SLICE_MAX run on it instead of in cblas_sgemv: each thread's slice of W then stays
 * in its own L2 (measured at H = 512, 2 threads: 5.4 µs per forward step against 9 µs for
 * OpenBLAS's sgemv). Below, exchanging h between the cores at every step costs about what
 * splitting saves (H = 256: break-even; H = 128: 2x slower); above, the slices stream from L3
 * like OpenBLAS's (LSTM at H = 1024: 0.9x). */
#define RB_SMALL_GEMV_MIN 9216
#define RB_SMALL_GEMV_MAX 131072
#define RB_TEAM_SLICE_MAX 524288 /* floats: 2 MiB */

/* Sum of the 16 partial sums a[0..15], as a tree (vectorizes to shuffles; a is clobbered). */
RB_ROW float rb_sum16(float *a)
{
    for (int w = 8; w >= 1; w /= 2)
        for (int l = 0; l < w; l++)
            a[l] += a[l + w];
    return a[0];
}

/* y (N) (+)= W (N, K) · x (K): dot products of four rows at a time with 16 partial sums each,
 * so each load of x serves four rows and four independent add chains hide the add latency. */
RB_CLONES static void small_gemv_n(int N, int K, const float *W, const float *x, float beta,
                                   float *y)
{
    int n = 0;
    for (; n + 4 <= N; n += 4) {
        const float *w0 = W + (size_t)n * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        float a0[16] = {0}, a1[16] = {0}, a2[16] = {0}, a3[16] = {0};
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
        int k = 0;
        for (; k + 16 <= K; k += 16)
            for (int l = 0; l < 16; l++) {
                const float xv = x[k + l];
                a0[l] += w0[k + l] * xv;
                a1[l] += w1[k + l] * xv;
                a2[l] += w2[k + l] * xv;
                a3[l] += w3[k + l] * xv;
            }
        for (; k < K; k++) {
            s0 += w0[k] * x[k];
            s1 += w1[k] * x[k];
            s2 += w2[k] * x[k];
            s3 += w3[k] * x[k];
        }
        const float r[4] = {s0 + rb_sum16(a0), s1 + rb_sum16(a1), s2 + rb_sum16(a2),
                            s3 + rb_sum16(a3)};
        for (int i = 0; i < 4; i++)
            y[n + i] = beta != 0.0f ? y[n + i] + r[i] : r[i];
    }
    for (; n < N; n++) {
        const float *w = W + (size_t)n * K;
        float a[16] = {0}, s = 0.0f;
        int k = 0;
        for (; k + 16 <= K; k += 16)
            for (int l = 0; l < 16; l++)
                a[l] += w[k + l] * x[k + l];
        for (; k < K; k++)
            s += w[k] * x[k];
        s += rb_sum16(a);
        y[n] = beta != 0.0f ? y[n] + s : s;
    }
}

/* y (K) (+)= Wᵀ (K, N) · d (N) for W (N, K) with rows ld apart: axpys over the rows of W into a
 * local accumulator of RB_TCHUNK columns at a time. Local, so that two threads writing the two
 * halves of one y never share a cache line inside the loop (that false sharing made a split
 * product 3x slower than one thread). */
#define RB_TCHUNK 1024
RB_CLONES static void small_gemv_t(int N, int K, int ld, const float *W, const float *d,
                                   float beta, float *y)
{
    float acc[RB_TCHUNK];
    for (int k0 = 0; k0 < K; k0 += RB_TCHUNK) {
        const int nk = K - k0 < RB_TCHUNK ? K - k0 : RB_TCHUNK;
        for (int k = 0; k < nk; k++)
            acc[k] = 0.0f;
        for (int n = 0; n < N; n++) {
            const float *w = W + (size_t)n * ld + k0, dn = d[n];
            for (int k = 0; k < nk; k++)
                acc[k] += w[k] * dn;
        }
        if (beta != 0.0f)
            for (int k = 0; k < nk; k++)
                y[k0 + k] += acc[k];
        else
            for (int k = 0; k < nk; k++)
                y[k0 + k] = acc[k];
    }
}

/* One B = 1 product on a team: each part takes a fixed range of rows (forward) or columns
 * (backward) of W, the same at every step, so that slice of W stays in its core's cache. Range
 * ends are multiples of 16 floats, so the parts' outputs share no cache line when y is aligned. */
typedef struct {
    int N, K;
    const float *W, *v;
    float beta;
    float *y;
} rb_gemv_job;


static void gemv_n_part(void *arg, int part, int nparts)
{
    const rb_gemv_job *j = arg;
    const int n0 = rb_part_start(j->N, part, nparts, 16);
    const int n1 = rb_part_start(j->N, part + 1, nparts, 16);
    if (n1 > n0)
        small_gemv_n(n1 - n0, j->K, j->W + (size_t)n0 * j->K, j->v, j->beta, j->y + n0);
}

static void gemv_t_part(void *arg, int part, int nparts)
{
    const rb_gemv_job *j = arg;
    const int k0 = rb_part_start(j->K, part, nparts, 16);
    const int k1 = rb_part_start(j->K, part + 1, nparts, 16);
    if (k1 > k0)
        small_gemv_t(j->N, k1 - k0, j->K, j->W + k0, j->v, j->beta, j->y + k0);
}

/* ---- on a team: a GEMM kernel of our own, each thread on a fixed range of C's columns ----
 *
 * C (M, cols j0..j1) (+)= A (M, R) · Bm (R, cols j0..j1), Bm and C row-major, A any strides.
 * The per-step products at B > 1 — forward A = h_{t-1} (B, H), Bm = W_hᵀ (H, G·H), made once
 * per call; backward A = Δ_t (B, G·H), Bm = W_h itself — and, in a call on a team, the hoisted
 * GEMMs too. Why not sgemm for the steps: OpenBLAS re-packs W_h at every call and hands the work
 * to its threads afresh, which at these shapes (M = B rows only) costs as much as the
 * arithmetic; here each thread's slice of W_hᵀ stays in its own L2. Measured on one core (Zen 5,
 * x86-64-v4 clone): 272-283 GFLOP/s at M = 16..128, H = 256..512, where OpenBLAS's sgemm gives
 * 139-232 on one thread and 138-320 on two. Why the hoisted GEMMs too: then a call on a team
 * makes no BLAS call, and OpenBLAS's threads, which spin for ~0.1 s after each threaded call,
 * never compete with the team's (see rnnbptt_team in the header). At the largest shapes this
 * kernel is ~5% slower than OpenBLAS's native AVX-512 sgemm and ~2x faster than its AVX2 one.
 * Tiles of RB_MR rows × 32 columns (two 16-float vectors) keep 16 accumulators in registers; the
 * reduction runs in blocks of RB_KC rows of Bm, so a tile's 32 KiB block of Bm stays in L1 while
 * every row tile of A passes over it. GCC/Clang vector extensions: other compilers never take
 * this path (rb_step_* fall back to sgemm). */
#if defined(__GNUC__)
#define RB_HAVE_TILES 1
#define RB_MR 8
#define RB_KC 256
typedef float rb_v16 __attribute__((vector_size(64)));

/* Unaligned vector access through memcpy (one vmovups): no alias or alignment assumption, and no
 * vector-typed function return (whose ABI would differ between the clones). */
#define RB_LOAD16(v, p) memcpy(&(v), (p), sizeof(rb_v16))

/* A general operand A (M, R): element (m, r) at p[m·sm + r·sr], so that A may be a row-major
 * matrix (sm = its row length, sr = 1) or the transpose of one (sm = 1, sr = its row length). */
typedef struct {
    const float *p;
    size_t sm, sr;
} rb_opa;

static inline rb_opa rb_opa_at(rb_opa A, size_t m, size_t r)
{
    A.p += m * A.sm + r * A.sr;
    return A;
}

/* One tile: C (MR rows, 16·NV columns) (+)= A (MR, R) · Bm (R, 16·NV). */
RB_ROW void gemm_tile(const int MR, const int NV, int R, rb_opa A, const float *Bm, int ldb,
                      int accumulate, float *C, int ldc)
{
    rb_v16 acc[RB_MR][2];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = (rb_v16){0};
    for (int r = 0; r < R; r++) {
        rb_v16 b[2];
        for (int v = 0; v < NV; v++)
            RB_LOAD16(b[v], Bm + (size_t)r * ldb + 16 * v);
        for (int m = 0; m < MR; m++) {
            const float a = A.p[(size_t)m * A.sm + (size_t)r * A.sr];
            for (int v = 0; v < NV; v++)
                acc[m][v] += a * b[v];
        }
    }
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++) {
            float *c = C + (size_t)m * ldc + 16 * v;
            rb_v16 out = acc[m][v];
            if (accumulate) {
                rb_v16 old;
                RB_LOAD16(old, c);
                out += old;
            }
            memcpy(c, &out, sizeof out);
        }
}

/* Rows 0..M-1 of one column strip of 16·NV columns: row tiles of 8, then 4, 2, 1. */
RB_ROW void gemm_strip(const int NV, int M, int R, rb_opa A, const float *Bm, int ldb,
                       int accumulate, float *C, int ldc)
{
    int m = 0;
    for (; m + 8 <= M; m += 8)
        gemm_tile(8, NV, R, rb_opa_at(A, m, 0), Bm, ldb, accumulate, C + (size_t)m * ldc, ldc);
    if (m + 4 <= M) {
        gemm_tile(4, NV, R, rb_opa_at(A, m, 0), Bm, ldb, accumulate, C + (size_t)m * ldc, ldc);
        m += 4;
    }
    if (m + 2 <= M) {
        gemm_tile(2, NV, R, rb_opa_at(A, m, 0), Bm, ldb, accumulate, C + (size_t)m * ldc, ldc);
        m += 2;
    }
    if (m < M)
        gemm_tile(1, NV, R, rb_opa_at(A, m, 0), Bm, ldb, accumulate, C + (size_t)m * ldc, ldc);
}

/* C (M, cols j0..j1) (+)= A (M, R) · Bm (R, cols j0..j1): blocks of RB_MC rows (a block of A,
 * RB_MC × RB_KC, stays in L2) by RB_KC reduction steps (a strip's block of Bm stays in L1). */
#define RB_MC 384
RB_CLONES static void gemm_cols(int M, int R, int j0, int j1, rb_opa A, const float *Bm, int ldb,
                                float beta, float *C, int ldc)
{
    for (int m0 = 0; m0 < M; m0 += RB_MC) {
        const int mc = M - m0 < RB_MC ? M - m0 : RB_MC;
        float *Cm = C + (size_t)m0 * ldc;
        for (int r0 = 0; r0 < R; r0 += RB_KC) {
            const int rc = R - r0 < RB_KC ? R - r0 : RB_KC, accumulate = beta != 0.0f || r0 > 0;
            const rb_opa Ar = rb_opa_at(A, (size_t)m0, (size_t)r0);
            const float *Br = Bm + (size_t)r0 * ldb;
            int j = j0;
            for (; j + 32 <= j1; j += 32)
                gemm_strip(2, mc, rc, Ar, Br + j, ldb, accumulate, Cm + j, ldc);
            for (; j + 16 <= j1; j += 16)
                gemm_strip(1, mc, rc, Ar, Br + j, ldb, accumulate, Cm + j, ldc);
            for (; j < j1; j++) /* the last N mod 16 columns */
                for (int m = 0; m < mc; m++) {
                    float sum = 0.0f, *c = Cm + (size_t)m * ldc + j;
                    for (int r = 0; r < rc; r++)
                        sum += Ar.p[(size_t)m * Ar.sm + (size_t)r * Ar.sr] *
                               Br[(size_t)r * ldb + j];
                    *c = accumulate ? *c + sum : sum;
                }
        }
    }
}

typedef struct {
    int M, N, R;
    rb_opa A;
    const float *Bm;
    int ldb;
    float beta;
    float *C;
    int ldc;
} rb_gemm_job;

static void gemm_part(void *arg, int part, int nparts)
{
    const rb_gemm_job *j = arg;
    /* column ranges in multiples of 32: every thread works on whole tiles */
    const int j0 = rb_part_start(j->N, part, nparts, 32);
    const int j1 = rb_part_start(j->N, part + 1, nparts, 32);
    if (j1 > j0)
        gemm_cols(j->M, j->R, j0, j1, j->A, j->Bm, j->ldb, j->beta, j->C, j->ldc);
}

/* C (M, N) (+)= A (M, R) · Bm (R, N) on the team, each thread on a range of C's columns. */
static void team_gemm(rnnbptt_team *team, int M, int N, int R, rb_opa A, const float *Bm, int ldb,
                      float beta, float *C, int ldc)
{
    rb_gemm_job j = {M, N, R, A, Bm, ldb, beta, C, ldc};
    rb_team_run(team, gemm_part, &j);
}

/* WT (K, N) = W (N, K)ᵀ, this part's rows of WT, in 16 × 16 blocks. */
typedef struct {
    int N, K;
    const float *W;
    float *WT;
} rb_transpose_job;

static void transpose_part(void *arg, int part, int nparts)
{
    const rb_transpose_job *j = arg;
    const int k0 = rb_part_start(j->K, part, nparts, 16);
    const int k1 = rb_part_start(j->K, part + 1, nparts, 16);
    for (int n0 = 0; n0 < j->N; n0 += 16) {
        const int n1 = j->N - n0 < 16 ? j->N : n0 + 16;
        for (int k = k0; k < k1; k++)
            for (int n = n0; n < n1; n++)
                j->WT[(size_t)k * j->N + n] = j->W[(size_t)n * j->K + k];
    }
}

#else
#define RB_HAVE_TILES 0
#endif

rnnbptt_team *rb_fwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh)
{
    if (!team)
        return NULL;
#if RB_HAVE_TILES
    const size_t GH = (size_t)d->GH, nx = GH * (size_t)d->I, nh = d->B > 1 ? GH * (size_t)d->H : 0;
    rb_pack *pk = rb_team_pack(team);
    if (pk->cap < nx + nh) { /* the team keeps the buffer across calls: allocated at first use */
        free(pk->buf);
        pk->buf = malloc((nx + nh) * sizeof(float));
        pk->cap = pk->buf ? nx + nh : 0;
        if (!pk->buf)
            return NULL;
    }
    pk->wxt = pk->buf;
    pk->wht = nh ? pk->buf + nx : NULL;
    rb_transpose_job jx = {d->GH, d->I, Wx, pk->buf}; /* W_xᵀ (I, GH) = W_x (GH, I)ᵀ */
    rb_team_run(team, transpose_part, &jx);
    if (nh) {
        rb_transpose_job jh = {d->GH, d->H, Wh, pk->buf + nx}; /* W_hᵀ (H, GH) */
        rb_team_run(team, transpose_part, &jh);
    }
    return team;
#else
    (void)d, (void)Wx, (void)Wh;
    return NULL;
#endif
}

/* B > 1: the tiles run on a team up to the same RB_TEAM_SLICE_MAX per thread, from
 * RB_TEAM_TILE_MIN multiply-adds per step (B·G·H·H) on: below, a step's product takes about as
 * long as the threads' meeting (tanh at B = 32, H = 64..128: no gain). Measured with 2 threads
 * against OpenBLAS's native kernels, per whole layer call: 1.2-1.5x faster at H = 256 (all
 * cells), 1.1-1.2x for LSTM and GRU at H = 512 and for tanh at H = 512 with B = 16..64, 1.0x for
 * tanh at H = 1024 (2 MiB per thread: the slices stream from L3). */
#define RB_TEAM_TILE_MIN 1048576

int rb_team_useful(const rnnbptt_team *team, int B, size_t n)
{
    const size_t threads = (size_t)rb_team_threads(team);
    if (threads < 2)
        return 0;
    if (B == 1)
        return n > RB_SMALL_GEMV_MAX && n <= threads * RB_TEAM_SLICE_MAX;
    return RB_HAVE_TILES && n <= threads * RB_TEAM_SLICE_MAX && (size_t)B * n >= RB_TEAM_TILE_MIN;
}

static int small_gemv(int B, int N, int K)
{
    const size_t n = (size_t)N * (size_t)K;
    return B == 1 && n >= RB_SMALL_GEMV_MIN && n <= RB_SMALL_GEMV_MAX;
}

void rb_step_fwd(rnnbptt_team *team, int B, int K, int N, const float *hprev, const float *W,
                 float beta, float *out)
{
    if (team) {
        if (B == 1) {
            rb_gemv_job j = {N, K, W, hprev, beta, out};
            rb_team_run(team, gemv_n_part, &j);
            return;
        }
#if RB_HAVE_TILES
        /* out = H_prev · W_hᵀ   (B × K) · (K × N), W_hᵀ made by rb_fwd_prepare */
        team_gemm(team, B, N, K, (rb_opa){hprev, (size_t)K, 1}, rb_team_pack(team)->wht, N, beta,
                  out, N);
        return;
#endif
    }
    if (small_gemv(B, N, K)) {
        small_gemv_n(N, K, W, hprev, beta, out);
    } else if (B == 1) { /* out = W · h   (N × K) · (K) */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, W, K, hprev, 1, beta, out, 1);
    } else { /* out = H_prev · Wᵀ   (B × K) · (K × N) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, hprev, K, W, K, beta,
                    out, N);
    }
}

void rb_step_bwd(rnnbptt_team *team, int B, int K, int N, const float *dG, const float *W,
                 float beta, float *out)
{
    if (team) {
        if (B == 1) {
            rb_gemv_job j = {N, K, W, dG, beta, out};
            rb_team_run(team, gemv_t_part, &j);
            return;
        }
#if RB_HAVE_TILES
        /* out = Δ · W   (B × N) · (N × K) */
        team_gemm(team, B, K, N, (rb_opa){dG, (size_t)N, 1}, W, K, beta, out, K);
        return;
#endif
    }
    if (small_gemv(B, N, K)) {
        small_gemv_t(N, K, K, W, dG, beta, out);
    } else if (B == 1) { /* out = Wᵀ · δ   (K × N) · (N) */
        cblas_sgemv(CblasRowMajor, CblasTrans, N, K, 1.0f, W, K, dG, 1, beta, out, 1);
    } else { /* out = Δ · W   (B × N) · (N × K) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, K, N, 1.0f, dG, N, W, K, beta,
                    out, K);
    }
}

void rb_project(rnnbptt_team *team, int M, int K, int N, const float *X, const float *W,
                const float *bias, float *out, int ldo)
{
    if (bias)
        for (int r = 0; r < M; r++)
            memcpy(out + (size_t)r * ldo, bias, (size_t)N * sizeof(float));
#if RB_HAVE_TILES
    if (team) { /* out = X · W_xᵀ (+ bias), W_xᵀ made by rb_fwd_prepare   (M × K) · (K × N) */
        team_gemm(team, M, N, K, (rb_opa){X, (size_t)K, 1}, rb_team_pack(team)->wxt, N,
                  bias ? 1.0f : 0.0f, out, ldo);
        return;
    }
#endif
    /* out = X · Wᵀ (+ bias)   (M × K) · (K × N) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, X, K, W, K,
                bias ? 1.0f : 0.0f, out, ldo);
}

void rb_colsum_add(int M, int N, const float *A, int lda, float *sum)
{
    enum { CB = 64 };
    double acc[CB];
    for (int c0 = 0; c0 < N; c0 += CB) {
        const int nc = N - c0 < CB ? N - c0 : CB;
        memset(acc, 0, sizeof acc);
        for (int r = 0; r < M; r++) {
            const float *row = A + (size_t)r * lda + c0;
            for (int c = 0; c < nc; c++)
                acc[c] += row[c];
        }
        for (int c = 0; c < nc; c++)
            sum[c0 + c] += (float)acc[c];
    }
}

void rb_weight_grads(const rb_dims *d, const float *X, const float *h0, const float *h,
                     const float *dG, const float *dGh, const float *Wx, const rb_grads *g,
                     float *dx)
{
    const int B = d->B, I = d->I, H = d->H, GH = d->GH, TB = d->TB;
#if RB_HAVE_TILES
    if (d->team) { /* the same products on the team, Δᵀ read in place (A with sm = 1, sr = GH) */
        const size_t sgh = (size_t)GH;
        team_gemm(d->team, GH, I, TB, (rb_opa){dG, 1, sgh}, X, I, 1.0f, g->Wx, I);
        if (TB > B)
            team_gemm(d->team, GH, H, TB - B, (rb_opa){dGh + (size_t)B * sgh, 1, sgh}, h, H, 1.0f,
                      g->Wh, H);
        if (h0)
            team_gemm(d->team, GH, H, B, (rb_opa){dGh, 1, sgh}, h0, H, 1.0f, g->Wh, H);
        rb_colsum_add(TB, GH, dG, GH, g->bx);
        if (g->bh)
            rb_colsum_add(TB, GH, dGh, GH, g->bh);
        if (dx)
            team_gemm(d->team, TB, I, GH, (rb_opa){dG, sgh, 1}, Wx, I, 0.0f, dx, I);
        return;
    }
#endif
    /* dW_x += Δᵀ · X   (GH × TB) · (TB × I) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, I, TB, 1.0f, dG, GH, X, I, 1.0f,
                g->Wx, I);
    /* dW_h += Δ_{2..T}ᵀ · H_{1..T-1}   (GH × (T-1)B) · ((T-1)B × H) */
    if (TB > B)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, TB - B, 1.0f,
                    dGh + (size_t)B * GH, GH, h, H, 1.0f, g->Wh, H);
    /* dW_h += Δ_1ᵀ · h0   (GH × B) · (B × H) */
    if (h0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, B, 1.0f, dGh, GH, h0, H, 1.0f,
                    g->Wh, H);
    /* db += Σ_rows Δ */
    rb_colsum_add(TB, GH, dG, GH, g->bx);
    if (g->bh)
        rb_colsum_add(TB, GH, dGh, GH, g->bh);
    /* dx = Δ · W_x   (TB × GH) · (GH × I) */
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, TB, I, GH, 1.0f, dG, GH, Wx, I, 0.0f,
                    dx, I);
}
