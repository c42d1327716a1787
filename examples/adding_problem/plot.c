/* plot.c — the adding problem's measurements out: the trace CSV, and the two plots
 * through gnuplot when it is on PATH (the program runs without it). */
#define _POSIX_C_SOURCE 200809L
#include "adding_problem.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int add_write_csv(const char *path, const add_options *o, const add_result *res, int n)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fprintf(f, "cell,T,step,quantity,index,value\n");
    for (int c = 0; c < n; c++) {
        const add_result *r = &res[c];
        const char *name = add_cell_names[r->cell];
        for (int k = 0; k < o->T; k++)
            fprintf(f, "%s,%d,0,grad_norm,%d,%.9g\n", name, o->T, k, r->trace[k]);
        for (int e = 0; e < r->n_evals; e++) {
            fprintf(f, "%s,%d,%d,test_mse,-1,%.9g\n", name, o->T, r->eval_step[e], r->test_mse[e]);
            if (r->train_mse[e] >= 0.0)
                fprintf(f, "%s,%d,%d,train_mse,-1,%.9g\n", name, o->T, r->eval_step[e],
                        r->train_mse[e]);
            fprintf(f, "%s,%d,%d,radius,-1,%.9g\n", name, o->T, r->eval_step[e], r->radius[e]);
        }
        fprintf(f, "%s,%d,%d,baseline,-1,%.9g\n", name, o->T, o->steps, r->baseline);
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* Whether an executable `name` is in one of PATH's folders. */
static int on_path(const char *name)
{
    const char *path = getenv("PATH");
    char buf[4096];
    while (path && *path) {
        const size_t len = strcspn(path, ":");
        if (len > 0 && len + strlen(name) + 2 <= sizeof buf) {
            memcpy(buf, path, len);
            buf[len] = '/';
            strcpy(buf + len + 1, name);
            if (access(buf, X_OK) == 0)
                return 1;
        }
        path += len + (path[len] == ':');
    }
    return 0;
}

/* A gnuplot script writing both PNGs, its data inline (datablocks need gnuplot 5). Returns 1
 * if it plots the trace. */
static int script(FILE *gp, const char *prefix, const add_options *o, const add_result *res,
                   int n)
{
    fprintf(gp, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                "  set terminal pngcairo size 900,560 font ',11'\n"
                "} else {\n  set terminal png size 900,560\n}\n"
                "set key outside right\nset grid\n");
    char zeros[256] = "";
    int shown[ADD_CELLS] = {0}, any = 0; /* cells with a value > 0 in their trace */
    for (int c = 0; c < n; c++) {
        int z = 0;
        fprintf(gp, "$trace%d << EOD\n", c);
        for (int k = 0; k < o->T; k++) {
            if (res[c].trace[k] > 0.0)
                fprintf(gp, "%d %.9g\n", k, res[c].trace[k]);
            else
                z++;
        }
        fprintf(gp, "EOD\n$radius%d << EOD\n", c);
        for (int e = 0; e < res[c].n_evals; e++)
            fprintf(gp, "%d %.9g\n", res[c].eval_step[e], res[c].radius[e]);
        fprintf(gp, "EOD\n");
        const size_t used = strlen(zeros);
        snprintf(zeros + used, sizeof zeros - used, "%s%s %d", c ? ", " : "",
                 add_cell_names[res[c].cell], z);
        shown[c] = z < o->T;
        any |= shown[c];
    }
    if (any) { /* without a training step (--steps 0) there is no trace to plot */
        fprintf(gp, "set output '%s-trace.png'\nset logscale y\nset format y '10^{%%T}'\n"
                    "set xlabel 'step t'\nset ylabel '‖∂L/∂h_t‖'\n"
                    "set title \"Gradient norm reaching h_t at the first training step "
                    "(T = %d, B = %d, H = %d)\\nzero values left out: %s\"\nplot ",
                prefix, o->T, o->batch, o->hidden, zeros);
        for (int c = 0, first = 1; c < n; c++)
            if (shown[c]) {
                fprintf(gp, "%s$trace%d with lines lw 2 title '%s'", first ? "" : ", ", c,
                        add_cell_names[res[c].cell]);
                first = 0;
            }
    }
    fprintf(gp, "\nunset logscale y\nset format y '%%g'\n");
    fprintf(gp, "set output '%s-radius.png'\nset xlabel 'training step'\n"
                "set ylabel 'spectral radius of W_{hh}'\n"
                "set title \"Spectral radius of W_{hh} (LSTM, GRU: the largest gate block), "
                "T = %d\"\n",
            prefix, o->T);
    fprintf(gp, "plot ");
    for (int c = 0; c < n; c++)
        fprintf(gp, "%s$radius%d with linespoints lw 2 title '%s'", c ? ", " : "", c,
                add_cell_names[res[c].cell]);
    fprintf(gp, "\nset output\n");
    return any;
}

int add_plot(const char *prefix, const add_options *o, const add_result *res, int n)
{
    if (!on_path("gnuplot")) {
        fprintf(stderr, "adding_problem: --plot: gnuplot is not on PATH, so %s-trace.png and "
                        "%s-radius.png were not written (install gnuplot for them; everything "
                        "else ran)\n",
                prefix, prefix);
        return 0;
    }
    FILE *gp = popen("gnuplot", "w");
    if (!gp) {
        perror("adding_problem: gnuplot");
        return 1;
    }
    const int trace = script(gp, prefix, o, res, n);
    if (pclose(gp) != 0) {
        fprintf(stderr, "adding_problem: gnuplot failed: the plots may be missing\n");
        return 1;
    }
    if (trace)
        fprintf(stderr, "adding: wrote %s-trace.png\n", prefix);
    fprintf(stderr, "adding: wrote %s-radius.png\n", prefix);
    return 0;
}
