/* head.c — the model's dense head and loss over the top layer's output: one GEMM over all T·B
 * rows (every step) or over the B last-step rows (last step), the loss rows in double, and the
 * gradients back, one GEMM each; and the softmax helper.
 * Legend: T steps, B batch, O outputs, DH the top layer's output width, N the head's rows. */
#include "train/train.h"

#include "exec/blas.h"

#include <math.h>
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

void rb_head_predict(const rnnbptt_model *m, const rb_net_call *c, const float *Y, float *ylast,
                     float *out)
{
    const int O = m->cfg.output_size, DH = m->DH, last = m->cfg.loss_at == RNNBPTT_LOSS_LAST_STEP;
    const float *Wy = m->params + m->head;
    const size_t TB = (size_t)c->T * (size_t)c->B;
    if (last)
        last_rows(c, (size_t)DH, Y, ylast);
    /* out = Y · W_yᵀ + b_y   (N × DH) · (DH × O) */
    rb_project(NULL, last ? c->B : (int)TB, DH, O, last ? ylast : Y, Wy, Wy + (size_t)O * DH, out,
               O);
    for (size_t r = 0; !last && r < TB; r++) /* zeros past each length */
        if (!rb_active(c->lengths, (int)(r % (size_t)c->B), (int)(r / (size_t)c->B)))
            memset(out + r * (size_t)O, 0, (size_t)O * sizeof(float));
}

double rb_head_train(rnnbptt_model *m, const rb_net_call *c, const float *Ytop,
                     const rb_head_scratch *hs, float *dYtop)
{
    const int O = m->cfg.output_size, DH = m->DH, last = m->cfg.loss_at == RNNBPTT_LOSS_LAST_STEP;
    const int N = last ? c->B : c->T * c->B;
    const float *Wy = m->params + m->head, *by = Wy + (size_t)O * DH;
    const float *Y = last ? hs->ylast : Ytop;
    float *Z = hs->Z, *dZ = hs->dZ, *dY = last ? hs->dylast : dYtop;
    if (last)
        last_rows(c, (size_t)DH, Ytop, hs->ylast);
    rb_project(NULL, N, DH, O, Y, Wy, by, Z, O);
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
    float *dWy = m->grads + m->head;
    /* dW_y += dZᵀ · Y   (O × N) · (N × DH) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, O, DH, N, 1.0f, dZ, O, Y, DH, 1.0f, dWy,
                DH);
    rb_colsum_add(N, O, dZ, O, dWy + (size_t)O * DH);
    /* dY = dZ · W_y   (N × O) · (O × DH) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, DH, O, 1.0f, dZ, O, Wy, DH, 0.0f, dY,
                DH);
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
    for (int n = 0; n < N; n++) {
        const float *z = logits + (size_t)n * C;
        float *p = probs + (size_t)n * C;
        double mx = z[0], sum = 0.0;
        for (int k = 1; k < C; k++)
            mx = z[k] > mx ? z[k] : mx;
        for (int k = 0; k < C; k++)
            sum += exp((double)z[k] - mx);
        for (int k = 0; k < C; k++) /* reads z[k] before it writes p[k]: probs may be logits */
            p[k] = (float)(exp((double)z[k] - mx) / sum);
    }
    return RNNBPTT_OK;
}
