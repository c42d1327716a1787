/* exec.h — the private header of src/exec/: the execution layer. What the CPU offers, the
 * caller's thread team, the library's own GEMM/GEMV kernels, and the products a layer call runs
 * on them or on the BLAS, with the decisions (policy.c) that pick between them.
 * Files here may include src/util/ and the BLAS (blas.h); nothing of src/layers/ or above. */
#ifndef RNNBPTT_EXEC_H
#define RNNBPTT_EXEC_H

#include "exec/tuning.h"
#include "util/util.h"

/* ---- cpu.c: the CPU as the build lets the library use it ---- */

/* x86-64 levels: the SSE2 baseline, x86-64-v3 (AVX2 + FMA), AVX-512F. */
#define RB_LEVEL_BASE 0
#define RB_LEVEL_V3 3
#define RB_LEVEL_V4 4
/* The highest level this build may use (CMake's RNNBPTT_CPU_LEVEL): a build capped below the
 * CPU's own level behaves exactly as on a CPU with only the capped level (docs/testing.md). */
#ifndef RB_CPU_CAP
#define RB_CPU_CAP RB_LEVEL_V4
#endif
/* Bytes of L2 per core to assume instead of asking the system (CMake's RNNBPTT_L2_BYTES); 0:
 * ask it. */
#ifndef RB_ASSUME_L2
#define RB_ASSUME_L2 0
#endif
#define RB_L2_DEFAULT ((size_t)1 << 20) /* where the system does not tell */

int rb_cpu_level(void);  /* the highest RB_LEVEL_* this CPU runs, at most RB_CPU_CAP */
size_t rb_cpu_l2(void);  /* bytes of L2 per core: RB_ASSUME_L2, the system's, or RB_L2_DEFAULT */

/* The fused element-wise passes and the small per-step products are compiled for several x86-64
 * levels and picked at load time (GCC/clang target_clones: an ifunc, no process state), up to
 * RB_CPU_CAP. The build's baseline is SSE2; with AVX2/FMA or AVX-512 these loops run 2-4x faster.
 * Only static functions carry it: GCC exports the resolver of an extern one despite
 * -fvisibility=hidden. Not under ThreadSanitizer: the resolvers run during relocation, before
 * its runtime is up, and instrumented code there crashes the program before main. */
#if defined(__SANITIZE_THREAD__)
#define RB_NO_CLONES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RB_NO_CLONES 1
#endif
#endif
#if !defined(RB_NO_CLONES) && RB_CPU_CAP >= RB_LEVEL_V3 && defined(__GNUC__) && \
    defined(__x86_64__) && defined(__ELF__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#if RB_CPU_CAP >= RB_LEVEL_V4
#define RB_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RB_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#endif
#ifndef RB_CLONES
#define RB_CLONES
#endif

/* ---- team.c: the caller's thread team (see rnnbptt_team in the header) ---- */

/* One part of a job: part 0..nparts-1, part 0 on the calling thread. */
typedef void (*rb_job_fn)(void *arg, int part, int nparts);
int rb_team_valid(const rnnbptt_team *tm);        /* 1 if tm is a live team */
rnnbptt_team *rb_team_acquire(rnnbptt_team *tm);  /* tm if it was free (now held), else NULL */
void rb_team_release(rnnbptt_team *tm); /* put its workers to sleep, free it; NULL: no-op */
int rb_team_threads(const rnnbptt_team *tm);      /* n; 1 for NULL */
size_t rb_team_l2(const rnnbptt_team *tm); /* rb_cpu_l2() when tm was created */
#ifdef RB_TESTING
void rb_team_assume_l2(rnnbptt_team *tm, size_t l2); /* tests: the rules then read l2 */
#endif
/* What a team ran, for tests (no public symbol reads it): layer calls that ran on it, and of
 * those the ones that took the batch split (rb_time_loop; a forward or backward counts once);
 * the times its workers were parked (put to sleep at a release, rb_team_stay). */
typedef struct {
    unsigned long calls, batch_split, parks;
} rb_team_stats;
rb_team_stats rb_team_stats_of(const rnnbptt_team *tm);
/* Counts one call on tm (held by the caller), batch split or not. */
void rb_team_count(rnnbptt_team *tm, int batch_split);
void rb_team_run(rnnbptt_team *tm, rb_job_fn fn, void *arg); /* all parts, returns when done */
/* on: from now, rb_team_release leaves tm's workers waiting for the next job (spinning, and after
 * RB_SPIN_YIELDS asleep) instead of parking them; off: parks them now and from now at every
 * release. For a run of consecutive calls by one thread (a model's layers and head), so that each
 * call does not wake sleeping workers (a futex wake-up per call); tm NULL or held: no-op. */
void rb_team_stay(rnnbptt_team *tm, int on);

/* A GEMM operand Bm (R, N) read by columns of 16 (one cache line): element (r, j) at
 * p[(j / 16)·ps + r·ld + j % 16]. A row-major matrix is ld = its row length, ps = 16
 * (rb_opb_rows); a panel matrix (rb_team_panel) is ld = 16, ps = 16·R: each 16 columns' R rows
 * one contiguous stream, which the kernel reads in order (no page or cache-set stride between its
 * rows, whatever N is; OpenBLAS packs its B likewise at every call). A panel matrix is zpad:
 * its columns N..(N rounded up to 16) are there, zeros, so the kernel reads its last columns as
 * whole vectors in place. */
typedef struct {
    const float *p;
    size_t ld, ps;
    int zpad;
} rb_opb;
static inline rb_opb rb_opb_rows(const float *p, int ld)
{
    return (rb_opb){p, (size_t)ld, 16, 0};
}
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
/* The arguments of the vector products split by rb_team_split (the B = 1 products and the column
 * sums): a matrix W of rows by cols, row-major with rows ld apart (or a panel matrix, Wp), an
 * input vector x, beta (0 or 1) and the output vector y; each job reads the fields it needs. */
typedef struct {
    int rows, cols;
    const float *W;
    size_t ld;
    rb_opb Wp;
    const float *x;
    float beta;
    float *y;
} rb_vec_job;
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
 * and M >= RB_GEMM_ROWS_MIN per thread: each then packs only its own rows of A); C row-major
 * with rows ldc apart; beta is 0 or 1; with beta 0, bias (N floats, or NULL) is added to every
 * row of C. */
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

/* The team's buffer (held by the caller): its kernel's scratch for each thread, then n floats
 * for the call's weights, returned; kept across calls (allocated at first use or growth,
 * 64-byte aligned); NULL without memory (then the team has no buffer). */
float *rb_team_reserve(rnnbptt_team *tm, size_t n);

/* ---- policy.c: the decisions, each reading tuning.h's table ---- */
/* 1 if a layer call with batch B and W_h of n_wh floats runs on team (see rnnbptt_team_used);
 * the entry points drop the team otherwise, so that every rb_step_* and rb_team_rows of a call
 * with d->team set runs on it. */
int rb_team_useful(const rnnbptt_team *team, int B, size_t n_wh);
/* 1 if such a call on team runs its time loop as the batch split (each thread its own rows). */
int rb_split_fits(const rnnbptt_team *team, int B, size_t n_wh);
/* 1 if a step's product with W of n elements at batch B runs on the own single-thread GEMV. */
int rb_own_gemv(int B, size_t n);
/* 1 if a call on a team at batch B over T steps copies W_h into panel matrices. */
int rb_b1_panels(int B, int T);

/* ---- products.c: the products of a layer call, on the team's kernel or the BLAS ---- */

/* Who runs a step's work: the call's team (or no team: team NULL) as a whole, part < 0; or, in
 * the batch split (rb_time_loop), thread `part` of the team, alone, on its own rows of the batch. */
typedef struct {
    rnnbptt_team *team;
    int part;
} rb_exec;

/* out (B, N) = beta·out + bias + hprev (B, K) · Wᵀ (K, N), beta 0 or 1, bias (N, added to every
 * row) only with beta 0 or NULL, hprev NULL meaning zeros (then with a bias or beta 1): with a team (held, useful for these
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

/* out (M, N), rows ldo apart, = X (M, K) · Wᵀ (K, N) + bias (bias NULL = none): the hoisted input
 * projection of all T*B rows, one GEMM (on the team when team is set: rb_fwd_prepare first). */
void rb_project(rnnbptt_team *team, int M, int K, int N, const float *X, const float *W,
                const float *bias, float *out, int ldo);

/* ---- gemv.c and colsum.c: single-thread kernels ---- */

/* y (N) (+)= W (N, K) · x (K), W row-major; beta 0 or 1. */
void rb_gemv_n(int N, int K, const float *W, const float *x, float beta, float *y);
/* y (K) (+)= Wᵀ (K, N) · d (N) for W (N, K) row-major; beta 0 or 1. */
void rb_gemv_t(int N, int K, const float *W, const float *d, float beta, float *y);
void rb_colsum_add(int M, int N, const float *A, int lda, float *sum);

/* The same on the team (held by the caller), each thread on a range of the columns. */
void rb_team_colsum_add(rnnbptt_team *team, int M, int N, const float *A, int lda, float *sum);

#endif /* RNNBPTT_EXEC_H */
