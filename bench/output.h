/* output.h — the results as a table, CSV, JSON and a gnuplot PNG (output.c). */
#ifndef RNNBPTT_BENCH_OUTPUT_H
#define RNNBPTT_BENCH_OUTPUT_H

#include "common.h"

void table_head(FILE *f);
void table_row(FILE *f, const bench_result *r);
int write_csv(const char *path, const bench_result *r, int n);
int write_json(const char *path, const bench_result *r, int n, double peak, const char *cmdline);
/* Plot throughput against T (one line per H) and against H (one line per T) with gnuplot.
 * Returns 0, or -1 with a message on stderr (gnuplot missing or failing). */
int write_plot(const char *path, const bench_result *r, int n, double peak);
int have_gnuplot(void);

#endif /* RNNBPTT_BENCH_OUTPUT_H */
