/* layer.c — the public recurrent-layer entry points: validate everything, then dispatch by cell. */
#include "internal.h"

#include <stdlib.h>

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

int rnnbptt_team_used(const rnnbptt_layer *L, int B)
{
    rb_dims d;
    return rb_dims_init(&d, L, 1, B) && L->team &&
           rb_team_useful(L->team, B, (size_t)d.GH * (size_t)d.H);
}

rnnbptt_status rnnbptt_forward(const rnnbptt_layer *L, const float *params, int T, int B,
                               const int *lengths, const float *x, const float *h0, const float *c0,
                               float *h, float *hT, float *cT, float *reserve)
{
    rb_dims d;
    RETURN_IF(!rb_dims_init(&d, L, T, B), RNNBPTT_EINVAL);
    RETURN_IF(!params || !x || !h || !rb_lengths_ok(lengths, T, B), RNNBPTT_EINVAL);

    const int lstm = d.cell == RNNBPTT_LSTM;
    rb_fwd_args a = {&d, {0}, lengths, x, h0, lstm ? c0 : NULL, h, hT, lstm ? cT : NULL, reserve};
    rb_carve(&d, params, &a.p);
    float *scratch = NULL;
    if (!reserve && d.n_reserve) { /* inference with a gated cell: one allocation per call */
        scratch = rb_malloc(d.n_reserve * sizeof(float));
        RETURN_IF(!scratch, RNNBPTT_ENOMEM);
        a.reserve = scratch;
    }
    rnnbptt_team *held = acquire_team(L->team, &d); /* NULL if busy or of no use at these sizes */
    d.team = rb_fwd_prepare(held, &d, a.p.Wx, a.p.Wh); /* NULL: runs without the team */
    if (d.team)
        rb_team_count(d.team, rb_batch_split(&d));
    switch (d.cell) {
    case RNNBPTT_LSTM: rb_lstm_forward(&a); break;
    case RNNBPTT_GRU: rb_gru_forward(&a); break;
    default: rb_rnn_forward(&a); break;
    }
    rb_team_release(held);
    rb_free(scratch);
    return RNNBPTT_OK;
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

    const int lstm = d.cell == RNNBPTT_LSTM;
    rb_bwd_args a = {&d,   {0},     {0}, lengths,          x,  h0, lstm ? c0 : NULL, h, reserve,
                     dh,   dhT,     lstm ? dcT : NULL,     dx, dh0, lstm ? dc0 : NULL, work};
    rb_carve(&d, params, &a.p);
    rb_carve_grads(&d, dparams, &a.g);
    float *scratch = NULL;
    if (!work) { /* rnnbptt_backward: one allocation per call, outside every loop */
        scratch = rb_malloc(d.n_work * sizeof(float));
        RETURN_IF(!scratch, RNNBPTT_ENOMEM);
        a.work = scratch;
    }
    rnnbptt_team *held = acquire_team(L->team, &d);
    d.team = rb_bwd_prepare(held, &d, a.p.Wx, a.p.Wh, a.dx != NULL); /* NULL: without the team */
    if (d.team)
        rb_team_count(d.team, rb_batch_split(&d));
    switch (d.cell) {
    case RNNBPTT_LSTM: rb_lstm_backward(&a); break;
    case RNNBPTT_GRU: rb_gru_backward(&a); break;
    default: rb_rnn_backward(&a); break;
    }
    rb_team_release(held);
    rb_free(scratch);
    return RNNBPTT_OK;
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
