/* cpu.c — what this CPU offers the library, as the build lets it use it: the x86-64 level that
 * picks the team kernel's instance and every decision that reads CPU features, and the L2 size
 * that the team rules read. A build capped at a lower level (RB_CPU_CAP) or told an L2 size
 * (RB_ASSUME_L2) behaves exactly as on such a CPU: see docs/testing.md. */
#include "exec/exec.h"

#include <unistd.h>

int rb_cpu_level(void)
{
#if defined(__GNUC__) && defined(__x86_64__)
    if (RB_CPU_CAP >= RB_LEVEL_V4 && __builtin_cpu_supports("avx512f"))
        return RB_LEVEL_V4;
    if (RB_CPU_CAP >= RB_LEVEL_V3 && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return RB_LEVEL_V3;
#endif
    return RB_LEVEL_BASE;
}

size_t rb_cpu_l2(void)
{
#if RB_ASSUME_L2 > 0
    return (size_t)RB_ASSUME_L2;
#else
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE); /* 0 or -1 where the system cannot tell */
    return l2 > 0 ? (size_t)l2 : RB_L2_DEFAULT;
#endif
}
