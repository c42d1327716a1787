/* init.c — parameter initialization (rnnbptt_model_init, rnnbptt_layer_init and
 * rnnbptt_init_defaults): PyTorch's default, normal, Glorot uniform, orthogonal (LAPACK QR),
 * identity and constant schemes per tensor kind, and the LSTM forget-gate bias, drawn from one
 * rnnbptt_rng in the header's order.
 * Legend: H hidden, G gates, GH = G·H, I a layer's input width, D directions, O outputs;
 * a tensor is (rows, cols) row-major, W_h's gate block g its rows g·H .. g·H + H − 1. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "exec/lapack.h"
#include "train/train.h"
#include "util/util.h"

rnnbptt_init_config rnnbptt_init_defaults(void)
{
    return (rnnbptt_init_config){.input = RNNBPTT_INIT_TORCH,
                                 .recurrent = RNNBPTT_INIT_TORCH,
                                 .bias = RNNBPTT_INIT_TORCH,
                                 .head_weight = RNNBPTT_INIT_TORCH,
                                 .head_bias = RNNBPTT_INIT_TORCH,
                                 .sigma = 0.01,
                                 .gain = 1.0,
                                 .value = 0.0,
                                 .forget_bias = 0.0};
}

/* ---- validation ------------------------------------------------------------------------- */

typedef enum { ROLE_WEIGHT, ROLE_RECURRENT, ROLE_BIAS } role;

static int kind_allowed(rnnbptt_init_kind k, role r)
{
    switch (k) {
    case RNNBPTT_INIT_TORCH:
    case RNNBPTT_INIT_NORMAL:
    case RNNBPTT_INIT_CONSTANT: return 1;
    case RNNBPTT_INIT_XAVIER: return r != ROLE_BIAS;
    case RNNBPTT_INIT_ORTHOGONAL:
    case RNNBPTT_INIT_IDENTITY: return r == ROLE_RECURRENT;
    }
    return 0;
}

/* 1 for a finite x that rounds to a finite float (NaN fails). */
static int float_range(double x) { return fabs(x) <= FLT_MAX; }

/* 1 if c is valid for a layer of this cell and H (the head's kinds too if with_head): every kind
 * allowed for its tensor, and the fields the used schemes read in range. ORTHOGONAL's H·H must
 * fit in an int, as LAPACK indexes the block with int arithmetic. */
static int config_ok(const rnnbptt_init_config *c, int with_head, rnnbptt_cell cell, int H)
{
    const rnnbptt_init_kind k[5] = {c->input, c->recurrent, c->bias, c->head_weight,
                                    c->head_bias};
    static const role roles[5] = {ROLE_WEIGHT, ROLE_RECURRENT, ROLE_BIAS, ROLE_WEIGHT,
                                  ROLE_BIAS};
    for (int i = 0; i < (with_head ? 5 : 3); i++) {
        RETURN_IF(!kind_allowed(k[i], roles[i]), 0);
        RETURN_IF(k[i] == RNNBPTT_INIT_NORMAL && !(c->sigma >= 0.0 && float_range(c->sigma)), 0);
        RETURN_IF(k[i] == RNNBPTT_INIT_CONSTANT && !float_range(c->value), 0);
    }
    const int square = c->recurrent == RNNBPTT_INIT_ORTHOGONAL ||
                       c->recurrent == RNNBPTT_INIT_IDENTITY;
    RETURN_IF(square && !float_range(c->gain), 0);
    RETURN_IF(c->recurrent == RNNBPTT_INIT_ORTHOGONAL && !rb_dims_ok(H, H), 0);
    return cell != RNNBPTT_LSTM || float_range(c->forget_bias);
}

/* ---- one initialization: its configuration, its stream and the orthogonal scheme's scratch */

typedef struct {
    const rnnbptt_init_config *c;
    rnnbptt_rng r;
    int H;
    float *a;     /* (H,H) column-major: the Gaussian matrix, then Q; NULL if not ORTHOGONAL */
    float *tau;   /* [H] the Householder scalars */
    float *sign;  /* [H] the signs of R's diagonal */
    float *work;  /* [lwork] LAPACK's workspace */
    lapack_int lwork;
} run;

/* Starts r: seeds the stream and, for ORTHOGONAL, allocates the scratch in one block: A (H²),
 * tau and sign (H each) and the larger of the workspaces the queries of sgeqrf and sorgqr report
 * (at least H). The queries read no array; they write the size into their work argument. */
static rnnbptt_status run_start(run *x, const rnnbptt_init_config *c, int H, uint64_t seed)
{
    *x = (run){.c = c, .H = H};
    rnnbptt_rng_seed(&x->r, seed);
    if (c->recurrent != RNNBPTT_INIT_ORTHOGONAL)
        return RNNBPTT_OK;
    float a = 0.0f, qrf = 0.0f, orgqr = 0.0f;
    LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, H, H, &a, H, &a, &qrf, -1);
    LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, H, H, H, &a, H, &a, &orgqr, -1);
    const size_t lwork = (size_t)fmaxf(fmaxf(qrf, orgqr), (float)H), HH = (size_t)H * H;
    x->a = rb_malloc((HH + 2 * (size_t)H + lwork) * sizeof(float));
    RETURN_IF(!x->a, RNNBPTT_ENOMEM);
    x->tau = x->a + HH;
    x->sign = x->tau + H;
    x->work = x->sign + H;
    x->lwork = (lapack_int)lwork;
    return RNNBPTT_OK;
}

static void run_end(run *x) { rb_free(x->a); }

/* ---- the schemes ------------------------------------------------------------------------ */

/* p [n] = U(−k, k) with the bound rounded to float. The arguments are valid: no status. */
static void uniform(run *x, float *p, size_t n, double k)
{
    (void)rnnbptt_rng_uniform(&x->r, p, n, -(float)k, (float)k);
}

static void constant(float *p, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)v;
}

/* A weight (rows, cols) by TORCH (bound k), NORMAL, XAVIER or CONSTANT. */
static void weight(run *x, rnnbptt_init_kind kind, float *p, int rows, int cols, double k)
{
    const size_t n = (size_t)rows * (size_t)cols;
    switch (kind) {
    case RNNBPTT_INIT_TORCH: uniform(x, p, n, k); break;
    case RNNBPTT_INIT_NORMAL:
        (void)rnnbptt_rng_normal(&x->r, p, n, 0.0f, (float)x->c->sigma);
        break;
    case RNNBPTT_INIT_XAVIER: uniform(x, p, n, sqrt(6.0 / ((double)rows + (double)cols))); break;
    default: constant(p, n, x->c->value); break;
    }
}

/* A bias [n] by TORCH (bound k; pair: each element the sum of two draws, torch's b_ih + b_hh),
 * NORMAL or CONSTANT. */
static void bias(run *x, rnnbptt_init_kind kind, float *p, size_t n, double k, int pair)
{
    if (kind == RNNBPTT_INIT_TORCH && pair) {
        for (size_t i = 0; i < n; i++) {
            float u[2];
            uniform(x, u, 2, k);
            p[i] = u[0] + u[1];
        }
        return;
    }
    weight(x, kind, p, (int)n, 1, k); /* n = G·H fits in an int */
}

/* Block W (H,H) row-major = gain·Q, A = QR of H·H standard normal draws (column-major), Q's
 * columns sign-corrected by R's diagonal. sgeqrf and sorgqr fail only on invalid arguments. */
static rnnbptt_status orthogonal(run *x, float *W)
{
    const int H = x->H;
    float *a = x->a;
    (void)rnnbptt_rng_normal(&x->r, a, (size_t)H * H, 0.0f, 1.0f);
    lapack_int info = LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, H, H, a, H, x->tau, x->work, x->lwork);
    for (int j = 0; info == 0 && j < H; j++)
        x->sign[j] = a[(size_t)j * H + j] < 0.0f ? -1.0f : 1.0f;
    if (info == 0)
        info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, H, H, H, a, H, x->tau, x->work, x->lwork);
    RETURN_IF(info != 0, RNNBPTT_ECONVERGE);
    for (int r = 0; r < H; r++)
        for (int j = 0; j < H; j++) {
            const float q = x->sign[j] * a[(size_t)j * H + r]; /* Q[r][j], sign-corrected */
            W[(size_t)r * H + j] = (float)(x->c->gain * (double)q);
        }
    return RNNBPTT_OK;
}

/* W_h (G·H, H): ORTHOGONAL or IDENTITY per gate block, else as any weight. */
static rnnbptt_status recurrent(run *x, float *Wh, int G, double k)
{
    const int H = x->H;
    const size_t HH = (size_t)H * H;
    switch (x->c->recurrent) {
    case RNNBPTT_INIT_ORTHOGONAL:
        for (int g = 0; g < G; g++)
            RETURN_IF(orthogonal(x, Wh + g * HH) != RNNBPTT_OK, RNNBPTT_ECONVERGE);
        return RNNBPTT_OK;
    case RNNBPTT_INIT_IDENTITY:
        memset(Wh, 0, (size_t)G * HH * sizeof *Wh);
        for (int g = 0; g < G; g++)
            for (int i = 0; i < H; i++)
                Wh[g * HH + (size_t)i * H + i] = (float)x->c->gain;
        return RNNBPTT_OK;
    default:
        weight(x, x->c->recurrent, Wh, G * H, H, k);
        return RNNBPTT_OK;
    }
}

/* One layer's W_x, W_h, b_x[, b_h] (d from rb_dims_init) at p, in the header's order of draws;
 * then LSTM's forget-gate bias. TORCH's bound is 1/√H for all of them. */
static rnnbptt_status layer(run *x, const rb_dims *d, float *p)
{
    const rnnbptt_init_config *c = x->c;
    const size_t GH = (size_t)d->GH;
    const double k = 1.0 / sqrt((double)d->H);
    float *Wx = p, *Wh = Wx + GH * (size_t)d->I, *bx = Wh + GH * (size_t)d->H, *bh = bx + GH;
    weight(x, c->input, Wx, d->GH, d->I, k);
    RETURN_IF(recurrent(x, Wh, d->G, k) != RNNBPTT_OK, RNNBPTT_ECONVERGE);
    bias(x, c->bias, bx, GH, k, d->cell != RNNBPTT_GRU);
    if (d->cell == RNNBPTT_GRU)
        bias(x, c->bias, bh, GH, k, 0);
    if (d->cell == RNNBPTT_LSTM && c->forget_bias != 0.0)
        constant(bx + d->H, (size_t)d->H, c->forget_bias);
    return RNNBPTT_OK;
}

/* ---- entry points ----------------------------------------------------------------------- */

rnnbptt_status rnnbptt_layer_init(const rnnbptt_layer *L, float *params,
                                  const rnnbptt_init_config *c, uint64_t seed)
{
    rb_dims d;
    RETURN_IF(!L || !params || !c || !rb_dims_init(&d, L, 1, 1), RNNBPTT_EINVAL);
    RETURN_IF(!config_ok(c, 0, L->cell, L->hidden_size), RNNBPTT_EINVAL);
    run x;
    RETURN_IF(run_start(&x, c, L->hidden_size, seed) != RNNBPTT_OK, RNNBPTT_ENOMEM);
    const rnnbptt_status st = layer(&x, &d, params);
    run_end(&x);
    return st;
}

rnnbptt_status rnnbptt_model_init(rnnbptt_model *m, const rnnbptt_init_config *c, uint64_t seed)
{
    RETURN_IF(!m || !c, RNNBPTT_EINVAL);
    const rnnbptt_model_config *mc = &m->cfg;
    RETURN_IF(!config_ok(c, 1, mc->cell, mc->hidden_size), RNNBPTT_EINVAL);
    run x;
    RETURN_IF(run_start(&x, c, mc->hidden_size, seed) != RNNBPTT_OK, RNNBPTT_ENOMEM);
    rnnbptt_status st = RNNBPTT_OK;
    for (int k = 0; st == RNNBPTT_OK && k < mc->num_layers * m->D; k++) {
        rb_dims d;
        (void)rb_dims_init(&d, &m->layer[k], 1, 1); /* valid: the model was created from them */
        st = layer(&x, &d, m->params + m->off[k]);
    }
    if (st == RNNBPTT_OK) { /* the head: W_y (O, D·H), b_y (O); TORCH's bound 1/√(D·H) */
        const double k = 1.0 / sqrt((double)m->DH);
        float *Wy = m->params + m->head;
        weight(&x, c->head_weight, Wy, mc->output_size, m->DH, k);
        bias(&x, c->head_bias, Wy + (size_t)mc->output_size * (size_t)m->DH,
             (size_t)mc->output_size, k, 0);
    }
    run_end(&x);
    return st;
}
