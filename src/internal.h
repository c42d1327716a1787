/* internal.h — private declarations shared by the library's source files (never installed). */
#ifndef RNNBPTT_INTERNAL_H
#define RNNBPTT_INTERNAL_H

#include "rnnbptt.h"

#include <math.h>
#include <stddef.h>

/* zstd-style early return: keeps the argument checks one line each. */
#define RETURN_IF(cond, status) \
    do {                        \
        if (cond)               \
            return (status);    \
    } while (0)

/* The fused element-wise passes and the small per-step products are compiled for several x86-64
 * levels and picked at load time (GCC/clang target_clones: an ifunc, no process state). The
 * build's baseline is SSE2; with AVX2/FMA or AVX-512 these loops run 2-4x faster. Only static
 * functions carry it: GCC exports the resolver of an extern one despite -fvisibility=hidden. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__ELF__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define RB_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef RB_CLONES
#define RB_CLONES
#endif

/* For the per-row loops that take an optional previous state: called as
 * `p ? row(..., p) : row(..., NULL)`, the forced inlining yields one loop with the loads and one
 * without, instead of a NULL test inside the loop (which becomes masked loads, slow on AMD). */
#if defined(__GNUC__)
#define RB_ROW static inline __attribute__((always_inline))
#else
#define RB_ROW static inline
#endif

/* ---- check.c: size arithmetic and argument validation ---- */

int rb_dims_ok(long long a, long long b); /* 1 if a >= 1, b >= 1 and a*b fits in int */

/* Sizes of one layer call, derived once at the entry point. All counts are in floats. */
typedef struct {
    rnnbptt_cell cell;
    int T, B, I, H;
    int G;       /* gates: 1, 4, 3 */
    int GH;      /* G*H, the width of one gate row */
    int TB;      /* T*B, rows of the hoisted GEMMs */
    size_t n_params, n_reserve, n_work;
    rnnbptt_team *team; /* the team this call holds (rb_team_acquire), or NULL */
} rb_dims;

/* Fill d from (L, T, B); 0 when the layer or sizes are invalid or overflow. */
int rb_dims_init(rb_dims *d, const rnnbptt_layer *L, int T, int B);

/* 1 if lengths is NULL or every lengths[b] is in 1..T. */
int rb_lengths_ok(const int *lengths, int T, int B);

/* ---- team.c: the caller's thread team (see rnnbptt_team in the header) ---- */

/* One part of a job: part 0..nparts-1, part 0 on the calling thread. */
typedef void (*rb_job_fn)(void *arg, int part, int nparts);
int rb_team_valid(const rnnbptt_team *tm);        /* 1 if tm is a live team */
rnnbptt_team *rb_team_acquire(rnnbptt_team *tm);  /* tm if it was free (now held), else NULL */
void rb_team_release(rnnbptt_team *tm); /* put its workers to sleep, free it; NULL: no-op */
int rb_team_threads(const rnnbptt_team *tm);      /* n; 1 for NULL */
/* Bytes of L2 cache per core, as sysconf(_SC_LEVEL2_CACHE_SIZE) gave it when tm was created, or
 * RB_L2_DEFAULT where it gives none. */
size_t rb_team_l2(const rnnbptt_team *tm);
#define RB_L2_DEFAULT ((size_t)1 << 20)
void rb_team_run(rnnbptt_team *tm, rb_job_fn fn, void *arg); /* all parts, returns when done */

/* A GEMM operand Bm (R, N) read by columns of 16 (one cache line): element (r, j) at
 * p[(j / 16)·ps + r·ld + j % 16]. A row-major matrix is ld = its row length, ps = 16
 * (rb_opb_rows); a panel matrix (rb_team_panel) is ld = 16, ps = 16·R: each 16 columns' R rows
 * one contiguous stream, which the kernel reads in order (no page or cache-set stride between its
 * rows, whatever N is; OpenBLAS packs its B likewise at every call). */
typedef struct {
    const float *p;
    size_t ld, ps;
} rb_opb;
static inline rb_opb rb_opb_rows(const float *p, int ld) { return (rb_opb){p, (size_t)ld, 16}; }
/* Where Bm's element (r, j) is. */
static inline const float *rb_opb_at(rb_opb B, int r, int j)
{
    return B.p + (size_t)(j / 16) * B.ps + (size_t)r * B.ld + (size_t)(j % 16);
}
/* Floats of a panel matrix of R rows and N columns: N rounded up to a multiple of 16, times R. */
static inline size_t rb_panel_size(int R, int N) { return ((size_t)N + 15) / 16 * 16 * (size_t)R; }

/* A team's buffer for its GEMM kernel in a call: scratch, and the weights it reads: W_xᵀ and
 * W_hᵀ in a forward (made by rb_fwd_prepare), W_x and W_h in a backward (rb_bwd_prepare), all as
 * panel matrices. */
typedef struct {
    float *buf;
    size_t cap;         /* floats allocated */
    rb_opb wxt;         /* forward: W_xᵀ (I, G·H), a panel matrix */
    rb_opb wht;         /* forward: W_hᵀ (H, G·H), a panel matrix (p NULL: not made, B = 1) */
    rb_opb wx;          /* backward with dx: W_x (G·H, I), a panel matrix */
    rb_opb wh;          /* backward: W_h (G·H, H), a panel matrix (or W_h in place, B = 1) */
    float *scratch;     /* the GEMM kernel's: RB_GEMM_SCRATCH floats per thread */
} rb_pack;
rb_pack *rb_team_pack(rnnbptt_team *tm); /* tm held by the caller */
/* fn(ctx, i0, i1) over 0..n-1 on the team (held by the caller), one contiguous range per thread,
 * the ranges' starts multiples of align (a power of 2); empty ranges are skipped. Each thread
 * gets the same range for the same n at every call, so the data it touches stays in its cache. */
typedef void (*rb_range_fn)(void *ctx, int i0, int i1);
void rb_team_split(rnnbptt_team *tm, int n, int align, rb_range_fn fn, void *ctx);
/* The same with each thread's part index (0 on the calling thread), for jobs that use a part's
 * own scratch or name the thread that runs them. */
typedef void (*rb_part_range_fn)(void *ctx, int part, int i0, int i1);
void rb_team_split_parts(rnnbptt_team *tm, int n, int align, rb_part_range_fn fn, void *ctx);
/* fn(ctx, b0, b1) over the rows 0..B-1: rb_team_split when the call holds a team (tm not NULL)
 * and B > 1, else one call on the calling thread. For the fused element-wise passes, whose rows
 * are independent. */
void rb_team_rows(rnnbptt_team *tm, int B, rb_range_fn fn, void *ctx);

/* ---- gemm.c: the team's GEMM kernel (GCC/Clang vector extensions; with other compilers every
 * product runs on the BLAS and no call uses a team) ---- */
#if defined(__GNUC__)
#define RB_HAVE_TILES 1
#else
#define RB_HAVE_TILES 0
#endif

#define RB_KC 256 /* reduction steps per block: a strip's block of Bm stays in L1 */
#define RB_MC 384 /* rows of A per block: RB_MC × RB_KC floats of A stay in L2 */
#define RB_TILE_PAD 16 /* floats between a transposed A's packed tiles (gemm_tiles.h's pack_at) */
#define RB_PACK_AHEAD 4 /* rows of a transposed A fetched ahead of its packing */
/* floats per thread: a transposed A's packed block, in tiles of at least 4 rows */
#define RB_GEMM_SCRATCH (RB_MC * RB_KC + RB_MC / 4 * RB_TILE_PAD)

/* A general GEMM operand A (M, R): element (m, r) at p[m·sm + r·sr], so that A may be a row-major
 * matrix (sm = its row length, sr = 1) or the transpose of one (sm = 1, sr = its row length). */
typedef struct {
    const float *p;
    size_t sm, sr;
} rb_opa;

/* C (M, N) (+)= A (M, R) · Bm (R, N) on the team (held by the caller, and prepared: its pack's
 * scratch set), each thread on a range of C's columns (of C's rows when A is transposed, sm = 1,
 * and M >= 64 per thread: each then packs only its own rows of A); C row-major with rows ldc
 * apart; beta is 0 or 1; with beta 0, bias (N floats, or NULL) is added to every row of C. */
void rb_team_gemm(rnnbptt_team *team, int M, int N, int R, rb_opa A, rb_opb Bm, float beta,
                  const float *bias, float *C, int ldc);
/* The same product run by the calling thread alone, as part `part` of a job on the team (it uses
 * that part's scratch). */
void rb_part_gemm(rnnbptt_team *team, int part, int M, int N, int R, rb_opa A, rb_opb Bm,
                  float beta, const float *bias, float *C, int ldc);
/* y (N) (+)= Σ_{r<R} a[r] · Bm[r, :] (yᵀ = aᵀ · Bm, the B = 1 products) on the team (held by the
 * caller), each thread on a range of y's columns (multiples of 16); beta is 0 or 1. */
void rb_team_gemv(rnnbptt_team *team, int R, int N, rb_opb Bm, const float *a, float beta,
                  float *y);
/* 1 if rb_team_gemm runs its AVX-512 instance on this CPU, 0 if a narrower one (see
 * rb_team_useful for what follows from it). */
int rb_gemm_avx512(void);
/* P = the panel matrix (rb_panel_size(R, N) floats) of S (R, N), whose element (r, j) is
 * src[r·sr + j·sj] (S = W: sr = N, sj = 1; S = Wᵀ: sr = 1, sj = R), made on the team; the
 * columns past N are zeros. Returns P as the operand rb_team_gemm reads. */
rb_opb rb_team_panel(rnnbptt_team *team, int R, int N, const float *src, size_t sr, size_t sj,
                     float *P);

/* ---- recur.c: the pieces every cell shares (the BLAS calls live here) ---- */

/* Offsets into the flat parameter vector (floats). */
typedef struct {
    const float *Wx; /* (G*H, I) */
    const float *Wh; /* (G*H, H) */
    const float *bx; /* (G*H)    */
    const float *bh; /* (G*H) GRU only, else NULL */
} rb_params;
typedef struct {
    float *Wx, *Wh, *bx, *bh;
} rb_grads;
void rb_carve(const rb_dims *d, const float *params, rb_params *p);
void rb_carve_grads(const rb_dims *d, float *dparams, rb_grads *g);

/* 1 if sequence b is still running at step t. */
static inline int rb_active(const int *lengths, int b, int t) { return !lengths || t < lengths[b]; }
/* 1 if step t is sequence b's last step. */
static inline int rb_last(const int *lengths, int T, int b, int t)
{
    return t == (lengths ? lengths[b] : T) - 1;
}

/* out (M, N), rows ldo apart, = X (M, K) · Wᵀ (K, N) + bias (bias NULL = none): the hoisted input
 * projection of all T*B rows, one GEMM (on the team when team is set: rb_fwd_prepare first). */
void rb_project(rnnbptt_team *team, int M, int K, int N, const float *X, const float *W,
                const float *bias, float *out, int ldo);

/* 1 if a layer call with batch B and W_h of n_wh floats runs its per-step products on team (see
 * rnnbptt_team in the header for the sizes); the entry points drop the team otherwise, so that
 * every rb_step_* and rb_team_rows of a call with d->team set runs on it. */
int rb_team_useful(const rnnbptt_team *team, int B, size_t n_wh);

/* At a forward's entry, the twin of rb_bwd_prepare: the team the forward uses, after reserving
 * its kernel's scratch and making W_xᵀ and W_hᵀ (at B = 1 only for long calls: b1_panels in
 * recur.c) in the team's buffer; NULL when team is NULL or that buffer cannot be allocated (the
 * forward then runs without the team). */
rnnbptt_team *rb_fwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh);

/* At a backward's entry: the team the backward uses, after reserving its kernel's scratch and
 * copying, as panel matrices into the team's buffer, W_x if with_dx (for dx) and W_h (at B = 1
 * only for long calls); NULL when team is NULL or that buffer cannot be allocated (the backward
 * then runs without the team). */
rnnbptt_team *rb_bwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh, int with_dx);

/* Who runs a step's work: the call's team (or no team: team NULL) as a whole, part < 0; or, in
 * the batch split (rb_time_loop), thread `part` of the team, alone, on its own rows of the batch. */
typedef struct {
    rnnbptt_team *team;
    int part;
} rb_exec;

/* out (B, N) = beta·out + bias + hprev (B, K) · Wᵀ (K, N), beta 0 or 1, bias (N, added to every
 * row) only with beta 0 or NULL, hprev NULL meaning zeros: with a team (held, useful for these
 * sizes and prepared) split over it, the bias entering at its kernel's store at B > 1 (in the
 * batch split: on thread ex.part alone, B its rows); else one sgemm, or at B = 1 one sgemv or our
 * own single-threaded loop, onto the bias copied into out. */
void rb_step_fwd(rb_exec ex, int B, int K, int N, const float *hprev, const float *W, float beta,
                 const float *bias, float *out);

/* out (B, K) (+)= dG (B, N) · W (N, K): the per-step Wᵀ-product of backward. beta is 0 or 1. */
void rb_step_bwd(rb_exec ex, int B, int K, int N, const float *dG, const float *W, float beta,
                 float *out);

/* fn(ctx, b0, b1) over rows b0..b1-1: split over ex's team (rb_team_rows; then b0 = 0), or run by
 * the calling thread, in the batch split. */
void rb_exec_rows(rb_exec ex, int b0, int b1, rb_range_fn fn, void *ctx);

/* One step t of a cell's time loop on rows b0..b1-1 of the batch: its W_h product and its
 * element-wise pass, each run through ex (rb_step_fwd/rb_step_bwd and rb_exec_rows). */
typedef void (*rb_step_fn)(const void *ctx, int t, int b0, int b1, rb_exec ex);

/* The time loop of a call, t = 0..T-1 (reverse: T-1..0), as step(ctx, t, b0, b1, ex): with the
 * whole batch per step (b0 = 0, b1 = B; the call's team, if any, splitting each product and each
 * pass); or, on a team where rb_batch_split says so, as one team job in which each thread runs
 * every step on its own rows of the batch (rows are independent across a layer's steps), with no
 * meeting between the steps. */
void rb_time_loop(const rb_dims *d, int reverse, rb_step_fn step, const void *ctx);

/* sum[c] += Σ_r A[r][c] for A (M, N), rows lda apart; summed in double, no allocation. */
void rb_colsum_add(int M, int N, const float *A, int lda, float *sum);

/* After the time loop, with dG (T,B,G*H) the pre-activation gradients of all steps on the input
 * side and dGh those on the recurrent side (the same buffer except for GRU):
 *   dWx += dGᵀ X   dWh += dGh_{2..T}ᵀ H_{1..T-1} + dGh_1ᵀ h0   db += Σ dG   dbh += Σ dGh (if dbh)
 *   dx = dG Wx (if dx).  Each is one GEMM over all T*B rows: the BLAS's, or with d->team the
 *   team's kernel. */
void rb_weight_grads(const rb_dims *d, const float *X, const float *h0, const float *h,
                     const float *dG, const float *dGh, const float *Wx, const rb_grads *g,
                     float *dx);

/* ---- activations: branch-free so the compiler vectorizes the fused gate passes ---- */

/* tanh as a 13/6-degree rational interpolant (the coefficients of Eigen's
 * generic_fast_tanh_float) with two selects after it: ±1 for |x| >= RB_TANH_ONE, where the
 * interpolant would overshoot 1 (by up to 2 ulp on [8.05, 9)), and x itself for
 * |x| < RB_TANH_TINY, where float tanh(x) rounds to x (the interpolant's relative error is
 * 1.7e-7 there, and up to 1 on subnormals, whose product with its coefficients underflows).
 * Guaranteed for every float x, and checked at all 2^32 of them against double tanh by
 * tests/test_activation.c: |rb_tanh(x)| <= 1 (so 1 - h² >= 0), rb_tanh(-x) == -rb_tanh(x), NaN
 * in gives NaN out (both comparisons are false for NaN, so the interpolant's NaN comes out), and
 * the error bounds RB_TANH_ABS and RB_TANH_REL. Branch-free, and fabsf and copysignf compile to
 * bit operations (GCC and Clang, optimizing), so the fused element-wise passes vectorize it.
 * The interpolant is evaluated at every x, also where a select then discards its value
 * (Inf/Inf = NaN for |x| > 1.8e19, subnormal intermediates below 1e-19): the library is built
 * with -fno-trapping-math and promises nothing about FP exception flags. */
#define RB_TANH_TINY 0x1p-12f /* rb_tanh(x) = x below this |x| */
#define RB_TANH_ONE 8.0f      /* rb_tanh(x) = ±1 exactly from this |x| on */
#define RB_TANH_ABS 4.2e-7f   /* |rb_tanh(x) - tanh(x)| for every x */
#define RB_TANH_REL 4.2e-7f   /* |rb_tanh(x) - tanh(x)| / |tanh(x)| for every x != 0 */
static inline float rb_tanh(float x)
{
    const float ax = fabsf(x), x2 = x * x;
    float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    float r = x * p / q;
    r = ax >= RB_TANH_ONE ? copysignf(1.0f, x) : r; /* two statements: GCC emits fewer blends */
    return ax < RB_TANH_TINY ? x : r;
}

/* σ(x) = ½ + ½ rb_tanh(x/2): in [0, 1] for every float x (rounding ½ + ½t for t in [-1, 1] stays
 * in [0, 1]), exactly 1 for x >= 2·RB_TANH_ONE and 0 for x <= -2·RB_TANH_ONE; NaN propagates;
 * absolute error RB_SIGM_ABS, checked with rb_tanh's. Near σ = 0 only that absolute bound holds
 * (σ(-16) = 1.1e-7 comes out as 0). */
#define RB_SIGM_ABS 2.3e-7f /* |rb_sigm(x) - 1/(1 + exp(-x))| for every x */
static inline float rb_sigm(float x) { return 0.5f + 0.5f * rb_tanh(0.5f * x); }

/* ---- one forward / backward per cell family; arguments already validated ---- */
typedef struct {
    const rb_dims *d;
    rb_params p;
    const int *lengths;
    const float *x, *h0, *c0;
    float *h, *hT, *cT, *reserve;
} rb_fwd_args;

typedef struct {
    const rb_dims *d;
    rb_params p;
    rb_grads g;
    const int *lengths;
    const float *x, *h0, *c0, *h, *reserve, *dh, *dhT, *dcT;
    float *dx, *dh0, *dc0, *work;
} rb_bwd_args;

void rb_rnn_forward(const rb_fwd_args *a);
void rb_rnn_backward(const rb_bwd_args *a);
void rb_lstm_forward(const rb_fwd_args *a);
void rb_lstm_backward(const rb_bwd_args *a);
void rb_gru_forward(const rb_fwd_args *a);
void rb_gru_backward(const rb_bwd_args *a);

/* The upstream rows entering step t of sequence b (each NULL when absent): dh_t[b], and dhT[b] /
 * dcT[b] at the sequence's last step. Called only for active steps, so dh past a length is never
 * read. */
typedef struct {
    const float *dh, *dhT, *dcT;
} rb_upstream;
static inline rb_upstream rb_upstream_at(const rb_bwd_args *a, int t, int b)
{
    const size_t H = (size_t)a->d->H, B = (size_t)a->d->B;
    const int last = rb_last(a->lengths, a->d->T, b, t);
    rb_upstream u = {a->dh ? a->dh + ((size_t)t * B + (size_t)b) * H : NULL,
                     last && a->dhT ? a->dhT + (size_t)b * H : NULL,
                     last && a->dcT ? a->dcT + (size_t)b * H : NULL};
    return u;
}

/* g (H) = (fresh ? 0 : g) + dh_t[b] + dhT[b]: the total dL/dh entering step t of sequence b, in
 * place in the carried-gradient row g. Separate simple loops on purpose: a NULL test inside one
 * fused loop is if-converted into masked loads, which are several times slower on AMD. */
static inline void rb_gather_dh(float *g, const float *dh_row, const float *dhT_row, int fresh,
                                int H)
{
    if (fresh)
        for (int j = 0; j < H; j++)
            g[j] = 0.0f;
    if (dh_row)
        for (int j = 0; j < H; j++)
            g[j] += dh_row[j];
    if (dhT_row)
        for (int j = 0; j < H; j++)
            g[j] += dhT_row[j];
}

#endif /* RNNBPTT_INTERNAL_H */
