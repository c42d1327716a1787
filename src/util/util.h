/* util.h — the private header of src/util/: small utilities every other folder uses (status
 * messages, argument checks, the allocation and thread hooks).
 * Files here may call the C library and POSIX threads only; they include no other folder. */
#ifndef RNNBPTT_UTIL_H
#define RNNBPTT_UTIL_H

#include "rnnbptt.h"

#include <stddef.h>

/* zstd-style early return: keeps the argument checks one line each. */
#define RETURN_IF(cond, status) \
    do {                        \
        if (cond)               \
            return (status);    \
    } while (0)


/* ---- alloc.c: every allocation and thread of the library goes through these names. In a test
 * build (RB_TESTING) they count per application thread and can be made to fail (SQLite's fault
 * injection): rb_fault_arm(a, t) restarts both counts and makes the a-th allocation and the
 * t-th thread point (a thread, mutex or condition variable created) after it fail, that one only
 * (0-based; -1: none). Release builds call the C library and keep no such state. ---- */
#include <pthread.h>
#include <stdlib.h>
#ifdef RB_TESTING
typedef struct {
    long allocs;  /* allocations tried since rb_fault_arm */
    long threads; /* thread points (threads, mutexes, condition variables) tried since arming */
    long failed;  /* failures injected since the thread started */
    long live;    /* blocks allocated and not yet freed by this thread (its balance) */
} rb_fault_counts;
void rb_fault_arm(long alloc_index, long thread_index);
rb_fault_counts rb_fault_get(void);
void *rb_malloc(size_t n);
void *rb_calloc(size_t n, size_t size);
void *rb_aligned_alloc(size_t align, size_t n);
void rb_free(void *p);
int rb_thread_create(pthread_t *tid, void *(*fn)(void *), void *arg);
int rb_mutex_init(pthread_mutex_t *m);
int rb_cond_init(pthread_cond_t *c);
#else
#define rb_malloc malloc
#define rb_calloc calloc
#define rb_aligned_alloc aligned_alloc
#define rb_free free
#define rb_thread_create(tid, fn, arg) pthread_create(tid, NULL, fn, arg)
#define rb_mutex_init(m) pthread_mutex_init(m, NULL)
#define rb_cond_init(c) pthread_cond_init(c, NULL)
#endif

/* ---- io.c: every file operation of the library goes through these names (model files). In a
 * test build (RB_TESTING) they count per application thread and can be made to fail, as the
 * allocations above: rb_io_fault_arm(k) restarts the count and makes the k-th operation after it
 * fail (0-based; -1: none) with errno EIO, that one only; rb_io_ops() gives the operations tried
 * since arming. Release builds call POSIX directly and keep no such state. A file using these
 * includes <fcntl.h>, <stdio.h>, <sys/stat.h> and <unistd.h>. ---- */
#ifdef RB_TESTING
#include <sys/stat.h>
#include <sys/types.h>
void rb_io_fault_arm(long io_index);
long rb_io_ops(void);
int rb_open(const char *path, int flags, mode_t mode);
int rb_fstat(int fd, struct stat *st);
ssize_t rb_read(int fd, void *buf, size_t n);
ssize_t rb_write(int fd, const void *buf, size_t n);
int rb_fsync(int fd);
int rb_close(int fd);
int rb_rename(const char *from, const char *to);
#else
#define rb_open open
#define rb_fstat fstat
#define rb_read read
#define rb_write write
#define rb_fsync fsync
#define rb_close close
#define rb_rename rename
#endif

/* ---- crc32.c: CRC-32 (IEEE 802.3, zlib's crc32()): reflected polynomial 0xEDB88320, initial
 * value and final XOR 0xFFFFFFFF. The table is computed into the caller's rb_crc32 (1 KiB) by
 * rb_crc32_init: no global state. rb_crc32_value(c) is the CRC of every byte given so far. ---- */
#include <stdint.h>
typedef struct {
    uint32_t table[256];
    uint32_t crc; /* the running register, before the final XOR */
} rb_crc32;
void rb_crc32_init(rb_crc32 *c);
void rb_crc32_update(rb_crc32 *c, const void *p, size_t n);
static inline uint32_t rb_crc32_value(const rb_crc32 *c) { return c->crc ^ 0xFFFFFFFFu; }

/* For the per-row loops that take an optional previous state: called as
 * `p ? row(..., p) : row(..., NULL)`, the forced inlining yields one loop with the loads and one
 * without, instead of a NULL test inside the loop (which becomes masked loads, slow on AMD). */
#if defined(__GNUC__)
#define RB_ROW static inline __attribute__((always_inline))
#else
#define RB_ROW static inline
#endif

/* ---- check.c: size arithmetic and argument validation ---- */

int rb_dims_ok(long long a, long long b); /* 1 if a >= 1, b >= 1 and a*b fits in int */
/* *acc += k·a·b in size_t; 0 (acc unchanged) if that overflows the floats we hand out. */
int rb_add_prod(size_t *acc, size_t k, size_t a, size_t b);
/* 1 if lengths is NULL or every lengths[b] is in 1..T. */
int rb_lengths_ok(const int *lengths, int T, int B);

#endif /* RNNBPTT_UTIL_H */
