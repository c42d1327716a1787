/* check.c — overflow-safe size arithmetic and the argument checks the entry points share. */
#include "util/util.h"

#include <limits.h>
#include <stdint.h>

/* Largest element count we hand out: its byte size must fit in a ptrdiff_t. */
#define RB_MAX_FLOATS ((size_t)PTRDIFF_MAX / sizeof(float))

static int rb_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > RB_MAX_FLOATS / a)
        return 0;
    *out = a * b;
    return 1;
}

int rb_dims_ok(long long a, long long b)
{
    return a >= 1 && b >= 1 && a <= INT_MAX && b <= INT_MAX / a;
}

int rb_add_prod(size_t *acc, size_t k, size_t a, size_t b)
{
    size_t ka, kab;
    if (!rb_mul_size(k, a, &ka) || !rb_mul_size(ka, b, &kab) || kab > RB_MAX_FLOATS - *acc)
        return 0;
    *acc += kab;
    return 1;
}

int rb_lengths_ok(const int *lengths, int T, int B)
{
    if (!lengths)
        return 1;
    for (int b = 0; b < B; b++)
        if (lengths[b] < 1 || lengths[b] > T)
            return 0;
    return 1;
}
