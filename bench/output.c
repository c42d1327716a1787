/* output.c — results as a table, CSV, JSON and a gnuplot PNG; calls machine, common. */

/* The table goes to stdout. sweep_table.py reads the JSON, peers/compare.sh and
 * peers/compare_table.py the CSV, by column name or position: keep both as they are. */
#define _POSIX_C_SOURCE 200809L
#include "output.h"

#include "common.h"
#include "machine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COLUMNS                                                                                    \
    "impl,cell,T,B,I,H,threads,fwd_ms,bwd_ms,total_ms,total_best_ms,gflops,pct_peak,tokens_per_s,"  \
    "bytes"

void table_head(FILE *f)
{
    fprintf(f, "%-12s %-5s %5s %4s %5s %5s %3s %10s %10s %10s %10s %8s %6s %10s %8s %9s %7s %7s\n",
            "impl", "cell", "T", "B", "I", "H", "thr", "fwd_ms", "bwd_ms", "total_ms", "best_ms",
            "GFLOP/s", "%peak", "tokens/s", "MiB", "bound_ms", "x_bound", "x_ours");
}

/* a number, or "-" when it is NaN (not measured / not applicable) */
static void num(FILE *f, int width, int prec, double v)
{
    if (isnan(v))
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, " %*.*f", width, prec, v);
}

void table_row(FILE *f, const bench_result *r)
{
    fprintf(f, "%-12s %-5s %5d %4d %5d %5d %3d", impl_name(r->impl), cell_name(r->p.cell), r->p.T,
            r->p.B, r->p.I, r->p.H, r->threads);
    num(f, 10, 3, r->fwd_ms);
    num(f, 10, 3, r->bwd_ms);
    num(f, 10, 3, r->total_ms);
    num(f, 10, 3, r->total_best_ms);
    num(f, 8, 1, r->gflops);
    num(f, 6, 1, r->pct_peak);
    fprintf(f, " %10.4g", r->tokens_per_s);
    num(f, 8, 2, r->bytes / (1 << 20));
    num(f, 9, 3, r->bound_ms);
    num(f, 7, 2, r->total_ms / r->bound_ms);
    num(f, 7, 2, r->ratio_ours);
    fputc('\n', f);
}

/* CSV: empty for NaN; JSON: null */
static void csv_num(FILE *f, double v) { isnan(v) ? fputs(",", f) : fprintf(f, ",%.6g", v); }
static void json_num(FILE *f, const char *key, double v)
{
    isnan(v) ? fprintf(f, ", \"%s\": null", key) : fprintf(f, ", \"%s\": %.6g", key, v);
}

int write_csv(const char *path, const bench_result *r, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", COLUMNS);
    for (int k = 0; k < n; k++) {
        const bench_result *q = &r[k];
        fprintf(f, "%s,%s,%d,%d,%d,%d,%d", impl_name(q->impl), cell_name(q->p.cell), q->p.T, q->p.B,
                q->p.I, q->p.H, q->threads);
        csv_num(f, q->fwd_ms);
        csv_num(f, q->bwd_ms);
        csv_num(f, q->total_ms);
        csv_num(f, q->total_best_ms);
        csv_num(f, q->gflops);
        csv_num(f, q->pct_peak);
        csv_num(f, q->tokens_per_s);
        fprintf(f, ",%.0f\n", q->bytes);
    }
    return fclose(f) ? -1 : 0;
}

int write_json(const char *path, const bench_result *r, int n, double peak, const char *cmdline)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "{\n  \"meta\": {");
    json_header(f);
    fprintf(f, ", \"sgemm_peak_gflops\": %.6g, \"command\": ", peak);
    json_string(f, cmdline);
    fprintf(f, "},\n  \"rows\": [\n");
    for (int k = 0; k < n; k++) {
        const bench_result *q = &r[k];
        fprintf(f, "    {\"impl\": \"%s\", \"cell\": \"%s\", \"T\": %d, \"B\": %d, \"I\": %d, "
                   "\"H\": %d, \"threads\": %d",
                impl_name(q->impl), cell_name(q->p.cell), q->p.T, q->p.B, q->p.I, q->p.H,
                q->threads);
        json_num(f, "fwd_ms", q->fwd_ms);
        json_num(f, "bwd_ms", q->bwd_ms);
        json_num(f, "total_ms", q->total_ms);
        json_num(f, "total_best_ms", q->total_best_ms);
        json_num(f, "gflops", q->gflops);
        json_num(f, "pct_peak", q->pct_peak);
        json_num(f, "tokens_per_s", q->tokens_per_s);
        fprintf(f, ", \"bytes\": %.0f}%s\n", q->bytes, k + 1 < n ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
    return fclose(f) ? -1 : 0;
}

int have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char dir[4096];
    for (const char *p = path; *p;) {
        const size_t len = strcspn(p, ":");
        snprintf(dir, sizeof dir, "%.*s/gnuplot", (int)len, len ? p : ".");
        if (access(dir, X_OK) == 0)
            return 1;
        p += len + (p[len] == ':');
    }
    return 0;
}

/* sorted distinct values of T (what = 0) or H (what = 1) among the plotted rows */
static int distinct(const bench_result *r, int n, const bench_result *like, int what, int *out)
{
    int m = 0;
    for (int k = 0; k < n; k++) {
        const bench_result *q = &r[k];
        if (q->impl != like->impl || q->p.cell != like->p.cell || q->p.B != like->p.B ||
            q->p.I != q->p.H)
            continue;
        const int v = what ? q->p.H : q->p.T;
        int j = m;
        while (j > 0 && out[j - 1] > v)
            j--;
        if (j > 0 && out[j - 1] == v)
            continue;
        memmove(out + j + 1, out + j, (size_t)(m - j) * sizeof *out);
        out[j] = v;
        m++;
    }
    return m;
}

/* One panel: GFLOP/s against T (vs = 0, one line per H) or against H (vs = 1, one line per T). */
static void panel(FILE *g, const bench_result *r, int n, const bench_result *like, int vs,
                  double peak, int *xs, int *ls)
{
    const int nx = distinct(r, n, like, vs, xs), nl = distinct(r, n, like, !vs, ls);
    fprintf(g, "set title '%s %s, B = %d, I = H: GFLOP/s against %s'\n", impl_name(like->impl),
            cell_name(like->p.cell), like->p.B, vs ? "H" : "T");
    fprintf(g, "set xrange [%g:%g]\nset xlabel '%s'\nset xtics (", xs[0] / 1.25,
            xs[nx - 1] * 1.25, vs ? "H" : "T");
    for (int k = 0; k < nx; k++)
        fprintf(g, "%s'%d' %d", k ? ", " : "", xs[k], xs[k]);
    fprintf(g, ")\nplot %.1f with lines dashtype 2 lc 'black' title 'sgemm peak'", peak);
    for (int l = 0; l < nl; l++)
        fprintf(g, ", '-' with linespoints lw 2 title '%s = %d'", vs ? "T" : "H", ls[l]);
    fputc('\n', g);
    for (int l = 0; l < nl; l++) {
        for (int k = 0; k < n; k++) {
            const bench_result *q = &r[k];
            if (q->impl == like->impl && q->p.cell == like->p.cell && q->p.B == like->p.B &&
                q->p.I == q->p.H && (vs ? q->p.T : q->p.H) == ls[l])
                fprintf(g, "%d %.4g\n", vs ? q->p.H : q->p.T, q->gflops);
        }
        fprintf(g, "e\n");
    }
}

int write_plot(const char *path, const bench_result *r, int n, double peak)
{
    if (!have_gnuplot()) {
        fprintf(stderr, "rnnbptt-bench: --plot: gnuplot is not installed (not found in PATH); no plot "
                        "written to %s. Install gnuplot, or plot the --csv output yourself.\n",
                path);
        return -1;
    }
    /* panels: one row per (library impl, cell, B) with I = H rows */
    const bench_result **rows = malloc((size_t)n * sizeof *rows);
    int *xs = malloc(2 * (size_t)n * sizeof *xs);
    if (!rows || !xs) {
        free(rows);
        free(xs);
        return -1;
    }
    int nrows = 0;
    for (int k = 0; k < n; k++) {
        int seen = (r[k].impl != IMPL_RNNBPTT && r[k].impl != IMPL_TEAM) || r[k].p.I != r[k].p.H;
        for (int j = 0; j < nrows && !seen; j++)
            seen = rows[j]->impl == r[k].impl && rows[j]->p.cell == r[k].p.cell &&
                   rows[j]->p.B == r[k].p.B;
        if (!seen)
            rows[nrows++] = &r[k];
    }
    FILE *g = nrows ? popen("gnuplot", "w") : NULL;
    if (!g) {
        fprintf(stderr, "rnnbptt-bench: --plot: %s\n",
                nrows ? "cannot start gnuplot" : "no rnnbptt points with I = H to plot");
        free(rows);
        free(xs);
        return -1;
    }
    fprintf(g, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { set terminal pngcairo size 1400,%d "
               "noenhanced } else { set terminal png size 1400,%d noenhanced }\n",
            420 * nrows, 420 * nrows);
    fprintf(g, "set output '%s'\nset multiplot layout %d,2\nset logscale x 2\nset grid\n"
               "set ylabel 'GFLOP/s'\nset yrange [0:*]\nset key outside right top\n",
            path, nrows);
    for (int j = 0; j < nrows; j++)
        for (int vs = 0; vs < 2; vs++)
            panel(g, r, n, rows[j], vs, peak, xs, xs + n);
    fprintf(g, "unset multiplot\nset output\n");
    free(rows);
    free(xs);
    if (pclose(g) != 0) {
        fprintf(stderr, "rnnbptt-bench: --plot: gnuplot failed; %s may be missing or incomplete\n",
                path);
        return -1;
    }
    return 0;
}
