/* spectral.c — rnnbptt_spectral: the spectral radius (LAPACK sgeev) and the largest singular
 * value (LAPACK sgesvd) of a square row-major matrix, e.g. a recurrent W_hh; and
 * rnnbptt_model_spectral, the same of one gate block of a model's W_h.
 * Legend: n the matrix order; W (n,n) row-major with leading dimension ldw. */
#include <math.h>
#include <string.h>

#include "exec/lapack.h"
#include "train/train.h"
#include "util/util.h"

/* W's rows, packed into a (n,n) block. Read as column-major, the block is Wᵀ, which has the same
 * eigenvalues and the same singular values as W: no transpose is needed. */
static void pack(int n, const float *W, int ldw, float *a)
{
    for (int i = 0; i < n; i++)
        memcpy(a + (size_t)i * n, W + (size_t)i * ldw, (size_t)n * sizeof *a);
}

/* The workspace (floats) for sgeev (eigenvalues only) and sgesvd (singular values only) of an
 * n×n matrix: the larger of the optimal sizes LAPACK's queries report, and at least the
 * documented minimum of both (sgeev 3n, sgesvd 5n). The queries read no array; they write the
 * size into their work argument. */
static size_t lapack_work(int n)
{
    float a = 0.0f, w = 0.0f, geev = 0.0f, gesvd = 0.0f;
    LAPACKE_sgeev_work(LAPACK_COL_MAJOR, 'N', 'N', n, &a, n, &w, &w, &w, 1, &w, 1, &geev, -1);
    LAPACKE_sgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', n, n, &a, n, &w, &w, 1, &w, 1, &gesvd, -1);
    return (size_t)fmaxf(fmaxf(geev, gesvd), 5.0f * (float)n);
}

rnnbptt_status rnnbptt_spectral(int n, const float *W, int ldw, double *radius,
                                double *sigma_max)
{
    /* n·n must fit in an int: LAPACK indexes the copy with int arithmetic. */
    RETURN_IF(W == NULL || !rb_dims_ok(n, n) || ldw < n, RNNBPTT_EINVAL);
    RETURN_IF(radius == NULL && sigma_max == NULL, RNNBPTT_EINVAL);
    for (int i = 0; i < n; i++)
        RETURN_IF(rb_any_nonfinite(W + (size_t)i * ldw, (size_t)n), RNNBPTT_ENONFINITE);

    const size_t nn = (size_t)n * n, lwork = lapack_work(n);
    /* One block: the copy a (n²), wr and wi (the eigenvalues' real and imaginary parts; wr
     * then holds the singular values), then LAPACK's workspace. */
    float *a = rb_malloc((nn + 2 * (size_t)n + lwork) * sizeof *a);
    RETURN_IF(a == NULL, RNNBPTT_ENOMEM);
    float *wr = a + nn, *wi = wr + n, *work = wi + n;
    double rho = 0.0, smax = 0.0;
    lapack_int info = 0;
    if (radius) {
        pack(n, W, ldw, a);
        info = LAPACKE_sgeev_work(LAPACK_COL_MAJOR, 'N', 'N', n, a, n, wr, wi, NULL, 1, NULL, 1,
                                  work, (lapack_int)lwork);
        for (int i = 0; info == 0 && i < n; i++)
            rho = fmax(rho, hypot(wr[i], wi[i]));
    }
    if (sigma_max && info == 0) {
        pack(n, W, ldw, a);
        info = LAPACKE_sgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', n, n, a, n, wr, NULL, 1, NULL, 1,
                                   work, (lapack_int)lwork);
        smax = wr[0]; /* descending order */
    }
    rb_free(a);
    /* Every argument was checked above, so a nonzero info is LAPACK's info > 0: no convergence. */
    RETURN_IF(info != 0, RNNBPTT_ECONVERGE);
    if (radius)
        *radius = rho;
    if (sigma_max)
        *sigma_max = smax;
    return RNNBPTT_OK;
}

rnnbptt_status rnnbptt_model_spectral(const rnnbptt_model *m, int layer, int dir, int gate,
                                      double *radius, double *sigma_max)
{
    size_t off;
    int rows;
    RETURN_IF(!m || layer < 0, RNNBPTT_EINVAL); /* layer −1 is the head's */
    RETURN_IF(rnnbptt_model_tensor(m, layer, dir, 1, &off, &rows, NULL) != RNNBPTT_OK,
              RNNBPTT_EINVAL);
    const int H = m->cfg.hidden_size;
    RETURN_IF(gate < 0 || gate >= rows / H, RNNBPTT_EINVAL); /* W_h is (G·H, H) */
    return rnnbptt_spectral(H, m->params + off + (size_t)gate * H * H, H, radius, sigma_max);
}
