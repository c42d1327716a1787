/* ref.c — plain-loop double-precision reference of rnnbptt and the helpers the tests share.
 *
 * Legend: T steps, B batch, I input size, H hidden size, G gates, N rows. x is (T,B,I), h is
 * (T,B,H), both time-major row-major. Written from the equations in include/rnnbptt.h only: one
 * sequence b at a time, one step at a time, one dot product at a time. The forward pass keeps
 * every step's states and gate activations in its own arrays; the backward pass recomputes them.
 */
#include "ref.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---------------------------------------------------------------------- */

void *ref_malloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "ref: out of memory (%zu bytes)\n", bytes);
        abort();
    }
    return p;
}

float *ref_frand(size_t n, uint32_t *s, float scale)
{
    float *a = ref_malloc(n * sizeof *a + 1);
    for (size_t k = 0; k < n; k++) {
        *s = *s * 1664525u + 1013904223u;
        a[k] = scale * ((float)(*s >> 8) / (float)(1u << 24) - 0.5f);
    }
    return a;
}

void *ref_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "ref: out of memory (%zu x %zu bytes)\n", count, size);
        abort();
    }
    return p;
}

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Σ_k w[k] v[k] over n */
static double dot(const double *w, const double *v, int n)
{
    double s = 0.0;
    for (int k = 0; k < n; k++)
        s += w[k] * v[k];
    return s;
}

/* ---- recurrent layer -------------------------------------------------------------------- */

int ref_gates(rnnbptt_cell cell)
{
    switch (cell) {
    case RNNBPTT_LSTM: return 4;
    case RNNBPTT_GRU: return 3;
    default: return 1;
    }
}

size_t ref_param_count(rnnbptt_cell cell, int I, int H)
{
    size_t G = (size_t)ref_gates(cell), h = (size_t)H, i = (size_t)I;
    size_t n = G * h * i + G * h * h + G * h; /* W_x, W_h, b (b_x for the GRU) */
    if (cell == RNNBPTT_GRU)
        n += G * h; /* b_h */
    return n;
}

/* Named views into a flat parameter (or gradient) vector, offsets as in the header. */
typedef struct {
    double *Wx; /* (G*H, I) */
    double *Wh; /* (G*H, H) */
    double *bx; /* [G*H]: b_h (RNN), b (LSTM), b_x (GRU) */
    double *bh; /* [G*H]: GRU b_h, else NULL */
} views;

static views carve(rnnbptt_cell cell, int I, int H, const double *p)
{
    size_t GH = (size_t)ref_gates(cell) * (size_t)H;
    views v;
    v.Wx = (double *)p;
    v.Wh = v.Wx + GH * (size_t)I;
    v.bx = v.Wh + GH * (size_t)H;
    v.bh = cell == RNNBPTT_GRU ? v.bx + GH : NULL;
    return v;
}

/* Everything the forward pass produces, per (t, b) with t < lengths[b]. */
typedef struct {
    int *len;    /* [B] resolved lengths */
    double *h;   /* (T,B,H) h after step t, 0 past the length */
    double *c;   /* (T,B,H) LSTM cell state after step t */
    double *act; /* (T,B,G*H) RNN: pre-activation a; LSTM: i f g o; GRU: r z n */
    double *hn;  /* (T,B,H) GRU: W_hn h_{t-1} + b_hn */
    double *zero; /* [H] zeros, the state when h0 / c0 is NULL */
} cache;

static const double *prev_state(const cache *C, const double *s, const double *s0, int t, int b,
                                int B, int H)
{
    if (t > 0)
        return s + ((size_t)(t - 1) * (size_t)B + (size_t)b) * (size_t)H;
    return s0 ? s0 + (size_t)b * (size_t)H : C->zero;
}

static void run_forward(rnnbptt_cell cell, int I, int H, int T, int B, const int *lengths,
                        const double *params, const double *x, const double *h0,
                        const double *c0, cache *C)
{
    const int G = ref_gates(cell), GH = G * H;
    const size_t TB = (size_t)T * (size_t)B;
    views P = carve(cell, I, H, params);
    double *ax = ref_malloc(sizeof(double) * (size_t)GH); /* W_x x_t */
    double *ah = ref_malloc(sizeof(double) * (size_t)GH); /* W_h h_{t-1} */

    C->len = ref_malloc(sizeof(int) * (size_t)B);
    C->h = ref_calloc(TB * (size_t)H, sizeof(double));
    C->c = ref_calloc(TB * (size_t)H, sizeof(double));
    C->act = ref_calloc(TB * (size_t)GH, sizeof(double));
    C->hn = ref_calloc(TB * (size_t)H, sizeof(double));
    C->zero = ref_calloc((size_t)H, sizeof(double));
    for (int b = 0; b < B; b++)
        C->len[b] = lengths ? lengths[b] : T;

    for (int b = 0; b < B; b++) {
        for (int t = 0; t < C->len[b]; t++) {
            const size_t row = (size_t)t * (size_t)B + (size_t)b;
            const double *xt = x + row * (size_t)I;
            const double *hp = prev_state(C, C->h, h0, t, b, B, H);
            const double *cp = prev_state(C, C->c, c0, t, b, B, H);
            double *ht = C->h + row * (size_t)H, *ct = C->c + row * (size_t)H;
            double *a = C->act + row * (size_t)GH, *hn = C->hn + row * (size_t)H;

            for (int k = 0; k < GH; k++) {
                ax[k] = dot(P.Wx + (size_t)k * (size_t)I, xt, I);
                ah[k] = dot(P.Wh + (size_t)k * (size_t)H, hp, H);
            }
            for (int j = 0; j < H; j++) {
                if (cell == RNNBPTT_RNN_TANH || cell == RNNBPTT_RNN_RELU) {
                    a[j] = ax[j] + ah[j] + P.bx[j];
                    ht[j] = cell == RNNBPTT_RNN_TANH ? tanh(a[j]) : (a[j] > 0.0 ? a[j] : 0.0);
                } else if (cell == RNNBPTT_LSTM) {
                    double *ig = a, *fg = a + H, *gg = a + 2 * H, *og = a + 3 * H;
                    ig[j] = sigmoid(ax[j] + ah[j] + P.bx[j]);
                    fg[j] = sigmoid(ax[H + j] + ah[H + j] + P.bx[H + j]);
                    gg[j] = tanh(ax[2 * H + j] + ah[2 * H + j] + P.bx[2 * H + j]);
                    og[j] = sigmoid(ax[3 * H + j] + ah[3 * H + j] + P.bx[3 * H + j]);
                    ct[j] = fg[j] * cp[j] + ig[j] * gg[j];
                    ht[j] = og[j] * tanh(ct[j]);
                } else { /* GRU */
                    double *r = a, *z = a + H, *n = a + 2 * H;
                    r[j] = sigmoid(ax[j] + P.bx[j] + ah[j] + P.bh[j]);
                    z[j] = sigmoid(ax[H + j] + P.bx[H + j] + ah[H + j] + P.bh[H + j]);
                    hn[j] = ah[2 * H + j] + P.bh[2 * H + j];
                    n[j] = tanh(ax[2 * H + j] + P.bx[2 * H + j] + r[j] * hn[j]);
                    ht[j] = (1.0 - z[j]) * n[j] + z[j] * hp[j];
                }
            }
        }
    }
    free(ax);
    free(ah);
}

static void free_cache(cache *C)
{
    free(C->len);
    free(C->h);
    free(C->c);
    free(C->act);
    free(C->hn);
    free(C->zero);
}

void ref_forward(rnnbptt_cell cell, int I, int H, int T, int B, const int *lengths,
                 const double *params, const double *x, const double *h0, const double *c0,
                 double *h, double *hT, double *cT)
{
    cache C;
    run_forward(cell, I, H, T, B, lengths, params, x, h0, c0, &C);
    memcpy(h, C.h, sizeof(double) * (size_t)T * (size_t)B * (size_t)H);
    for (int b = 0; b < B; b++) {
        const size_t last = ((size_t)(C.len[b] - 1) * (size_t)B + (size_t)b) * (size_t)H;
        for (int j = 0; j < H; j++) {
            if (hT)
                hT[(size_t)b * (size_t)H + (size_t)j] = C.h[last + (size_t)j];
            if (cT && cell == RNNBPTT_LSTM)
                cT[(size_t)b * (size_t)H + (size_t)j] = C.c[last + (size_t)j];
        }
    }
    free_cache(&C);
}

void ref_backward(rnnbptt_cell cell, int I, int H, int T, int B, const int *lengths,
                  const double *params, const double *x, const double *h0, const double *c0,
                  const double *dh, const double *dhT, const double *dcT, double *dparams,
                  double *dx, double *dh0, double *dc0)
{
    const int G = ref_gates(cell), GH = G * H;
    const int lstm = cell == RNNBPTT_LSTM;
    cache C;
    views P = carve(cell, I, H, params), D = carve(cell, I, H, dparams);
    double *g = ref_malloc(sizeof(double) * (size_t)H);        /* dL/dh_t in total */
    double *dzx = ref_malloc(sizeof(double) * (size_t)GH);     /* dL/d(W_x x_t + b_x) */
    double *dzh = ref_malloc(sizeof(double) * (size_t)GH);     /* dL/d(W_h h_{t-1} + b_h) */
    double *carry_h = ref_malloc(sizeof(double) * (size_t)H);  /* dL/dh_{t-1} */
    double *carry_c = ref_malloc(sizeof(double) * (size_t)H);  /* dL/dc_{t-1} (LSTM) */
    double *direct = ref_malloc(sizeof(double) * (size_t)H);   /* GRU: z ⊙ g */

    run_forward(cell, I, H, T, B, lengths, params, x, h0, c0, &C);
    if (dx)
        memset(dx, 0, sizeof(double) * (size_t)T * (size_t)B * (size_t)I);

    for (int b = 0; b < B; b++) {
        for (int j = 0; j < H; j++) {
            carry_h[j] = dhT ? dhT[(size_t)b * (size_t)H + (size_t)j] : 0.0;
            carry_c[j] = (lstm && dcT) ? dcT[(size_t)b * (size_t)H + (size_t)j] : 0.0;
        }
        for (int t = C.len[b] - 1; t >= 0; t--) {
            const size_t row = (size_t)t * (size_t)B + (size_t)b;
            const double *xt = x + row * (size_t)I;
            const double *hp = prev_state(&C, C.h, h0, t, b, B, H);
            const double *cp = prev_state(&C, C.c, c0, t, b, B, H);
            const double *ht = C.h + row * (size_t)H, *ct = C.c + row * (size_t)H;
            const double *a = C.act + row * (size_t)GH, *hn = C.hn + row * (size_t)H;

            for (int j = 0; j < H; j++)
                g[j] = carry_h[j] + (dh ? dh[row * (size_t)H + (size_t)j] : 0.0);

            for (int j = 0; j < H; j++) {
                if (cell == RNNBPTT_RNN_TANH) {
                    dzx[j] = g[j] * (1.0 - ht[j] * ht[j]);
                    dzh[j] = dzx[j];
                } else if (cell == RNNBPTT_RNN_RELU) {
                    dzx[j] = a[j] > 0.0 ? g[j] : 0.0;
                    dzh[j] = dzx[j];
                } else if (lstm) {
                    const double ig = a[j], fg = a[H + j], gg = a[2 * H + j], og = a[3 * H + j];
                    const double tc = tanh(ct[j]);
                    const double dc = carry_c[j] + g[j] * og * (1.0 - tc * tc);
                    dzx[j] = dc * gg * ig * (1.0 - ig);               /* i */
                    dzx[H + j] = dc * cp[j] * fg * (1.0 - fg);        /* f */
                    dzx[2 * H + j] = dc * ig * (1.0 - gg * gg);       /* g */
                    dzx[3 * H + j] = g[j] * tc * og * (1.0 - og);     /* o */
                    carry_c[j] = dc * fg;
                    for (int k = 0; k < 4; k++)
                        dzh[k * H + j] = dzx[k * H + j];
                } else { /* GRU */
                    const double r = a[j], z = a[H + j], n = a[2 * H + j];
                    const double dan = g[j] * (1.0 - z) * (1.0 - n * n); /* d n-pre-activation */
                    const double dr = dan * hn[j];
                    dzx[j] = dr * r * (1.0 - r);
                    dzx[H + j] = g[j] * (hp[j] - n) * z * (1.0 - z);
                    dzx[2 * H + j] = dan;
                    dzh[j] = dzx[j];
                    dzh[H + j] = dzx[H + j];
                    dzh[2 * H + j] = dan * r; /* through r ⊙ (W_hn h + b_hn) */
                    direct[j] = g[j] * z;
                }
            }

            /* weight gradients: dW_x += dzx x_tᵀ, dW_h += dzh h_{t-1}ᵀ, biases += dz */
            for (int k = 0; k < GH; k++) {
                for (int i = 0; i < I; i++)
                    D.Wx[(size_t)k * (size_t)I + (size_t)i] += dzx[k] * xt[i];
                for (int j = 0; j < H; j++)
                    D.Wh[(size_t)k * (size_t)H + (size_t)j] += dzh[k] * hp[j];
                D.bx[k] += dzx[k];
                if (D.bh)
                    D.bh[k] += dzh[k];
            }
            /* dx_t = W_xᵀ dzx;  dh_{t-1} = W_hᵀ dzh (+ z ⊙ g for the GRU) */
            if (dx) {
                for (int i = 0; i < I; i++) {
                    double s = 0.0;
                    for (int k = 0; k < GH; k++)
                        s += P.Wx[(size_t)k * (size_t)I + (size_t)i] * dzx[k];
                    dx[row * (size_t)I + (size_t)i] = s;
                }
            }
            for (int j = 0; j < H; j++) {
                double s = cell == RNNBPTT_GRU ? direct[j] : 0.0;
                for (int k = 0; k < GH; k++)
                    s += P.Wh[(size_t)k * (size_t)H + (size_t)j] * dzh[k];
                carry_h[j] = s;
            }
        }
        for (int j = 0; j < H; j++) {
            if (dh0)
                dh0[(size_t)b * (size_t)H + (size_t)j] = carry_h[j];
            if (dc0 && lstm)
                dc0[(size_t)b * (size_t)H + (size_t)j] = carry_c[j];
        }
    }
    free_cache(&C);
    free(g);
    free(dzx);
    free(dzh);
    free(carry_h);
    free(carry_c);
    free(direct);
}

/* ---- dense layer and losses ------------------------------------------------------------ */

void ref_dense_forward(int N, int in, int out, const double *W, const double *b, const double *x,
                       double *y)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < out; o++)
            y[(size_t)n * (size_t)out + (size_t)o] =
                dot(W + (size_t)o * (size_t)in, x + (size_t)n * (size_t)in, in) + (b ? b[o] : 0.0);
}

void ref_dense_backward(int N, int in, int out, const double *W, const double *x,
                        const double *dy, double *dW, double *db, double *dx)
{
    for (int o = 0; o < out; o++) {
        for (int i = 0; i < in; i++) {
            double s = 0.0;
            for (int n = 0; n < N; n++)
                s += dy[(size_t)n * (size_t)out + (size_t)o]
                     * x[(size_t)n * (size_t)in + (size_t)i];
            dW[(size_t)o * (size_t)in + (size_t)i] += s;
        }
        if (db) {
            double s = 0.0;
            for (int n = 0; n < N; n++)
                s += dy[(size_t)n * (size_t)out + (size_t)o];
            db[o] += s;
        }
    }
    if (dx) {
        for (int n = 0; n < N; n++) {
            for (int i = 0; i < in; i++) {
                double s = 0.0;
                for (int o = 0; o < out; o++)
                    s += dy[(size_t)n * (size_t)out + (size_t)o]
                         * W[(size_t)o * (size_t)in + (size_t)i];
                dx[(size_t)n * (size_t)in + (size_t)i] = s;
            }
        }
    }
}

void ref_mse_loss(int N, int D, const double *y, const double *target, double *loss, double *dy)
{
    double s = 0.0;
    for (size_t k = 0; k < (size_t)N * (size_t)D; k++) {
        const double d = y[k] - target[k];
        s += 0.5 * d * d;
        if (dy)
            dy[k] = d;
    }
    *loss = s;
}

void ref_softmax_xent_loss(int N, int C, const double *logits, const int *labels, double *loss,
                           double *dlogits)
{
    double total = 0.0;
    for (int n = 0; n < N; n++) {
        const double *l = logits + (size_t)n * (size_t)C;
        double *dl = dlogits ? dlogits + (size_t)n * (size_t)C : NULL;
        if (labels[n] < 0) {
            for (int c = 0; c < C && dl; c++)
                dl[c] = 0.0;
            continue;
        }
        double m = l[0], s = 0.0;
        for (int c = 1; c < C; c++)
            m = l[c] > m ? l[c] : m;
        for (int c = 0; c < C; c++)
            s += exp(l[c] - m);
        const double lse = m + log(s);
        total += lse - l[labels[n]];
        for (int c = 0; c < C && dl; c++)
            dl[c] = exp(l[c] - lse) - (c == labels[n] ? 1.0 : 0.0);
    }
    *loss = total;
}

/* ---- RNG and array helpers ------------------------------------------------------------- */

void ref_rng_seed(ref_rng *r, uint64_t seed) { r->state = seed; }

uint64_t ref_rng_next(ref_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double ref_rng_unit(ref_rng *r) { return (double)(ref_rng_next(r) >> 11) * 0x1.0p-53; }

int ref_rng_int(ref_rng *r, int lo, int hi)
{
    return lo + (int)(ref_rng_next(r) % (uint64_t)(hi - lo + 1));
}

void ref_fill_uniform(ref_rng *r, float *p, size_t n, double a)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (float)(a * (2.0 * ref_rng_unit(r) - 1.0));
}

void ref_fill_grid(ref_rng *r, float *p, size_t n, double a, double grid)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (float)(nearbyint(a * (2.0 * ref_rng_unit(r) - 1.0) / grid) * grid);
}

void ref_f2d(const float *src, double *dst, size_t n)
{
    for (size_t k = 0; k < n; k++)
        dst[k] = (double)src[k];
}

void ref_d2f(const double *src, float *dst, size_t n)
{
    for (size_t k = 0; k < n; k++)
        dst[k] = (float)src[k];
}

double *ref_dup_f2d(const float *src, size_t n)
{
    if (!src)
        return NULL;
    double *d = ref_malloc(sizeof(double) * n);
    ref_f2d(src, d, n);
    return d;
}

double ref_max_abs(const double *p, size_t n)
{
    double m = 0.0;
    for (size_t k = 0; k < n; k++)
        m = fabs(p[k]) > m ? fabs(p[k]) : m;
    return m;
}

/* ---- comparisons ------------------------------------------------------------------------ */

static double worst_ratio = 0.0;
static char worst_name[96] = "";

double ref_log2_ceil(double K)
{
    const double l = ceil(log2(K));
    return l < 1.0 ? 1.0 : l;
}

double ref_tol_scaled(double c, double K, const double *ref, size_t n)
{
    const double m = ref_max_abs(ref, n);
    return c * ref_log2_ceil(K) * FLT_EPSILON * (m > 1.0 ? m : 1.0);
}

int ref_check(const char *name, const float *got, const double *ref, size_t n, double tol_abs,
              double tol_rel)
{
    size_t worst = 0;
    double worst_r = -1.0;
    int ok = 1;
    for (size_t k = 0; k < n; k++) {
        const double err = fabs((double)got[k] - ref[k]);
        const double allowed = tol_abs + tol_rel * fabs(ref[k]);
        double r = allowed > 0.0 ? err / allowed : (err > 0.0 ? INFINITY : 0.0);
        if (isnan(r))
            r = INFINITY; /* a NaN (in got or ref) is the worst possible element */
        if (!(err <= allowed))
            ok = 0;
        if (r > worst_r) {
            worst = k;
            worst_r = r;
        }
    }
    if (worst_r > worst_ratio) {
        worst_ratio = worst_r;
        snprintf(worst_name, sizeof worst_name, "%s", name);
    }
    if (!ok)
        printf("MISMATCH %s: worst element %zu of %zu: got %.9g, ref %.9g, |err| %.3g > allowed "
               "%.3g (tol_abs %.3g, tol_rel %.3g)\n",
               name, worst, n, (double)got[worst], ref[worst],
               fabs((double)got[worst] - ref[worst]), tol_abs + tol_rel * fabs(ref[worst]), tol_abs,
               tol_rel);
    return ok;
}

int ref_check_scaled(const char *name, const float *got, const double *ref, size_t n, double c,
                     double K)
{
    return ref_check(name, got, ref, n, ref_tol_scaled(c, K, ref, n), 0.0);
}

void ref_check_report(const char *tag)
{
    printf("[%s] largest error/allowed ratio: %.3g (%s)\n", tag, worst_ratio,
           worst_name[0] ? worst_name : "no checks");
    worst_ratio = 0.0;
    worst_name[0] = '\0';
}

double ref_worst_error(const float *got, const double *ref, size_t n, double scale, size_t *at)
{
    double worst = 0.0;
    *at = 0;
    for (size_t i = 0; i < n; i++) {
        const double err = fabs((double)got[i] - scale * ref[i]);
        if (!(err <= worst)) { /* NaN counts as worst */
            worst = err;
            *at = i;
            if (isnan(err))
                break;
        }
    }
    return worst;
}
