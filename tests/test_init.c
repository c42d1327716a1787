/* test_init.c — the library's generator (rnnbptt_rng), initialization (rnnbptt_model_init,
 * rnnbptt_layer_init) and rnnbptt_model_spectral.
 *
 * Exact checks: the generator's integers, uniform and normal floats and the model checksums
 * (FNV-1a 64 of the parameters' float32 bits, little-endian) equal tests/golden/init_data.h, which
 * tests/golden/gen_init.py computes from the header's specification in plain Python; identity,
 * constant and forget-gate blocks are compared bit for bit.
 *
 * Statistical checks use fixed seeds, so they are deterministic; the bounds say that a seed is
 * not chosen to pass. Each compares a statistic of n draws with its exact expectation and allows
 * Z_MAX = 6.5 standard errors: for a statistic that is normal by the central limit theorem (means
 * of n = 2^20 draws), P(|Z| > 6.5) = 8e-11, so a correct generator fails one such check for at
 * most about one seed in 10^10, and all of this file's (about 20) for fewer than one in 10^9.
 * The fourth moment's mean is skewed (z⁴ has skewness 10, its mean 10/√n = 0.01), so it gets
 * 7.5 standard errors. Extremes: n uniform draws all stay more than δ·(hi − lo) from an end with
 * probability (1 − δ)^n, below 10^-10 for the δ used (stated at each check).
 *
 * Orthogonal blocks: ‖QᵀQ − I‖ (largest entry, in double) <= 1e-5, Householder QR in float
 * giving about H·FLT_EPSILON (1e-6 at H = 64). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <string.h>

#include "golden/init_data.h"
#include "ref.h"
#include "rnnbptt.h"
#include "util/util.h"

#define Z_MAX 6.5
#define NSTAT (1u << 20)

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t fnv1a(const float *p, size_t n)
{
    uint64_t h = 0xCBF29CE484222325u;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &p[i], sizeof bits);
        for (int k = 0; k < 4; k++)
            h = (h ^ ((bits >> (8 * k)) & 0xFFu)) * 0x100000001B3u;
    }
    return h;
}

static uint32_t bits_of(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static rnnbptt_model *make(rnnbptt_cell cell, int I, int H, int L, int bidir, int O)
{
    const rnnbptt_model_config cfg = {.cell = cell, .input_size = I, .hidden_size = H,
                                      .num_layers = L, .bidirectional = bidir, .output_size = O};
    rnnbptt_model *m = NULL;
    assert_int_equal(rnnbptt_model_create(&cfg, &m), RNNBPTT_OK);
    return m;
}

/* Tensor `which` of (layer, dir): its pointer and shape. */
static float *tensor(rnnbptt_model *m, int layer, int dir, int which, int *rows, int *cols)
{
    size_t off;
    assert_int_equal(rnnbptt_model_tensor(m, layer, dir, which, &off, rows, cols), RNNBPTT_OK);
    return rnnbptt_model_params(m) + off;
}

static int gates(rnnbptt_cell c) { return c == RNNBPTT_LSTM ? 4 : c == RNNBPTT_GRU ? 3 : 1; }

/* |mean of x − mu| within Z_MAX standard errors se. */
static void assert_near(double got, double want, double se, double z)
{
    if (!(fabs(got - want) <= z * se))
        fail_msg("statistic %.9g, expected %.9g ± %.3g (%.1f standard errors of %.3g)", got,
                 want, z * se, z, se);
}

/* ---- the generator ------------------------------------------------------------------------ */

static void rng_matches_python_reference(void **state)
{
    (void)state;
    for (int s = 0; s < 2; s++) {
        rnnbptt_rng r;
        rnnbptt_rng_seed(&r, gold_seeds[s]);
        for (int i = 0; i < GOLD_N; i++)
            assert_int_equal(rnnbptt_rng_next(&r), gold_next[s][i]);

        float v[2 * GOLD_N];
        rnnbptt_rng_seed(&r, gold_seeds[s]);
        assert_int_equal(rnnbptt_rng_uniform(&r, v, GOLD_N, -1.0f, 1.0f), RNNBPTT_OK);
        assert_int_equal(rnnbptt_rng_uniform(&r, v + GOLD_N, GOLD_N, 0.0f, 1.0f), RNNBPTT_OK);
        for (int i = 0; i < 2 * GOLD_N; i++)
            assert_int_equal(bits_of(v[i]), gold_uniform[s][i]);

        rnnbptt_rng_seed(&r, gold_seeds[s]);
        assert_int_equal(rnnbptt_rng_normal(&r, v, GOLD_N, 0.0f, 1.0f), RNNBPTT_OK);
        assert_int_equal(rnnbptt_rng_normal(&r, v + GOLD_N, GOLD_N, 2.0f, 0.5f), RNNBPTT_OK);
        for (int i = 0; i < 2 * GOLD_N; i++)
            assert_int_equal(bits_of(v[i]), gold_normal[s][i]);

        rnnbptt_rng_seed(&r, gold_seeds[s]);
        for (int i = 0; i < GOLD_N; i++)
            assert_int_equal(rnnbptt_rng_below(&r, 10), gold_below[s][i]);
        for (int i = 0; i < GOLD_N; i++)
            assert_int_equal(rnnbptt_rng_below(&r, (UINT64_C(1) << 63) + 1),
                             gold_below[s][GOLD_N + i]);
    }
    float *v = ref_malloc(GOLD_STREAM * sizeof *v);
    rnnbptt_rng r;
    rnnbptt_rng_seed(&r, 3);
    assert_int_equal(rnnbptt_rng_normal(&r, v, GOLD_STREAM, 0.5f, 3.0f), RNNBPTT_OK);
    assert_int_equal(fnv1a(v, GOLD_STREAM), gold_stream_normal);
    rnnbptt_rng_seed(&r, 4);
    assert_int_equal(rnnbptt_rng_uniform(&r, v, GOLD_STREAM, -0.1f, 0.3f), RNNBPTT_OK);
    assert_int_equal(fnv1a(v, GOLD_STREAM), gold_stream_uniform);
    free(v);
}

/* Normal values come in pairs: calls of even n continue one stream; odd n drops a value. */
static void rng_normal_pairs(void **state)
{
    (void)state;
    rnnbptt_rng a, b;
    float one[6], two[6];
    rnnbptt_rng_seed(&a, 99);
    b = a; /* a copy repeats the stream */
    assert_int_equal(rnnbptt_rng_normal(&a, one, 6, 0.0f, 1.0f), RNNBPTT_OK);
    assert_int_equal(rnnbptt_rng_normal(&b, two, 2, 0.0f, 1.0f), RNNBPTT_OK);
    assert_int_equal(rnnbptt_rng_normal(&b, two + 2, 4, 0.0f, 1.0f), RNNBPTT_OK);
    assert_memory_equal(one, two, sizeof one);
    rnnbptt_rng_seed(&a, 99);
    assert_int_equal(rnnbptt_rng_normal(&a, two, 1, 0.0f, 1.0f), RNNBPTT_OK);
    assert_int_equal(rnnbptt_rng_normal(&a, two + 1, 1, 0.0f, 1.0f), RNNBPTT_OK);
    assert_int_equal(bits_of(two[0]), bits_of(one[0]));
    assert_int_equal(bits_of(two[1]), bits_of(one[2]));
}

/* U(lo, hi): every value in [lo, hi], both ends approached within δ = 3e-5 of the width
 * ((1 − 3e-5)^(2^20) = 2e-14), mean and variance within Z_MAX standard errors
 * (se of the mean w/√(12n), of the mean square deviation w²/√(180n)). */
static void rng_uniform_bounds_and_moments(void **state)
{
    (void)state;
    static const float ranges[][2] = {{-1.0f, 1.0f}, {0.0f, 1.0f}, {-0.125f, 0.125f},
                                      {3.0f, 7.5f}, {-1e-3f, 2e-3f}};
    float *v = ref_malloc(NSTAT * sizeof *v);
    rnnbptt_rng r;
    rnnbptt_rng_seed(&r, 2024);
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        const float lo = ranges[k][0], hi = ranges[k][1];
        const double w = (double)hi - lo, c = 0.5 * ((double)lo + hi);
        assert_int_equal(rnnbptt_rng_uniform(&r, v, NSTAT, lo, hi), RNNBPTT_OK);
        double mn = hi, mx = lo, s1 = 0.0, s2 = 0.0;
        for (size_t i = 0; i < NSTAT; i++) {
            assert_true(v[i] >= lo && v[i] <= hi);
            mn = fmin(mn, v[i]);
            mx = fmax(mx, v[i]);
            s1 += v[i] - c;
            s2 += (v[i] - c) * (v[i] - c);
        }
        assert_true(mn - lo <= 3e-5 * w && hi - mx <= 3e-5 * w);
        assert_near(s1 / NSTAT, 0.0, w / sqrt(12.0 * NSTAT), Z_MAX);
        assert_near(s2 / NSTAT, w * w / 12.0, w * w / sqrt(180.0 * NSTAT), Z_MAX);
    }
    /* lo = hi gives lo; the widest range stays finite and inside */
    assert_int_equal(rnnbptt_rng_uniform(&r, v, 1000, 0.75f, 0.75f), RNNBPTT_OK);
    for (size_t i = 0; i < 1000; i++)
        assert_true(v[i] == 0.75f);
    assert_int_equal(rnnbptt_rng_uniform(&r, v, 1000, -FLT_MAX, FLT_MAX), RNNBPTT_OK);
    for (size_t i = 0; i < 1000; i++)
        assert_true(isfinite(v[i]));
    free(v);
}

/* N(mean, σ²) from 2^20 draws: the mean (se σ/√n), E(z²) = 1 (se √(2/n)), E(z⁴) = 3
 * (se √(96/n); 7.5 of them, see the top), and P(z <= t) = Φ(t) at t = 0, ±1, ±2, ±3 (binomial
 * se √(Φ(1 − Φ)/n); n·Φ(−3) = 1415 draws, enough for the normal approximation); z the standardized
 * value. The source's shape is tested through its CDF, its scale through the moments. */
static void rng_normal_moments(void **state)
{
    (void)state;
    static const float params[][2] = {{0.0f, 1.0f}, {3.0f, 0.25f}, {-1.0f, 0.01f}};
    static const double at[] = {-3, -2, -1, 0, 1, 2, 3};
    float *v = ref_malloc(NSTAT * sizeof *v);
    rnnbptt_rng r;
    rnnbptt_rng_seed(&r, 15);
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++) {
        const double mu = params[k][0], sd = params[k][1];
        assert_int_equal(rnnbptt_rng_normal(&r, v, NSTAT, params[k][0], params[k][1]),
                         RNNBPTT_OK);
        double s1 = 0.0, s2 = 0.0, s4 = 0.0;
        size_t below[7] = {0};
        for (size_t i = 0; i < NSTAT; i++) {
            const double z = ((double)v[i] - mu) / sd;
            s1 += z;
            s2 += z * z;
            s4 += z * z * z * z;
            for (int j = 0; j < 7; j++)
                below[j] += z <= at[j];
        }
        const double n = NSTAT;
        assert_near(s1 / n, 0.0, 1.0 / sqrt(n), Z_MAX);
        assert_near(s2 / n, 1.0, sqrt(2.0 / n), Z_MAX);
        assert_near(s4 / n, 3.0, sqrt(96.0 / n), 7.5);
        for (int j = 0; j < 7; j++) {
            const double p = 0.5 * erfc(-at[j] / sqrt(2.0));
            assert_near((double)below[j] / n, p, sqrt(p * (1.0 - p) / n), Z_MAX);
        }
    }
    free(v);
}

static void rng_below_in_range(void **state)
{
    (void)state;
    static const uint64_t bounds[] = {1, 2, 3, 1000, (UINT64_C(1) << 63) + 1, UINT64_MAX};
    rnnbptt_rng r, r0;
    rnnbptt_rng_seed(&r, 5);
    for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++)
        for (int i = 0; i < 1000; i++)
            assert_true(rnnbptt_rng_below(&r, bounds[k]) < bounds[k]);
    r0 = r;
    assert_int_equal(rnnbptt_rng_below(&r, 0), 0); /* no draw */
    assert_memory_equal(&r, &r0, sizeof r);
    assert_int_equal(rnnbptt_rng_below(NULL, 7), 0);
    assert_int_equal(rnnbptt_rng_next(NULL), 0);
    rnnbptt_rng_seed(NULL, 1); /* nothing */
}

/* Bad arguments: EINVAL, the generator and the output untouched; n = 0 draws nothing. */
static void rng_rejects_bad_arguments(void **state)
{
    (void)state;
    rnnbptt_rng r, r0;
    rnnbptt_rng_seed(&r, 3);
    r0 = r;
    float v[4] = {7, 7, 7, 7}, v0[4] = {7, 7, 7, 7};
    const float nan = NAN, inf = INFINITY;
    const float bad_uniform[][2] = {{1, 0}, {nan, 1}, {0, nan}, {-inf, 0}, {0, inf}};
    for (size_t k = 0; k < sizeof bad_uniform / sizeof bad_uniform[0]; k++)
        assert_int_equal(rnnbptt_rng_uniform(&r, v, 4, bad_uniform[k][0], bad_uniform[k][1]),
                         RNNBPTT_EINVAL);
    const float bad_normal[][2] = {{0, -1}, {nan, 1}, {0, nan}, {inf, 1}, {0, inf}};
    for (size_t k = 0; k < sizeof bad_normal / sizeof bad_normal[0]; k++)
        assert_int_equal(rnnbptt_rng_normal(&r, v, 4, bad_normal[k][0], bad_normal[k][1]),
                         RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_rng_uniform(NULL, v, 4, 0, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_rng_normal(NULL, v, 4, 0, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_rng_uniform(&r, NULL, 4, 0, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_rng_normal(&r, NULL, 4, 0, 1), RNNBPTT_EINVAL);
    assert_memory_equal(v, v0, sizeof v);
    assert_memory_equal(&r, &r0, sizeof r);
    assert_int_equal(rnnbptt_rng_uniform(&r, NULL, 0, 0, 1), RNNBPTT_OK);
    assert_int_equal(rnnbptt_rng_normal(&r, NULL, 0, 0, 1), RNNBPTT_OK);
    assert_memory_equal(&r, &r0, sizeof r);
}

/* ---- initialization ----------------------------------------------------------------------- */

/* Every golden case: the checksum of the Python implementation, twice the same; another seed
 * gives another checksum; the gradients are not touched. */
static void init_matches_python_reference(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof gold_init / sizeof gold_init[0]; k++) {
        const gold_init_case *g = &gold_init[k];
        rnnbptt_model *m = NULL;
        assert_int_equal(rnnbptt_model_create(&g->model, &m), RNNBPTT_OK);
        const size_t n = rnnbptt_model_param_count(m);
        assert_int_equal(n, g->n);
        float *grads = rnnbptt_model_grads(m);
        for (size_t i = 0; i < n; i++)
            grads[i] = (float)i;
        assert_int_equal(rnnbptt_model_init(m, &g->init, g->seed), RNNBPTT_OK);
        assert_int_equal(fnv1a(rnnbptt_model_params(m), n), g->fnv);
        assert_int_equal(rnnbptt_model_init(m, &g->init, g->seed), RNNBPTT_OK);
        assert_int_equal(fnv1a(rnnbptt_model_params(m), n), g->fnv);
        assert_int_equal(rnnbptt_model_init(m, &g->init, g->seed ^ 1), RNNBPTT_OK);
        assert_true(fnv1a(rnnbptt_model_params(m), n) != g->fnv);
        for (size_t i = 0; i < n; i++)
            assert_true(grads[i] == (float)i);
        rnnbptt_model_destroy(m);
    }
}

/* A one-layer unidirectional model's layer equals rnnbptt_layer_init's, for every cell and for
 * the orthogonal scheme too. */
static void layer_init_equals_model_init(void **state)
{
    (void)state;
    static const rnnbptt_cell cells[] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_LSTM,
                                         RNNBPTT_GRU};
    rnnbptt_init_config cfgs[2] = {rnnbptt_init_defaults(), rnnbptt_init_defaults()};
    cfgs[1].recurrent = RNNBPTT_INIT_ORTHOGONAL;
    cfgs[1].input = RNNBPTT_INIT_NORMAL;
    cfgs[1].forget_bias = 1.0;
    for (size_t c = 0; c < 4; c++)
        for (int q = 0; q < 2; q++) {
            rnnbptt_model *m = make(cells[c], 5, 7, 1, 0, 3);
            const rnnbptt_layer L = {.cell = cells[c], .input_size = 5, .hidden_size = 7};
            const size_t n = rnnbptt_param_count(&L);
            float *p = ref_malloc(n * sizeof *p);
            assert_int_equal(rnnbptt_model_init(m, &cfgs[q], 77), RNNBPTT_OK);
            assert_int_equal(rnnbptt_layer_init(&L, p, &cfgs[q], 77), RNNBPTT_OK);
            assert_memory_equal(p, rnnbptt_model_params(m), n * sizeof *p);
            free(p);
            rnnbptt_model_destroy(m);
        }
}

/* max_ij |(WᵀW)_ij / gain² − δ_ij| in double, W (H,H) row-major. */
static double orthogonality_error(const float *W, int H, double gain)
{
    double worst = 0.0;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < H; j++) {
            double s = 0.0;
            for (int k = 0; k < H; k++)
                s += (double)W[k * H + i] * W[k * H + j];
            worst = fmax(worst, fabs(s / (gain * gain) - (i == j)));
        }
    return worst;
}

/* Every gate block of every layer and direction orthogonal (times gain) within 1e-5; the same
 * seed gives the same bytes on this machine. */
static void orthogonal_blocks(void **state)
{
    (void)state;
    static const struct {
        rnnbptt_cell cell;
        int H, L, bidir;
        double gain;
    } cases[] = {{RNNBPTT_LSTM, 16, 2, 1, 1.0}, {RNNBPTT_GRU, 9, 1, 0, 1.5},
                 {RNNBPTT_RNN_TANH, 64, 1, 0, 1.0}, {RNNBPTT_RNN_RELU, 1, 2, 1, 0.5}};
    rnnbptt_init_config c = rnnbptt_init_defaults();
    c.recurrent = RNNBPTT_INIT_ORTHOGONAL;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        c.gain = cases[k].gain;
        const int H = cases[k].H, G = gates(cases[k].cell);
        rnnbptt_model *m = make(cases[k].cell, 3, H, cases[k].L, cases[k].bidir, 2);
        assert_int_equal(rnnbptt_model_init(m, &c, 11 + k), RNNBPTT_OK);
        for (int l = 0; l < cases[k].L; l++)
            for (int d = 0; d <= cases[k].bidir; d++) {
                const float *Wh = tensor(m, l, d, 1, NULL, NULL);
                for (int g = 0; g < G; g++) {
                    const double e = orthogonality_error(Wh + (size_t)g * H * H, H, c.gain);
                    if (!(e <= 1e-5))
                        fail_msg("case %zu layer %d dir %d gate %d: |QᵀQ − I| = %.3g", k, l, d,
                                 g, e);
                }
            }
        const size_t n = rnnbptt_model_param_count(m);
        float *first = ref_malloc(n * sizeof *first);
        memcpy(first, rnnbptt_model_params(m), n * sizeof *first);
        assert_int_equal(rnnbptt_model_init(m, &c, 11 + k), RNNBPTT_OK);
        assert_memory_equal(first, rnnbptt_model_params(m), n * sizeof *first);
        free(first);
        rnnbptt_model_destroy(m);
    }
}

/* The header's construction: block g of the first W_h is Q of the g-th H·H normal call of the
 * stream (input CONSTANT: nothing drawn before), A column-major, with R = QᵀA upper triangular and
 * its diagonal positive (the sign correction). Tolerance on R's lower part: the float QR's
 * backward error, 32·H·FLT_EPSILON·‖A‖_F. Over 40 seeds at H = 1 both signs occur (each seed's
 * sign is a fair coin: 2^-39 to miss one). */
static void orthogonal_is_sign_corrected_qr(void **state)
{
    (void)state;
    enum { H = 12, G = 4 };
    rnnbptt_init_config c = rnnbptt_init_defaults();
    c.recurrent = RNNBPTT_INIT_ORTHOGONAL;
    c.input = RNNBPTT_INIT_CONSTANT;
    rnnbptt_model *m = make(RNNBPTT_LSTM, 2, H, 1, 0, 1);
    assert_int_equal(rnnbptt_model_init(m, &c, 2718), RNNBPTT_OK);
    const float *Wh = tensor(m, 0, 0, 1, NULL, NULL);
    rnnbptt_rng r;
    rnnbptt_rng_seed(&r, 2718);
    float A[H * H];
    for (int g = 0; g < G; g++) {
        assert_int_equal(rnnbptt_rng_normal(&r, A, H * H, 0.0f, 1.0f), RNNBPTT_OK);
        double fro = 0.0;
        for (int i = 0; i < H * H; i++)
            fro += (double)A[i] * A[i];
        const double tol = 32.0 * H * FLT_EPSILON * sqrt(fro);
        const float *Q = Wh + g * H * H;
        for (int i = 0; i < H; i++)
            for (int j = 0; j <= i; j++) { /* R_ij = Σ_k Q_ki A_kj, A_kj = A[k + j·H] */
                double s = 0.0;
                for (int k = 0; k < H; k++)
                    s += (double)Q[k * H + i] * A[k + j * H];
                assert_true(i == j ? s > tol : fabs(s) <= tol);
            }
    }
    rnnbptt_model_destroy(m);
    int seen[2] = {0, 0};
    for (uint64_t seed = 0; seed < 40; seed++) {
        rnnbptt_model *m1 = make(RNNBPTT_RNN_TANH, 1, 1, 1, 0, 1);
        assert_int_equal(rnnbptt_model_init(m1, &c, seed), RNNBPTT_OK);
        const float w = *tensor(m1, 0, 0, 1, NULL, NULL);
        assert_true(w == 1.0f || w == -1.0f);
        seen[w > 0]++;
        rnnbptt_model_destroy(m1);
    }
    assert_true(seen[0] > 0 && seen[1] > 0);
}

/* IDENTITY: every block (float)gain·I exactly; CONSTANT exactly; the forget block exactly. */
static void identity_constant_and_forget_bias(void **state)
{
    (void)state;
    rnnbptt_init_config c = rnnbptt_init_defaults();
    c.recurrent = RNNBPTT_INIT_IDENTITY;
    c.gain = 0.9;
    c.bias = RNNBPTT_INIT_CONSTANT;
    c.value = -0.3;
    c.forget_bias = 1.0;
    static const rnnbptt_cell cells[] = {RNNBPTT_RNN_RELU, RNNBPTT_LSTM, RNNBPTT_GRU};
    for (size_t k = 0; k < 3; k++) {
        const int H = 5, G = gates(cells[k]);
        rnnbptt_model *m = make(cells[k], 4, H, 2, 1, 3);
        assert_int_equal(rnnbptt_model_init(m, &c, 8), RNNBPTT_OK);
        for (int l = 0; l < 2; l++)
            for (int d = 0; d < 2; d++) {
                const float *Wh = tensor(m, l, d, 1, NULL, NULL);
                for (int i = 0; i < G * H; i++)
                    for (int j = 0; j < H; j++)
                        assert_true(Wh[i * H + j] == (i % H == j ? (float)0.9 : 0.0f));
                for (int which = 2; which <= 2 + (cells[k] == RNNBPTT_GRU); which++) {
                    const float *b = tensor(m, l, d, which, NULL, NULL);
                    for (int i = 0; i < G * H; i++) {
                        const int forget = cells[k] == RNNBPTT_LSTM && i >= H && i < 2 * H;
                        assert_true(b[i] == (forget ? 1.0f : (float)-0.3));
                    }
                }
            }
        rnnbptt_model_destroy(m);
    }
}

/* Uniform bounds per tensor: TORCH's 1/√H (the RNN / LSTM bias a sum of two: within 2/√H and
 * beyond 1/√H somewhere, which a single draw never is; all 256 within 1/√H has probability
 * (3/4)^256 < 1e-31), the head's 1/√(D·H), XAVIER's √(6/(fan_in + fan_out)). A weight of n >= 6400
 * uniform values has one within δ = 1e-2 of the bound ((1 − δ)^6400 < 1e-27 to miss). */
static void uniform_bounds_per_tensor(void **state)
{
    (void)state;
    enum { I = 100, H = 64, O = 50 };
    rnnbptt_init_config c = rnnbptt_init_defaults();
    for (int xavier = 0; xavier < 2; xavier++) {
        if (xavier)
            c.input = c.recurrent = c.head_weight = RNNBPTT_INIT_XAVIER;
        rnnbptt_model *m = make(RNNBPTT_LSTM, I, H, 2, 1, O);
        assert_int_equal(rnnbptt_model_init(m, &c, 31 + xavier), RNNBPTT_OK);
        for (int layer = -1; layer < 2; layer++)
            for (int d = 0; d < (layer < 0 ? 1 : 2); d++)
                for (int which = 0; which < 3; which++) {
                    if (layer < 0 && which == 2)
                        break;
                    int rows, cols;
                    const float *p = tensor(m, layer, d, which, &rows, &cols);
                    const int head = layer < 0, bias = cols == 1;
                    const double k = xavier && !bias ? sqrt(6.0 / (rows + cols))
                                                     : 1.0 / sqrt(head ? 2.0 * H : H);
                    const float bound = (bias && !head ? 2.0f : 1.0f) * (float)k;
                    double mx = 0.0;
                    for (int i = 0; i < rows * cols; i++) {
                        assert_true(fabsf(p[i]) <= bound);
                        mx = fmax(mx, fabs(p[i]));
                    }
                    if (bias && !head)
                        assert_true(mx > (float)k);
                    else if (rows * cols >= 6400)
                        assert_true(mx >= (1.0 - 1e-2) * bound);
                }
        rnnbptt_model_destroy(m);
    }
}

/* NORMAL through the model: the pooled parameters of σ = 0.01 have mean 0 and variance σ² within
 * Z_MAX standard errors (n = 195,648 values). */
static void normal_scheme_moments(void **state)
{
    (void)state;
    rnnbptt_init_config c = rnnbptt_init_defaults();
    c.input = c.recurrent = c.bias = c.head_weight = c.head_bias = RNNBPTT_INIT_NORMAL;
    rnnbptt_model *m = make(RNNBPTT_GRU, 100, 128, 2, 0, 64);
    assert_int_equal(rnnbptt_model_init(m, &c, 1), RNNBPTT_OK);
    const size_t n = rnnbptt_model_param_count(m);
    const float *p = rnnbptt_model_params(m);
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        s1 += p[i] / 0.01;
        s2 += (p[i] / 0.01) * (p[i] / 0.01);
    }
    assert_near(s1 / (double)n, 0.0, 1.0 / sqrt((double)n), Z_MAX);
    assert_near(s2 / (double)n, 1.0, sqrt(2.0 / (double)n), Z_MAX);
    rnnbptt_model_destroy(m);
}

/* Invalid configurations: EINVAL and the parameters byte-identical; fields no used scheme reads
 * are not checked. ENOMEM (the orthogonal scratch) leaves them byte-identical too. */
static void init_rejects_bad_configs(void **state)
{
    (void)state;
    const rnnbptt_init_config d = rnnbptt_init_defaults();
    rnnbptt_init_config bad[24];
    int nb = 0;
    const rnnbptt_init_kind K_O = RNNBPTT_INIT_ORTHOGONAL, K_I = RNNBPTT_INIT_IDENTITY,
                            K_X = RNNBPTT_INIT_XAVIER, K_N = RNNBPTT_INIT_NORMAL,
                            K_C = RNNBPTT_INIT_CONSTANT;
    /* kinds not allowed for their tensor, or unknown */
    bad[nb] = d, bad[nb++].input = K_O;
    bad[nb] = d, bad[nb++].input = K_I;
    bad[nb] = d, bad[nb++].bias = K_X;
    bad[nb] = d, bad[nb++].bias = K_O;
    bad[nb] = d, bad[nb++].bias = K_I;
    bad[nb] = d, bad[nb++].head_weight = K_O;
    bad[nb] = d, bad[nb++].head_weight = K_I;
    bad[nb] = d, bad[nb++].head_bias = K_X;
    bad[nb] = d, bad[nb++].recurrent = (rnnbptt_init_kind)6;
    bad[nb] = d, bad[nb++].input = (rnnbptt_init_kind)-1;
    /* fields out of range for the scheme that reads them */
    const double nan = NAN, inf = INFINITY;
    const double sigmas[] = {-1.0, nan, inf, 1e39}, others[] = {nan, -inf, 1e39};
    for (int i = 0; i < 4; i++)
        bad[nb] = d, bad[nb].recurrent = K_N, bad[nb++].sigma = sigmas[i];
    for (int i = 0; i < 3; i++) {
        bad[nb] = d, bad[nb].recurrent = i ? K_I : K_O, bad[nb++].gain = others[i];
        bad[nb] = d, bad[nb].head_bias = K_C, bad[nb++].value = others[i];
        bad[nb] = d, bad[nb++].forget_bias = others[i]; /* read by LSTM */
    }
    rnnbptt_model *m = make(RNNBPTT_LSTM, 3, 4, 2, 1, 2);
    const rnnbptt_layer L = {.cell = RNNBPTT_LSTM, .input_size = 3, .hidden_size = 4};
    const size_t n = rnnbptt_model_param_count(m), nl = rnnbptt_param_count(&L);
    float *p = rnnbptt_model_params(m), *p0 = ref_malloc(n * sizeof *p0);
    assert_int_equal(rnnbptt_model_init(m, &d, 1), RNNBPTT_OK);
    memcpy(p0, p, n * sizeof *p0);
    for (int i = 0; i < nb; i++) {
        assert_int_equal(rnnbptt_model_init(m, &bad[i], 2), RNNBPTT_EINVAL);
        const int head_only = bad[i].head_weight != d.head_weight ||
                              bad[i].head_bias != d.head_bias;
        assert_int_equal(rnnbptt_layer_init(&L, p, &bad[i], 2),
                         head_only ? RNNBPTT_OK : RNNBPTT_EINVAL);
        if (head_only) /* layer_init reads no head field: it initialized the layer */
            memcpy(p, p0, nl * sizeof *p);
        assert_memory_equal(p, p0, n * sizeof *p);
    }
    /* NULLs and a bad layer */
    const rnnbptt_layer bad_L = {.cell = RNNBPTT_LSTM, .input_size = 3, .hidden_size = 0};
    assert_int_equal(rnnbptt_model_init(NULL, &d, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_init(m, NULL, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_layer_init(NULL, p, &d, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_layer_init(&L, NULL, &d, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_layer_init(&L, p, NULL, 1), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_layer_init(&bad_L, p, &d, 1), RNNBPTT_EINVAL);
    /* unread fields are not checked: NaN sigma/gain/value, a GRU's forget_bias */
    rnnbptt_init_config loose = d;
    loose.sigma = loose.gain = loose.value = nan;
    assert_int_equal(rnnbptt_model_init(m, &loose, 1), RNNBPTT_OK);
    rnnbptt_model *g = make(RNNBPTT_GRU, 3, 4, 1, 0, 2);
    loose.forget_bias = nan;
    assert_int_equal(rnnbptt_model_init(g, &loose, 1), RNNBPTT_OK);
    rnnbptt_model_destroy(g);
    /* ENOMEM: the orthogonal scratch is the one allocation, made before anything is written */
    assert_int_equal(rnnbptt_model_init(m, &d, 1), RNNBPTT_OK);
    rnnbptt_init_config orth = d;
    orth.recurrent = K_O;
    rb_fault_arm(0, -1);
    assert_int_equal(rnnbptt_model_init(m, &orth, 1), RNNBPTT_ENOMEM);
    rb_fault_arm(0, -1);
    assert_int_equal(rnnbptt_layer_init(&L, p, &orth, 1), RNNBPTT_ENOMEM);
    rb_fault_arm(-1, -1);
    assert_memory_equal(p, p0, n * sizeof *p);
    assert_int_equal(rnnbptt_model_init(m, &d, 1), RNNBPTT_OK); /* no allocation at all */
    assert_int_equal(rb_fault_get().allocs, 0);
    free(p0);
    rnnbptt_model_destroy(m);
}

/* ---- rnnbptt_model_spectral --------------------------------------------------------------- */

/* Every gate block: the same bits as rnnbptt_spectral on the block (ldw = H), also with one
 * output NULL; IDENTITY and ORTHOGONAL blocks have radius = sigma_max = gain (within the
 * orthogonality above: 1e-4 relative). */
static void model_spectral_of_each_block(void **state)
{
    (void)state;
    static const rnnbptt_cell cells[] = {RNNBPTT_RNN_TANH, RNNBPTT_LSTM, RNNBPTT_GRU};
    for (size_t k = 0; k < 3; k++)
        for (int scheme = 0; scheme < 3; scheme++) {
            const int H = 6, G = gates(cells[k]);
            rnnbptt_init_config c = rnnbptt_init_defaults();
            c.recurrent = scheme == 0 ? RNNBPTT_INIT_TORCH
                                      : scheme == 1 ? RNNBPTT_INIT_IDENTITY
                                                    : RNNBPTT_INIT_ORTHOGONAL;
            c.gain = 1.25;
            rnnbptt_model *m = make(cells[k], 3, H, 2, 1, 2);
            assert_int_equal(rnnbptt_model_init(m, &c, 4), RNNBPTT_OK);
            for (int l = 0; l < 2; l++)
                for (int d = 0; d < 2; d++)
                    for (int g = 0; g < G; g++) {
                        const float *W = tensor(m, l, d, 1, NULL, NULL) + (size_t)g * H * H;
                        double r0, s0, r1, s1, r2 = -1, s2 = -1;
                        assert_int_equal(rnnbptt_spectral(H, W, H, &r0, &s0), RNNBPTT_OK);
                        assert_int_equal(rnnbptt_model_spectral(m, l, d, g, &r1, &s1),
                                         RNNBPTT_OK);
                        assert_int_equal(rnnbptt_model_spectral(m, l, d, g, &r2, NULL),
                                         RNNBPTT_OK);
                        assert_int_equal(rnnbptt_model_spectral(m, l, d, g, NULL, &s2),
                                         RNNBPTT_OK);
                        assert_true(r0 == r1 && r0 == r2 && s0 == s1 && s0 == s2);
                        if (scheme)
                            assert_true(fabs(r0 - 1.25) <= 1e-4 && fabs(s0 - 1.25) <= 1e-4);
                    }
            rnnbptt_model_destroy(m);
        }
}

static void model_spectral_rejects_bad_blocks(void **state)
{
    (void)state;
    rnnbptt_model *uni = make(RNNBPTT_GRU, 3, 4, 2, 0, 2);
    rnnbptt_model *rnn = make(RNNBPTT_RNN_TANH, 3, 4, 1, 1, 2);
    const rnnbptt_init_config d = rnnbptt_init_defaults();
    assert_int_equal(rnnbptt_model_init(uni, &d, 1), RNNBPTT_OK);
    assert_int_equal(rnnbptt_model_init(rnn, &d, 1), RNNBPTT_OK);
    const size_t n = rnnbptt_model_param_count(uni);
    float *p0 = ref_malloc(n * sizeof *p0);
    memcpy(p0, rnnbptt_model_params(uni), n * sizeof *p0);
    double r = 7.0, s = 7.0;
    static const int bad[][3] = {{-1, 0, 0}, {2, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 3},
                                 {0, 0, -1}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(rnnbptt_model_spectral(uni, bad[k][0], bad[k][1], bad[k][2], &r, &s),
                         RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_spectral(rnn, 0, 0, 1, &r, &s), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_spectral(rnn, 0, 2, 0, &r, &s), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_spectral(NULL, 0, 0, 0, &r, &s), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_spectral(uni, 0, 0, 0, NULL, NULL), RNNBPTT_EINVAL);
    assert_true(r == 7.0 && s == 7.0);
    assert_int_equal(rnnbptt_model_spectral(rnn, 0, 1, 0, &r, &s), RNNBPTT_OK); /* reverse dir */
    assert_int_equal(rnnbptt_model_spectral(uni, 1, 0, 2, &r, &s), RNNBPTT_OK);
    assert_memory_equal(rnnbptt_model_params(uni), p0, n * sizeof *p0);
    free(p0);
    rnnbptt_model_destroy(uni);
    rnnbptt_model_destroy(rnn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rng_matches_python_reference),
        cmocka_unit_test(rng_normal_pairs),
        cmocka_unit_test(rng_uniform_bounds_and_moments),
        cmocka_unit_test(rng_normal_moments),
        cmocka_unit_test(rng_below_in_range),
        cmocka_unit_test(rng_rejects_bad_arguments),
        cmocka_unit_test(init_matches_python_reference),
        cmocka_unit_test(layer_init_equals_model_init),
        cmocka_unit_test(orthogonal_blocks),
        cmocka_unit_test(orthogonal_is_sign_corrected_qr),
        cmocka_unit_test(identity_constant_and_forget_bias),
        cmocka_unit_test(uniform_bounds_per_tensor),
        cmocka_unit_test(normal_scheme_moments),
        cmocka_unit_test(init_rejects_bad_configs),
        cmocka_unit_test(model_spectral_of_each_block),
        cmocka_unit_test(model_spectral_rejects_bad_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
