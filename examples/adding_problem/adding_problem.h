/* adding_problem.h — the adding problem example's parts: data and training of one cell
 * (train.c), the CSV and the plots (plot.c); main and the flags are in
 * main.c. Legend: T steps, B batch, H hidden; x is (T,B,2) time-major: at each step a
 * number in [0, 1) and a marker (0 or 1); the target, at the last step, is the sum of the two
 * marked numbers (Hochreiter & Schmidhuber 1997, experiment 4; Le et al. 2015, section 4.1). */
#ifndef ADDING_PROBLEM_H
#define ADDING_PROBLEM_H

#include <rnnbptt.h>
#include <stdint.h>
#include <stdio.h>

#include "../common.h"

enum { ADD_CELLS = 4 };            /* tanh, irnn, lstm, gru: the order of --cell all */
enum { ADD_EVAL_EVERY = 100 };     /* steps between test evaluations and radius samples */
enum { ADD_TEST_N = 1000 };        /* sequences in the fixed test set */
#define ADD_TEST_SEED 0x7e57ULL    /* the test set's own seed: the same set for every --seed */
#define ADD_GOAL_MSE 0.01          /* "solved": the step where the test MSE first goes below */

extern const char *const add_cell_names[ADD_CELLS];

typedef struct {
    int T, steps, batch, hidden, threads;
    uint64_t seed;
    int cells[ADD_CELLS], n_cells; /* indices into add_cell_names, in run order */
    const char *plot, *trace_csv;  /* NULL: none */
} add_options;

/* What one cell's run measured. trace [T]: ‖∂L/∂h_k‖ at the first training step; radius and
 * test_mse [n_evals]: at steps 0, ADD_EVAL_EVERY, ... and the last step (eval_step). */
typedef struct {
    int cell, n_evals, solved_step; /* solved_step: first evaluated step below ADD_GOAL_MSE, or -1 */
    double *trace, *radius, *test_mse, *train_mse;
    int *eval_step;
    double baseline, ms_per_step;
    long skipped; /* steps whose gradient was not finite (the update was skipped) */
} add_result;

/* train.c */
/* Fills x (T,B,2) and y (B) with B new sequences from r; T >= 2. */
void add_make_batch(rnnbptt_rng *r, int T, int B, float *x, float *y, float *tmp /* [T] */);
/* Trains one cell as the options say, with progress on stderr; res WRITTEN (free it with
 * add_result_free). Returns 0, or 1 after printing why on stderr. */
int add_train_cell(const add_options *o, int cell, const float *test_x, const float *test_y,
                   add_result *res);
void add_result_free(add_result *res);

/* plot.c */
/* The trace CSV: cell,T,step,quantity,index,value. Returns 0, or 1 after printing why. */
int add_write_csv(const char *path, const add_options *o, const add_result *res, int n);
/* PREFIX-trace.png and PREFIX-radius.png through gnuplot, or one message when gnuplot is not
 * on PATH. Returns 0 (also without gnuplot), or 1 when gnuplot failed. */
int add_plot(const char *prefix, const add_options *o, const add_result *res, int n);

#endif /* ADDING_PROBLEM_H */
