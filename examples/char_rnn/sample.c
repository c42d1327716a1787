/* sample.c — char_rnn's sampling: one step at a time from a copy of the training state. */
#include <stdlib.h>
#include <string.h>

#include "char_rnn.h"

rnnbptt_status cr_sample(rnnbptt_model *m, const cr_text *t, cr_run *run, int B,
                         double temperature, int n, char *out)
{
    rnnbptt_model_config cfg;
    rnnbptt_status s = rnnbptt_model_get_config(m, &cfg);
    if (s != RNNBPTT_OK)
        return s;
    const int L = cfg.num_layers, H = cfg.hidden_size, V = cfg.output_size;
    const int lstm = cfg.cell == RNNBPTT_LSTM;
    rnnbptt_state *st = NULL;
    float *h = malloc(sizeof(float) * ((size_t)(1 + lstm) * (size_t)L * (size_t)H + (size_t)V));
    if (!h)
        return RNNBPTT_ENOMEM;
    float *c = lstm ? h + (size_t)L * H : NULL, *y = h + (size_t)(1 + lstm) * L * H;
    /* Row 0 of every layer of the training state (L,B,H) becomes the sampler's (L,1,H). */
    for (int l = 0; l < L; l++) {
        memcpy(h + (size_t)l * H, run->h + (size_t)l * B * H, sizeof(float) * (size_t)H);
        if (lstm)
            memcpy(c + (size_t)l * H, run->c + (size_t)l * B * H, sizeof(float) * (size_t)H);
    }
    s = rnnbptt_state_create(m, 1, &st);
    if (s == RNNBPTT_OK)
        s = rnnbptt_state_set(st, h, c);
    int tok = t->ids[run->pos[0]];
    for (int k = 0; k < n && s == RNNBPTT_OK; k++) {
        const rnnbptt_batch b = {.T = 1, .B = 1, .tokens = &tok};
        s = rnnbptt_model_predict(m, &b, st, y);
        for (int v = 0; v < V && s == RNNBPTT_OK; v++)
            y[v] = (float)(y[v] / temperature);
        if (s == RNNBPTT_OK)
            s = rnnbptt_softmax(1, V, y, y);
        float u = 0.0f;
        if (s == RNNBPTT_OK)
            s = rnnbptt_rng_uniform(&run->rng, &u, 1, 0.0f, 1.0f);
        /* Inverse CDF; the last symbol takes whatever rounding leaves above the sum. */
        double acc = 0.0;
        tok = V - 1;
        for (int v = 0; v < V - 1; v++) {
            acc += y[v];
            if (u < acc) {
                tok = v;
                break;
            }
        }
        out[k] = (char)t->sym[tok];
    }
    out[s == RNNBPTT_OK ? n : 0] = 0;
    rnnbptt_state_destroy(st);
    free(h);
    return s;
}
