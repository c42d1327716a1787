/* baselines.c — the vanilla cell without the library, and its check; calls common. */

/* What the library is measured against, for the vanilla cell (tanh or relu):
 *   naive    plain loops, no BLAS, float;
 *   perstep  the textbook formulation: every product per step — B = 1: sgemv forward and for
 *            W_hhᵀδ, each weight gradient one cblas_sger outer product per step; B > 1: the same
 *            with one sgemm per product per step.
 * Plus the start-of-run check that both agree with the library.
 * Legend: T steps, B batch, I input, H hidden. x (T,B,I), h and dh (T,B,H) row-major.
 * params: W_xh (H,I) | W_hh (H,H) | b_h (H), as in rnnbptt.h.
 *   a_t = W_xh x_t + W_hh h_{t-1} + b_h,  h_t = f(a_t);  δ_t = (dh_t + W_hhᵀ δ_{t+1}) ⊙ f'(a_t) */
#include "baselines.h"

#include "common.h"

#include <cblas.h>
#undef I /* <complex.h>, pulled in by OpenBLAS's cblas.h, defines I */

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t baseline_scratch_count(int B, int H) { return 2 * (size_t)B * (size_t)H; }

static float act(float a, int relu) { return relu ? (a > 0.0f ? a : 0.0f) : tanhf(a); }
/* f'(a) from the stored output h = f(a) */
static float dact(float h, int relu) { return relu ? (h > 0.0f ? 1.0f : 0.0f) : 1.0f - h * h; }

/* δ_t (B,H) = (dh_t + carry + dhT at the last step) ⊙ f'(h_t); carry is dL/dh_t from step t+1 */
static void delta(int B, int H, int relu, const float *ht, const float *dht, const float *carry,
                  const float *dhT, float *dt)
{
    for (size_t k = 0; k < (size_t)B * H; k++)
        dt[k] = (dht[k] + (carry ? carry[k] : 0.0f) + (dhT ? dhT[k] : 0.0f)) * dact(ht[k], relu);
}

void naive_forward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                   const float *h0, float *h)
{
    const int I = L->input_size, H = L->hidden_size, relu = L->cell == RNNBPTT_RNN_RELU;
    const float *Wx = params, *Wh = Wx + (size_t)H * I, *bh = Wh + (size_t)H * H;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            const float *xr = x + ((size_t)t * B + b) * I;
            const float *hp = t ? h + ((size_t)(t - 1) * B + b) * H : h0 ? h0 + (size_t)b * H : NULL;
            float *hr = h + ((size_t)t * B + b) * H;
            for (int j = 0; j < H; j++) {
                float a = bh[j];
                for (int i = 0; i < I; i++)
                    a += Wx[(size_t)j * I + i] * xr[i];
                if (hp)
                    for (int k = 0; k < H; k++)
                        a += Wh[(size_t)j * H + k] * hp[k];
                hr[j] = act(a, relu);
            }
        }
}

void naive_backward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                    const float *h0, const float *h, const float *dh, const float *dhT,
                    float *dparams, float *dx, float *dh0, float *scratch)
{
    const int I = L->input_size, H = L->hidden_size, relu = L->cell == RNNBPTT_RNN_RELU;
    const size_t BH = (size_t)B * H;
    const float *Wx = params, *Wh = Wx + (size_t)H * I;
    float *dWx = dparams, *dWh = dWx + (size_t)H * I, *db = dWh + (size_t)H * H;
    float *dt = scratch, *carry = scratch + BH; /* δ_t (B,H), dL/dh_{t-1} (B,H) */
    for (int t = T - 1; t >= 0; t--) {
        delta(B, H, relu, h + t * BH, dh + t * BH, t < T - 1 ? carry : NULL, t == T - 1 ? dhT : NULL,
              dt);
        memset(carry, 0, BH * sizeof(float));
        for (int b = 0; b < B; b++) {
            const float *d = dt + (size_t)b * H, *xr = x + ((size_t)t * B + b) * I;
            const float *hp = t ? h + (t - 1) * BH + (size_t)b * H : h0 ? h0 + (size_t)b * H : NULL;
            float *dxr = dx + ((size_t)t * B + b) * I, *cr = carry + (size_t)b * H;
            memset(dxr, 0, (size_t)I * sizeof(float));
            for (int j = 0; j < H; j++) {
                const float dj = d[j];
                db[j] += dj;
                for (int i = 0; i < I; i++) {
                    dWx[(size_t)j * I + i] += dj * xr[i];
                    dxr[i] += dj * Wx[(size_t)j * I + i];
                }
                for (int k = 0; k < H; k++) {
                    if (hp)
                        dWh[(size_t)j * H + k] += dj * hp[k];
                    cr[k] += dj * Wh[(size_t)j * H + k];
                }
            }
        }
    }
    if (dh0)
        memcpy(dh0, carry, BH * sizeof(float));
}

void perstep_forward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                     const float *h0, float *h)
{
    const int I = L->input_size, H = L->hidden_size, relu = L->cell == RNNBPTT_RNN_RELU;
    const size_t BH = (size_t)B * H;
    const float *Wx = params, *Wh = Wx + (size_t)H * I, *bh = Wh + (size_t)H * H;
    for (int t = 0; t < T; t++) {
        const float *xt = x + (size_t)t * B * I, *hp = t ? h + (t - 1) * BH : h0;
        float *ht = h + t * BH;
        for (int b = 0; b < B; b++)
            memcpy(ht + (size_t)b * H, bh, (size_t)H * sizeof(float));
        if (B == 1) {
            /* h_t = b + W_xh x_t + W_hh h_{t-1} */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, H, I, 1.0f, Wx, I, xt, 1, 1.0f, ht, 1);
            if (hp)
                cblas_sgemv(CblasRowMajor, CblasNoTrans, H, H, 1.0f, Wh, H, hp, 1, 1.0f, ht, 1);
        } else {
            /* H_t (B × H) = b + X_t W_xhᵀ + H_{t-1} W_hhᵀ */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, I, 1.0f, xt, I, Wx, I, 1.0f,
                        ht, H);
            if (hp)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, H, 1.0f, hp, H, Wh, H,
                            1.0f, ht, H);
        }
        for (size_t k = 0; k < BH; k++)
            ht[k] = act(ht[k], relu);
    }
}

void perstep_backward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                      const float *h0, const float *h, const float *dh, const float *dhT,
                      float *dparams, float *dx, float *dh0, float *scratch)
{
    const int I = L->input_size, H = L->hidden_size, relu = L->cell == RNNBPTT_RNN_RELU;
    const size_t BH = (size_t)B * H;
    const float *Wx = params, *Wh = Wx + (size_t)H * I;
    float *dWx = dparams, *dWh = dWx + (size_t)H * I, *db = dWh + (size_t)H * H;
    float *dt = scratch, *carry = scratch + BH;
    for (int t = T - 1; t >= 0; t--) {
        const float *xt = x + (size_t)t * B * I, *hp = t ? h + (t - 1) * BH : h0;
        float *dxt = dx + (size_t)t * B * I;
        delta(B, H, relu, h + t * BH, dh + t * BH, t < T - 1 ? carry : NULL, t == T - 1 ? dhT : NULL,
              dt);
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++)
                db[j] += dt[(size_t)b * H + j];
        if (B == 1) {
            /* dW_xh += δ x_tᵀ,  dW_hh += δ h_{t-1}ᵀ,  dx_t = W_xhᵀ δ,  dh_{t-1} = W_hhᵀ δ */
            cblas_sger(CblasRowMajor, H, I, 1.0f, dt, 1, xt, 1, dWx, I);
            if (hp)
                cblas_sger(CblasRowMajor, H, H, 1.0f, dt, 1, hp, 1, dWh, H);
            cblas_sgemv(CblasRowMajor, CblasTrans, H, I, 1.0f, Wx, I, dt, 1, 0.0f, dxt, 1);
            cblas_sgemv(CblasRowMajor, CblasTrans, H, H, 1.0f, Wh, H, dt, 1, 0.0f, carry, 1);
        } else {
            /* dW_xh += Δ_tᵀ X_t (H × B)(B × I),  dW_hh += Δ_tᵀ H_{t-1},  dX_t = Δ_t W_xh,
             * dH_{t-1} = Δ_t W_hh */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, I, B, 1.0f, dt, H, xt, I, 1.0f,
                        dWx, I);
            if (hp)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, H, B, 1.0f, dt, H, hp, H,
                            1.0f, dWh, H);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, I, H, 1.0f, dt, H, Wx, I, 0.0f,
                        dxt, I);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H, 1.0f, dt, H, Wh, H, 0.0f,
                        carry, H);
        }
    }
    if (dh0)
        memcpy(dh0, carry, BH * sizeof(float));
}

/* ---- the start-of-run check ---- */

/* Largest |a − ref| / (1 + |ref|) over n elements; *at gets its index. */
static double max_err(const float *a, const float *ref, size_t n, size_t *at)
{
    double e = 0.0;
    for (size_t k = 0; k < n; k++) {
        const double d = fabs((double)a[k] - ref[k]) / (1.0 + fabs((double)ref[k]));
        if (!(d <= e)) { /* also catches NaN */
            e = d;
            *at = k;
        }
    }
    return e;
}

static double u01(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (double)(*s >> 8) / (double)(1u << 24);
}

/* One case: library vs naive vs perstep. Returns the largest error, or -1 on a library error. */
static double check_case(rnnbptt_cell cell, int T, int B, int I, int H, double tol, int *bad)
{
    const rnnbptt_layer L = {cell, I, H, NULL};
    const size_t np = rnnbptt_param_count(&L), nx = (size_t)T * B * I, nh = (size_t)T * B * H,
                 n0 = (size_t)B * H;
    /* per implementation: h, dparams, dx, dh0 */
    const size_t per = nh + np + nx + n0;
    const size_t total = np + nx + n0 + nh + n0 + 3 * per + nh + baseline_scratch_count(B, H);
    enum { NIMPL = IMPL_PERSTEP + 1 }; /* rnnbptt, naive, perstep: 3 * per above */
    float *mem = calloc(total, sizeof(float));
    if (!mem)
        return -1.0;
    float *params = mem, *x = params + np, *h0 = x + nx, *dh = h0 + n0, *dhT = dh + nh;
    float *out = dhT + n0, *work = out + 3 * per, *scratch = work + nh;
    unsigned s = 12345u + (unsigned)cell * 7u + (unsigned)B;
    for (size_t k = 0; k < (size_t)(out - mem); k++)
        mem[k] = (float)(u01(&s) - 0.5);
    for (size_t k = 0; k < np; k++)
        params[k] *= 2.0f / sqrtf((float)H);

    for (int m = 0; m < NIMPL; m++) {
        float *h = out + m * per, *dp = h + nh, *dx = dp + np, *dh0 = dx + nx;
        if (m == IMPL_RNNBPTT) {
            if (rnnbptt_forward(&L, params, T, B, NULL, x, h0, NULL, h, NULL, NULL, NULL) ||
                rnnbptt_backward_work(&L, params, T, B, NULL, x, h0, NULL, h, NULL, dh, dhT, NULL, dp,
                                      dx, dh0, NULL, work)) {
                free(mem);
                return -1.0;
            }
        } else if (m == IMPL_NAIVE) {
            naive_forward(&L, params, T, B, x, h0, h);
            naive_backward(&L, params, T, B, x, h0, h, dh, dhT, dp, dx, dh0, scratch);
        } else {
            perstep_forward(&L, params, T, B, x, h0, h);
            perstep_backward(&L, params, T, B, x, h0, h, dh, dhT, dp, dx, dh0, scratch);
        }
    }
    static const char *names[] = {"h", "dparams", "dx", "dh0"};
    const size_t offs[] = {0, nh, nh + np, nh + np + nx}, lens[] = {nh, np, nx, n0};
    double worst = 0.0;
    for (int m = IMPL_NAIVE; m < NIMPL; m++)
        for (int k = 0; k < 4; k++) {
            size_t at = 0;
            const double e = max_err(out + m * per + offs[k], out + offs[k], lens[k], &at);
            if (!(e <= tol)) {
                fprintf(stderr,
                        "rnnbptt-bench: CHECK FAILED: %s disagrees with rnnbptt on %s %s[%zu] "
                        "(T=%d B=%d I=%d H=%d): %g vs %g, relative error %.3g > tolerance %.3g\n",
                        impl_name((bench_impl)m), cell_name(cell), names[k], at, T, B, I, H,
                        (double)out[m * per + offs[k] + at], (double)out[offs[k] + at], e, tol);
                *bad = 1;
            }
            worst = e > worst ? e : worst;
        }
    free(mem);
    return worst;
}

int baselines_check(FILE *out)
{
    enum { T = 5, B = 3, I = 7, H = 6 };
    /* error bound ∝ the longest summation (I + H + 1 terms per step, over T steps) */
    const double tol = 64.0 * ceil(log2((double)(I + H + 1) * T)) * FLT_EPSILON;
    double worst = 0.0;
    int bad = 0;
    const rnnbptt_cell cells[] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU};
    for (int c = 0; c < 2; c++)
        for (int b = 1; b <= B; b += B - 1) {
            const double e = check_case(cells[c], T, b, I, H, tol, &bad);
            if (e < 0.0) {
                fprintf(stderr, "rnnbptt-bench: CHECK FAILED: the library call or an allocation "
                                "failed on the check case\n");
                return -1;
            }
            worst = e > worst ? e : worst;
        }
    if (bad)
        return -1;
    fprintf(out, "check: naive and perstep agree with rnnbptt (h, dparams, dx, dh0; tanh and relu; "
                 "T=%d I=%d H=%d, B=1 and B=%d, with h0 and dhT): max |a-ref|/(1+|ref|) = %.2g "
                 "<= %.2g\n",
            T, I, H, B, worst, tol);
    return 0;
}
