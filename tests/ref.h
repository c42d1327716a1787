/* ref.h — plain-loop double-precision reference of rnnbptt (RNN/LSTM/GRU, dense, losses) and the
 * helpers the tests share (seeded RNG, float<->double copies, tolerance checks).
 *
 * Legend: T steps, B batch, I input size, H hidden size, G gates (1 RNN, 4 LSTM, 3 GRU),
 * N rows of a dense layer / loss. Every tensor is row-major; sequences are time-major, so
 * x is (T,B,I) and x[t][b][i] is x[(t*B + b)*I + i]. Parameter layouts are those documented in
 * include/rnnbptt.h. The reference is written straight from the header's equations with obvious
 * loops and no BLAS; it is an algorithmic reference, not a fast path. It aborts on out-of-memory
 * (test code only).
 */
#ifndef RNNBPTT_TESTS_REF_H
#define RNNBPTT_TESTS_REF_H

#include <stddef.h>
#include <stdint.h>

#include "rnnbptt.h"

/* ---- recurrent layer reference ----------------------------------------------------------- */

/** Gates per cell (1, 1, 4, 3). */
int ref_gates(rnnbptt_cell cell);

/** Length of the flat parameter vector of the header's layout. */
size_t ref_param_count(rnnbptt_cell cell, int I, int H);

/**
 * Forward pass in double.
 *   params [ref_param_count]  x (T,B,I)  h0, c0 (B,H) or NULL = zeros (c0 LSTM only)
 *   lengths [B] in 1..T or NULL = all T
 *   h (T,B,H) WRITTEN (0 past each length); hT, cT (B,H) WRITTEN or NULL (cT LSTM only)
 */
void ref_forward(rnnbptt_cell cell, int I, int H, int T, int B, const int *lengths,
                 const double *params, const double *x, const double *h0, const double *c0,
                 double *h, double *hT, double *cT);

/**
 * BPTT in double (recomputes the forward pass itself).
 *   dh (T,B,H) or NULL (never read past a length); dhT, dcT (B,H) or NULL (enter at each
 *   sequence's last step)
 *   dparams [ref_param_count] ACCUMULATED; dx (T,B,I), dh0, dc0 (B,H) WRITTEN or NULL
 *   (dx is 0 past each length).
 */
void ref_backward(rnnbptt_cell cell, int I, int H, int T, int B, const int *lengths,
                  const double *params, const double *x, const double *h0, const double *c0,
                  const double *dh, const double *dhT, const double *dcT, double *dparams,
                  double *dx, double *dh0, double *dc0);

/* ---- dense layer and losses ------------------------------------------------------------ */

/** y (N,out) = x (N,in) Wᵀ + b;  W (out,in), b [out] or NULL. */
void ref_dense_forward(int N, int in, int out, const double *W, const double *b, const double *x,
                       double *y);

/** dW (out,in) += dyᵀ x;  db [out] += Σ_n dy_n (or NULL);  dx (N,in) = dy W (or NULL). */
void ref_dense_backward(int N, int in, int out, const double *W, const double *x,
                        const double *dy, double *dW, double *db, double *dx);

/** *loss = ½ Σ (y − target)²;  dy = y − target (or NULL). All (N,D). */
void ref_mse_loss(int N, int D, const double *y, const double *target, double *loss, double *dy);

/** *loss = Σ_{n: label_n >= 0} −log softmax(logits_n)[label_n];
 *  dlogits = softmax − onehot on those rows, 0 on ignored rows (or NULL). logits (N,C). */
void ref_softmax_xent_loss(int N, int C, const double *logits, const int *labels, double *loss,
                           double *dlogits);

/* ---- helpers shared by the tests -------------------------------------------------------- */

/** malloc/calloc that abort the test program on failure. */
void *ref_malloc(size_t bytes);
void *ref_calloc(size_t count, size_t size);

/** splitmix64: a seeded, platform-independent stream. */
typedef struct {
    uint64_t state;
} ref_rng;

void ref_rng_seed(ref_rng *r, uint64_t seed);
uint64_t ref_rng_next(ref_rng *r);
/** Uniform in [0, 1) with 53 random bits. */
double ref_rng_unit(ref_rng *r);
/** Uniform integer in lo..hi (inclusive). */
int ref_rng_int(ref_rng *r, int lo, int hi);

/** p[k] = (float) uniform in [-a, a]. */
void ref_fill_uniform(ref_rng *r, float *p, size_t n, double a);
/** p[k] = uniform in [-a, a] rounded to a multiple of grid (a power of two), so that p ± m·grid'
 *  stays exactly representable for every power-of-two grid' >= grid with |p ± m·grid'| < 1. */
void ref_fill_grid(ref_rng *r, float *p, size_t n, double a, double grid);

/** n floats (one more allocated), scale·(u − ½) with u uniform in [0, 1) from a 32-bit LCG whose
 *  state is *s (advanced): the threaded tests' inputs, cheap and the same on every platform. */
float *ref_frand(size_t n, uint32_t *s, float scale);

void ref_f2d(const float *src, double *dst, size_t n);
void ref_d2f(const double *src, float *dst, size_t n);
/** Freshly allocated double copy of a float array (NULL in, NULL out). */
double *ref_dup_f2d(const float *src, size_t n);

/** The largest |got[k] − scale·ref[k]| over k < n, its index in *at; a NaN error counts as the
 *  largest (the first one is returned). */
double ref_worst_error(const float *got, const double *ref, size_t n, double scale, size_t *at);

/** max_k |p[k]| (0 for n = 0). */
double ref_max_abs(const double *p, size_t n);

/** ⌈log2 K⌉, at least 1. */
double ref_log2_ceil(double K);

/** The scaled tolerance c · ⌈log2 K⌉ · FLT_EPSILON · max(1, max|ref|) over the array ref. */
double ref_tol_scaled(double c, double K, const double *ref, size_t n);

/**
 * Returns 1 when every |got[k] − ref[k]| <= tol_abs + tol_rel·|ref[k]| (NaN fails), else prints
 * the name, the worst element (index, got, ref, error, allowed) and returns 0. Either way it
 * records the largest error/allowed ratio seen, for ref_check_report().
 */
int ref_check(const char *name, const float *got, const double *ref, size_t n, double tol_abs,
              double tol_rel);

/** ref_check with tol_abs = ref_tol_scaled(c, K, ref, n) and tol_rel = 0. */
int ref_check_scaled(const char *name, const float *got, const double *ref, size_t n, double c,
                     double K);

/** Prints (to stdout) the largest error/allowed ratio seen by ref_check so far and its name,
 *  then resets it; tag names the test. */
void ref_check_report(const char *tag);

#endif /* RNNBPTT_TESTS_REF_H */
