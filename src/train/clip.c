/* clip.c — gradient clipping: by global L2 norm (rnnbptt_clip_grad_norm) and by value
 * (rnnbptt_clip_grad_value). g is a flat float vector of n elements. */
#include <math.h>

#include "exec/exec.h"
#include "train/train.h"
#include "util/util.h"

enum { RB_CLIP_LANES = 8 }; /* independent partial sums: a vector of doubles per lane group */

/* Σ g_i² in double. Eight partial sums in a fixed order (the same bits on every instance), so
 * the compiler can keep them in vector registers without reassociating anything. */
RB_CLONES static double sum_squares(const float *g, size_t n)
{
    double acc[RB_CLIP_LANES] = {0};
    size_t i = 0;
    for (; i + RB_CLIP_LANES <= n; i += RB_CLIP_LANES)
        for (size_t l = 0; l < RB_CLIP_LANES; l++)
            acc[l] += (double)g[i + l] * (double)g[i + l];
    for (size_t l = 0; i < n; i++, l++)
        acc[l] += (double)g[i] * (double)g[i];
    double s = 0.0;
    for (size_t l = 0; l < RB_CLIP_LANES; l++)
        s += acc[l];
    return s;
}

/* g_i = (float)(g_i · c), the product in double. */
RB_CLONES static void scale(float *g, size_t n, double c)
{
    for (size_t i = 0; i < n; i++)
        g[i] = (float)((double)g[i] * c);
}

rnnbptt_status rnnbptt_clip_grad_norm(float *g, size_t n, double max_norm, double *norm_before)
{
    RETURN_IF(g == NULL || n == 0, RNNBPTT_EINVAL);
    RETURN_IF(!isfinite(max_norm) || !(max_norm > 0.0), RNNBPTT_EINVAL);
    /* A finite float squared is below 1.2e77 in double: the sum is finite unless g holds a NaN or
     * an Inf (or has more than 1e231 elements). */
    const double norm = sqrt(sum_squares(g, n));
    if (norm_before)
        *norm_before = norm;
    RETURN_IF(!isfinite(norm), RNNBPTT_ENONFINITE);
    if (norm > max_norm)
        scale(g, n, max_norm / norm);
    return RNNBPTT_OK;
}

/* g_i = min(max(g_i, −c), c), as selects. */
RB_CLONES static void clamp(float *g, size_t n, float c)
{
    for (size_t i = 0; i < n; i++) {
        float v = g[i];
        v = v < -c ? -c : v;
        g[i] = v > c ? c : v;
    }
}

rnnbptt_status rnnbptt_clip_grad_value(float *g, size_t n, double clip)
{
    RETURN_IF(g == NULL || n == 0, RNNBPTT_EINVAL);
    RETURN_IF(!isfinite(clip) || !(clip > 0.0), RNNBPTT_EINVAL);
    RETURN_IF(rb_any_nonfinite(g, n), RNNBPTT_ENONFINITE);
    clamp(g, n, (float)clip);
    return RNNBPTT_OK;
}
