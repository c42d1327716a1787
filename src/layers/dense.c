/* dense.c — the fully connected layer y = x Wᵀ + b and its backward twin.
 * Legend: N rows, in inputs, out outputs. x (N,in), W (out,in), y (N,out), all row-major. */
#include "layers/layers.h"

#include "exec/blas.h"

/* Shapes valid and every CBLAS dimension / element count representable. */
static int dense_dims_ok(int N, int in, int out)
{
    return rb_dims_ok(N, in) && rb_dims_ok(N, out) && rb_dims_ok(out, in);
}

rnnbptt_status rnnbptt_dense_forward(int N, int in, int out, const float *W, const float *b,
                                     const float *x, float *y)
{
    RETURN_IF(!dense_dims_ok(N, in, out) || !W || !x || !y, RNNBPTT_EINVAL);
    /* y = x · Wᵀ + b   (N × in) · (in × out) */
    rb_project(NULL, N, in, out, x, W, b, y, out);
    return RNNBPTT_OK;
}

rnnbptt_status rnnbptt_dense_backward(int N, int in, int out, const float *W, const float *x,
                                      const float *dy, float *dW, float *db, float *dx)
{
    RETURN_IF(!dense_dims_ok(N, in, out) || !W || !x || !dy || !dW, RNNBPTT_EINVAL);
    /* dW += dyᵀ · x   (out × N) · (N × in) */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, N, 1.0f, dy, out, x, in, 1.0f, dW,
                in);
    if (db)
        rb_colsum_add(N, out, dy, out, db);
    /* dx = dy · W   (N × out) · (out × in) */
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, in, out, 1.0f, dy, out, W, in, 0.0f,
                    dx, in);
    return RNNBPTT_OK;
}
