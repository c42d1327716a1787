/* check.c — overflow-safe size arithmetic and the argument checks every entry point shares. */
#include "internal.h"

#include <limits.h>
#include <stdint.h>

/* Largest element count we hand out: its byte size must fit in a ptrdiff_t. */
#define RB_MAX_FLOATS ((size_t)PTRDIFF_MAX / sizeof(float))

static int rb_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > RB_MAX_FLOATS / a)
        return 0;
    *out = a * b;
    return 1;
}

int rb_dims_ok(long long a, long long b)
{
    return a >= 1 && b >= 1 && a <= INT_MAX && b <= INT_MAX / a;
}

/* *acc += k * a * b, all in size_t, failing on overflow. */
static int add_prod(size_t *acc, size_t k, size_t a, size_t b)
{
    size_t ka, kab;
    if (!rb_mul_size(k, a, &ka) || !rb_mul_size(ka, b, &kab) || kab > RB_MAX_FLOATS - *acc)
        return 0;
    *acc += kab;
    return 1;
}

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
    int ok = add_prod(&np, 1, GH, (size_t)I) && add_prod(&np, 1, GH, (size_t)H) &&
             add_prod(&np, L->cell == RNNBPTT_GRU ? 2 : 1, GH, 1) &&
             add_prod(&nx, 1, TB, (size_t)I);
    switch (L->cell) {
    case RNNBPTT_LSTM:
        ok = ok && add_prod(&nr, 5, TB, (size_t)H) && add_prod(&nw, 4, TB, (size_t)H) &&
             add_prod(&nw, 2, (size_t)B, (size_t)H);
        break;
    case RNNBPTT_GRU:
        ok = ok && add_prod(&nr, 4, TB, (size_t)H) && add_prod(&nr, 3, (size_t)B, (size_t)H) &&
             add_prod(&nw, 6, TB, (size_t)H) && add_prod(&nw, 1, (size_t)B, (size_t)H);
        break;
    default:
        ok = ok && add_prod(&nw, 1, TB, (size_t)H);
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

int rb_lengths_ok(const int *lengths, int T, int B)
{
    if (!lengths)
        return 1;
    for (int b = 0; b < B; b++)
        if (lengths[b] < 1 || lengths[b] > T)
            return 0;
    return 1;
}
