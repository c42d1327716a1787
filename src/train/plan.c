/* plan.c — where the buffers of one call through a model sit in the model's arena (rb_plan):
 * per layer, its outputs, reserves and reversed inputs; then the head's, the backward's and the
 * state's shared pieces, each 64-byte aligned, every size checked for overflow.
 * Legend: T steps, B batch, L layers, D directions, H hidden, O outputs, DH = D·H. */
#include "train/train.h"

/* Appends a piece of k·a·b floats at *acc (64-byte aligned); 0 on overflow. */
static int piece(size_t *at, size_t *acc, size_t k, size_t a, size_t b)
{
    *at = *acc;
    if (!rb_add_prod(acc, k, a, b))
        return 0;
    *acc = (*acc + 15) & ~(size_t)15;
    return 1;
}

/* Plans layer l's block; 0 on overflow. */
static int plan_layer(const rnnbptt_model *m, int l, int T, int B, int train, rb_layer_plan *p)
{
    const size_t TB = (size_t)T * (size_t)B, H = (size_t)m->cfg.hidden_size;
    size_t acc = 0;
    int ok = 1;
    for (int d = 0; d < m->D; d++) {
        rb_dims dm;
        ok = ok && rb_dims_init(&dm, &m->layer[l * m->D + d], T, B) &&
             piece(&p->h[d], &acc, 1, TB, H) &&
             piece(&p->res[d], &acc, 1, train ? dm.n_reserve : 0, 1);
    }
    const size_t Il = (size_t)rb_layer_in(m, l), two = m->D == 2;
    ok = ok && piece(&p->rin, &acc, two, TB, Il) && piece(&p->Y, &acc, two, TB, (size_t)m->DH);
    p->size = acc;
    return ok;
}

/* Plans the whole arena of a call; 0 when a size overflows. */
int rb_plan_call(const rnnbptt_model *m, int T, int B, int state_out, int train, rb_plan *p)
{
    const int L = m->cfg.num_layers, last = m->cfg.loss_at == RNNBPTT_LOSS_LAST_STEP;
    const size_t TB = (size_t)T * (size_t)B, H = (size_t)m->cfg.hidden_size;
    const size_t O = (size_t)m->cfg.output_size, DH = (size_t)m->DH, N = last ? (size_t)B : TB;
    size_t acc = 0, res = 0, work = 0, base;
    if (!plan_layer(m, 0, T, B, train, &p->lay[0]) ||
        !plan_layer(m, L > 1, T, B, train, &p->lay[1]))
        return 0;
    for (int k = 0; k < 2 * m->D; k++) { /* the largest reserve and work of any layer */
        rb_dims dm;
        if (!rb_dims_init(&dm, &m->layer[(k / m->D ? L - 1 : 0) * m->D + k % m->D], T, B))
            return 0;
        res = dm.n_reserve > res ? dm.n_reserve : res;
        work = dm.n_work > work ? dm.n_work : work;
    }
    const size_t two = m->D == 2, Imax = (size_t)(L > 1 && m->DH > m->cfg.input_size
                                                      ? m->DH : m->cfg.input_size);
    return piece(&base, &acc, 1, p->lay[0].size, 1) && /* layer 0's block sits first */
           (L < 2 || rb_add_prod(&acc, (size_t)(L - 1), p->lay[1].size, 1)) &&
           piece(&p->res, &acc, !train, res, 1) && piece(&p->Z, &acc, 1, N, O) &&
           piece(&p->dZ, &acc, train, N, O) && piece(&p->ylast, &acc, last, (size_t)B, DH) &&
           piece(&p->dylast, &acc, last && train, (size_t)B, DH) &&
           piece(&p->dY[0], &acc, train, TB, DH) && piece(&p->dY[1], &acc, train, TB, DH) &&
           piece(&p->dh[0], &acc, train && two, TB, H) &&
           piece(&p->dh[1], &acc, train && two, TB, H) &&
           piece(&p->dxr, &acc, train && two, TB, Imax) && piece(&p->work, &acc, train, work, 1) &&
           piece(&p->hT, &acc, state_out, (size_t)L * (size_t)B, H) &&
           piece(&p->cT, &acc, state_out, (size_t)L * (size_t)B, H) &&
           piece(&p->sq, &acc, train && m->trace ? 2 : 0, TB, 1) && (p->floats = acc, 1);
}
