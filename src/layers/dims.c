/* dims.c — the sizes of a layer call (rb_dims), derived once at the entry point from the layer and
 * (T, B), every product checked for overflow. */
#include "layers/layers.h"

int rb_dims_init(rb_dims *d, const rnnbptt_layer *L, int T, int B)
{
    if (!L || L->input_size < 1 || L->hidden_size < 1 || T < 1 || B < 1)
        return 0;
    if (L->team && !rb_team_valid(L->team))
        return 0;
    int G;
    switch (L->cell) {
    case RNNBPTT_RNN_TANH:
    case RNNBPTT_RNN_RELU: G = 1; break;
    case RNNBPTT_LSTM: G = 4; break;
    case RNNBPTT_GRU: G = 3; break;
    default: return 0;
    }
    const int I = L->input_size, H = L->hidden_size;
    /* Every CBLAS dimension is one of T*B, (T-1)*B, B, G*H, H, I: T*B and G*H must fit in int. */
    if (!rb_dims_ok(G, H) || !rb_dims_ok(T, B))
        return 0;
    const size_t TB = (size_t)T * (size_t)B, GH = (size_t)G * (size_t)H;
    size_t np = 0, nr = 0, nw = 0, nx = 0; /* nx: x and dx span T*B*I floats */
    int ok = rb_add_prod(&np, 1, GH, (size_t)I) && rb_add_prod(&np, 1, GH, (size_t)H) &&
             rb_add_prod(&np, L->cell == RNNBPTT_GRU ? 2 : 1, GH, 1) &&
             rb_add_prod(&nx, 1, TB, (size_t)I);
    switch (L->cell) {
    case RNNBPTT_LSTM:
        ok = ok && rb_add_prod(&nr, 5, TB, (size_t)H) && rb_add_prod(&nw, 4, TB, (size_t)H) &&
             rb_add_prod(&nw, 2, (size_t)B, (size_t)H);
        break;
    case RNNBPTT_GRU:
        ok = ok && rb_add_prod(&nr, 4, TB, (size_t)H) && rb_add_prod(&nr, 3, (size_t)B, (size_t)H) &&
             rb_add_prod(&nw, 6, TB, (size_t)H) && rb_add_prod(&nw, 1, (size_t)B, (size_t)H);
        break;
    default:
        ok = ok && rb_add_prod(&nw, 1, TB, (size_t)H);
        break;
    }
    if (!ok)
        return 0;
    d->cell = L->cell;
    d->T = T;
    d->B = B;
    d->I = I;
    d->H = H;
    d->G = G;
    d->GH = (int)GH;
    d->TB = (int)TB;
    d->n_params = np;
    d->n_reserve = nr;
    d->n_work = nw;
    d->team = NULL; /* the entry points acquire L->team once the arguments are checked */
    return 1;
}
