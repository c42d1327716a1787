/* net.c — one call through a model: every layer and direction on the kernels (rb_layer_forward and
 * rb_layer_backward), the dense head and the loss, then BPTT back down.
 * The head and the loss are head.c's.
 * Legend: T steps, B batch, L layers, D directions, H hidden, O outputs, DH = D·H, Il the input
 * width of layer l (I, then DH). Every buffer is time-major, (T,B,width), in the model's arena.
 * The reverse direction runs on time-reversed copies: row b's step t is the sequence's step
 * lengths[b] − 1 − t, so the kernel's packed-sequence semantics run it from the last step. */
#include "train/train.h"

#include <math.h>
#include <string.h>

/* A call in progress: the model, the call, its plan and arena. */
typedef struct {
    rnnbptt_model *m;
    const rb_net_call *c;
    rb_plan p;
    float *a;
} net;

static float *lay(const net *n, int l, size_t off)
{
    const rb_plan *p = &n->p;
    return n->a + (l ? p->lay[0].size + (size_t)(l - 1) * p->lay[1].size : 0) + off;
}
static const rb_layer_plan *lp(const net *n, int l) { return &n->p.lay[l > 0]; }
static float *hof(const net *n, int l, int d) { return lay(n, l, lp(n, l)->h[d]); }
/* Layer l's output (T,B,DH): h itself for one direction. */
static float *yof(const net *n, int l)
{
    return n->m->D == 2 ? lay(n, l, lp(n, l)->Y) : hof(n, l, 0);
}
static const float *params_of(const net *n, int l, int d)
{
    return n->m->params + n->m->off[l * n->m->D + d];
}
static const float *state_row(const float *s, const net *n, int l)
{
    return s ? s + (size_t)l * (size_t)n->c->B * (size_t)n->m->cfg.hidden_size : NULL;
}

/* dst rows (ldd apart) from src rows (lds apart), W elements of `size` bytes each (floats, or the
 * token ids): dst[t,b] = src[s,b] with s = t, or s = lengths[b] − 1 − t when reverse, for
 * t < lengths[b]; zeros past the length. */
static void gather(void *dst, size_t ldd, const void *src, size_t lds, size_t W, size_t size,
                   int T, int B, const int *lengths, int reverse)
{
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            const int len = lengths ? lengths[b] : T, s = reverse ? len - 1 - t : t;
            char *o = (char *)dst + ((size_t)t * (size_t)B + (size_t)b) * ldd * size;
            if (t < len)
                memcpy(o, (const char *)src + ((size_t)s * (size_t)B + (size_t)b) * lds * size,
                       W * size);
            else
                memset(o, 0, W * size);
        }
}

/* dst (T,B,W) += src time-reversed per row (src[lengths[b] − 1 − t, b]), at valid steps only. */
static void add_reversed(float *dst, const float *src, size_t W, int T, int B, const int *lengths)
{
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            const int len = lengths ? lengths[b] : T;
            if (t >= len)
                continue;
            float *o = dst + ((size_t)t * (size_t)B + (size_t)b) * W;
            const float *i = src + ((size_t)(len - 1 - t) * (size_t)B + (size_t)b) * W;
            for (size_t j = 0; j < W; j++)
                o[j] += i[j];
        }
}

/* Layer l's input: x or tokens for l = 0 (reversed copies for d = 1), else layer l−1's output. */
static rb_input input_of(const net *n, int l, int d)
{
    const rb_net_call *c = n->c;
    const float *rin = lay(n, l, lp(n, l)->rin);
    if (l)
        return (rb_input){d ? rin : yof(n, l - 1), NULL, c->lengths};
    if (!d)
        return (rb_input){c->x, c->tokens, c->lengths};
    return c->tokens ? (rb_input){NULL, (const int *)rin, c->lengths}
                     : (rb_input){rin, NULL, c->lengths};
}

static void forward_layer(net *n, int l, int train)
{
    const rb_net_call *c = n->c;
    const int T = c->T, B = c->B, H = n->m->cfg.hidden_size, D = n->m->D;
    const size_t Il = (size_t)rb_layer_in(n->m, l), BH = (size_t)B * (size_t)H;
    float *res = train ? NULL : n->a + n->p.res;
    float *hT = c->hT ? n->a + n->p.hT + (size_t)l * BH : NULL;
    float *cT = c->hT ? n->a + n->p.cT + (size_t)l * BH : NULL;
    rb_input in = input_of(n, l, 0);
    rb_layer_forward(&n->m->layer[l * D], params_of(n, l, 0), T, B, &in, state_row(c->h0, n, l),
                     state_row(c->c0, n, l), hof(n, l, 0), hT, cT,
                     train ? lay(n, l, lp(n, l)->res[0]) : res);
    if (D == 1)
        return;
    float *rin = lay(n, l, lp(n, l)->rin);
    if (l == 0 && c->tokens) /* the token ids, time-reversed per row (never read past len) */
        gather(rin, 1, c->tokens, 1, 1, sizeof(int), T, B, c->lengths, 1);
    else
        gather(rin, Il, l ? yof(n, l - 1) : c->x, Il, Il, sizeof(float), T, B, c->lengths, 1);
    in = input_of(n, l, 1);
    rb_layer_forward(&n->m->layer[l * D + 1], params_of(n, l, 1), T, B, &in, NULL, NULL,
                     hof(n, l, 1), NULL, NULL, train ? lay(n, l, lp(n, l)->res[1]) : res);
    float *Y = yof(n, l);
    gather(Y, (size_t)2 * H, hof(n, l, 0), (size_t)H, (size_t)H, sizeof(float), T, B, c->lengths,
           0);
    gather(Y + H, (size_t)2 * H, hof(n, l, 1), (size_t)H, (size_t)H, sizeof(float), T, B,
           c->lengths, 1);
}

/* The squared row norms for direction d of layer l (zeroed), or NULL when no trace is wanted. */
static double *trace_rows(const net *n)
{
    if (!n->m->trace)
        return NULL;
    double *sq = (double *)(n->a + n->p.sq);
    memset(sq, 0, (size_t)n->c->T * (size_t)n->c->B * sizeof(double));
    return sq;
}

/* The trace of direction d of layer l from its squared row norms: ‖Σ_b‖ per step. */
static void trace_fill(const net *n, int l, int d)
{
    if (!n->m->trace)
        return;
    const double *sq = (const double *)(n->a + n->p.sq);
    double *out = n->m->trace + (size_t)(l * n->m->D + d) * (size_t)n->m->trace_T;
    for (int t = 0; t < n->c->T; t++) {
        double s = 0.0;
        for (int b = 0; b < n->c->B; b++)
            s += sq[(size_t)t * (size_t)n->c->B + (size_t)b];
        out[t] = sqrt(s);
    }
}

/* Layer l's backward from dY (T,B,DH): gradients accumulated, dX (T,B,Il) written (l > 0). */
static void backward_layer(net *n, int l, const float *dY, float *dX)
{
    const rb_net_call *c = n->c;
    rnnbptt_model *m = n->m;
    const int T = c->T, B = c->B, H = m->cfg.hidden_size, D = m->D;
    const size_t Il = (size_t)rb_layer_in(m, l);
    float *work = n->a + n->p.work, *dh0 = D == 2 ? n->a + n->p.dh[0] : NULL;
    if (D == 2)
        gather(dh0, (size_t)H, dY, (size_t)2 * H, (size_t)H, sizeof(float), T, B, c->lengths, 0);
    rb_input in = input_of(n, l, 0);
    rb_layer_backward(&m->layer[l * D], params_of(n, l, 0), T, B, &in, state_row(c->h0, n, l),
                      state_row(c->c0, n, l), hof(n, l, 0), lay(n, l, lp(n, l)->res[0]),
                      D == 2 ? dh0 : dY, NULL, NULL, m->grads + m->off[l * D], dX, NULL, NULL,
                      work, trace_rows(n));
    trace_fill(n, l, 0);
    if (D == 1)
        return;
    float *dh1 = n->a + n->p.dh[1], *dxr = dX ? n->a + n->p.dxr : NULL;
    gather(dh1, (size_t)H, dY + H, (size_t)2 * H, (size_t)H, sizeof(float), T, B, c->lengths, 1);
    in = input_of(n, l, 1);
    rb_layer_backward(&m->layer[l * D + 1], params_of(n, l, 1), T, B, &in, NULL, NULL,
                      hof(n, l, 1), lay(n, l, lp(n, l)->res[1]), dh1, NULL, NULL,
                      m->grads + m->off[l * D + 1], dxr, NULL, NULL, work, trace_rows(n));
    trace_fill(n, l, 1);
    if (dX)
        add_reversed(dX, dxr, Il, T, B, c->lengths);
}

rnnbptt_status rb_net_run(rnnbptt_model *m, const rb_net_call *c, double *loss, float *outputs)
{
    net n = {.m = m, .c = c};
    const int train = !outputs, L = m->cfg.num_layers;
    RETURN_IF(!rb_plan_call(m, c->T, c->B, c->hT != NULL, train, &n.p), RNNBPTT_EINVAL);
    RETURN_IF(train && m->trace && c->T > m->trace_T, RNNBPTT_EINVAL);
    if (n.p.floats > m->arena_bytes / sizeof(float)) {
        float *a = rb_aligned_alloc(64, n.p.floats * sizeof(float));
        RETURN_IF(!a, RNNBPTT_ENOMEM);
        rb_free(m->arena);
        m->arena = a;
        m->arena_bytes = n.p.floats * sizeof(float);
    }
    n.a = m->arena;
    rb_team_stay(m->team, 1); /* its workers wait between the layers and the head */
    for (int l = 0; l < L; l++)
        forward_layer(&n, l, train);
    const float *Y = yof(&n, L - 1);
    if (!train) {
        rb_head_predict(m, c, Y, n.a + n.p.ylast, outputs);
    } else {
        const rb_head_scratch hs = {n.a + n.p.Z, n.a + n.p.dZ, n.a + n.p.ylast, n.a + n.p.dylast};
        const double s = rb_head_train(m, c, Y, &hs, n.a + n.p.dY[0]);
        for (int l = L - 1; l >= 0; l--) {
            float *dX = l ? n.a + n.p.dY[(L - l) & 1] : NULL;
            backward_layer(&n, l, n.a + n.p.dY[(L - 1 - l) & 1], dX);
        }
        if (loss)
            *loss = s;
    }
    rb_team_stay(m->team, 0);
    if (c->hT) {
        const size_t LBH = (size_t)L * (size_t)c->B * (size_t)m->cfg.hidden_size;
        memcpy(c->hT, n.a + n.p.hT, LBH * sizeof(float));
        if (c->cT)
            memcpy(c->cT, n.a + n.p.cT, LBH * sizeof(float));
    }
    return RNNBPTT_OK;
}

void rb_net_states_at(const rnnbptt_model *m, int T, int B, const int *steps, float *h, float *c)
{
    net n = {.m = (rnnbptt_model *)m, .a = m->arena};
    (void)rb_plan_call(m, T, B, 0, 1, &n.p); /* the plan of the run just made: it fitted */
    const size_t H = (size_t)m->cfg.hidden_size, Bz = (size_t)B;
    const int lstm = m->cfg.cell == RNNBPTT_LSTM;
    for (int l = 0; l < m->cfg.num_layers; l++)
        for (int b = 0; b < B; b++) {
            if (steps[b] < 0)
                continue;
            const size_t at = ((size_t)steps[b] * Bz + (size_t)b) * H;
            const size_t to = ((size_t)l * Bz + (size_t)b) * H;
            memcpy(h + to, hof(&n, l, 0) + at, H * sizeof(float));
            if (lstm && c)
                memcpy(c + to, lay(&n, l, lp(&n, l)->res[0]) + rb_lstm_cells_at(T, B, (int)H) + at,
                       H * sizeof(float));
        }
}
