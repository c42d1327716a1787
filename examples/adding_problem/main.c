/* main.c — the adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015): can a
 * recurrent network carry two marked numbers across T steps and add them? Trains tanh, IRNN,
 * LSTM and GRU models as the flags say; progress on stderr, one summary line per cell on
 * stdout. The data and the training are in train.c, the CSV and plots in plot.c. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "adding_problem.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: adding_problem [options]\n"
    "Trains recurrent networks on the adding problem: each step holds a number in [0, 1) and a\n"
    "marker; two steps are marked, one in [0, T/2) and one in [T/2, T); the target, read at the\n"
    "last step, is the sum of the two marked numbers. Always predicting 1 scores an MSE of about\n"
    "0.167 (the baseline). Test MSE on 1,000 fixed sequences (the same for every --seed).\n"
    "\n"
    "  --T N               sequence length, >= 2                      (default 50)\n"
    "  --cell C            tanh | irnn | lstm | gru | all             (default all)\n"
    "                      tanh, lstm (forget-gate bias +1), gru: PyTorch's init, Adam lr 1e-3;\n"
    "                      irnn: relu, identity W_hh, zero biases (Le et al.), SGD lr 1e-2\n"
    "  --steps N           training steps (updates), >= 0             (default 3000)\n"
    "  --batch N           sequences per step                         (default 32)\n"
    "  --hidden N          hidden units                               (default 100)\n"
    "  --seed N            initialization and training data           (default 1)\n"
    "  --threads N         the model's threads (>= 2: its own rnnbptt_team) and the BLAS's,\n"
    "                      unless OPENBLAS_NUM_THREADS is set         (default 1)\n"
    "  --plot PREFIX       PREFIX-trace.png (‖dL/dh_t‖ at the first step, log scale) and\n"
    "                      PREFIX-radius.png (spectral radius of W_hh every 100 steps); gnuplot\n"
    "  --trace-csv FILE    every measurement: cell,T,step,quantity,index,value\n"
    "  --help              this text\n"
    "\n"
    "Gradients are clipped to norm 1. Every 100 steps stderr shows the test MSE; stdout gets\n"
    "  adding cell C T N steps S test_mse X baseline Y ms_per_step Z\n"
    "per cell, ms_per_step timing only the training step (forward, loss, backward, clip, update).\n"
    "Bad flags exit with status 2.\n";

static int bad(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "adding_problem: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\nadding_problem: see --help\n");
    return 2;
}

/* A whole decimal number in lo..hi. */
static int parse_num(const char *flag, const char *v, unsigned long long lo, unsigned long long hi,
                     unsigned long long *out)
{
    char *end;
    errno = 0;
    const unsigned long long x = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || x < lo || x > hi) {
        char range[64];
        snprintf(range, sizeof range, "%llu..%llu", lo, hi);
        return bad("%s wants a whole number in %s", flag, range);
    }
    *out = x;
    return 0;
}

static int parse_int(const char *flag, const char *v, int lo, int hi, int *out)
{
    unsigned long long x;
    const int rc = parse_num(flag, v, (unsigned long long)lo, (unsigned long long)hi, &x);
    if (!rc)
        *out = (int)x;
    return rc;
}

/* Fills o from argv; returns 0, 1 after --help, or 2 after a message about a bad flag. */
static int parse_args(int argc, char **argv, add_options *o)
{
    *o = (add_options){.T = 50, .steps = 3000, .batch = 32, .hidden = 100, .threads = 1,
                       .seed = 1, .cells = {0, 1, 2, 3}, .n_cells = ADD_CELLS};
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h")) {
            fputs(usage, stdout);
            return 1;
        }
        static const char *const with_value[] = {"--T", "--cell", "--steps", "--batch", "--hidden",
                                                 "--seed", "--threads", "--plot", "--trace-csv"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            known |= !strcmp(f, with_value[k]);
        if (!known)
            return bad("unknown flag '%s'%s", f, "");
        if (i + 1 >= argc)
            return bad("%s needs a value%s", f, "");
        const char *v = argv[++i];
        int rc = 0;
        unsigned long long seed;
        if (!strcmp(f, "--T"))
            rc = parse_int(f, v, 2, 100000, &o->T);
        else if (!strcmp(f, "--steps"))
            rc = parse_int(f, v, 0, 100000000, &o->steps);
        else if (!strcmp(f, "--batch"))
            rc = parse_int(f, v, 1, 100000, &o->batch);
        else if (!strcmp(f, "--hidden"))
            rc = parse_int(f, v, 1, 100000, &o->hidden);
        else if (!strcmp(f, "--threads"))
            rc = parse_int(f, v, 1, 1024, &o->threads);
        else if (!strcmp(f, "--seed")) {
            if (!(rc = parse_num(f, v, 0, UINT64_MAX, &seed)))
                o->seed = (uint64_t)seed;
        } else if (!strcmp(f, "--cell")) {
            o->n_cells = 0;
            for (int c = 0; c < ADD_CELLS; c++)
                if (!strcmp(v, "all") || !strcmp(v, add_cell_names[c]))
                    o->cells[o->n_cells++] = c;
            if (!o->n_cells)
                return bad("--cell wants tanh, irnn, lstm, gru or all, not '%s'%s", v, "");
        } else if (!strcmp(f, "--plot") || !strcmp(f, "--trace-csv")) {
            if (!*v || strpbrk(v, "'\"\n"))
                return bad("%s wants a file name without quotes or newlines, not '%s'", f, v);
            *(!strcmp(f, "--plot") ? &o->plot : &o->trace_csv) = v;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* The BLAS's threads: --threads, unless OPENBLAS_NUM_THREADS says otherwise. OpenBLAS's setter
 * is looked up at run time (the library links the BLAS; this program builds against any). */
static void set_blas_threads(int n)
{
    if (getenv("OPENBLAS_NUM_THREADS")) {
        fprintf(stderr, "adding: BLAS threads as OPENBLAS_NUM_THREADS says\n");
        return;
    }
    void (*set)(int);
    *(void **)&set = dlsym(RTLD_DEFAULT, "openblas_set_num_threads");
    if (set) {
        set(n);
        fprintf(stderr, "adding: BLAS threads %d (openblas_set_num_threads)\n", n);
    } else {
        fprintf(stderr, "adding: not OpenBLAS: the BLAS's thread count left as it is\n");
    }
}

int main(int argc, char **argv)
{
    add_options o;
    const int prc = parse_args(argc, argv, &o);
    if (prc)
        return prc == 1 ? 0 : 2;
    set_blas_threads(o.threads);

    const size_t nx = (size_t)o.T * ADD_TEST_N * 2;
    float *test_x = malloc(sizeof(float) * nx), *test_y = malloc(sizeof(float) * ADD_TEST_N);
    float *tmp = malloc(sizeof(float) * (size_t)o.T);
    add_result res[ADD_CELLS];
    int n = 0, rc = 1;
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
