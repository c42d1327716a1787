/* machine.h — the clock, the BLAS and its threads, sgemm peak, read bandwidth, run header. */
#ifndef RNNBPTT_BENCH_MACHINE_H
#define RNNBPTT_BENCH_MACHINE_H

#include <stddef.h>
#include <stdio.h>

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

#endif /* RNNBPTT_BENCH_MACHINE_H */
