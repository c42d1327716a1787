/* io.c — the file-operation failure hook of test builds (RB_TESTING), after alloc.c's: the model
 * files' open, fstat, read, write, fsync, close and rename go through rb_open ... rb_rename
 * (util.h), which in a test build count them per application thread and fail the one that
 * rb_io_fault_arm names, with errno EIO. A release build maps those names onto POSIX and compiles
 * nothing here. */
#define _POSIX_C_SOURCE 200809L /* fsync */

#include "util/util.h"

#ifdef RB_TESTING
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

/* Per application thread, as alloc.c's counts. */
static _Thread_local long ops, fail_op = -1;

void rb_io_fault_arm(long io_index)
{
    ops = 0;
    fail_op = io_index;
}

long rb_io_ops(void) { return ops; }

/* 1 (errno set to EIO) if this operation is the one to fail; counts it either way. */
static int io_fails(void)
{
    if (ops++ == fail_op) {
        errno = EIO;
        return 1;
    }
    return 0;
}

int rb_open(const char *path, int flags, mode_t mode)
{
    return io_fails() ? -1 : open(path, flags, mode);
}

int rb_fstat(int fd, struct stat *st) { return io_fails() ? -1 : fstat(fd, st); }
ssize_t rb_read(int fd, void *buf, size_t n) { return io_fails() ? -1 : read(fd, buf, n); }
ssize_t rb_write(int fd, const void *buf, size_t n) { return io_fails() ? -1 : write(fd, buf, n); }
int rb_fsync(int fd) { return io_fails() ? -1 : fsync(fd); }

/* A failed close still releases the descriptor (POSIX leaves it unspecified; Linux always
 * does): the injected failure closes it too, so a test leaks no descriptor. */
int rb_close(int fd)
{
    if (io_fails()) {
        close(fd);
        errno = EIO;
        return -1;
    }
    return close(fd);
}

int rb_rename(const char *from, const char *to)
{
    return io_fails() ? -1 : rename(from, to);
}
#else
typedef int rb_io_translation_unit_is_not_empty; /* ISO C wants a declaration */
#endif
