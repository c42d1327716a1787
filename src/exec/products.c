/* products.c — the products of a layer call: the hoisted input projection and each step's
 * recurrent product, forward and backward, on the team's kernel in a call on a team, else on the
 * BLAS or, for the small B = 1 products, the own GEMV (policy.c says which). All BLAS calls of a
 * layer's time loop are here.
 * Legend: B batch rows, K and N the product's inner and outer sizes. */
#include "exec/exec.h"

#include "exec/blas.h"
#include <string.h>

/* out (M, N), rows ldo apart, = bias in every row. */
static void fill_rows(int M, int N, const float *bias, float *out, size_t ldo)
{
    for (int r = 0; r < M; r++)
        memcpy(out + (size_t)r * ldo, bias, (size_t)N * sizeof(float));
}

#if RB_HAVE_TILES
/* The forward's B = 1 product on a team without W_hᵀ's panel matrix (short calls, see
 * rb_b1_panels): y = W v by ranges of W's rows in place. */
static void gemv_n_range(void *ctx, int n0, int n1)
{
    const rb_vec_job *j = ctx;
    rb_gemv_n(n1 - n0, j->cols, j->W + (size_t)n0 * j->ld, j->x, j->beta, j->y + n0);
}

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
    if (!hprev) { /* h_{t-1} = 0: out = bias (GRU's b_h), or out as it is (beta 1) */
        if (bias)
            fill_rows(B, N, bias, out, (size_t)N);
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
            rb_vec_job j = {.rows = N, .cols = K, .W = W, .ld = (size_t)K, .x = hprev,
                            .beta = beta, .y = out};
            rb_team_split(team, N, 16, gemv_n_range, &j);
        }
        return;
    }
#endif
    if (rb_own_gemv(B, (size_t)N * (size_t)K)) {
        rb_gemv_n(N, K, W, hprev, beta, out);
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
        rb_gemv_t(N, K, W, dG, beta, out);
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
