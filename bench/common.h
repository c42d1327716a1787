/* common.h — what all bench modules share: points, results, names, FLOP and traffic formulas. */

/* Defined in common.c, which calls no other bench module; every bench module may include this.
 * Legend: T steps, B batch, I input, H hidden, G gates (1 tanh/relu, 4 LSTM, 3 GRU).
 * x (T,B,I), h (T,B,H), dh (T,B,H) row-major and time-major, as in rnnbptt.h. */
#ifndef RNNBPTT_BENCH_COMMON_H
#define RNNBPTT_BENCH_COMMON_H

#include "rnnbptt.h"

#include <stdio.h>

/* ---- one point of a sweep, and what an implementation measured there ---- */
/* IMPL_TEAM: the library with an rnnbptt_team (only the points where the team is used). */
typedef enum { IMPL_RNNBPTT, IMPL_NAIVE, IMPL_PERSTEP, IMPL_TEAM, IMPL_COUNT } bench_impl;
typedef enum { PHASE_BOTH, PHASE_FWD, PHASE_BWD } bench_phase;
enum { CELL_COUNT = 4 }; /* rnnbptt_cell's values: tanh, relu, lstm, gru */

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

/* ---- names: the same on the command line and in every output ---- */
extern const char *const impl_names[IMPL_COUNT]; /* indexed by bench_impl */
extern const char *const cell_names[CELL_COUNT]; /* indexed by rnnbptt_cell */
const char *impl_name(bench_impl m);             /* "?" out of range */
const char *cell_name(rnnbptt_cell c);           /* "?" out of range */
int cell_gates(rnnbptt_cell c);

/* ---- FLOPs and traffic of one point (the formulas: common.c, and --help) ---- */
double flops_fwd(const bench_point *p);
double flops_bwd(const bench_point *p);
double flops_phase(const bench_point *p, bench_phase ph);
/* Bytes of W_h (G·H × H floats), which a B = 1 step reads once per pass. */
double wh_bytes(const bench_point *p);
/* The B = 1 traffic bound of phase ph in ms: W_h read once per step per pass at `gbs` GB/s. */
double traffic_bound_ms(const bench_point *p, bench_phase ph, double gbs);

/* ---- model mode (model.c): a stack of L layers, one or two directions, a dense head ---- */
typedef struct {
    rnnbptt_cell cell;
    int layers, bidirectional; /* L >= 1; 0 or 1 (D = 1 + bidirectional directions) */
    int T, B, I, H, O;         /* O: the head's outputs */
} model_point;
/* FLOPs of one training step (forward + backward of every layer and direction, head, loss),
 * the formula in common.c and in rnnbptt-bench --model --help. */
double model_flops(const model_point *p);

/* The data every model-mode implementation (this bench and bench/peers) fills its tensors with,
 * so that they all compute the same loss: element k of a tensor is
 * scale · (2·frac(k·0.6180339887498949 + salt·0.1234567) − 1), computed in double. */
float golden(size_t k, int salt, double scale);

/* ---- JSON ---- */
void json_string(FILE *f, const char *s); /* s quoted, with " \ and control characters escaped */

#endif /* RNNBPTT_BENCH_COMMON_H */
