/* lstm.c — the LSTM cell (gates i, f, g, o): forward, then its BPTT twin.
 * Legend: T steps, B batch, I input, H hidden, G = 4. x (T,B,I), h (T,B,H).
 *   [i f g o] = W_x x_t + W_h h_{t-1} + b;  i,f,o = σ, g = tanh
 *   c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)
 * reserve: A (T,B,4H) the activated gates, then C (T,B,H) the cell states.
 * work:    dA (T,B,4H) pre-activation gate gradients, dhn (B,H), dcn (B,H) the carried gradients. */
#include "layers/layers.h"

#include <string.h>

/* One row of the gate pass: activations in place in g (4H), c = f ⊙ cp + i ⊙ g (cp NULL = 0),
 * h = o ⊙ tanh(c). */
RB_ROW void gates_row(int H, float *restrict g, const float *restrict cp, float *restrict c,
                      float *restrict h)
{
    for (int j = 0; j < H; j++) {
        const float i = rb_sigm(g[j]), f = rb_sigm(g[H + j]), gg = rb_tanh(g[2 * H + j]),
                    o = rb_sigm(g[3 * H + j]);
        g[j] = i;
        g[H + j] = f;
        g[2 * H + j] = gg;
        g[3 * H + j] = o;
        c[j] = f * (cp ? cp[j] : 0.0f) + i * gg;
        h[j] = o * rb_tanh(c[j]);
    }
}

/* The fused gate pass of step t, rows b0..b1-1: activations in place in At, c_t into Ct, h_t into
 * ht; zeros past each length; hT, cT at the last step. */
typedef struct {
    const rb_fwd_args *a;
    int t;
    float *At, *Ct, *ht;
    const float *cp;
} gates_ctx;

static RB_CLONES void lstm_gates_step(const gates_ctx *x, int b0, int b1)
{
    const rb_fwd_args *a = x->a;
    const int t = x->t, T = a->d->T, H = a->d->H, GH = a->d->GH;
    float *At = x->At, *Ct = x->Ct, *ht = x->ht;
    const float *cp = x->cp;
    for (int b = b0; b < b1; b++) {
        float *g = At + (size_t)b * GH, *c = Ct + (size_t)b * H, *hr = ht + (size_t)b * H;
        if (!rb_active(a->lengths, b, t)) {
            memset(hr, 0, (size_t)H * sizeof(float));
            memset(c, 0, (size_t)H * sizeof(float));
            continue;
        }
        const float *cpr = cp ? cp + (size_t)b * H : NULL;
        if (cpr)
            gates_row(H, g, cpr, c, hr);
        else
            gates_row(H, g, NULL, c, hr);
        if (rb_last(a->lengths, T, b, t)) {
            if (a->hT)
                memcpy(a->hT + (size_t)b * H, hr, (size_t)H * sizeof(float));
            if (a->cT)
                memcpy(a->cT + (size_t)b * H, c, (size_t)H * sizeof(float));
        }
    }
}

static void gates_rows(void *p, int b0, int b1) { lstm_gates_step(p, b0, b1); }

/* Where step t's rows start (floats) in the reserve: its activated gates A_t (B, 4H), from 0, and
 * its cell states C_t (B, H), after all T steps' gates. The backward's work lays out dA likewise,
 * then dhn and dcn. */
static size_t gates_at(const rb_dims *d, int t) { return (size_t)t * (size_t)d->B * (size_t)d->GH; }
static size_t cells_at(const rb_dims *d, int t)
{
    return gates_at(d, d->T) + (size_t)t * (size_t)d->B * (size_t)d->H;
}

/* Step t of the forward on rows b0..b1-1 (rb_step_fn). */
static void fwd_step(const void *p, int t, int b0, int b1, rb_exec ex)
{
    const rb_fwd_args *a = p;
    const rb_dims *d = a->d;
    const int H = d->H, GH = d->GH;
    const size_t BH = (size_t)d->B * H;
    float *At = a->reserve + gates_at(d, t), *Ct = a->reserve + cells_at(d, t);
    float *ht = a->h + (size_t)t * BH;
    const float *hp = t ? ht - BH : a->h0, *cp = t ? Ct - BH : a->c0;
    /* A_t += h_{t-1} · W_hᵀ   (B × H) · (H × 4H) */
    if (hp)
        rb_step_fwd(ex, b1 - b0, H, GH, hp + (size_t)b0 * H, a->p.Wh, 1.0f, NULL,
                    At + (size_t)b0 * GH);
    gates_ctx c = {a, t, At, Ct, ht, cp};
    rb_exec_rows(ex, b0, b1, gates_rows, &c);
}

void rb_lstm_forward(const rb_fwd_args *a)
{
    const rb_dims *d = a->d;
    /* A (TB × 4H) = X · W_xᵀ + b: all gates of all steps, one GEMM */
    rb_input_proj(d, &(rb_input){a->x, a->tokens, a->lengths}, &a->p, a->reserve, d->GH);
    rb_time_loop(d, 0, fwd_step, a);
}

/* One row of the gradient pass: from the activated gates g, c_t, c_{t-1} (cp NULL = 0), the total
 * dh and the carried dc, the pre-activation gate gradients dg (4H); dc becomes dc_{t-1}. */
RB_ROW void grads_row(int H, const float *restrict g, const float *restrict c,
                      const float *restrict cp, const float *restrict dh, float *restrict dc,
                      float *restrict dg)
{
    for (int j = 0; j < H; j++) {
        const float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
        const float tc = rb_tanh(c[j]);
        const float dcv = dc[j] + dh[j] * o * (1.0f - tc * tc);
        dg[j] = dcv * gg * i * (1.0f - i);
        dg[H + j] = dcv * (cp ? cp[j] : 0.0f) * f * (1.0f - f);
        dg[2 * H + j] = dcv * i * (1.0f - gg * gg);
        dg[3 * H + j] = dh[j] * tc * o * (1.0f - o);
        dc[j] = dcv * f;
    }
}

/* The fused gradient pass of step t, rows b0..b1-1: pre-activation gate gradients into dAt from
 * the carried dhn (W_h-product of step t+1; used as scratch) and dcn, which it updates to
 * dc_{t-1}; zeros past each length. */
typedef struct {
    const rb_bwd_args *a;
    int t;
    const float *At, *Ct, *cp;
    float *dAt, *dhn, *dcn;
} grads_ctx;

static RB_CLONES void lstm_grads_step(const grads_ctx *x, int b0, int b1)
{
    const rb_bwd_args *a = x->a;
    const int t = x->t, T = a->d->T, H = a->d->H, GH = a->d->GH;
    const float *At = x->At, *Ct = x->Ct, *cp = x->cp;
    float *dAt = x->dAt, *dhn = x->dhn, *dcn = x->dcn;
    for (int b = b0; b < b1; b++) {
        float *dg = dAt + (size_t)b * GH, *dhr = dhn + (size_t)b * H, *dcr = dcn + (size_t)b * H;
        if (!rb_active(a->lengths, b, t)) {
            memset(dg, 0, (size_t)GH * sizeof(float));
            continue;
        }
        const rb_upstream u = rb_upstream_at(a, t, b);
        const int fresh = rb_last(a->lengths, T, b, t); /* nothing flows in from later steps */
        const float *g = At + (size_t)b * GH, *c = Ct + (size_t)b * H;
        const float *cpr = cp ? cp + (size_t)b * H : NULL;
        rb_gather_dh(dhr, u.dh, u.dhT, fresh, H);
        rb_trace_row(a, t, b, dhr);
        rb_gather_dh(dcr, NULL, u.dcT, fresh, H);
        if (cpr)
            grads_row(H, g, c, cpr, dhr, dcr, dg);
        else
            grads_row(H, g, c, NULL, dhr, dcr, dg);
    }
}

static void grads_rows(void *p, int b0, int b1) { lstm_grads_step(p, b0, b1); }

/* Step t of the backward on rows b0..b1-1 (rb_step_fn). work: dA (T,B,4H), then dhn and dcn
 * (B,H each), which need no clearing: a sequence's last step ignores them (rb_gather_dh's
 * fresh), and each step's W_h product overwrites dhn. */
static void bwd_step(const void *p, int t, int b0, int b1, rb_exec ex)
{
    const rb_bwd_args *a = p;
    const rb_dims *d = a->d;
    const int H = d->H, GH = d->GH;
    const size_t BH = (size_t)d->B * H;
    const float *At = a->reserve + gates_at(d, t), *Ct = a->reserve + cells_at(d, t);
    const float *cp = t ? Ct - BH : a->c0;
    float *dAt = a->work + gates_at(d, t), *dhn = a->work + gates_at(d, d->T), *dcn = dhn + BH;
    grads_ctx c = {a, t, At, Ct, cp, dAt, dhn, dcn};
    rb_exec_rows(ex, b0, b1, grads_rows, &c);
    /* dh_{t-1} = dA_t · W_h   (B × 4H) · (4H × H) */
    rb_step_bwd(ex, b1 - b0, H, GH, dAt + (size_t)b0 * GH, a->p.Wh, 0.0f, dhn + (size_t)b0 * H);
}

void rb_lstm_backward(const rb_bwd_args *a)
{
    const rb_dims *d = a->d;
    const size_t BH = (size_t)d->B * d->H;
    float *dA = a->work, *dhn = dA + (size_t)d->TB * d->GH, *dcn = dhn + BH;
    rb_time_loop(d, 1, bwd_step, a);
    if (a->dh0)
        memcpy(a->dh0, dhn, BH * sizeof(float));
    if (a->dc0)
        memcpy(a->dc0, dcn, BH * sizeof(float));
    rb_input_grads(d, &(rb_input){a->x, a->tokens, a->lengths}, a->h0, a->h, dA, dA, a->p.Wx,
                   &a->g, a->dx);
}
