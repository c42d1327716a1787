/* guard.c — the non-finite guard the optimizers, the clipping and the spectral diagnostics share:
 * whether a float vector holds a NaN or an Inf, checked before anything is written. */
#include "train/train.h"

#include <stdint.h>
#include <string.h>

/* An OR over every element's "exponent bits all ones" (NaN or ±Inf), read as integers: no early
 * exit and no float compare, so it vectorizes at every level. */
RB_CLONES static int any_nonfinite(const float *g, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &g[i], sizeof u);
        bad |= (uint32_t)((u & 0x7f800000u) == 0x7f800000u);
    }
    return bad != 0;
}

int rb_any_nonfinite(const float *g, size_t n) { return any_nonfinite(g, n); }
