/* format.c — the model file's header (docs/model-format.md): its fields at their offsets, their
 * little-endian encoding on any host, and every check a reader makes of them before it allocates
 * (file.c reads and writes the rest). */
#include "train/train.h"

#include <limits.h>
#include <string.h>

/* The header's fields: byte offsets (docs/model-format.md). */
enum {
    AT_VERSION = 8, AT_FLAGS = 12, AT_CONFIG = 16, AT_N = 48, AT_KIND = 56, AT_MOMENTS = 60,
    AT_STEPS = 64, AT_HYPER = 72, AT_NSTATE = 128
};
static const unsigned char MAGIC[8] = {'R', 'N', 'N', 'B', 'P', 'T', 'T', 'M'};

/* *v to b (put) or b to *v; 64-bit fields are two 32-bit halves, low half first. */
static void code32(unsigned char *b, uint32_t *v, int put)
{
    if (put)
        rb_put32(b, *v);
    else
        *v = rb_get32(b);
}
static void code64(unsigned char *b, uint64_t *v, int put)
{
    uint32_t lo = (uint32_t)*v, hi = (uint32_t)(*v >> 32);
    code32(b, &lo, put);
    code32(b + 4, &hi, put);
    *v = (uint64_t)hi << 32 | lo;
}

/* h to the bytes b[RB_FILE_HEADER] (put) or back; the magic is written, not read. */
static void code_header(unsigned char *b, rb_file_header *h, int put)
{
    if (put)
        memcpy(b, MAGIC, sizeof MAGIC);
    code32(b + AT_VERSION, &h->version, put);
    code32(b + AT_FLAGS, &h->flags, put);
    for (int i = 0; i < RB_FILE_CONFIG_FIELDS; i++)
        code32(b + AT_CONFIG + 4 * i, &h->conf[i], put);
    code64(b + AT_N, &h->n, put);
    code32(b + AT_KIND, &h->kind, put);
    code32(b + AT_MOMENTS, &h->k, put);
    code64(b + AT_STEPS, &h->t, put);
    for (int i = 0; i < RB_FILE_HYPERS; i++)
        code64(b + AT_HYPER + 8 * i, &h->hyper[i], put);
    code64(b + AT_NSTATE, &h->nstate, put);
}

/* The optimizer's hyperparameters in the file's order. */
static double *hyper_field(rnnbptt_optim_config *c, int i)
{
    double *const f[RB_FILE_HYPERS] = {&c->lr,    &c->momentum, &c->alpha,       &c->beta1,
                                       &c->beta2, &c->eps,      &c->weight_decay};
    return f[i];
}

rb_file_header rb_file_header_put(unsigned char *b, const rnnbptt_model *m,
                                  const rb_optim_info *oi)
{
    const rnnbptt_model_config *c = &m->cfg;
    rb_file_header h = {
        .version = RB_FILE_VERSION,
        .conf = {(uint32_t)c->cell, (uint32_t)c->input_size, (uint32_t)c->hidden_size,
                 (uint32_t)c->num_layers, (uint32_t)c->bidirectional, (uint32_t)c->output_size,
                 (uint32_t)c->loss, (uint32_t)c->loss_at},
        .n = m->n};
    if (oi) {
        rnnbptt_optim_config oc = oi->cfg;
        h.flags = RB_FILE_HAS_OPTIM;
        h.kind = (uint32_t)oc.kind;
        h.k = (uint32_t)oi->k;
        h.t = oi->t;
        for (int i = 0; i < RB_FILE_HYPERS; i++)
            memcpy(&h.hyper[i], hyper_field(&oc, i), sizeof h.hyper[i]);
        h.nstate = (uint64_t)oi->k * oi->n;
    }
    code_header(b, &h, 1);
    return h;
}

/* The parameter count of a model of c (as model.c lays it out), or 0 when it overflows. */
static size_t param_count(const rnnbptt_model_config *c)
{
    const int D = 1 + c->bidirectional;
    if (!rb_dims_ok(D, c->hidden_size))
        return 0;
    rnnbptt_layer first = {.cell = c->cell, .input_size = c->input_size,
                           .hidden_size = c->hidden_size};
    rnnbptt_layer above = first;
    above.input_size = D * c->hidden_size;
    size_t n = 0, k0 = rnnbptt_param_count(&first), k1 = rnnbptt_param_count(&above);
    if (!k0 || !k1 || !rb_add_prod(&n, (size_t)D, k0, 1) ||
        !rb_add_prod(&n, (size_t)(c->num_layers - 1), (size_t)D, k1) ||
        !rb_add_prod(&n, (size_t)c->output_size, (size_t)above.input_size + 1, 1))
        return 0;
    return n;
}

/* The optimizer h describes into *oi, n parameters; 0 if h's optimizer fields are not
 * consistent with each other (or, without an optimizer, not all zero). */
static int optim_ok(const rb_file_header *h, size_t n, rb_optim_info *oi)
{
    if (!(h->flags & RB_FILE_HAS_OPTIM)) {
        uint64_t any = h->kind | h->k | h->t | h->nstate;
        for (int i = 0; i < RB_FILE_HYPERS; i++)
            any |= h->hyper[i];
        return !any;
    }
    if (h->kind > RNNBPTT_ADAMW)
        return 0;
    *oi = (rb_optim_info){.cfg.kind = (rnnbptt_optim_kind)h->kind, .n = n, .t = h->t};
    oi->k = (size_t)rb_optim_moments(oi->cfg.kind);
    for (int i = 0; i < RB_FILE_HYPERS; i++)
        memcpy(hyper_field(&oi->cfg, i), &h->hyper[i], sizeof h->hyper[i]);
    return h->k == oi->k && h->nstate == oi->k * n && rb_optim_config_ok(&oi->cfg);
}

int rb_file_header_get(const unsigned char *b, uint64_t bytes, rb_file_header *h,
                       rnnbptt_model_config *cfg, rb_optim_info *oi)
{
    if (memcmp(b, MAGIC, sizeof MAGIC))
        return 0;
    code_header((unsigned char *)b, h, 0);
    const uint32_t *c = h->conf; /* cell, I, H, L, bidirectional, O, loss, loss_at */
    if (h->version < 1 || h->version > RB_FILE_VERSION || (h->flags & ~RB_FILE_HAS_OPTIM) ||
        c[0] > RNNBPTT_GRU || c[4] > 1 || c[6] > RNNBPTT_LOSS_SOFTMAX_XENT ||
        c[7] > RNNBPTT_LOSS_LAST_STEP)
        return 0;
    const int sizes[] = {1, 2, 3, 5}; /* I, H, L, O: 1..INT_MAX */
    for (int i = 0; i < 4; i++)
        if (c[sizes[i]] < 1 || c[sizes[i]] > INT_MAX)
            return 0;
    *cfg = (rnnbptt_model_config){(rnnbptt_cell)c[0], (int)c[1], (int)c[2], (int)c[3], (int)c[4],
                                  (int)c[5], (rnnbptt_loss_kind)c[6], (rnnbptt_loss_at)c[7], 0};
    const size_t n = param_count(cfg); /* <= PTRDIFF_MAX / 4: the sum below cannot wrap */
    return n && h->n == n && optim_ok(h, n, oi) &&
           bytes == RB_FILE_HEADER + 4 * ((uint64_t)n + h->nstate) + RB_FILE_TRAILER;
}
