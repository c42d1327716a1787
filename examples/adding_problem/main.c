/* main.c — the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): can a
 * recurrent network carry two marked numbers across T steps and add them? Trains tanh, IRNN,
 * LSTM and GRU models as the flags say; progress on stderr, one summary line per cell on
 * stdout. The data and the training are in train.c, the CSV and plots in plot.c. */
#include "adding_problem.h"

#include <stdlib.h>
#include <string.h>

static const char intro[] =
    "usage: adding_problem [flags]\n"
    "Trains recurrent networks on the adding problem: each step holds a number in [0, 1) and a\n"
    "marker; two steps are marked, one in [0, T/2) and one in [T/2, T); the target, read at the\n"
    "last step, is the sum of the two marked numbers. Always predicting 1 scores an MSE of about\n"
    "0.167 (the baseline). Test MSE on 1,000 fixed sequences (the same for every --seed).\n"
    "tanh, lstm (forget-gate bias +1), gru: PyTorch's init, Adam lr 1e-3; irnn: relu, identity\n"
    "W_hh, zero biases (Le et al. 2015), SGD lr 1e-2; B sequences per step, gradients clipped to\n"
    "norm 1. Every 100 steps stderr shows the test MSE; stdout gets, per cell,\n"
    "  adding cell C T N steps S test_mse X baseline Y ms_per_step Z\n"
    "ms_per_step timing only the training step (forward, loss, backward, clip, update).";

static const char *const cell_choices[] = {"tanh", "irnn", "lstm", "gru", "all", NULL};

/* Fills o from argv; a bad flag is a message and exit status 2 (ex_parse). */
static void parse_args(int argc, char **argv, add_options *o)
{
    *o = (add_options){.T = 50, .steps = 3000, .batch = 32, .hidden = 100, .threads = 1,
                       .seed = 1};
    int cell = ADD_CELLS; /* "all" */
    ex_flag flags[] = {
        {"--T", EX_INT, &o->T, 2, 100000, NULL, "N  sequence length (50)", 0},
        {"--cell", EX_CHOICE, &cell, 0, 0, cell_choices, "C  tanh|irnn|lstm|gru|all (all)", 0},
        {"--steps", EX_INT, &o->steps, 0, 100000000, NULL, "N  training steps (3000)", 0},
        {"--batch", EX_INT, &o->batch, 1, 100000, NULL, "N  sequences per step (32)", 0},
        {"--hidden", EX_INT, &o->hidden, 1, 100000, NULL, "N  hidden units (100)", 0},
        {"--seed", EX_U64, &o->seed, 0, 0, NULL, "N  initialization and training data (1)", 0},
        {"--threads", EX_INT, &o->threads, 1, 1024, NULL,
         "N  the model's (>= 2: its own team) and the BLAS's threads (1)", 0},
        {"--plot", EX_STRING, &o->plot, 0, 0, NULL,
         "PREFIX  PREFIX-trace.png and PREFIX-radius.png (gnuplot)", 0},
        {"--trace-csv", EX_STRING, &o->trace_csv, 0, 0, NULL,
         "FILE  every measurement: cell,T,step,quantity,index,value", 0},
    };
    ex_parse("adding_problem", intro, argc, argv, flags, (int)(sizeof flags / sizeof *flags));
    for (int c = 0; c < ADD_CELLS; c++)
        if (cell == ADD_CELLS || cell == c)
            o->cells[o->n_cells++] = c;
    if (o->plot && strpbrk(o->plot, "'\"\n")) /* it goes into gnuplot's script in quotes */
        ex_die(EX_EXIT_USAGE, "adding_problem", "--plot: '%s' has a quote or a newline", o->plot);
}

int main(int argc, char **argv)
{
    add_options o;
    parse_args(argc, argv, &o);
    const int blas = ex_blas_threads(o.threads); /* unless OPENBLAS_NUM_THREADS is set */
    if (blas > 0)
        fprintf(stderr, "adding: BLAS threads %d%s\n", blas,
                getenv("OPENBLAS_NUM_THREADS") ? " (OPENBLAS_NUM_THREADS)" : "");

    const size_t nx = (size_t)o.T * ADD_TEST_N * 2;
    float *test_x = malloc(sizeof(float) * nx), *test_y = malloc(sizeof(float) * ADD_TEST_N);
    float *tmp = malloc(sizeof(float) * (size_t)o.T);
    add_result res[ADD_CELLS];
    int n = 0, rc = EX_EXIT_FAIL;
    if (!test_x || !test_y || !tmp) {
        fprintf(stderr, "adding_problem: out of memory\n");
        goto done;
    }
    rnnbptt_rng r;
    rnnbptt_rng_seed(&r, ADD_TEST_SEED);
    add_make_batch(&r, o.T, ADD_TEST_N, test_x, test_y, tmp);

    for (; n < o.n_cells; n++)
        if (add_train_cell(&o, o.cells[n], test_x, test_y, &res[n]))
            goto done;
    for (int c = 0; c < n; c++) {
        const add_result *q = &res[c];
        const char *name = add_cell_names[q->cell];
        if (q->solved_step >= 0)
            fprintf(stderr, "adding: %s T %d: test MSE below %g from step %d\n", name, o.T,
                    ADD_GOAL_MSE, q->solved_step);
        else
            fprintf(stderr, "adding: %s T %d: test MSE not below %g within %d steps\n", name,
                    o.T, ADD_GOAL_MSE, o.steps);
    }
    for (int c = 0; c < n; c++)
        printf("adding cell %s T %d steps %d test_mse %.6g baseline %.6g ms_per_step %.4g\n",
               add_cell_names[res[c].cell], o.T, o.steps, res[c].test_mse[res[c].n_evals - 1],
               res[c].baseline, res[c].ms_per_step);
    rc = 0;
    if (o.trace_csv)
        rc |= add_write_csv(o.trace_csv, &o, res, n);
    if (o.plot)
        rc |= add_plot(o.plot, &o, res, n);
done:
    for (int c = 0; c < n; c++)
        add_result_free(&res[c]);
    free(test_x), free(test_y), free(tmp);
    return rc;
}
