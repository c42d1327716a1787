/* layer.c — the public recurrent-layer entry points: validate everything, then dispatch by cell. */
#include "layers/layers.h"

size_t rnnbptt_param_count(const rnnbptt_layer *L)
{
    rb_dims d;
    return rb_dims_init(&d, L, 1, 1) ? d.n_params : 0;
}

size_t rnnbptt_reserve_count(const rnnbptt_layer *L, int T, int B)
{
    rb_dims d;
    return rb_dims_init(&d, L, T, B) ? d.n_reserve : 0;
}

size_t rnnbptt_workspace_count(const rnnbptt_layer *L, int T, int B)
{
    rb_dims d;
    return rb_dims_init(&d, L, T, B) ? d.n_work : 0;
}

/* The team this call runs its per-step work on: L's team when it is free (else another call
 * holds it and this one runs without) and useful at these sizes; released by rb_team_release. */
static rnnbptt_team *acquire_team(rnnbptt_team *team, const rb_dims *d)
{
    rnnbptt_team *tm = rb_team_acquire(team);
    if (tm && !rb_team_useful(tm, d->B, (size_t)d->GH * (size_t)d->H)) {
        rb_team_release(tm);
        tm = NULL;
    }
    return tm;
}

static void (*const forward_of[])(const rb_fwd_args *) = {
    [RNNBPTT_RNN_TANH] = rb_rnn_forward, [RNNBPTT_RNN_RELU] = rb_rnn_forward,
    [RNNBPTT_LSTM] = rb_lstm_forward, [RNNBPTT_GRU] = rb_gru_forward};
static void (*const backward_of[])(const rb_bwd_args *) = {
    [RNNBPTT_RNN_TANH] = rb_rnn_backward, [RNNBPTT_RNN_RELU] = rb_rnn_backward,
    [RNNBPTT_LSTM] = rb_lstm_backward, [RNNBPTT_GRU] = rb_gru_backward};

/* A validated call, run: n floats of scratch into *slot when it is NULL (one allocation per call,
 * outside every loop; inference with a gated cell, or rnnbptt_backward), its team taken and
 * prepared for the direction (pass 0: forward, 1: backward, 2: backward with dx), the cell's pass
 * on args (rb_fwd_args or rb_bwd_args), the team released and the scratch freed. */
static rnnbptt_status run(rb_dims *d, rnnbptt_team *team, const rb_params *p, float **slot,
                          size_t n, int pass, const void *args)
{
    float *scratch = NULL;
    if (!*slot && n) {
        scratch = rb_malloc(n * sizeof(float));
        RETURN_IF(!scratch, RNNBPTT_ENOMEM);
        *slot = scratch;
    }
    rnnbptt_team *held = acquire_team(team, d); /* NULL if busy or of no use at these sizes */
    d->team = pass ? rb_bwd_prepare(held, d, p->Wx, p->Wh, pass == 2)
                   : rb_fwd_prepare(held, d, p->Wx, p->Wh); /* NULL: runs without the team */
    if (d->team)
        rb_team_count(d->team, rb_batch_split(d));
    if (pass)
        backward_of[d->cell](args);
    else
        forward_of[d->cell](args);
    rb_team_release(held);
    rb_free(scratch);
    return RNNBPTT_OK;
}

int rnnbptt_team_used(const rnnbptt_layer *L, int B)
{
    rb_dims d;
    return rb_dims_init(&d, L, 1, B) && L->team &&
           rb_team_useful(L->team, B, (size_t)d.GH * (size_t)d.H);
}

rnnbptt_status rb_layer_forward(const rnnbptt_layer *L, const float *params, int T, int B,
                                const rb_input *in, const float *h0, const float *c0, float *h,
                                float *hT, float *cT, float *reserve)
{
    rb_dims d;
    RETURN_IF(!rb_dims_init(&d, L, T, B), RNNBPTT_EINVAL);
    const int lstm = d.cell == RNNBPTT_LSTM;
    rb_fwd_args a = {&d, {0}, in->lengths, in->x, h0, lstm ? c0 : NULL, h, hT, lstm ? cT : NULL,
                     reserve, in->tokens};
    rb_carve(&d, params, &a.p);
    return run(&d, L->team, &a.p, &a.reserve, d.n_reserve, 0, &a);
}

rnnbptt_status rnnbptt_forward(const rnnbptt_layer *L, const float *params, int T, int B,
                               const int *lengths, const float *x, const float *h0, const float *c0,
                               float *h, float *hT, float *cT, float *reserve)
{
    rb_dims d;
    RETURN_IF(!rb_dims_init(&d, L, T, B), RNNBPTT_EINVAL);
    RETURN_IF(!params || !x || !h || !rb_lengths_ok(lengths, T, B), RNNBPTT_EINVAL);
    return rb_layer_forward(L, params, T, B, &(rb_input){x, NULL, lengths}, h0, c0, h, hT, cT,
                            reserve);
}

rnnbptt_status rb_layer_backward(const rnnbptt_layer *L, const float *params, int T, int B,
                                 const rb_input *in, const float *h0, const float *c0,
                                 const float *h, const float *reserve, const float *dh,
                                 const float *dhT, const float *dcT, float *dparams, float *dx,
                                 float *dh0, float *dc0, float *work, double *trace)
{
    rb_dims d;
    RETURN_IF(!rb_dims_init(&d, L, T, B), RNNBPTT_EINVAL);
    const int lstm = d.cell == RNNBPTT_LSTM;
    rb_bwd_args a = {&d,  {0},  {0},  in->lengths,       in->x, h0,  lstm ? c0 : NULL,
                     h,   reserve,    dh,                dhT,   lstm ? dcT : NULL,
                     in->tokens ? NULL : dx,             dh0,   lstm ? dc0 : NULL,
                     work, in->tokens, trace};
    rb_carve(&d, params, &a.p);
    rb_carve_grads(&d, dparams, &a.g);
    return run(&d, L->team, &a.p, &a.work, d.n_work, a.dx ? 2 : 1, &a);
}

static rnnbptt_status backward(const rnnbptt_layer *L, const float *params, int T, int B,
                               const int *lengths, const float *x, const float *h0,
                               const float *c0, const float *h, const float *reserve,
                               const float *dh, const float *dhT, const float *dcT, float *dparams,
                               float *dx, float *dh0, float *dc0, float *work)
{
    rb_dims d;
    RETURN_IF(!rb_dims_init(&d, L, T, B), RNNBPTT_EINVAL);
    RETURN_IF(!params || !x || !h || !dparams || !rb_lengths_ok(lengths, T, B), RNNBPTT_EINVAL);
    RETURN_IF(d.n_reserve && !reserve, RNNBPTT_EINVAL);
    return rb_layer_backward(L, params, T, B, &(rb_input){x, NULL, lengths}, h0, c0, h, reserve,
                             dh, dhT, dcT, dparams, dx, dh0, dc0, work, NULL);
}
rnnbptt_status rnnbptt_backward(const rnnbptt_layer *L, const float *params, int T, int B,
                                const int *lengths, const float *x, const float *h0,
                                const float *c0, const float *h, const float *reserve,
                                const float *dh, const float *dhT, const float *dcT,
                                float *dparams, float *dx, float *dh0, float *dc0)
{
    return backward(L, params, T, B, lengths, x, h0, c0, h, reserve, dh, dhT, dcT, dparams, dx, dh0,
                    dc0, NULL);
}

rnnbptt_status rnnbptt_backward_work(const rnnbptt_layer *L, const float *params, int T, int B,
                                     const int *lengths, const float *x, const float *h0,
                                     const float *c0, const float *h, const float *reserve,
                                     const float *dh, const float *dhT, const float *dcT,
                                     float *dparams, float *dx, float *dh0, float *dc0, float *work)
{
    RETURN_IF(!work, RNNBPTT_EINVAL); /* checked first: nothing has been written */
    return backward(L, params, T, B, lengths, x, h0, c0, h, reserve, dh, dhT, dcT, dparams, dx, dh0,
                    dc0, work);
}
