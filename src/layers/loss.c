/* loss.c — the two losses, as sums over rows (the caller scales): squared error and softmax
 * cross-entropy. Both accumulate in double. Legend: N rows, D (or C) columns, row-major. */
#include "layers/layers.h"

#include <math.h>

double rb_mse_row(int D, const float *y, const float *target, float *dy)
{
    double s = 0.0;
    for (int k = 0; k < D; k++) {
        const float e = y[k] - target[k];
        s += (double)e * e;
        if (dy)
            dy[k] = e;
    }
    return 0.5 * s;
}

double rb_softmax_row(int C, const float *z, float *p)
{
    double m = z[0], sum = 0.0;
    for (int c = 1; c < C; c++)
        m = z[c] > m ? z[c] : m;
    for (int c = 0; c < C; c++)
        sum += exp((double)z[c] - m);
    for (int c = 0; p && c < C; c++) /* reads z[c] before it writes p[c]: p may be z */
        p[c] = (float)(exp((double)z[c] - m) / sum);
    return log(sum) + m;
}

double rb_xent_row(int C, const float *z, int label, float *dz)
{
    if (label < 0) { /* ignored row: no loss, no gradient */
        for (int c = 0; dz && c < C; c++)
            dz[c] = 0.0f;
        return 0.0;
    }
    const double zl = z[label], lse = rb_softmax_row(C, z, dz); /* dz may hold the softmax */
    if (dz)
        dz[label] -= 1.0f;
    return lse - zl;
}

rnnbptt_status rnnbptt_mse_loss(int N, int D, const float *y, const float *target, float *loss,
                                float *dy)
{
    RETURN_IF(!rb_dims_ok(N, D) || !y || !target || !loss, RNNBPTT_EINVAL);
    double s = 0.0;
    for (int n = 0; n < N; n++)
        s += rb_mse_row(D, y + (size_t)n * D, target + (size_t)n * D,
                        dy ? dy + (size_t)n * D : NULL);
    *loss = (float)s;
    return RNNBPTT_OK;
}

rnnbptt_status rnnbptt_softmax_xent_loss(int N, int C, const float *logits, const int *labels,
                                         float *loss, float *dlogits)
{
    RETURN_IF(!rb_dims_ok(N, C) || !logits || !labels || !loss, RNNBPTT_EINVAL);
    for (int n = 0; n < N; n++)
        RETURN_IF(labels[n] >= C, RNNBPTT_EINVAL);
    double s = 0.0;
    for (int n = 0; n < N; n++)
        s += rb_xent_row(C, logits + (size_t)n * C, labels[n],
                         dlogits ? dlogits + (size_t)n * C : NULL);
    *loss = (float)s;
    return RNNBPTT_OK;
}
