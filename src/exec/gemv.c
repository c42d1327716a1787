/* gemv.c — the library's own single-thread GEMV kernels for the small B = 1 products
 * (rb_own_gemv's range), one per direction: dot products with W row-major (rb_gemv_n) and axpys
 * over W's rows (rb_gemv_t). Cloned per x86-64 level (RB_CLONES, which only static functions
 * may carry), behind plain entry points. */
#include "exec/exec.h"

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

void rb_gemv_n(int N, int K, const float *W, const float *x, float beta, float *y)
{
    small_gemv_n(N, K, W, x, beta, y);
}

void rb_gemv_t(int N, int K, const float *W, const float *d, float beta, float *y)
{
    small_gemv_t(N, K, W, d, beta, y);
}
