/* gru.c — the GRU cell (gates r, z, n; PyTorch/cuDNN form): forward, then its BPTT twin.
 * Legend: T steps, B batch, I input, H hidden, G = 3. x (T,B,I), h (T,B,H).
 *   [xr xz xn] = W_x x_t + b_x,  [hr hz hn] = W_h h_{t-1} + b_h
 *   r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r ⊙ hn), h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
 * reserve: A (T,B,4H) = [r z n hn] per row (the projection [xr xz xn] is written in its first 3H
 *          columns and overwritten by the activations), then S (B,3H) one step's W_h product.
 * work:    dX (T,B,3H) = [da_r da_z da_n] (input side), dHg (T,B,3H) = [da_r da_z r⊙da_n]
 *          (recurrent side), dhn (B,H) the carried dL/dh. */
#include "layers/layers.h"

#include <string.h>

/* One row of the gate pass: [r z n hn] in place in g (4H, holding [xr xz xn] on entry) from
 * s = W_h h_{t-1} + b_h (3H); h = (1 − z) ⊙ n + z ⊙ hp (hp NULL = 0). */
RB_ROW void gates_row(int H, float *restrict g, const float *restrict s,
                      const float *restrict hp, float *restrict h)
{
    for (int j = 0; j < H; j++) {
        const float r = rb_sigm(g[j] + s[j]), z = rb_sigm(g[H + j] + s[H + j]);
        const float n = rb_tanh(g[2 * H + j] + r * s[2 * H + j]);
        g[j] = r;
        g[H + j] = z;
        g[2 * H + j] = n;
        g[3 * H + j] = s[2 * H + j];
        h[j] = (1.0f - z) * n + z * (hp ? hp[j] : 0.0f);
    }
}

/* The fused gate pass of step t, rows b0..b1-1: [r z n hn] in place in At (which holds [xr xz xn]
 * on entry), from S = W_h h_{t-1} + b_h; h_t into ht; zeros past each length; hT at the last
 * step. */
typedef struct {
    const rb_fwd_args *a;
    int t;
    float *At;
    const float *S, *hp;
    float *ht;
} gates_ctx;

static RB_CLONES void gru_gates_step(const gates_ctx *x, int b0, int b1)
{
    const rb_fwd_args *a = x->a;
    const int t = x->t, T = a->d->T, H = a->d->H, GH = a->d->GH, W4 = 4 * H;
    float *At = x->At, *ht = x->ht;
    const float *S = x->S, *hp = x->hp;
    for (int b = b0; b < b1; b++) {
        float *g = At + (size_t)b * W4, *hr = ht + (size_t)b * H;
        if (!rb_active(a->lengths, b, t)) {
            memset(hr, 0, (size_t)H * sizeof(float));
            continue;
        }
        const float *s = S + (size_t)b * GH, *hpr = hp ? hp + (size_t)b * H : NULL;
        if (hpr)
            gates_row(H, g, s, hpr, hr);
        else
            gates_row(H, g, s, NULL, hr);
        if (a->hT && rb_last(a->lengths, T, b, t))
            memcpy(a->hT + (size_t)b * H, hr, (size_t)H * sizeof(float));
    }
}

static void gates_rows(void *p, int b0, int b1) { gru_gates_step(p, b0, b1); }

/* Step t of the forward on rows b0..b1-1 (rb_step_fn). */
static void fwd_step(const void *p, int t, int b0, int b1, rb_exec ex)
{
    const rb_fwd_args *a = p;
    const rb_dims *d = a->d;
    const int H = d->H, GH = d->GH, W4 = 4 * H;
    const size_t BH = (size_t)d->B * H, BW = (size_t)d->B * W4;
    float *A = a->reserve, *S = a->reserve + (size_t)d->TB * W4;
    float *At = A + (size_t)t * BW, *ht = a->h + (size_t)t * BH;
    const float *hp = t ? ht - BH : a->h0;
    /* S = h_{t-1} · W_hᵀ + b_h   (B × H) · (H × 3H) */
    rb_step_fwd(ex, b1 - b0, H, GH, hp ? hp + (size_t)b0 * H : NULL, a->p.Wh, 0.0f, a->p.bh,
                S + (size_t)b0 * GH);
    gates_ctx c = {a, t, At, S, hp, ht};
    rb_exec_rows(ex, b0, b1, gates_rows, &c);
}

void rb_gru_forward(const rb_fwd_args *a)
{
    const rb_dims *d = a->d;
    /* A[:, 0:3H] (TB × 3H) = X · W_xᵀ + b_x: all gates of all steps, one GEMM */
    rb_input_proj(d, &(rb_input){a->x, a->tokens, a->lengths}, &a->p, a->reserve, 4 * d->H);
    rb_time_loop(d, 0, fwd_step, a);
}

/* One row of the gradient pass: from the gates g = [r z n hn], h_{t-1} (hp NULL = 0) and the total
 * dh, the input-side gate gradients dx and recurrent-side dhg (3H each); dh becomes its direct
 * part z ⊙ dh of dh_{t-1}. */
RB_ROW void grads_row(int H, const float *restrict g, const float *restrict hp,
                      float *restrict dh, float *restrict dx, float *restrict dhg)
{
    for (int j = 0; j < H; j++) {
        const float r = g[j], z = g[H + j], n = g[2 * H + j], hn = g[3 * H + j], dhv = dh[j];
        const float dan = dhv * (1.0f - z) * (1.0f - n * n);
        const float daz = dhv * ((hp ? hp[j] : 0.0f) - n) * z * (1.0f - z);
        const float dar = dan * hn * r * (1.0f - r);
        dx[j] = dhg[j] = dar;
        dx[H + j] = dhg[H + j] = daz;
        dx[2 * H + j] = dan;
        dhg[2 * H + j] = r * dan;
        dh[j] = dhv * z; /* the direct path h_{t-1} → h_t */
    }
}

/* The fused gradient pass of step t, rows b0..b1-1: gate gradients into dXt (input side) and dHt
 * (recurrent side) from the carried dhn, which it sets to the direct part z ⊙ dh of dh_{t-1};
 * zeros past each length. */
typedef struct {
    const rb_bwd_args *a;
    int t;
    const float *At, *hp;
    float *dXt, *dHt, *dhn;
} grads_ctx;

static RB_CLONES void gru_grads_step(const grads_ctx *x, int b0, int b1)
{
    const rb_bwd_args *a = x->a;
    const int t = x->t, T = a->d->T, H = a->d->H, GH = a->d->GH, W4 = 4 * H;
    const float *At = x->At, *hp = x->hp;
    float *dXt = x->dXt, *dHt = x->dHt, *dhn = x->dhn;
    for (int b = b0; b < b1; b++) {
        float *dx = dXt + (size_t)b * GH, *dhg = dHt + (size_t)b * GH;
        float *dhr = dhn + (size_t)b * H;
        if (!rb_active(a->lengths, b, t)) {
            memset(dx, 0, (size_t)GH * sizeof(float));
            memset(dhg, 0, (size_t)GH * sizeof(float));
            continue;
        }
        const rb_upstream u = rb_upstream_at(a, t, b);
        const float *g = At + (size_t)b * W4, *hpr = hp ? hp + (size_t)b * H : NULL;
        rb_gather_dh(dhr, u.dh, u.dhT, rb_last(a->lengths, T, b, t), H);
        rb_trace_row(a, t, b, dhr);
        if (hpr)
            grads_row(H, g, hpr, dhr, dx, dhg);
        else
            grads_row(H, g, NULL, dhr, dx, dhg);
    }
}

static void grads_rows(void *p, int b0, int b1) { gru_grads_step(p, b0, b1); }

/* Step t of the backward on rows b0..b1-1 (rb_step_fn). work: dX and dHg (T,B,3H each), then
 * dhn (B,H). */
static void bwd_step(const void *p, int t, int b0, int b1, rb_exec ex)
{
    const rb_bwd_args *a = p;
    const rb_dims *d = a->d;
    const int H = d->H, GH = d->GH, W4 = 4 * H;
    const size_t BH = (size_t)d->B * H, BW = (size_t)d->B * W4, BGH = (size_t)d->B * GH;
    float *dX = a->work, *dHg = dX + (size_t)d->TB * GH, *dhn = dHg + (size_t)d->TB * GH;
    const float *At = a->reserve + (size_t)t * BW;
    const float *hp = t ? a->h + (size_t)(t - 1) * BH : a->h0;
    float *dXt = dX + (size_t)t * BGH, *dHt = dHg + (size_t)t * BGH;
    grads_ctx c = {a, t, At, hp, dXt, dHt, dhn};
    rb_exec_rows(ex, b0, b1, grads_rows, &c);
    /* dh_{t-1} = z ⊙ dh_t + dHg_t · W_h   (B × 3H) · (3H × H) */
    rb_step_bwd(ex, b1 - b0, H, GH, dHt + (size_t)b0 * GH, a->p.Wh, 1.0f, dhn + (size_t)b0 * H);
}

void rb_gru_backward(const rb_bwd_args *a)
{
    const rb_dims *d = a->d;
    const size_t BH = (size_t)d->B * d->H;
    float *dX = a->work, *dHg = dX + (size_t)d->TB * d->GH, *dhn = dHg + (size_t)d->TB * d->GH;

    /* each step ADDS its W_h product into dhn, also on the rows of finished sequences */
    memset(dhn, 0, BH * sizeof(float));
    rb_time_loop(d, 1, bwd_step, a);
    if (a->dh0)
        memcpy(a->dh0, dhn, BH * sizeof(float));
    rb_input_grads(d, &(rb_input){a->x, a->tokens, a->lengths}, a->h0, a->h, dX, dHg, a->p.Wx,
                   &a->g, a->dx);
}
