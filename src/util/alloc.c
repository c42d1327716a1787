/* alloc.c — the allocation-failure and thread-failure hook of test builds (RB_TESTING), after
 * SQLite's fault injection: every allocation and thread the library makes goes through rb_malloc,
 * rb_calloc, rb_aligned_alloc, rb_free, rb_thread_create, rb_mutex_init and rb_cond_init (util.h),
 * which in a test build
 * count them per application thread and fail the one that rb_fault_arm names. A release build
 * maps those names onto the C library's functions and compiles nothing here. */
#include "util/util.h"

#ifdef RB_TESTING
#include <stdlib.h>

/* Per application thread, so that threads of a concurrency test never share a counter. */
static _Thread_local rb_fault_counts counts;
static _Thread_local long fail_alloc = -1, fail_thread = -1;

void rb_fault_arm(long alloc_index, long thread_index)
{
    counts.allocs = counts.threads = 0;
    fail_alloc = alloc_index;
    fail_thread = thread_index;
}

rb_fault_counts rb_fault_get(void) { return counts; }

/* 1 if this allocation is the one to fail; counts it either way. */
static int fail_now(void)
{
    const long k = counts.allocs++;
    if (k == fail_alloc) {
        counts.failed++;
        return 1;
    }
    return 0;
}

static void *counted(void *p)
{
    if (p)
        counts.live++;
    return p;
}

void *rb_malloc(size_t n) { return fail_now() ? NULL : counted(malloc(n)); }

void *rb_calloc(size_t n, size_t size) { return fail_now() ? NULL : counted(calloc(n, size)); }

void *rb_aligned_alloc(size_t align, size_t n)
{
    return fail_now() ? NULL : counted(aligned_alloc(align, n));
}

void rb_free(void *p)
{
    if (p)
        counts.live--;
    free(p);
}

/* 1 if this thread point (a thread, mutex or condition variable created) is the one to fail. */
static int thread_point_fails(void)
{
    if (counts.threads++ == fail_thread) {
        counts.failed++;
        return 1;
    }
    return 0;
}

int rb_thread_create(pthread_t *tid, void *(*fn)(void *), void *arg)
{
    return thread_point_fails() ? 1 : pthread_create(tid, NULL, fn, arg);
}

int rb_mutex_init(pthread_mutex_t *m) { return thread_point_fails() ? 1 : pthread_mutex_init(m, NULL); }

int rb_cond_init(pthread_cond_t *c) { return thread_point_fails() ? 1 : pthread_cond_init(c, NULL); }
#else
typedef int rb_alloc_translation_unit_is_not_empty; /* ISO C wants a declaration */
#endif
