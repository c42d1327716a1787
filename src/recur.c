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

/* Sum of the 16 partial sums a[0..15], as a tree whose levels are written out so that each
 * vectorizes (a loop over the level width did not: GCC ran it as scalar adds through the stack,
 * which at K = 128 took most of a small product's time); a is clobbered. */
RB_ROW float rb_sum16(float *a)
{
    for (int l = 0; l < 8; l++)
        a[l] += a[l + 8];
    for (int l = 0; l < 4; l++)
        a[l] += a[l + 4];
    return (a[0] + a[2]) + (a[1] + a[3]);
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

/* y (K) (+)= Wᵀ (K, N) · d (N) for W (N, K) row-major: axpys over the rows of W into a local
 * accumulator of RB_GEMV_T_CHUNK columns at a time (on the stack, so in L1 whatever y is). */
RB_CLONES static void small_gemv_t(int N, int K, const float *W, const float *d, float beta,
                                   float *y)
{
    float acc[RB_GEMV_T_CHUNK];
    for (int k0 = 0; k0 < K; k0 += RB_GEMV_T_CHUNK) {
        const int nk = K - k0 < RB_GEMV_T_CHUNK ? K - k0 : RB_GEMV_T_CHUNK;
        for (int k = 0; k < nk; k++)
            acc[k] = 0.0f;
        int n = 0;
        for (; n + 4 <= N; n += 4) { /* four rows a pass: a quarter of acc's loads and stores */
            const float *w0 = W + (size_t)n * K + k0, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
            const float d0 = d[n], d1 = d[n + 1], d2 = d[n + 2], d3 = d[n + 3];
            for (int k = 0; k < nk; k++)
                acc[k] += (w0[k] * d0 + w1[k] * d1) + (w2[k] * d2 + w3[k] * d3);
        }
        for (; n < N; n++) {
            const float *w = W + (size_t)n * K + k0, dn = d[n];
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

#if RB_HAVE_TILES
/* The forward's B = 1 product on a team without W_hᵀ's panel matrix (short calls, see
 * b1_panels): y = W v by ranges of W's rows in place. */
typedef struct {
    int K;
    const float *W, *v;
    float beta;
    float *y;
} rb_rows_gemv;

static void gemv_n_range(void *ctx, int n0, int n1)
{
    const rb_rows_gemv *j = ctx;
    small_gemv_n(n1 - n0, j->K, j->W + (size_t)n0 * j->K, j->v, j->beta, j->y + n0);
}
#endif

/* The team's buffer: its kernel's scratch for each thread, then n floats for the call's weights,
 * returned (kept across calls: allocated at first use or growth; NULL without memory). */
static float *pack_reserve(rb_pack *pk, const rnnbptt_team *team, size_t n)
{
    const size_t ns = (size_t)rb_team_threads(team) * RB_GEMM_SCRATCH;
    if (pk->cap < ns + n) {
        rb_free(pk->buf);
        /* 64-byte aligned, so that each 16-column row of a panel is one cache line (malloc's
         * large blocks start 16 bytes into a page: every vector load then spanned two lines) */
        pk->buf = rb_aligned_alloc(64, (ns + n + 15) / 16 * 16 * sizeof(float));
        pk->cap = pk->buf ? ns + n : 0;
        if (!pk->buf)
            return NULL;
    }
    pk->scratch = pk->buf;
    return pk->buf + ns;
}

static int b1_panels(const rb_dims *d) { return rb_b1_panels(d->B, d->T); }

rnnbptt_team *rb_fwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh)
{
    if (!team)
        return NULL;
#if RB_HAVE_TILES
    rb_pack *pk = rb_team_pack(team);
    const int GH = d->GH, I = d->I, H = d->H;
    const size_t nx = rb_panel_size(I, GH), nh = b1_panels(d) ? rb_panel_size(H, GH) : 0;
    float *buf = pack_reserve(pk, team, nx + nh);
    if (!buf)
        return NULL;
    pk->wxt = rb_team_panel(team, I, GH, Wx, 1, (size_t)I, buf); /* W_xᵀ (I, GH) = W_x (GH, I)ᵀ */
    pk->wht = nh ? rb_team_panel(team, H, GH, Wh, 1, (size_t)H, buf + nx) /* W_hᵀ (H, GH) */
                 : (rb_opb){NULL, 0, 0};
    return team;
#else
    (void)d, (void)Wx, (void)Wh;
    return NULL;
#endif
}

rnnbptt_team *rb_bwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh, int with_dx)
{
    if (!team)
        return NULL;
#if RB_HAVE_TILES
    rb_pack *pk = rb_team_pack(team);
    const int GH = d->GH, I = d->I, H = d->H;
    const size_t nx = with_dx ? rb_panel_size(GH, I) : 0;
    const size_t nh = b1_panels(d) ? rb_panel_size(GH, H) : 0;
    float *buf = pack_reserve(pk, team, nx + nh);
    if (!buf)
        return NULL;
    /* W_x for dx: 1.04-1.13x as fast as W_x read in place (one thread, GH = 2048, I = 512) */
    if (nx)
        pk->wx = rb_team_panel(team, GH, I, Wx, (size_t)I, 1, buf); /* W_x (GH, I) */
    pk->wh = nh ? rb_team_panel(team, GH, H, Wh, (size_t)H, 1, buf + nx) /* W_h (GH, H) */
                : rb_opb_rows(Wh, H);
    return team;
#else
    (void)d, (void)Wx, (void)Wh, (void)with_dx;
    return NULL;
#endif
}

int rb_batch_split(const rb_dims *d)
{
    return d->team && rb_split_fits(d->team, d->B, (size_t)d->GH * (size_t)d->H);
}

/* out (M, N), rows ldo apart, = bias in every row. */
static void fill_rows(int M, int N, const float *bias, float *out, size_t ldo)
{
    for (int r = 0; r < M; r++)
        memcpy(out + (size_t)r * ldo, bias, (size_t)N * sizeof(float));
}

#if RB_HAVE_TILES
/* A step's product on the team's kernel: split over the team, or on thread ex.part alone (the
 * batch split: its rows, that part's scratch). */
static void exec_gemm(rb_exec ex, int M, int N, int R, rb_opa A, rb_opb Bm, float beta,
                      const float *bias, float *C, int ldc)
{
    if (ex.part >= 0)
        rb_part_gemm(ex.team, ex.part, M, N, R, A, Bm, beta, bias, C, ldc);
    else
        rb_team_gemm(ex.team, M, N, R, A, Bm, beta, bias, C, ldc);
}
#endif

void rb_step_fwd(rb_exec ex, int B, int K, int N, const float *hprev, const float *W, float beta,
                 const float *bias, float *out)
{
    rnnbptt_team *team = ex.team;
    if (!hprev) { /* h_{t-1} = 0 */
        if (bias)
            fill_rows(B, N, bias, out, (size_t)N);
        else if (beta == 0.0f)
            memset(out, 0, (size_t)B * (size_t)N * sizeof(float));
        return;
    }
#if RB_HAVE_TILES
    if (team && (B > 1 || ex.part >= 0)) { /* out = H_prev · W_hᵀ (+ bias at the store) */
        exec_gemm(ex, B, N, K, (rb_opa){hprev, (size_t)K, 1}, rb_team_pack(team)->wht, beta, bias,
                  out, N); /* (B × K) · (K × N) */
        return;
    }
#endif
    if (bias) { /* the products below accumulate onto it */
        fill_rows(B, N, bias, out, (size_t)N);
        beta = 1.0f;
    }
#if RB_HAVE_TILES
    if (team) { /* B = 1 */
        const rb_pack *pk = rb_team_pack(team);
        if (pk->wht.p) { /* out = Σ_k h[k] · W_hᵀ[k, :]   (K) · (K × N), W_hᵀ's panel matrix */
            rb_team_gemv(team, K, N, pk->wht, hprev, beta, out);
        } else { /* out = W · h   (N × K) · (K), W in place */
            rb_rows_gemv j = {K, W, hprev, beta, out};
            rb_team_split(team, N, 16, gemv_n_range, &j);
        }
        return;
    }
#endif
    if (rb_own_gemv(B, (size_t)N * (size_t)K)) {
        small_gemv_n(N, K, W, hprev, beta, out);
    } else if (B == 1) { /* out = W · h   (N × K) · (K) */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, W, K, hprev, 1, beta, out, 1);
    } else { /* out = H_prev · Wᵀ   (B × K) · (K × N) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, hprev, K, W, K, beta,
                    out, N);
    }
}

void rb_step_bwd(rb_exec ex, int B, int K, int N, const float *dG, const float *W, float beta,
                 float *out)
{
    rnnbptt_team *team = ex.team;
#if RB_HAVE_TILES
    if (team) {
        if (B == 1 && ex.part < 0) { /* out = Wᵀ δ = Σ_n δ[n] · W[n, :]   (N) · (N × K) */
            rb_team_gemv(team, N, K, rb_team_pack(team)->wh, dG, beta, out); /* W panels/rows */
        } else { /* out = Δ · W   (B × N) · (N × K), W copied by rb_bwd_prepare */
            exec_gemm(ex, B, K, N, (rb_opa){dG, (size_t)N, 1}, rb_team_pack(team)->wh, beta, NULL,
                      out, K);
        }
        return;
    }
#endif
    if (rb_own_gemv(B, (size_t)N * (size_t)K)) {
        small_gemv_t(N, K, W, dG, beta, out);
    } else if (B == 1) { /* out = Wᵀ · δ   (K × N) · (N) */
        cblas_sgemv(CblasRowMajor, CblasTrans, N, K, 1.0f, W, K, dG, 1, beta, out, 1);
    } else { /* out = Δ · W   (B × N) · (N × K) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, K, N, 1.0f, dG, N, W, K, beta,
                    out, K);
    }
}

void rb_exec_rows(rb_exec ex, int b0, int b1, rb_range_fn fn, void *ctx)
{
    if (ex.part >= 0)
        fn(ctx, b0, b1);
    else
        rb_team_rows(ex.team, b1 - b0, fn, ctx);
}

typedef struct {
    const rb_dims *d;
    int reverse;
    rb_step_fn step;
    const void *ctx;
} rb_loop_job;

/* Every step on rows b0..b1-1, by thread `part` alone. */
static void loop_rows(void *arg, int part, int b0, int b1)
{
    const rb_loop_job *j = arg;
    const int T = j->d->T;
    const rb_exec ex = {j->d->team, part};
    for (int k = 0; k < T; k++)
        j->step(j->ctx, j->reverse ? T - 1 - k : k, b0, b1, ex);
}

void rb_time_loop(const rb_dims *d, int reverse, rb_step_fn step, const void *ctx)
{
    if (rb_batch_split(d)) {
        rb_loop_job j = {d, reverse, step, ctx};
        rb_team_split_parts(d->team, d->B, 1, loop_rows, &j);
        return;
    }
    const rb_exec ex = {d->team, -1};
    for (int k = 0; k < d->T; k++)
        step(ctx, reverse ? d->T - 1 - k : k, 0, d->B, ex);
}

void rb_project(rnnbptt_team *team, int M, int K, int N, const float *X, const float *W,
                const float *bias, float *out, int ldo)
{
#if RB_HAVE_TILES
    if (team) { /* out = X · W_xᵀ + bias, W_xᵀ made by rb_fwd_prepare   (M × K) · (K × N) */
        rb_team_gemm(team, M, N, K, (rb_opa){X, (size_t)K, 1}, rb_team_pack(team)->wxt, 0.0f, bias,
                     out, ldo);
        return;
    }
#endif
    if (bias)
        fill_rows(M, N, bias, out, (size_t)ldo);
    /* out = X · Wᵀ (+ bias)   (M × K) · (K × N) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, X, K, W, K,
                bias ? 1.0f : 0.0f, out, ldo);
}

/* sum[0..nc-1] += the column sums of rows 0..M-1 of A (nc <= 64), in double. */
RB_ROW void colsum_block(int M, int nc, const float *A, int lda, float *sum)
{
    double acc[64] = {0};
    for (int r = 0; r < M; r++) {
        const float *row = A + (size_t)r * lda;
        for (int c = 0; c < nc; c++)
            acc[c] += row[c];
    }
    for (int c = 0; c < nc; c++)
        sum[c] += (float)acc[c];
}

/* Blocks of 64 columns, whose 64 double sums stay in registers over all M rows (whole blocks
 * with a constant trip count; cloned per x86-64 level like the element-wise passes: measured
 * 2.6-3.6x as fast as the SSE2 baseline's loop on Zen 5 at TB = 6400, G·H = 1536). */
RB_CLONES static void colsum_add(int M, int N, const float *A, int lda, float *sum)
{
    int c0 = 0;
    for (; c0 + 64 <= N; c0 += 64)
        colsum_block(M, 64, A + c0, lda, sum + c0);
    if (c0 < N)
        colsum_block(M, N - c0, A + c0, lda, sum + c0);
}

void rb_colsum_add(int M, int N, const float *A, int lda, float *sum)
{
    colsum_add(M, N, A, lda, sum);
}

/* rb_colsum_add on a team, each thread on a range of the columns (multiples of 64: no two
 * threads write one cache line of sum). */
typedef struct {
    int M;
    const float *A;
    int lda;
    float *sum;
} rb_colsum_job;

static void colsum_range(void *ctx, int c0, int c1)
{
    const rb_colsum_job *j = ctx;
    rb_colsum_add(j->M, c1 - c0, j->A + c0, j->lda, j->sum + c0);
}

static void team_colsum_add(rnnbptt_team *team, int M, int N, const float *A, int lda, float *sum)
{
    rb_colsum_job j = {M, A, lda, sum};
    rb_team_split(team, N, 64, colsum_range, &j);
}

void rb_weight_grads(const rb_dims *d, const float *X, const float *h0, const float *h,
                     const float *dG, const float *dGh, const float *Wx, const rb_grads *g,
                     float *dx)
{
    const int B = d->B, I = d->I, H = d->H, GH = d->GH, TB = d->TB;
#if RB_HAVE_TILES
    if (d->team) { /* the same products on the team; Δᵀ is A with sm = 1, sr = GH (packed) */
        const size_t sgh = (size_t)GH;
        rb_team_gemm(d->team, GH, I, TB, (rb_opa){dG, 1, sgh}, rb_opb_rows(X, I), 1.0f,
                     NULL, g->Wx, I);
        if (TB > B)
            rb_team_gemm(d->team, GH, H, TB - B, (rb_opa){dGh + (size_t)B * sgh, 1, sgh},
                         rb_opb_rows(h, H), 1.0f, NULL, g->Wh, H);
        if (h0)
            rb_team_gemm(d->team, GH, H, B, (rb_opa){dGh, 1, sgh}, rb_opb_rows(h0, H), 1.0f,
                         NULL, g->Wh, H);
        team_colsum_add(d->team, TB, GH, dG, GH, g->bx);
        if (g->bh)
            team_colsum_add(d->team, TB, GH, dGh, GH, g->bh);
        if (dx)
            rb_team_gemm(d->team, TB, I, GH, (rb_opa){dG, sgh, 1}, rb_team_pack(d->team)->wx,
                         0.0f, NULL, dx, I);
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
