/* make_seeds.c — the seed corpus of fuzz_load: `make_seeds DIR` saves eight small valid model
 * files into DIR (seed-0.bin ... seed-7.bin): every cell, stacked and bidirectional models, both
 * losses and loss positions, no optimizer and every optimizer kind after two steps (non-zero
 * moments). Deterministic: the same files on every run. Exits non-zero on any failure. */
#include <stdio.h>
#include <stdlib.h>

#include "rnnbptt.h"

static const rnnbptt_model_config CONFIGS[8] = {
    {RNNBPTT_RNN_TANH, 2, 3, 1, 0, 2, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP, 0},
    {RNNBPTT_LSTM, 2, 2, 2, 1, 3, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_LAST_STEP, 0},
    {RNNBPTT_GRU, 3, 2, 1, 0, 2, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_EVERY_STEP, 0},
    {RNNBPTT_RNN_RELU, 1, 2, 3, 0, 1, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_LAST_STEP, 0},
    {RNNBPTT_LSTM, 1, 1, 1, 0, 1, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP, 0},
    {RNNBPTT_GRU, 2, 2, 2, 1, 2, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP, 0},
    {RNNBPTT_RNN_TANH, 3, 2, 2, 0, 3, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_LAST_STEP, 0},
    {RNNBPTT_RNN_RELU, 2, 3, 1, 1, 2, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_EVERY_STEP, 0},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    for (int s = 0; s < 8; s++) {
        rnnbptt_model *m = NULL;
        rnnbptt_optim *o = NULL;
        if (rnnbptt_model_create(&CONFIGS[s], &m) != RNNBPTT_OK)
            return 1;
        size_t n = rnnbptt_model_param_count(m);
        float *p = rnnbptt_model_params(m), *g = rnnbptt_model_grads(m);
        for (size_t i = 0; i < n; i++) {
            p[i] = (float)((double)(i % 17) / 8.0 - 1.0);
            g[i] = (float)((double)(i % 5) / 4.0 - 0.5);
        }
        if (s > 0) { /* seed s has optimizer kind s − 1 */
            rnnbptt_optim_config c = rnnbptt_optim_defaults((rnnbptt_optim_kind)(s - 1), 0.01);
            if (rnnbptt_optim_create(&c, n, &o) != RNNBPTT_OK ||
                rnnbptt_optim_step(o, p, g) != RNNBPTT_OK ||
                rnnbptt_optim_step(o, p, g) != RNNBPTT_OK)
                return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/seed-%d.bin", argv[1], s);
        rnnbptt_status st = rnnbptt_model_save(m, o, path);
        rnnbptt_optim_destroy(o);
        rnnbptt_model_destroy(m);
        if (st != RNNBPTT_OK) {
            fprintf(stderr, "make_seeds: %s: %s\n", path, rnnbptt_strerror(st));
            return 1;
        }
    }
    return 0;
}
