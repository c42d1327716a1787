/* run.h — one point of a sweep: the options, the buffers and the timed runs (run.c). */
#ifndef RNNBPTT_BENCH_RUN_H
#define RNNBPTT_BENCH_RUN_H

#include "common.h"

typedef struct {
    int reps, warmup;
    double seconds;        /* keep repeating until this much time is spent, after `reps` */
    double baseline_limit; /* run baselines only where one rep is estimated under this (s); 0 = always */
    bench_phase phase;
    rnnbptt_team *team;    /* the team of IMPL_TEAM, or NULL */
} bench_opts;

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

#endif /* RNNBPTT_BENCH_RUN_H */
