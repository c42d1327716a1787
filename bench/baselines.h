/* baselines.h — the vanilla cell without the library (tanh or relu only), and its check. */
#ifndef RNNBPTT_BENCH_BASELINES_H
#define RNNBPTT_BENCH_BASELINES_H

#include "rnnbptt.h"

#include <stddef.h>
#include <stdio.h>

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

#endif /* RNNBPTT_BENCH_BASELINES_H */
