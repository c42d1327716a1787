/* test_clip.c — gradient clipping (rnnbptt_clip_grad_norm, rnnbptt_clip_grad_value) against
 * torch.nn.utils.clip_grad_norm_ / clip_grad_value_ semantics, and rnnbptt_spectral on matrices
 * whose spectral radius and largest singular value are known or computed here in double.
 *
 * References are plain loops in double. Tolerances, each stated where it is used:
 *   - the norm: both sides sum float squares in double, in different orders: relative
 *     n·DBL_EPSILON;
 *   - clipped elements: (float)(g·c), c = max_norm/‖g‖ computed from the double norm; our c and
 *     the library's differ by a few DBL_EPSILON, so an element may round the other way: 1 float
 *     ulp (FLT_EPSILON relative); the clipped norm is max_norm within FLT_EPSILON (each element is
 *     rounded once, by at most half an ulp);
 *   - clip by value: exact (a clamp does no arithmetic);
 *   - spectral: LAPACK is backward stable in float, so for a normal matrix (rotations, diagonal,
 *     scaled orthogonal) the radius and sigma_max are within c·n·FLT_EPSILON·‖W‖₂ of the values of
 *     the float matrix it was given, and the float matrix within n·FLT_EPSILON·‖W‖₂ of the double
 *     one (Bauer–Fike / Weyl); we use 16·n·FLT_EPSILON·max(1, ‖W‖₂). sigma_max of any matrix is
 *     as well conditioned. An eigenvalue of a non-normal matrix is not: its error grows with its
 *     condition number, so the triangular-in-disguise matrices get a larger bound (below), and the
 *     2×2 Jordan block's double eigenvalue moves by about sqrt(ε·‖W‖): 4·sqrt(FLT_EPSILON).
 * Constants from PyTorch 1.13 (python3-torch, float32) are marked as such. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "exec/exec.h"
#include "ref.h"
#include "rnnbptt.h"

/* ---- references in double --------------------------------------------------------------- */

static double norm2(const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    return sqrt(s);
}

/* ---- clip_grad_norm ----------------------------------------------------------------------- */

/* Random gradients in [-3, 3] of sizes around the vector lanes (8 double lanes, 8 or 16 floats
 * per vector): clipped by norm (max_norm below ‖g‖, or not) and, from the same data, by value
 * (down to 1e-3, or beyond every element), each against its plain loop. */
static void clipping_matches_reference(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000, 4099};
    static const double ratios[] = {0.01, 0.5, 0.999, 1.5, 100.0}; /* max_norm / ‖g‖ */
    static const double clips[] = {1e-3, 0.5, 2.0, 3.0, 100.0};
    ref_rng r;
    ref_rng_seed(&r, 15);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        const size_t n = sizes[k];
        float *g = ref_malloc(3 * n * sizeof *g), *g0 = g + n, *want = g0 + n;
        for (size_t q = 0; q < sizeof ratios / sizeof ratios[0]; q++) {
            ref_fill_uniform(&r, g0, n, 3.0);
            const float c = (float)clips[q];
            for (size_t i = 0; i < n; i++)
                want[i] = g0[i] > c ? c : (g0[i] < -c ? -c : g0[i]);
            memcpy(g, g0, n * sizeof *g);
            assert_int_equal(rnnbptt_clip_grad_value(g, n, clips[q]), RNNBPTT_OK);
            assert_memory_equal(g, want, n * sizeof *g);

            memcpy(g, g0, n * sizeof *g);
            const double norm = norm2(g0, n), max_norm = ratios[q] * norm;
            double before = -1.0;
            assert_int_equal(rnnbptt_clip_grad_norm(g, n, max_norm, &before), RNNBPTT_OK);
            assert_true(fabs(before - norm) <= (double)n * DBL_EPSILON * norm);
            if (norm <= max_norm) {
                assert_memory_equal(g, g0, n * sizeof *g);
                continue;
            }
            const double scale = max_norm / norm;
            for (size_t i = 0; i < n; i++) {
                const double exp = (double)(float)((double)g0[i] * scale);
                assert_true(fabs(g[i] - exp) <= FLT_EPSILON * fabs(exp));
            }
            assert_true(fabs(norm2(g, n) - max_norm) <= FLT_EPSILON * max_norm);
        }
        free(g);
    }
}

/* g = (3, 4), ‖g‖ = 5. PyTorch 1.13 (float32) clips to max_norm 1 with c = 1/(5 + 1e-6):
 * (0.59999990, 0.79999983) = (0x1.33333p-1, 0x1.999994p-1); here c = 1/5 exactly gives 0.6f
 * and 0.8f. At max_norm = 5 = ‖g‖ PyTorch still shrinks g to (2.9999993, 3.999999)
 * (0x1.7ffffap+1, 0x1.fffff8p+1); here g stays (3, 4). */
static void clip_norm_scale_is_exact_unlike_torch(void **state)
{
    (void)state;
    float g[2] = {3.0f, 4.0f};
    double before = 0.0;
    assert_int_equal(rnnbptt_clip_grad_norm(g, 2, 1.0, &before), RNNBPTT_OK);
    assert_true(before == 5.0);
    assert_true(g[0] == 0.6f && g[1] == 0.8f);
    const float torch_g[2] = {0x1.33333p-1f, 0x1.999994p-1f};
    assert_true(g[0] != torch_g[0] && g[1] != torch_g[1]);
    /* torch's own formula, in float as torch computes it, reproduces its constants */
    const float torch_c = 1.0f / (5.0f + 1e-6f);
    assert_true(3.0f * torch_c == torch_g[0] && 4.0f * torch_c == torch_g[1]);

    float h[2] = {3.0f, 4.0f};
    assert_int_equal(rnnbptt_clip_grad_norm(h, 2, 5.0, NULL), RNNBPTT_OK);
    assert_true(h[0] == 3.0f && h[1] == 4.0f);
    /* within torch's 1e-6 but above ‖g‖: unchanged here, shrunk by torch */
    assert_int_equal(rnnbptt_clip_grad_norm(h, 2, 5.0 + 5e-7, NULL), RNNBPTT_OK);
    assert_true(h[0] == 3.0f && h[1] == 4.0f);
    /* just below ‖g‖: clipped */
    assert_int_equal(rnnbptt_clip_grad_norm(h, 2, 5.0 - 1e-3, NULL), RNNBPTT_OK);
    assert_true(h[0] < 3.0f && h[1] < 4.0f);
}

/* norm_before: NULL allowed; written when nothing is clipped, when clipping, when the norm is
 * not finite (Inf, NaN); not written on EINVAL. A zero gradient has norm 0 and stays zero. */
static void clip_norm_before_cases(void **state)
{
    (void)state;
    float z[3] = {0.0f, -0.0f, 0.0f};
    const float z0[3] = {0.0f, -0.0f, 0.0f};
    double before = -1.0;
    assert_int_equal(rnnbptt_clip_grad_norm(z, 3, 1.0, &before), RNNBPTT_OK);
    assert_true(before == 0.0);
    assert_memory_equal(z, z0, sizeof z);
    assert_int_equal(rnnbptt_clip_grad_norm(z, 3, 1.0, NULL), RNNBPTT_OK);

    float g[11];
    for (int i = 0; i < 11; i++)
        g[i] = (float)(i - 5);
    g[10] = INFINITY; /* past the 8 lanes: the tail */
    float g0[11];
    memcpy(g0, g, sizeof g);
    before = -1.0;
    assert_int_equal(rnnbptt_clip_grad_norm(g, 11, 1.0, &before), RNNBPTT_ENONFINITE);
    assert_true(isinf(before) && before > 0);
    assert_memory_equal(g, g0, sizeof g);
    g[10] = 1.0f;
    g[3] = NAN;
    memcpy(g0, g, sizeof g);
    before = -1.0;
    assert_int_equal(rnnbptt_clip_grad_norm(g, 11, 1.0, &before), RNNBPTT_ENONFINITE);
    assert_true(isnan(before));
    assert_memory_equal(g, g0, sizeof g);
    assert_int_equal(rnnbptt_clip_grad_norm(g, 11, 1.0, NULL), RNNBPTT_ENONFINITE);
    assert_memory_equal(g, g0, sizeof g);
    /* Inf and -Inf: the squares add to +Inf, not NaN */
    float h[2] = {-INFINITY, INFINITY};
    before = -1.0;
    assert_int_equal(rnnbptt_clip_grad_norm(h, 2, 1.0, &before), RNNBPTT_ENONFINITE);
    assert_true(isinf(before));
}

static void clip_norm_rejects_bad_arguments(void **state)
{
    (void)state;
    float g[4] = {1.0f, -2.0f, 3.0f, -4.0f};
    float g0[4];
    memcpy(g0, g, sizeof g);
    static const double bad[] = {0.0, -0.0, -1.0, NAN, INFINITY, -INFINITY};
    double before = 42.0;
    assert_int_equal(rnnbptt_clip_grad_norm(NULL, 4, 1.0, &before), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_clip_grad_norm(g, 0, 1.0, &before), RNNBPTT_EINVAL);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(rnnbptt_clip_grad_norm(g, 4, bad[k], &before), RNNBPTT_EINVAL);
    assert_true(before == 42.0);
    assert_memory_equal(g, g0, sizeof g);
}

/* ---- clip_grad_value ---------------------------------------------------------------------- */

/* PyTorch 1.13's clip_grad_value_(·, 5) of (−7, 0.5, 5, 6.25, −5.0001, 1e-30) is
 * (−5, 0.5, 5, 5, −5, 1e-30). */
static void clip_value_matches_torch(void **state)
{
    (void)state;
    float t[6] = {-7.0f, 0.5f, 5.0f, 6.25f, -5.0001f, 1e-30f};
    const float torch_t[6] = {-5.0f, 0.5f, 5.0f, 5.0f, -5.0f, 1e-30f};
    assert_int_equal(rnnbptt_clip_grad_value(t, 6, 5.0), RNNBPTT_OK);
    assert_memory_equal(t, torch_t, sizeof t);
}

/* A NaN or ±Inf anywhere (first, a lane boundary, the tail): ENONFINITE, g byte-identical even
 * where elements before it are out of range. Bad clip, NULL g, n = 0: EINVAL, g untouched. */
static void clip_value_rejects_nonfinite_and_bad_arguments(void **state)
{
    (void)state;
    enum { N = 37 };
    const float specials[] = {NAN, INFINITY, -INFINITY};
    const size_t where[] = {0, 7, 8, 31, N - 1};
    float g[N], g0[N];
    for (size_t s = 0; s < 3; s++)
        for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
            for (size_t i = 0; i < N; i++)
                g0[i] = (float)i - 18.0f; /* most out of [-1, 1] */
            g0[where[w]] = specials[s];
            memcpy(g, g0, sizeof g);
            assert_int_equal(rnnbptt_clip_grad_value(g, N, 1.0), RNNBPTT_ENONFINITE);
            assert_memory_equal(g, g0, sizeof g);
        }
    for (size_t i = 0; i < N; i++)
        g0[i] = (float)i - 18.0f;
    memcpy(g, g0, sizeof g);
    static const double bad[] = {0.0, -0.0, -5.0, NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        assert_int_equal(rnnbptt_clip_grad_value(g, N, bad[k]), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_clip_grad_value(NULL, N, 5.0), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_clip_grad_value(g, 0, 5.0), RNNBPTT_EINVAL);
    assert_memory_equal(g, g0, sizeof g);
}

/* ---- spectral ------------------------------------------------------------------------------ */

/* The tolerance for a well-conditioned value v of an n×n matrix (see the top of the file). */
static double tol_normal(int n, double v)
{
    return 16.0 * n * FLT_EPSILON * fmax(1.0, v);
}

/* rnnbptt_spectral of the double matrix Wd (n,n) rounded to float; both outputs. */
static void spectral_of(int n, const double *Wd, double *radius, double *sigma)
{
    float *W = ref_malloc((size_t)n * n * sizeof *W);
    ref_d2f(Wd, W, (size_t)n * n);
    assert_int_equal(rnnbptt_spectral(n, W, n, radius, sigma), RNNBPTT_OK);
    free(W);
}

/* Q = H(u) H(v), a product of two Householder reflections of random vectors: orthogonal. */
static void random_orthogonal(ref_rng *r, int n, double *Q)
{
    double *u = ref_malloc(2 * (size_t)n * sizeof *u), *v = u + n;
    double uu = 0.0, vv = 0.0;
    for (int i = 0; i < n; i++) {
        u[i] = ref_rng_unit(r) - 0.5;
        v[i] = ref_rng_unit(r) - 0.5;
        uu += u[i] * u[i];
        vv += v[i] * v[i];
    }
    double uv = 0.0;
    for (int i = 0; i < n; i++)
        uv += u[i] * v[i];
    /* (I − 2uuᵀ/uu)(I − 2vvᵀ/vv) = I − 2uuᵀ/uu − 2vvᵀ/vv + 4(u·v) uvᵀ/(uu·vv) */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            Q[i * n + j] = (i == j) - 2 * u[i] * u[j] / uu - 2 * v[i] * v[j] / vv +
                           4 * uv * u[i] * v[j] / (uu * vv);
    free(u);
}

/* Rotations (2×2 and 3×3 about an axis: complex eigenvalues), a diagonal, a scaled orthogonal. */
static void spectral_of_normal_matrices(void **state)
{
    (void)state;
    double radius, sigma;
    for (double th = 0.1; th < 6.3; th += 0.7) {
        const double R2[4] = {cos(th), -sin(th), sin(th), cos(th)};
        spectral_of(2, R2, &radius, &sigma);
        assert_true(fabs(radius - 1.0) <= tol_normal(2, 1.0));
        assert_true(fabs(sigma - 1.0) <= tol_normal(2, 1.0));
        const double R3[9] = {cos(th), -sin(th), 0, sin(th), cos(th), 0, 0, 0, 1};
        spectral_of(3, R3, &radius, &sigma);
        assert_true(fabs(radius - 1.0) <= tol_normal(3, 1.0));
        assert_true(fabs(sigma - 1.0) <= tol_normal(3, 1.0));
    }
    const double D[16] = {0.5, 0, 0, 0, 0, -3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1e-3};
    spectral_of(4, D, &radius, &sigma);
    assert_true(fabs(radius - 3.0) <= tol_normal(4, 3.0));
    assert_true(fabs(sigma - 3.0) <= tol_normal(4, 3.0));
    const double one[1] = {-0.75};
    spectral_of(1, one, &radius, &sigma);
    assert_true(radius == 0.75 && sigma == 0.75);

    ref_rng r;
    ref_rng_seed(&r, 7);
    for (int n = 2; n <= 24; n += 11) {
        double *Q = ref_malloc((size_t)n * n * sizeof *Q);
        random_orthogonal(&r, n, Q);
        for (int i = 0; i < n * n; i++)
            Q[i] *= 1.7;
        spectral_of(n, Q, &radius, &sigma);
        assert_true(fabs(radius - 1.7) <= tol_normal(n, 1.7));
        assert_true(fabs(sigma - 1.7) <= tol_normal(n, 1.7));
        free(Q);
    }
}

/* J = [[λ, b], [0, λ]]: radius |λ| (a double eigenvalue: LAPACK's error about sqrt(ε)), and
 * sigma_max² the larger eigenvalue of JᵀJ = [[λ², λb], [λb, λ² + b²]]: (t + sqrt(t² − 4λ⁴)) / 2
 * with t = 2λ² + b², larger than |λ|. */
static void spectral_of_jordan_block(void **state)
{
    (void)state;
    static const double cases[][2] = {{0.9, 1.0}, {-1.25, 0.5}, {2.0, 3.0}};
    for (size_t k = 0; k < 3; k++) {
        const double l = cases[k][0], b = cases[k][1];
        const double J[4] = {l, b, 0, l};
        const double t = 2 * l * l + b * b, s = sqrt((t + sqrt(t * t - 4 * l * l * l * l)) / 2);
        double radius, sigma;
        spectral_of(2, J, &radius, &sigma);
        assert_true(sigma > fabs(l));
        assert_true(fabs(sigma - s) <= tol_normal(2, s));
        assert_true(fabs(radius - fabs(l)) <= 4 * sqrt(FLT_EPSILON) * fmax(1.0, s));
    }
}

/* y = W x (ts = 0) or y = Wᵀ x (ts = 1) in double, W (n,n) row-major; returns ‖y‖². */
static double matvec(int n, const float *W, int ts, const double *x, double *y)
{
    double yy = 0.0;
    for (int i = 0; i < n; i++) {
        y[i] = 0.0;
        for (int j = 0; j < n; j++)
            y[i] += (double)(ts ? W[j * n + i] : W[i * n + j]) * x[j];
        yy += y[i] * y[i];
    }
    return yy;
}

/* sigma_max of W in double: power iteration on WᵀW, v kept at unit norm; ‖Wv‖² (the Rayleigh
 * quotient) → σ_max², iterated until it stops changing. */
static double ref_sigma_max(int n, const float *W)
{
    double *v = ref_malloc(2 * (size_t)n * sizeof *v), *w = v + n;
    for (int i = 0; i < n; i++)
        v[i] = 1.0 / sqrt(n);
    double prev = 0.0, lam = 0.0;
    for (int it = 0; it < 100000; it++) {
        lam = matvec(n, W, 0, v, w);                /* w = W v */
        const double nv = sqrt(matvec(n, W, 1, w, v)); /* v = Wᵀ w */
        for (int j = 0; j < n; j++)
            v[j] /= nv;
        if (it > 10 && fabs(lam - prev) <= 1e-15 * lam)
            break;
        prev = lam;
    }
    free(v);
    return sqrt(lam);
}

/* Random matrices: sigma_max against power iteration; the radius of a 2×2 in closed form
 * (real eigenvalues |tr/2| + sqrt(disc), a complex pair sqrt(det)); the radius of
 * W = Q T Qᵀ (Q orthogonal, T block upper triangular with known eigenvalues: 2×2 blocks
 * [[a, b], [−c, a]], b, c > 0, give a ± i·sqrt(bc)). T's off-diagonal entries make its
 * eigenvalues somewhat ill-conditioned (condition numbers of a few): bound
 * 64·n·FLT_EPSILON·max(1, ‖W‖₂), four times tol_normal; the errors measured on these seeds are
 * below 1% of it. */
static void spectral_of_random_matrices(void **state)
{
    (void)state;
    ref_rng r;
    ref_rng_seed(&r, 2013);
    for (int k = 0; k < 20; k++) {
        float W[4];
        ref_fill_uniform(&r, W, 4, 2.0);
        const double a = W[0], b = W[1], c = W[2], d = W[3];
        const double tr = a + d, det = a * d - b * c, disc = tr * tr / 4 - det;
        const double rho = disc >= 0 ? fabs(tr / 2) + sqrt(disc) : sqrt(det);
        double radius, sigma;
        assert_int_equal(rnnbptt_spectral(2, W, 2, &radius, &sigma), RNNBPTT_OK);
        const double s = ref_sigma_max(2, W);
        assert_true(fabs(sigma - s) <= tol_normal(2, s));
        /* a real double eigenvalue (disc ≈ 0) is as ill-conditioned as a Jordan block's */
        assert_true(fabs(radius - rho) <= 4 * sqrt(FLT_EPSILON) * fmax(1.0, s));
        if (fabs(disc) > 0.1)
            assert_true(fabs(radius - rho) <= tol_normal(2, s));
    }
    static const int sizes[] = {3, 5, 8, 16, 33};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        const int n = sizes[k];
        const size_t nn = (size_t)n * n;
        double *T = ref_calloc(3 * nn, sizeof *T), *Q = T + nn, *Wd = Q + nn;
        double rho = 0.0;
        for (int i = 0; i < n;) {
            for (int j = i + 2; j < n; j++)
                T[i * n + j] = 0.6 * (ref_rng_unit(&r) - 0.5);
            if (i + 1 < n && ref_rng_unit(&r) < 0.5) { /* a complex pair */
                const double re = 2 * ref_rng_unit(&r) - 1, bb = 0.2 + ref_rng_unit(&r),
                             cc = 0.2 + ref_rng_unit(&r);
                T[i * n + i] = T[(i + 1) * n + i + 1] = re;
                T[i * n + i + 1] = bb;
                T[(i + 1) * n + i] = -cc;
                rho = fmax(rho, hypot(re, sqrt(bb * cc)));
                i += 2;
            } else {
                T[i * n + i] = 3 * ref_rng_unit(&r) - 1.5;
                if (i + 1 < n)
                    T[i * n + i + 1] = 0.6 * (ref_rng_unit(&r) - 0.5);
                rho = fmax(rho, fabs(T[i * n + i]));
                i += 1;
            }
        }
        random_orthogonal(&r, n, Q);
        for (int i = 0; i < n; i++) /* Wd = Q T Qᵀ */
            for (int j = 0; j < n; j++) {
                double s = 0.0;
                for (int p = 0; p < n; p++)
                    for (int q = 0; q < n; q++)
                        s += Q[i * n + p] * T[p * n + q] * Q[j * n + q];
                Wd[i * n + j] = s;
            }
        float *W = ref_malloc(nn * sizeof *W);
        ref_d2f(Wd, W, nn);
        double radius, sigma;
        assert_int_equal(rnnbptt_spectral(n, W, n, &radius, &sigma), RNNBPTT_OK);
        const double s = ref_sigma_max(n, W);
        assert_true(fabs(sigma - s) <= tol_normal(n, s));
        assert_true(fabs(radius - rho) <= 64.0 * n * FLT_EPSILON * fmax(1.0, s));
        assert_true(radius <= sigma * (1 + 4 * n * FLT_EPSILON));
        free(W);
        free(T);
    }
}

/* ldw > n (the gaps hold NaN: never read), each output alone: bitwise the packed call's values. */
static void spectral_strided_and_single_outputs(void **state)
{
    (void)state;
    enum { N = 6, LDW = 9 };
    ref_rng r;
    ref_rng_seed(&r, 99);
    float W[N * N], Ws[N * LDW];
    ref_fill_uniform(&r, W, N * N, 1.0);
    for (int i = 0; i < N * LDW; i++)
        Ws[i] = NAN;
    for (int i = 0; i < N; i++)
        memcpy(Ws + i * LDW, W + i * N, N * sizeof *W);
    double radius = -1, sigma = -1, r2 = -1, s2 = -1;
    assert_int_equal(rnnbptt_spectral(N, W, N, &radius, &sigma), RNNBPTT_OK);
    assert_int_equal(rnnbptt_spectral(N, Ws, LDW, &r2, &s2), RNNBPTT_OK);
    assert_true(radius == r2 && sigma == s2);
    r2 = s2 = -1;
    assert_int_equal(rnnbptt_spectral(N, Ws, LDW, &r2, NULL), RNNBPTT_OK);
    assert_true(r2 == radius);
    assert_int_equal(rnnbptt_spectral(N, W, N, NULL, &s2), RNNBPTT_OK);
    assert_true(s2 == sigma);
    assert_true(radius > 0 && radius <= sigma * (1 + 4 * N * FLT_EPSILON));
}

/* EINVAL (n < 1, n·n past INT_MAX, ldw < n, W NULL, both outputs NULL), ENONFINITE (NaN, ±Inf
 * first, last, in a strided matrix), ENOMEM from the fault hook: outputs untouched each time.
 * Exactly one allocation per call, freed; clipping allocates nothing. */
static void spectral_errors_leave_outputs_untouched(void **state)
{
    (void)state;
    float W[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    double radius = 42.0, sigma = 43.0;
    assert_int_equal(rnnbptt_spectral(0, W, 4, &radius, &sigma), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_spectral(-3, W, 4, &radius, &sigma), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_spectral(46341, W, 46341, &radius, &sigma), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_spectral(4, W, 3, &radius, &sigma), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_spectral(4, NULL, 4, &radius, &sigma), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_spectral(4, W, 4, NULL, NULL), RNNBPTT_EINVAL);
    const float specials[] = {NAN, INFINITY, -INFINITY};
    for (int s = 0; s < 3; s++)
        for (int at = 0; at < 16; at += 15) {
            const float keep = W[at];
            W[at] = specials[s];
            assert_int_equal(rnnbptt_spectral(4, W, 4, &radius, &sigma), RNNBPTT_ENONFINITE);
            assert_int_equal(rnnbptt_spectral(4, W, 4, NULL, &sigma), RNNBPTT_ENONFINITE);
            W[at] = keep;
        }
    W[14] = NAN; /* row 3, column 2: inside a 3×3 with ldw 4 */
    assert_int_equal(rnnbptt_spectral(3, W, 4, &radius, &sigma), RNNBPTT_OK);
    W[14] = INFINITY;
    W[9] = NAN; /* row 2, column 1 */
    radius = 42.0, sigma = 43.0;
    assert_int_equal(rnnbptt_spectral(3, W, 4, &radius, &sigma), RNNBPTT_ENONFINITE);
    W[9] = 10;
    W[14] = 15;
    assert_true(radius == 42.0 && sigma == 43.0);

    const long live = rb_fault_get().live;
    rb_fault_arm(0, -1);
    assert_int_equal(rnnbptt_spectral(4, W, 4, &radius, &sigma), RNNBPTT_ENOMEM);
    rb_fault_arm(0, -1); /* the hook fails the armed allocation only */
    assert_int_equal(rnnbptt_spectral(4, W, 4, &radius, NULL), RNNBPTT_ENOMEM);
    assert_true(radius == 42.0 && sigma == 43.0);
    assert_int_equal(rb_fault_get().live, live);
    rb_fault_arm(-1, -1);
    assert_int_equal(rnnbptt_spectral(4, W, 4, &radius, &sigma), RNNBPTT_OK);
    assert_int_equal(rb_fault_get().allocs, 1);
    assert_int_equal(rb_fault_get().live, live);
    float g[3] = {10, -20, 30};
    assert_int_equal(rnnbptt_clip_grad_norm(g, 3, 1.0, NULL), RNNBPTT_OK);
    assert_int_equal(rnnbptt_clip_grad_value(g, 3, 0.1), RNNBPTT_OK);
    assert_int_equal(rb_fault_get().allocs, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clipping_matches_reference),
        cmocka_unit_test(clip_norm_scale_is_exact_unlike_torch),
        cmocka_unit_test(clip_norm_before_cases),
        cmocka_unit_test(clip_norm_rejects_bad_arguments),
        cmocka_unit_test(clip_value_matches_torch),
        cmocka_unit_test(clip_value_rejects_nonfinite_and_bad_arguments),
        cmocka_unit_test(spectral_of_normal_matrices),
        cmocka_unit_test(spectral_of_jordan_block),
        cmocka_unit_test(spectral_of_random_matrices),
        cmocka_unit_test(spectral_strided_and_single_outputs),
        cmocka_unit_test(spectral_errors_leave_outputs_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
