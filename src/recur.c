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

void rb_step_fwd(int B, int K, int N, const float *hprev, const float *W, float beta, float *out)
{
    if (B == 1) /* out = W · h   (N × K) · (K) */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, 1.0f, W, K, hprev, 1, beta, out, 1);
    else        /* out = H_prev · Wᵀ   (B × K) · (K × N) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, N, K, 1.0f, hprev, K, W, K, beta,
                    out, N);
}

void rb_step_bwd(int B, int K, int N, const float *dG, const float *W, float beta, float *out)
{
    if (B == 1) /* out = Wᵀ · δ   (K × N) · (N) */
        cblas_sgemv(CblasRowMajor, CblasTrans, N, K, 1.0f, W, K, dG, 1, beta, out, 1);
    else        /* out = Δ · W   (B × N) · (N × K) */
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
