/* common.h — what the example programs share: command-line flags from a table (a bad flag is a
 * message and exit status 2), a monotonic clock, the BLAS thread count, reading a whole file and
 * writing a small one atomically. Nothing here is part of the library. */
#ifndef EXAMPLES_COMMON_H
#define EXAMPLES_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Exit statuses of every example: 0 done, 1 a failure while running (the library, the disk),
 * 2 a bad command line or bad input (a flag, a missing or empty file). */
enum { EX_EXIT_FAIL = 1, EX_EXIT_USAGE = 2 };

typedef enum {
    EX_INT,    /* int, in [lo, hi] */
    EX_U64,    /* uint64_t, any decimal value */
    EX_DOUBLE, /* double, finite, in [lo, hi] */
    EX_STRING, /* const char *, non-empty */
    EX_CHOICE  /* int: the index of the value in choices (NULL-terminated) */
} ex_kind;

typedef struct {
    const char *name;            /* "--hidden" */
    ex_kind kind;
    void *out;                   /* int *, uint64_t *, double *, const char ** or int * */
    double lo, hi;               /* EX_INT and EX_DOUBLE */
    const char *const *choices;  /* EX_CHOICE */
    const char *help;            /* "VALUE  what it does (the default)" for --help */
    int given;                   /* WRITTEN by ex_parse: 1 when the flag was on the command line */
} ex_flag;

/* Parses argv against flags[n] ("--name value" or "--name=value"; each at most once), writing
 * each given flag's out. --help prints `intro` and the flags, then exits 0; anything else that
 * is wrong prints "prog: what" and exits EX_EXIT_USAGE. */
void ex_parse(const char *prog, const char *intro, int argc, char **argv, ex_flag *flags, int n);

/* The flag called name in flags[n] (the program's own table), or NULL. */
const ex_flag *ex_flag_named(const ex_flag *flags, int n, const char *name);

/* Prints "prog: <fmt ...>" on stderr and exits with status code. */
void ex_die(int code, const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Seconds on a monotonic clock. */
double ex_now(void);

/* Sets the BLAS's thread count to n unless OPENBLAS_NUM_THREADS is set (the examples may; the
 * library never does). Returns the count the BLAS reports afterwards, or 0 when the BLAS has
 * no such call (then nothing is set). */
int ex_blas_threads(int n);

/* The whole file at path, in one malloc'ed block (*n bytes; a NUL after them), or NULL with errno
 * set (an empty file is not an error: *n = 0). */
unsigned char *ex_read_file(const char *path, size_t *n);

/* Writes data[n] to path atomically: a temporary file beside it, fsync, rename over path, fsync of
 * the directory. Returns 0, or -1 with errno set (the temporary file removed). */
int ex_write_atomic(const char *path, const char *data, size_t n);

#endif /* EXAMPLES_COMMON_H */
