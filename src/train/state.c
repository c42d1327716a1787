/* state.c — the model's public calls on a batch (train_step, predict), their validation, the
 * carried state between calls.
 * Legend: L layers, B batch, H hidden, I input (or vocabulary), O outputs. */
#include "train/train.h"

#include <stdint.h>
#include <string.h>

struct rnnbptt_state {
    const rnnbptt_model *m;
    int B;
    float *h, *c; /* (L,B,H) each; c only for LSTM (else NULL) */
};

int rb_batch_ok(const rnnbptt_model *m, const rnnbptt_batch *bt, int train)
{
    if (!bt || !rb_dims_ok(bt->T, bt->B) || !rb_lengths_ok(bt->lengths, bt->T, bt->B) ||
        !bt->x == !bt->tokens)
        return 0;
    const int T = bt->T, B = bt->B, I = m->cfg.input_size, O = m->cfg.output_size;
    const int xent = m->cfg.loss == RNNBPTT_LOSS_SOFTMAX_XENT;
    const int last = m->cfg.loss_at == RNNBPTT_LOSS_LAST_STEP;
    if (train && (xent ? !bt->labels : !bt->targets))
        return 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            if (!rb_active(bt->lengths, b, t))
                continue; /* nothing past a length is read */
            const size_t r = (size_t)t * (size_t)B + (size_t)b;
            if (bt->tokens && (bt->tokens[r] < 0 || bt->tokens[r] >= I))
                return 0;
            if (train && xent && !last && (bt->labels[r] < -1 || bt->labels[r] >= O))
                return 0;
        }
    for (int b = 0; train && xent && last && b < B; b++)
        if (bt->labels[b] < -1 || bt->labels[b] >= O)
            return 0;
    return 1;
}

/* The call of a batch from a state (NULL: zeros in, nothing out). */
static rb_net_call call_of(const rnnbptt_batch *bt, rnnbptt_state *s)
{
    return (rb_net_call){bt->T,       bt->B,       bt->lengths, bt->x, bt->tokens, bt->targets,
                         bt->labels,  NULL,        s ? s->h : NULL,    s ? s->c : NULL,
                         s ? s->h : NULL,          s ? s->c : NULL};
}

rnnbptt_status rnnbptt_model_train_step(rnnbptt_model *m, const rnnbptt_batch *batch,
                                        rnnbptt_state *state, double *loss)
{
    RETURN_IF(!m || !rb_batch_ok(m, batch, 1), RNNBPTT_EINVAL);
    RETURN_IF(state && (state->m != m || state->B != batch->B), RNNBPTT_EINVAL);
    const rb_net_call c = call_of(batch, state);
    return rb_net_run(m, &c, loss, NULL);
}

rnnbptt_status rnnbptt_model_predict(rnnbptt_model *m, const rnnbptt_batch *batch,
                                     rnnbptt_state *state, float *outputs)
{
    RETURN_IF(!m || !outputs || !rb_batch_ok(m, batch, 0), RNNBPTT_EINVAL);
    RETURN_IF(state && (state->m != m || state->B != batch->B), RNNBPTT_EINVAL);
    const rb_net_call c = call_of(batch, state);
    return rb_net_run(m, &c, NULL, outputs);
}

rnnbptt_status rnnbptt_state_create(const rnnbptt_model *m, int B, rnnbptt_state **s)
{
    RETURN_IF(!m || !s || B < 1 || m->D != 1, RNNBPTT_EINVAL);
    const int lstm = m->cfg.cell == RNNBPTT_LSTM;
    size_t n = 0;
    RETURN_IF(!rb_add_prod(&n, (size_t)(1 + lstm) * (size_t)m->cfg.num_layers, (size_t)B,
                           (size_t)m->cfg.hidden_size) ||
                  n > ((size_t)PTRDIFF_MAX - sizeof(rnnbptt_state)) / sizeof(float),
              RNNBPTT_EINVAL);
    rnnbptt_state *st = rb_calloc(1, sizeof *st + n * sizeof(float));
    RETURN_IF(!st, RNNBPTT_ENOMEM);
    st->m = m;
    st->B = B;
    st->h = (float *)(st + 1);
    st->c = lstm ? st->h + n / 2 : NULL;
    *s = st;
    return RNNBPTT_OK;
}

void rb_zero_rows(float *s, int L, int B, int H, int row)
{
    const size_t BH = (size_t)B * (size_t)H;
    if (row < 0) {
        memset(s, 0, (size_t)L * BH * sizeof(float));
        return;
    }
    for (int l = 0; l < L; l++)
        memset(s + (size_t)l * BH + (size_t)row * (size_t)H, 0, (size_t)H * sizeof(float));
}

rnnbptt_status rnnbptt_state_reset(rnnbptt_state *s, int row)
{
    RETURN_IF(!s || row < -1 || row >= s->B, RNNBPTT_EINVAL);
    const int L = s->m->cfg.num_layers, H = s->m->cfg.hidden_size;
    rb_zero_rows(s->h, L, s->B, H, row);
    if (s->c)
        rb_zero_rows(s->c, L, s->B, H, row);
    return RNNBPTT_OK;
}

void rnnbptt_state_destroy(rnnbptt_state *s) { rb_free(s); }

static size_t state_floats(const rnnbptt_state *s)
{
    return (size_t)s->m->cfg.num_layers * (size_t)s->B * (size_t)s->m->cfg.hidden_size;
}

rnnbptt_status rnnbptt_state_get(const rnnbptt_state *s, float *h, float *c)
{
    RETURN_IF(!s || !h, RNNBPTT_EINVAL);
    memcpy(h, s->h, state_floats(s) * sizeof(float));
    if (c && s->c)
        memcpy(c, s->c, state_floats(s) * sizeof(float));
    return RNNBPTT_OK;
}

rnnbptt_status rnnbptt_state_set(rnnbptt_state *s, const float *h, const float *c)
{
    RETURN_IF(!s || !h, RNNBPTT_EINVAL);
    memcpy(s->h, h, state_floats(s) * sizeof(float));
    if (s->c) {
        if (c)
            memcpy(s->c, c, state_floats(s) * sizeof(float));
        else
            memset(s->c, 0, state_floats(s) * sizeof(float));
    }
    return RNNBPTT_OK;
}
