/* recur.c — what every cell shares: parameter carving, the team's preparation at a call's entry
 * (its copies of W_x and W_h), the time loop (whole-batch steps or the batch split) and the
 * weight-gradient GEMMs after it, on the BLAS or, in a call on a team, on the team's kernel.
 * Legend: T steps, B batch, I input, H hidden, G gates, GH = G*H, TB = T*B. */
#include "layers/layers.h"

#include "exec/blas.h"

#include <string.h>

void rb_carve(const rb_dims *d, const float *params, rb_params *p)
{
    const size_t GH = (size_t)d->GH;
    p->Wx = params;
    p->Wh = p->Wx + GH * (size_t)d->I;
    p->bx = p->Wh + GH * (size_t)d->H;
    p->bh = d->cell == RNNBPTT_GRU ? p->bx + GH : NULL;
}

void rb_carve_grads(const rb_dims *d, float *dparams, rb_grads *g)
{
    const size_t GH = (size_t)d->GH;
    g->Wx = dparams;
    g->Wh = g->Wx + GH * (size_t)d->I;
    g->bx = g->Wh + GH * (size_t)d->H;
    g->bh = d->cell == RNNBPTT_GRU ? g->bx + GH : NULL;
}

static int b1_panels(const rb_dims *d) { return rb_b1_panels(d->B, d->T); }

rnnbptt_team *rb_fwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh)
{
    if (!team)
        return NULL;
#if RB_HAVE_TILES
    rb_pack *pk = rb_team_pack(team);
    const int GH = d->GH, I = d->I, H = d->H;
    const size_t nx = rb_panel_size(I, GH), nh = b1_panels(d) ? rb_panel_size(H, GH) : 0;
    float *buf = rb_team_reserve(team, nx + nh);
    if (!buf)
        return NULL;
    pk->wxt = rb_team_panel(team, I, GH, Wx, 1, (size_t)I, buf); /* W_xᵀ (I, GH) = W_x (GH, I)ᵀ */
    pk->wht = nh ? rb_team_panel(team, H, GH, Wh, 1, (size_t)H, buf + nx) /* W_hᵀ (H, GH) */
                 : (rb_opb){NULL, 0, 0, 0};
    return team;
#else
    (void)d, (void)Wx, (void)Wh;
    return NULL;
#endif
}

rnnbptt_team *rb_bwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh, int with_dx)
{
    if (!team)
        return NULL;
#if RB_HAVE_TILES
    rb_pack *pk = rb_team_pack(team);
    const int GH = d->GH, I = d->I, H = d->H;
    const size_t nx = with_dx ? rb_panel_size(GH, I) : 0;
    const size_t nh = b1_panels(d) ? rb_panel_size(GH, H) : 0;
    float *buf = rb_team_reserve(team, nx + nh);
    if (!buf)
        return NULL;
    /* W_x for dx: 1.04-1.13x as fast as W_x read in place (one thread, GH = 2048, I = 512) */
    if (nx)
        pk->wx = rb_team_panel(team, GH, I, Wx, (size_t)I, 1, buf); /* W_x (GH, I) */
    pk->wh = nh ? rb_team_panel(team, GH, H, Wh, (size_t)H, 1, buf + nx) /* W_h (GH, H) */
                : rb_opb_rows(Wh, H);
    return team;
#else
    (void)d, (void)Wx, (void)Wh, (void)with_dx;
    return NULL;
#endif
}

int rb_batch_split(const rb_dims *d)
{
    return d->team && rb_split_fits(d->team, d->B, (size_t)d->GH * (size_t)d->H);
}

typedef struct {
    const rb_dims *d;
    int reverse;
    rb_step_fn step;
    const void *ctx;
} rb_loop_job;

/* Every step on rows b0..b1-1, by thread `part` alone. */
static void loop_rows(void *arg, int part, int b0, int b1)
{
    const rb_loop_job *j = arg;
    const int T = j->d->T;
    const rb_exec ex = {j->d->team, part};
    for (int k = 0; k < T; k++)
        j->step(j->ctx, j->reverse ? T - 1 - k : k, b0, b1, ex);
}

void rb_time_loop(const rb_dims *d, int reverse, rb_step_fn step, const void *ctx)
{
    if (rb_batch_split(d)) {
        rb_loop_job j = {d, reverse, step, ctx};
        rb_team_split_parts(d->team, d->B, 1, loop_rows, &j);
        return;
    }
    const rb_exec ex = {d->team, -1};
    for (int k = 0; k < d->T; k++)
        step(ctx, reverse ? d->T - 1 - k : k, 0, d->B, ex);
}

/* The weight gradients of rb_input_grads; X NULL leaves dW_x out. */
static void weight_grads(const rb_dims *d, const float *X, const float *h0, const float *h,
                         const float *dG, const float *dGh, const float *Wx, const rb_grads *g,
                         float *dx)
{
    const int B = d->B, I = d->I, H = d->H, GH = d->GH, TB = d->TB;
#if RB_HAVE_TILES
    if (d->team) { /* the same products on the team; Δᵀ is A with sm = 1, sr = GH (packed) */
        const size_t sgh = (size_t)GH;
        if (X)
            rb_team_gemm(d->team, GH, I, TB, (rb_opa){dG, 1, sgh}, rb_opb_rows(X, I), 1.0f,
                         NULL, g->Wx, I);
        if (TB > B)
            rb_team_gemm(d->team, GH, H, TB - B, (rb_opa){dGh + (size_t)B * sgh, 1, sgh},
                         rb_opb_rows(h, H), 1.0f, NULL, g->Wh, H);
        if (h0)
            rb_team_gemm(d->team, GH, H, B, (rb_opa){dGh, 1, sgh}, rb_opb_rows(h0, H), 1.0f,
                         NULL, g->Wh, H);
        rb_team_colsum_add(d->team, TB, GH, dG, GH, g->bx);
        if (g->bh)
            rb_team_colsum_add(d->team, TB, GH, dGh, GH, g->bh);
        if (dx)
            rb_team_gemm(d->team, TB, I, GH, (rb_opa){dG, sgh, 1}, rb_team_pack(d->team)->wx,
                         0.0f, NULL, dx, I);
        return;
    }
#endif
    /* dW_x += Δᵀ · X   (GH × TB) · (TB × I) */
    if (X)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, I, TB, 1.0f, dG, GH, X, I, 1.0f,
                    g->Wx, I);
    /* dW_h += Δ_{2..T}ᵀ · H_{1..T-1}   (GH × (T-1)B) · ((T-1)B × H) */
    if (TB > B)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, TB - B, 1.0f,
                    dGh + (size_t)B * GH, GH, h, H, 1.0f, g->Wh, H);
    /* dW_h += Δ_1ᵀ · h0   (GH × B) · (B × H) */
    if (h0)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, GH, H, B, 1.0f, dGh, GH, h0, H, 1.0f,
                    g->Wh, H);
    /* db += Σ_rows Δ */
    rb_colsum_add(TB, GH, dG, GH, g->bx);
    if (g->bh)
        rb_colsum_add(TB, GH, dGh, GH, g->bh);
    /* dx = Δ · W_x   (TB × GH) · (GH × I) */
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, TB, I, GH, 1.0f, dG, GH, Wx, I, 0.0f,
                    dx, I);
}

void rb_input_proj(const rb_dims *d, const rb_input *in, const rb_params *p, float *out, int ldo)
{
    if (!in->tokens) {
        rb_project(d->team, d->TB, d->I, d->GH, in->x, p->Wx, p->bx, out, ldo);
        return;
    }
    const int B = d->B, GH = d->GH;
    const size_t I = (size_t)d->I;
    for (int r = 0; r < d->TB; r++) { /* row r = t·B + b: W_x's column tokens[r] + b_x */
        float *row = out + (size_t)r * (size_t)ldo;
        if (rb_active(in->lengths, r % B, r / B)) {
            const float *col = p->Wx + in->tokens[r];
            for (int j = 0; j < GH; j++)
                row[j] = p->bx[j] + col[(size_t)j * I];
        } else {
            memcpy(row, p->bx, (size_t)GH * sizeof(float));
        }
    }
}

void rb_input_grads(const rb_dims *d, const rb_input *in, const float *h0, const float *h,
                    const float *dG, const float *dGh, const float *Wx, const rb_grads *g,
                    float *dx)
{
    if (in->tokens) { /* dW_x[:, token] += Δ row, the one-hot GEMM as a scatter-add */
        const int B = d->B, GH = d->GH;
        const size_t I = (size_t)d->I;
        for (int r = 0; r < d->TB; r++) {
            if (!rb_active(in->lengths, r % B, r / B))
                continue;
            const float *dr = dG + (size_t)r * (size_t)GH;
            float *col = g->Wx + in->tokens[r];
            for (int j = 0; j < GH; j++)
                col[(size_t)j * I] += dr[j];
        }
    }
    weight_grads(d, in->tokens ? NULL : in->x, h0, h, dG, dGh, Wx, g, dx);
}
