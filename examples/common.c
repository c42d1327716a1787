/* common.c — the examples' shared helpers: flags from a table, clock, BLAS threads, file I/O. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef EX_HAVE_OPENBLAS
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif

void ex_die(int code, const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

/* Each help is "VALUE  what it does": the flag and its value, then the rest, in two columns. */
static void usage(const char *intro, const ex_flag *flags, int n)
{
    printf("%s\n\nFlags:\n", intro);
    for (int i = 0; i < n; i++) {
        const char *h = flags[i].help, *gap = strstr(h, "  ");
        int vlen = gap ? (int)(gap - h) : 0;
        int w = printf("  %s %.*s", flags[i].name, vlen, h);
        printf("%*s%s\n", w < 34 ? 34 - w : 1, "", gap ? gap + 2 : h);
    }
}

/* Parses value into f->out, or dies naming the flag. */
static void set_value(const char *prog, ex_flag *f, const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (f->kind) {
    case EX_INT: {
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno || x < f->lo || x > f->hi)
            ex_die(EX_EXIT_USAGE, prog, "%s: '%s' is not an integer in %.0f..%.0f", f->name, v,
                   f->lo, f->hi);
        *(int *)f->out = (int)x;
        break;
    }
    case EX_U64: {
        unsigned long long x = strtoull(v, &end, 10);
        if (end == v || *end || errno || v[0] == '-')
            ex_die(EX_EXIT_USAGE, prog, "%s: '%s' is not an unsigned 64-bit integer", f->name, v);
        *(uint64_t *)f->out = (uint64_t)x;
        break;
    }
    case EX_DOUBLE: {
        double x = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(x) || x < f->lo || x > f->hi)
            ex_die(EX_EXIT_USAGE, prog, "%s: '%s' is not a number in [%g, %g]", f->name, v, f->lo,
                   f->hi);
        *(double *)f->out = x;
        break;
    }
    case EX_STRING:
        if (!*v)
            ex_die(EX_EXIT_USAGE, prog, "%s: empty value", f->name);
        *(const char **)f->out = v;
        break;
    case EX_CHOICE: {
        int k = 0;
        while (f->choices[k] && strcmp(f->choices[k], v) != 0)
            k++;
        if (!f->choices[k])
            ex_die(EX_EXIT_USAGE, prog, "%s: '%s' is not one of the choices (see --help)",
                   f->name, v);
        *(int *)f->out = k;
        break;
    }
    }
}

void ex_parse(const char *prog, const char *intro, int argc, char **argv, ex_flag *flags, int n)
{
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(intro, flags, n);
            exit(0);
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        ex_flag *f = NULL;
        for (int i = 0; i < n && !f; i++)
            if (strlen(flags[i].name) == len && strncmp(flags[i].name, arg, len) == 0)
                f = &flags[i];
        if (!f)
            ex_die(EX_EXIT_USAGE, prog, "unknown argument '%s' (see --help)", arg);
        if (f->given)
            ex_die(EX_EXIT_USAGE, prog, "%s given twice", f->name);
        const char *v = eq ? eq + 1 : (a + 1 < argc ? argv[++a] : NULL);
        if (!v)
            ex_die(EX_EXIT_USAGE, prog, "%s needs a value", f->name);
        set_value(prog, f, v);
        f->given = 1;
    }
}

const ex_flag *ex_flag_named(const ex_flag *flags, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(flags[i].name, name) == 0)
            return &flags[i];
    return NULL;
}

double ex_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int ex_blas_threads(int n)
{
#ifdef EX_HAVE_OPENBLAS
    if (!getenv("OPENBLAS_NUM_THREADS"))
        openblas_set_num_threads(n);
    return openblas_get_num_threads();
#else
    (void)n;
    return 0;
#endif
}

unsigned char *ex_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap + 1);
    while (buf) {
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap)
            break;
        unsigned char *bigger = cap <= SIZE_MAX / 2 - 1 ? realloc(buf, 2 * cap + 1) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            errno = ENOMEM;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int err = buf && ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    if (buf) {
        buf[len] = 0;
        *n = len;
    }
    return buf;
}

int ex_write_atomic(const char *path, const char *data, size_t n)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32), *dir = malloc(plen + 2);
    int fd = -1, err = 0;
    if (!tmp || !dir) {
        err = ENOMEM;
        goto done;
    }
    snprintf(tmp, plen + 32, "%s.%ld.tmp", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        err = errno;
        goto done;
    }
    for (size_t off = 0; off < n && !err;) {
        ssize_t w = write(fd, data + off, n - off);
        if (w < 0 && errno != EINTR)
            err = errno;
        else if (w > 0)
            off += (size_t)w;
    }
    if (!err && fsync(fd) != 0)
        err = errno;
    if (close(fd) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        unlink(tmp);
        goto done;
    }
    /* The rename is durable once the directory is synced. */
    memcpy(dir, path, plen + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    int dfd = open(dir, O_RDONLY);
    if (dfd < 0 || fsync(dfd) != 0)
        err = errno;
    if (dfd >= 0)
        close(dfd);
done:
    free(tmp);
    free(dir);
    errno = err;
    return err ? -1 : 0;
}
