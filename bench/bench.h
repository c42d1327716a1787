/* bench.h — declarations shared by the files of rnnbptt-bench (never installed).
 * Legend: T steps, B batch, I input, H hidden, G gates (1 tanh/relu, 4 LSTM, 3 GRU).
 * x (T,B,I), h (T,B,H), dh (T,B,H) row-major and time-major, as in rnnbptt.h. */
#ifndef RNNBPTT_BENCH_H
#define RNNBPTT_BENCH_H

#include "rnnbptt.h"

#include <stddef.h>
#include <stdio.h>

/* ---- one point of a sweep, and what an implementation measured there ---- */
/* IMPL_TEAM: the library with an rnnbptt_team (only the points where the team is used). */
typedef enum { IMPL_RNNBPTT, IMPL_NAIVE, IMPL_PERSTEP, IMPL_TEAM, IMPL_COUNT } bench_impl;
typedef enum { PHASE_BOTH, PHASE_FWD, PHASE_BWD } bench_phase;

typedef struct {
    rnnbptt_cell cell;
    int T, B, I, H;
} bench_point;

typedef struct {
    bench_point p;
    bench_impl impl;
    int threads, reps;
    double fwd_ms, bwd_ms, total_ms, total_best_ms; /* medians, except the best; NaN if not run */
    double gflops, pct_peak, tokens_per_s;
    double bytes;                                    /* h + reserve + workspace (baselines: scratch) */
    double bound_ms;  /* B = 1 traffic bound (NaN elsewhere) */
    double ratio_ours; /* total_ms / rnnbptt's total_ms at the same point (NaN for rnnbptt) */
} bench_result;

typedef struct {
    int reps, warmup;
    double seconds;        /* keep repeating until this much time is spent, after `reps` */
    double baseline_limit; /* run baselines only where one rep is estimated under this (s); 0 = always */
    bench_phase phase;
    rnnbptt_team *team;    /* the team of IMPL_TEAM, or NULL */
} bench_opts;

const char *impl_name(bench_impl m);
const char *cell_name(rnnbptt_cell c);
int cell_gates(rnnbptt_cell c);

/* FLOPs of one pass (see the formula in main.c's usage text) */
double flops_fwd(const bench_point *p);
double flops_bwd(const bench_point *p);
double flops_phase(const bench_point *p, bench_phase ph);

/* ---- run.c: buffers, warm-up, timed repetitions ---- */
typedef struct bench_bufs bench_bufs;
/* Buffers for the largest point of a sweep: every tensor sized for max T*B*max(I,H) etc. NULL on
 * allocation failure. The inputs hold fixed pseudo-random data (PyTorch-style weight scale). */
bench_bufs *bufs_new(const bench_point *pts, int n);
void bufs_free(bench_bufs *bb);
/* 1 if impl m was measured at point p: baselines only for tanh/relu and, unless the limit is 0,
 * where one forward+backward is estimated to take under o->baseline_limit seconds. */
int run_wanted(bench_bufs *bb, const bench_point *p, bench_impl m, const bench_opts *o,
               double peak_gflops);
/* Measure impl m at point p; fills r (except bound_ms, ratio_ours). Returns 0 or -1 (library error,
 * message on stderr). */
int run_point(bench_bufs *bb, const bench_point *p, bench_impl m, const bench_opts *o,
              double peak_gflops, bench_result *r);

/* ---- baselines.c: the vanilla cell without the library (tanh or relu only) ---- */
/* Floats of scratch either baseline needs: 2*B*H. */
size_t baseline_scratch_count(int B, int H);
/* Same arguments and semantics as rnnbptt_forward / rnnbptt_backward_work for RNN_TANH / RNN_RELU
 * with lengths = NULL: h WRITTEN, dparams ACCUMULATED, dx and dh0 WRITTEN. */
void naive_forward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                   const float *h0, float *h);
void naive_backward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                    const float *h0, const float *h, const float *dh, const float *dhT,
                    float *dparams, float *dx, float *dh0, float *scratch);
void perstep_forward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                     const float *h0, float *h);
void perstep_backward(const rnnbptt_layer *L, const float *params, int T, int B, const float *x,
                      const float *h0, const float *h, const float *dh, const float *dhT,
                      float *dparams, float *dx, float *dh0, float *scratch);
/* Check on small cases that both baselines agree with the library (h, dparams, dx, dh0). Prints
 * one line to `out`; on a mismatch prints the tensor and element to stderr and returns -1. */
int baselines_check(FILE *out);

/* ---- machine.c: clock, BLAS threads, peak, bandwidth, run header ---- */
double now_s(void); /* CLOCK_MONOTONIC, seconds */
void sleep_s(double s);
int blas_is_openblas(void);
int blas_threads(void);
int blas_set_threads(int n); /* 0, or -1 if this BLAS has no API for it */
/* Best-of-reps GFLOP/s of cblas_sgemm, square N, with the BLAS's current threads. */
double sgemm_peak(int N, int reps);
/* GB/s (1e9 bytes/s) reading a buffer of `bytes` repeatedly with `threads` threads, each on its
 * own slice (best of a few trials). */
double read_bandwidth(size_t bytes, int threads);
/* The run header: date, library version, BLAS name/version/core/threads, CPU, BLAS env vars. */
void print_header(FILE *f);
void json_header(FILE *f); /* the same as JSON members ("key": value, ...) without braces */
void json_string(FILE *f, const char *s);

/* ---- output.c ---- */
void table_head(FILE *f);
void table_row(FILE *f, const bench_result *r);
int write_csv(const char *path, const bench_result *r, int n);
int write_json(const char *path, const bench_result *r, int n, double peak, const char *cmdline);
/* Plot throughput against T (one line per H) and against H (one line per T) with gnuplot.
 * Returns 0, or -1 with a message on stderr (gnuplot missing or failing). */
int write_plot(const char *path, const bench_result *r, int n, double peak);
int have_gnuplot(void);

#endif /* RNNBPTT_BENCH_H */
