/* head.c — the model's dense head and loss over the top layer's output: one GEMM over all T·B
 * rows (every step) or over the B last-step rows (last step), the loss rows in double, and the
 * gradients back, one GEMM each; on the model's team when it has one (so the BLAS's threads are
 * not woken between the team's layers), else the BLAS; and the softmax helper.
 * Legend: T steps, B batch, O outputs, DH the top layer's output width, N the head's rows. */
#include "train/train.h"

#include "exec/blas.h"

#include <string.h>

/* 1 if row b at step t has a loss term (step valid, at or after from[b]). */
static int scored(const rb_net_call *c, int t, int b)
{
    return rb_active(c->lengths, b, t) && (!c->from || t >= c->from[b]);
}

/* Row b's last step. */
static size_t last_step(const rb_net_call *c, int b)
{
    return (size_t)(c->lengths ? c->lengths[b] : c->T) - 1;
}

/* The top output's rows at each sequence's last step: Y (T,B,DH) into ylast (B,DH). */
static void last_rows(const rb_net_call *c, size_t DH, const float *Y, float *ylast)
{
    for (int b = 0; b < c->B; b++)
        memcpy(ylast + (size_t)b * DH, Y + (last_step(c, b) * (size_t)c->B + (size_t)b) * DH,
               DH * sizeof(float));
}

/* The head's products for a call: on the model's team, held from head_begin to head_end with
 * W_yᵀ (DH, O) made as its panel matrix; or (team NULL) on the BLAS. */
typedef struct {
    rnnbptt_team *team;
    rb_opb wyt;
} head_exec;

static head_exec head_begin(const rnnbptt_model *m)
{
    head_exec h = {NULL, {NULL, 0, 0, 0}};
#if RB_HAVE_TILES
    const int O = m->cfg.output_size, DH = m->DH;
    rnnbptt_team *tm = rb_team_acquire(m->team);
    float *buf = tm ? rb_team_reserve(tm, rb_panel_size(DH, O)) : NULL;
    if (!buf) { /* busy, or no memory for its buffer: the BLAS runs the head */
        rb_team_release(tm);
        return h;
    }
    h.team = tm;
    h.wyt = rb_team_panel(tm, DH, O, m->params + m->head, 1, (size_t)DH, buf);
#else
    (void)m;
#endif
    return h;
}

static void head_end(head_exec *h) { rb_team_release(h->team); }

/* Z (N,O) = Y (N,DH) · W_yᵀ + b_y */
static void head_forward(const head_exec *h, const rnnbptt_model *m, int N, const float *Y,
                         float *Z)
{
    const int O = m->cfg.output_size, DH = m->DH;
    const float *Wy = m->params + m->head, *by = Wy + (size_t)O * DH;
#if RB_HAVE_TILES
    if (h->team) {
        rb_team_gemm(h->team, N, O, DH, (rb_opa){Y, (size_t)DH, 1}, h->wyt, 0.0f, by, Z, O);
        return;
    }
#endif
    (void)h;
    rb_project(NULL, N, DH, O, Y, Wy, by, Z, O);
}

/* dW_y += dZᵀ · Y, db_y += Σ dZ, dY (N,DH) = dZ · W_y */
static void head_backward(const head_exec *h, rnnbptt_model *m, int N, const float *Y,
                          const float *dZ, float *dY)
{
    const int O = m->cfg.output_size, DH = m->DH;
    const float *Wy = m->params + m->head;
    float *dWy = m->grads + m->head, *dby = dWy + (size_t)O * DH;
#if RB_HAVE_TILES
    if (h->team) {
        rb_team_gemm(h->team, O, DH, N, (rb_opa){dZ, 1, (size_t)O}, rb_opb_rows(Y, DH), 1.0f,
                     NULL, dWy, DH);
        rb_team_colsum_add(h->team, N, O, dZ, O, dby);
        rb_team_gemm(h->team, N, DH, O, (rb_opa){dZ, (size_t)O, 1}, rb_opb_rows(Wy, DH), 0.0f,
                     NULL, dY, DH);
        return;
    }
#endif
    (void)h;
    /* dW_y += dZᵀ · Y   (O × N) · (N × DH) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, DH, N, 1.0f, dZ, O, Y, DH, 1.0f, dWy,
                DH);
    rb_colsum_add(N, O, dZ, O, dby);
    /* dY = dZ · W_y   (N × O) · (O × DH) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, DH, O, 1.0f, dZ, O, Wy, DH, 0.0f, dY,
                DH);
}

void rb_head_predict(const rnnbptt_model *m, const rb_net_call *c, const float *Y, float *ylast,
                     float *out)
{
    const int O = m->cfg.output_size, DH = m->DH, last = m->cfg.loss_at == RNNBPTT_LOSS_LAST_STEP;
    const size_t TB = (size_t)c->T * (size_t)c->B;
    if (last)
        last_rows(c, (size_t)DH, Y, ylast);
    head_exec h = head_begin(m);
    head_forward(&h, m, last ? c->B : (int)TB, last ? ylast : Y, out);
    head_end(&h);
    for (size_t r = 0; !last && r < TB; r++) /* zeros past each length */
        if (!rb_active(c->lengths, (int)(r % (size_t)c->B), (int)(r / (size_t)c->B)))
            memset(out + r * (size_t)O, 0, (size_t)O * sizeof(float));
}

double rb_head_train(rnnbptt_model *m, const rb_net_call *c, const float *Ytop,
                     const rb_head_scratch *hs, float *dYtop)
{
    const int O = m->cfg.output_size, DH = m->DH, last = m->cfg.loss_at == RNNBPTT_LOSS_LAST_STEP;
    const int N = last ? c->B : c->T * c->B;
    const float *Y = last ? hs->ylast : Ytop;
    float *Z = hs->Z, *dZ = hs->dZ, *dY = last ? hs->dylast : dYtop;
    if (last)
        last_rows(c, (size_t)DH, Ytop, hs->ylast);
    head_exec h = head_begin(m);
    head_forward(&h, m, N, Y, Z);
    double s = 0.0;
    for (int r = 0; r < N; r++) { /* row r: (t, b) = (r / B, r % B), or b = r at the last step */
        const size_t k = (size_t)r * (size_t)O;
        if (!last && !scored(c, r / c->B, r % c->B))
            memset(dZ + k, 0, (size_t)O * sizeof(float));
        else if (m->cfg.loss == RNNBPTT_LOSS_MSE)
            s += rb_mse_row(O, Z + k, c->targets + k, dZ + k);
        else
            s += rb_xent_row(O, Z + k, c->labels[r], dZ + k);
    }
    head_backward(&h, m, N, Y, dZ, dY);
    head_end(&h);
    if (last) { /* dL/dY of the top output: the last-step rows, zero elsewhere */
        memset(dYtop, 0, (size_t)c->T * (size_t)c->B * (size_t)DH * sizeof(float));
        for (int b = 0; b < c->B; b++)
            memcpy(dYtop + (last_step(c, b) * (size_t)c->B + (size_t)b) * (size_t)DH,
                   dY + (size_t)b * DH, (size_t)DH * sizeof(float));
    }
    return s;
}

rnnbptt_status rnnbptt_softmax(int N, int C, const float *logits, float *probs)
{
    RETURN_IF(!rb_dims_ok(N, C) || !logits || !probs, RNNBPTT_EINVAL);
    for (int n = 0; n < N; n++)
        rb_softmax_row(C, logits + (size_t)n * C, probs + (size_t)n * C);
    return RNNBPTT_OK;
}
