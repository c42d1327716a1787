/* recur.c — what every cell shares: parameter carving, the hoisted input projection, the per-step
 * recurrent products and the weight-gradient GEMMs after the time loop. All BLAS calls of the
 * recurrent layers are here, so the backend's use is visible in one place.
 * Legend: T steps, B batch, I input, H hidden, G gates, GH = G*H, TB = T*B. */
#include "internal.h"

#include "blas.h"
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

void rb_project(int M, int K, int N, const float *X, const float *W, const float *bias, float *out,
                int ldo)
{
    if (bias)
        for (int r = 0; r < M; r++)
            memcpy(out + (size_t)r * ldo, bias, (size_t)N * sizeof(float));
    /* out = X · Wᵀ (+ bias)   (M × K) · (K × N) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, X, K, W, K,
                bias ? 1.0f : 0.0f, out, ldo);
}

/* At B = 1, products of RB_SMALL_GEMV_MIN..RB_SMALL_GEMV_MAX matrix elements run single-threaded
 * here instead of in cblas_sgemv: OpenBLAS 0.3.21 splits an sgemv over its threads from 9216
 * elements on, and at these sizes waking the second thread costs more than the product
 * (measured with 2 threads at H = 128: 2.9 µs per step against 0.65 µs single-threaded; the two
 * break even near H = 256..512). Below 9216 OpenBLAS runs one thread with a faster kernel than
 * ours. 131072 floats = 512 KiB, half this machine's L2. */
#define RB_SMALL_GEMV_MIN 9216
#define RB_SMALL_GEMV_MAX 131072

static int small_gemv(int B, int N, int K)
{
    const size_t n = (size_t)N * (size_t)K;
    return B == 1 && n >= RB_SMALL_GEMV_MIN && n <= RB_SMALL_GEMV_MAX;
}

/* y (N) (+)= W (N, K) · x (K), row dot products with 16 independent partial sums. */
RB_CLONES static void small_gemv_n(int N, int K, const float *W, const float *x, float beta,
                                   float *y)
{
    for (int n = 0; n < N; n++) {
        const float *w = W + (size_t)n * K;
        float acc[16] = {0}, s = 0.0f;
        int k = 0;
        for (; k + 16 <= K; k += 16)
            for (int l = 0; l < 16; l++)
                acc[l] += w[k + l] * x[k + l];
        for (; k < K; k++)
            s += w[k] * x[k];
        for (int l = 0; l < 16; l++)
            s += acc[l];
        y[n] = beta != 0.0f ? y[n] + s : s;
    }
}

/* y (K) (+)= Wᵀ (K, N) · d (N), as N contiguous axpys over the rows of W. */
RB_CLONES static void small_gemv_t(int N, int K, const float *W, const float *d, float beta,
                                   float *y)
{
    if (beta == 0.0f)
        memset(y, 0, (size_t)K * sizeof(float));
    for (int n = 0; n < N; n++) {
        const float *w = W + (size_t)n * K, dn = d[n];
        for (int k = 0; k < K; k++)
            y[k] += w[k] * dn;
    }
}

void rb_step_fwd(int B, int K, int N, const float *hprev, const float *W, float beta, float *out)
{
    if (small_gemv(B, N, K))
        small_gemv_n(N, K, W, hprev, beta, out);
    else if (B == 1) /* out = W · h   (N × K) · (K) */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, W, K, hprev, 1, beta, out, 1);
    else             /* out = H_prev · Wᵀ   (B × K) · (K × N) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, hprev, K, W, K, beta,
                    out, N);
}

void rb_step_bwd(int B, int K, int N, const float *dG, const float *W, float beta, float *out)
{
    if (small_gemv(B, N, K))
        small_gemv_t(N, K, W, dG, beta, out);
    else if (B == 1) /* out = Wᵀ · δ   (K × N) · (N) */
        cblas_sgemv(CblasRowMajor, CblasTrans, N, K, 1.0f, W, K, dG, 1, beta, out, 1);
    else             /* out = Δ · W   (B × N) · (N × K) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, K, N, 1.0f, dG, N, W, K, beta,
                    out, K);
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
