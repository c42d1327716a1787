/* model.h — rnnbptt-bench --model: one training step of a stacked, bidirectional model (model.c). */
#ifndef RNNBPTT_BENCH_MODEL_H
#define RNNBPTT_BENCH_MODEL_H

#include <stdio.h>

/* The whole model mode: its own options (argv as main's; --model among them), sweep, output.
 * Returns the process's exit status. */
int model_main(int argc, char **argv);
/* The model mode's part of --help. */
void model_usage(FILE *f);

#endif /* RNNBPTT_BENCH_MODEL_H */
