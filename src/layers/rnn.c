/* rnn.c — the vanilla (Elman) cell, tanh or relu: forward, then its BPTT twin.
 * Legend: T steps, B batch, I input, H hidden. x (T,B,I), h (T,B,H), Δ (T,B,H) row-major.
 *   a_t = W_xh x_t + W_hh h_{t-1} + b_h,   h_t = f(a_t)
 *   δ_t = (dh_t + W_hhᵀ δ_{t+1}) ⊙ f'(a_t),  f' from the stored h: 1 − h² (tanh), h > 0 (relu). */
#include "layers/layers.h"

#include <string.h>

/* h_t = f(a_t) in place on rows b0..b1-1 of step t, zeros past each length; hT at the last step. */
static RB_CLONES void activate_step(const rb_pass *c, int b0, int b1)
{
    const rb_fwd_args *a = c->args;
    const int t = c->t;
    float *ht = c->rows;
    const int T = a->d->T, H = a->d->H, relu = a->d->cell == RNNBPTT_RNN_RELU;
    for (int b = b0; b < b1; b++) {
        float *row = ht + (size_t)b * H;
        if (!rb_active(a->lengths, b, t)) {
            memset(row, 0, (size_t)H * sizeof(float));
            continue;
        }
        if (relu)
            for (int j = 0; j < H; j++)
                row[j] = row[j] < 0.0f ? 0.0f : row[j]; /* NaN stays NaN */
        else
            for (int j = 0; j < H; j++)
                row[j] = rb_tanh(row[j]);
        if (a->hT && rb_last(a->lengths, T, b, t))
            memcpy(a->hT + (size_t)b * H, row, (size_t)H * sizeof(float));
    }
}

static void activate_rows(void *p, int b0, int b1) { activate_step(p, b0, b1); }

/* Step t of the forward on rows b0..b1-1 (rb_step_fn). */
static void fwd_step(const void *p, int t, int b0, int b1, rb_exec ex)
{
    const rb_fwd_args *a = p;
    const int H = a->d->H;
    const size_t BH = (size_t)a->d->B * H, r0 = (size_t)b0 * H;
    float *ht = a->h + (size_t)t * BH;
    const float *hp = t ? ht - BH : a->h0;
    /* a_t += h_{t-1} · W_hhᵀ   (B × H) · (H × H) */
    if (hp)
        rb_step_fwd(ex, b1 - b0, H, H, hp + r0, a->p.Wh, 1.0f, NULL, ht + r0);
    rb_pass c = {a, t, ht};
    rb_exec_rows(ex, b0, b1, activate_rows, &c);
}

void rb_rnn_forward(const rb_fwd_args *a)
{
    const rb_dims *d = a->d;
    /* h (TB × H) = X · W_xhᵀ + b_h: the pre-activations of every step, one GEMM */
    rb_input_proj(d, &(rb_input){a->x, a->tokens, a->lengths}, &a->p, a->h, d->H);
    rb_time_loop(d, 0, fwd_step, a);
}

/* δ_t = (δ_{t+1}·W_hh + dh_t [+ dhT at the last step]) ⊙ f'(a_t), in place in Dt (which holds
 * δ_{t+1}·W_hh on entry), rows b0..b1-1; zeros past each length. */
static RB_CLONES void delta_step(const rb_pass *c, int b0, int b1)
{
    const rb_bwd_args *a = c->args;
    const int t = c->t;
    float *Dt = c->rows;
    const int T = a->d->T, B = a->d->B, H = a->d->H, relu = a->d->cell == RNNBPTT_RNN_RELU;
    const float *ht = a->h + (size_t)t * B * H;
    for (int b = b0; b < b1; b++) {
        float *restrict row = Dt + (size_t)b * H;
        if (!rb_active(a->lengths, b, t)) {
            memset(row, 0, (size_t)H * sizeof(float));
            continue;
        }
        const rb_upstream u = rb_upstream_at(a, t, b);
        const float *restrict hr = ht + (size_t)b * H;
        rb_gather_dh(row, u.dh, u.dhT, rb_last(a->lengths, T, b, t), H);
        rb_trace_row(a, t, b, row);
        if (relu)
            for (int j = 0; j < H; j++)
                row[j] = hr[j] > 0.0f ? row[j] : 0.0f;
        else
            for (int j = 0; j < H; j++)
                row[j] *= 1.0f - hr[j] * hr[j];
    }
}

static void delta_rows(void *p, int b0, int b1) { delta_step(p, b0, b1); }

/* Step t of the backward on rows b0..b1-1 (rb_step_fn); Δ (T,B,H) is a->work: δ of every step,
 * kept for the weight-gradient GEMMs. */
static void bwd_step(const void *p, int t, int b0, int b1, rb_exec ex)
{
    const rb_bwd_args *a = p;
    const int H = a->d->H;
    const size_t BH = (size_t)a->d->B * H, r0 = (size_t)b0 * H;
    float *Dt = a->work + (size_t)t * BH; /* holds δ_{t+1} · W_hh from the step after (t < T-1) */
    rb_pass c = {a, t, Dt};
    rb_exec_rows(ex, b0, b1, delta_rows, &c);
    /* dh_{t-1} = δ_t · W_hh   (B × H) · (H × H), straight into Δ_{t-1} or dh0 */
    if (t > 0)
        rb_step_bwd(ex, b1 - b0, H, H, Dt + r0, a->p.Wh, 0.0f, Dt - BH + r0);
    else if (a->dh0)
        rb_step_bwd(ex, b1 - b0, H, H, Dt + r0, a->p.Wh, 0.0f, a->dh0 + r0);
}

void rb_rnn_backward(const rb_bwd_args *a)
{
    const rb_dims *d = a->d;
    rb_time_loop(d, 1, bwd_step, a);
    rb_input_grads(d, &(rb_input){a->x, a->tokens, a->lengths}, a->h0, a->h, a->work, a->work,
                   a->p.Wx, &a->g, a->dx);
}
