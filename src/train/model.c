/* model.c — the model object: its configuration, its layers and their places in the one flat
 * parameter buffer and the one flat gradient buffer, and the accessors of both.
 * Legend: L layers, D directions, H hidden, G gates, O outputs, DH = D·H. */
#include "train/train.h"

#include <stdint.h>
#include <string.h>

/* 1 if cfg describes a model (sizes and enums); the parameter count is checked by the caller. */
static int config_ok(const rnnbptt_model_config *c)
{
    return c->input_size >= 1 && c->hidden_size >= 1 && c->num_layers >= 1 &&
           c->output_size >= 1 && (c->bidirectional == 0 || c->bidirectional == 1) &&
           c->threads >= 0 && c->threads <= RNNBPTT_TEAM_MAX_THREADS &&
           (c->cell == RNNBPTT_RNN_TANH || c->cell == RNNBPTT_RNN_RELU ||
            c->cell == RNNBPTT_LSTM || c->cell == RNNBPTT_GRU) &&
           (c->loss == RNNBPTT_LOSS_MSE || c->loss == RNNBPTT_LOSS_SOFTMAX_XENT) &&
           (c->loss_at == RNNBPTT_LOSS_EVERY_STEP || c->loss_at == RNNBPTT_LOSS_LAST_STEP) &&
           /* 8H = 2·(4H): a bidirectional LSTM layer's widths fit in int, and so O·2H */
           rb_dims_ok(8, c->hidden_size) && rb_dims_ok(c->output_size, 2 * c->hidden_size);
}

/* The floats of the flat buffers for cfg, and of one layer block below the top (first: layer 0's,
 * above: each other layer's), into *n, *first, *above; 0 when they overflow what we hand out
 * (checked before anything is allocated). */
static int param_total(const rnnbptt_model_config *c, size_t *n, size_t *first, size_t *above)
{
    const size_t D = (size_t)(1 + c->bidirectional), DH = D * (size_t)c->hidden_size;
    const rnnbptt_layer L0 = {c->cell, c->input_size, c->hidden_size, NULL};
    const rnnbptt_layer L1 = {c->cell, (int)DH, c->hidden_size, NULL};
    *first = rnnbptt_param_count(&L0);
    *above = rnnbptt_param_count(&L1);
    *n = 0;
    return *first && *above && rb_add_prod(n, D, *first, 1) &&
           rb_add_prod(n, D * (size_t)(c->num_layers - 1), *above, 1) &&
           rb_add_prod(n, 1, (size_t)c->output_size, DH + 1);
}

/* Lays out m's layers (m->layer, m->off, m->head) for the sizes param_total checked. */
static void layout(rnnbptt_model *m, size_t first, size_t above)
{
    const rnnbptt_model_config *c = &m->cfg;
    size_t n = 0;
    for (int l = 0; l < c->num_layers; l++)
        for (int d = 0; d < m->D; d++) {
            m->layer[l * m->D + d] = (rnnbptt_layer){.cell = c->cell,
                                                     .input_size = rb_layer_in(m, l),
                                                     .hidden_size = c->hidden_size};
            m->off[l * m->D + d] = n;
            n += l ? above : first;
        }
    m->head = n;
}

rnnbptt_status rnnbptt_model_create(const rnnbptt_model_config *cfg, rnnbptt_model **m)
{
    RETURN_IF(!cfg || !m || !config_ok(cfg), RNNBPTT_EINVAL);
    size_t n, first, above;
    RETURN_IF(!param_total(cfg, &n, &first, &above), RNNBPTT_EINVAL);
    const size_t LD = (size_t)cfg->num_layers * (size_t)(1 + cfg->bidirectional);
    RETURN_IF(LD > ((size_t)PTRDIFF_MAX - sizeof(rnnbptt_model)) /
                       (sizeof(rnnbptt_layer) + sizeof(size_t)),
              RNNBPTT_EINVAL);
    rnnbptt_model *md = rb_calloc(1, sizeof *md + LD * (sizeof(rnnbptt_layer) + sizeof(size_t)));
    RETURN_IF(!md, RNNBPTT_ENOMEM);
    md->cfg = *cfg;
    md->D = 1 + cfg->bidirectional;
    md->DH = md->D * cfg->hidden_size;
    md->off = (size_t *)(md + 1);
    md->layer = (rnnbptt_layer *)(md->off + LD);
    md->n = n;
    layout(md, first, above);
    rnnbptt_status st = RNNBPTT_ENOMEM;
    md->params = rb_calloc(md->n, sizeof(float));
    md->grads = md->params ? rb_calloc(md->n, sizeof(float)) : NULL;
    if (!md->grads)
        goto fail;
    if (cfg->threads >= 2) {
        st = rnnbptt_team_create(cfg->threads, &md->team);
        if (st != RNNBPTT_OK)
            goto fail;
        for (size_t k = 0; k < LD; k++)
            md->layer[k].team = md->team;
    }
    *m = md;
    return RNNBPTT_OK;
fail:
    rnnbptt_model_destroy(md);
    return st;
}

void rnnbptt_model_destroy(rnnbptt_model *m)
{
    if (!m)
        return;
    rnnbptt_team_destroy(m->team);
    rb_free(m->arena);
    rb_free(m->grads);
    rb_free(m->params);
    rb_free(m);
}

size_t rnnbptt_model_param_count(const rnnbptt_model *m) { return m ? m->n : 0; }
float *rnnbptt_model_params(rnnbptt_model *m) { return m ? m->params : NULL; }
float *rnnbptt_model_grads(rnnbptt_model *m) { return m ? m->grads : NULL; }

void rnnbptt_model_zero_grad(rnnbptt_model *m)
{
    if (m)
        memset(m->grads, 0, m->n * sizeof(float));
}

rnnbptt_status rnnbptt_model_tensor(const rnnbptt_model *m, int layer, int dir, int which,
                                    size_t *offset, int *rows, int *cols)
{
    RETURN_IF(!m, RNNBPTT_EINVAL);
    const int H = m->cfg.hidden_size, O = m->cfg.output_size;
    size_t off;
    int r, k;
    if (layer == -1) { /* the head: W_y (O, DH), then b_y (O) */
        RETURN_IF(dir != 0 || which < 0 || which > 1, RNNBPTT_EINVAL);
        off = m->head + (which ? (size_t)O * (size_t)m->DH : 0);
        r = O;
        k = which ? 1 : m->DH;
    } else {
        RETURN_IF(layer < 0 || layer >= m->cfg.num_layers || dir < 0 || dir >= m->D,
                  RNNBPTT_EINVAL);
        const int gru = m->cfg.cell == RNNBPTT_GRU;
        RETURN_IF(which < 0 || which > 2 + gru, RNNBPTT_EINVAL);
        const int G = m->cfg.cell == RNNBPTT_LSTM ? 4 : gru ? 3 : 1, I = rb_layer_in(m, layer);
        const size_t GH = (size_t)G * (size_t)H;
        const size_t at[4] = {0, GH * (size_t)I, GH * (size_t)(I + H), GH * (size_t)(I + H + 1)};
        off = m->off[layer * m->D + dir] + at[which];
        r = G * H;
        k = which == 0 ? I : which == 1 ? H : 1;
    }
    if (offset)
        *offset = off;
    if (rows)
        *rows = r;
    if (cols)
        *cols = k;
    return RNNBPTT_OK;
}

rnnbptt_status rnnbptt_model_set_trace(rnnbptt_model *m, double *trace, int max_T)
{
    RETURN_IF(!m || (trace && max_T < 1), RNNBPTT_EINVAL);
    m->trace = trace;
    m->trace_T = trace ? max_T : 0;
    return RNNBPTT_OK;
}
