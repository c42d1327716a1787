/* file.c — model files' I/O (docs/model-format.md; format.c codes the header): rnnbptt_model_save
 * writes the header, the parameters, the optimizer's moments and a CRC-32 of all of it,
 * atomically (a temporary file in the same directory, fsync, rename, fsync of the directory);
 * rnnbptt_model_load checks the header against the file's length before it allocates. Floats are
 * written little-endian on any host. */
#define _POSIX_C_SOURCE 200809L /* fsync, O_CLOEXEC, O_DIRECTORY, getpid */

#include "train/train.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CHUNK = 8192 }; /* bytes per read and write */

/* ---- writing: bytes pass through a buffer that is CRC'd and written when full ---- */

typedef struct {
    int fd, failed;
    size_t used;
    rb_crc32 crc;
    unsigned char buf[CHUNK];
} sink;

static void flush(sink *s)
{
    rb_crc32_update(&s->crc, s->buf, s->used);
    for (size_t done = 0; done < s->used && !s->failed;) {
        ssize_t w = rb_write(s->fd, s->buf + done, s->used - done);
        if (w > 0)
            done += (size_t)w;
        else if (w == 0 || errno != EINTR)
            s->failed = 1;
    }
    s->used = 0;
}

/* x [n] as little-endian float32, then flushed. */
static void put_floats(sink *s, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->used + 4 > CHUNK)
            flush(s);
        uint32_t u;
        memcpy(&u, &x[i], 4);
        rb_put32(s->buf + s->used, u);
        s->used += 4;
    }
    flush(s);
}

/* The whole file to fd: OK or EIO. */
static rnnbptt_status write_file(int fd, const rnnbptt_model *m, const rb_optim_info *oi,
                                 const float *state)
{
    sink s = {.fd = fd, .used = RB_FILE_HEADER};
    rb_crc32_init(&s.crc);
    rb_file_header h = rb_file_header_put(s.buf, m, oi);
    put_floats(&s, m->params, m->n);
    put_floats(&s, state, (size_t)h.nstate);
    uint32_t crc = rb_crc32_value(&s.crc);
    rb_put32(s.buf, crc);
    s.used = RB_FILE_TRAILER;
    flush(&s);
    return s.failed ? RNNBPTT_EIO : RNNBPTT_OK;
}

/* Creates a new temporary file for path (0666 & ~umask, as fopen) named *tmp, "<path>.<pid>.<k>
 * .tmp" in the same directory with the first k that does not exist; its descriptor or -1. */
static int open_temp(const char *path, char *tmp, size_t cap)
{
    for (unsigned k = 0; k < 100; k++) {
        snprintf(tmp, cap, "%s.%ld.%u.tmp", path, (long)getpid(), k);
        int fd = rb_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* fsync of the directory that holds path (its text up to the last '/'; "." if none). */
static int sync_dir(const char *path, char *dir)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) + (slash == path) : 0;
    memcpy(dir, slash ? path : ".", slash ? len : 1);
    dir[slash ? len : 1] = '\0';
    int fd = rb_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int bad = rb_fsync(fd) != 0;
    return (rb_close(fd) != 0 || bad) ? -1 : 0;
}

rnnbptt_status rnnbptt_model_save(const rnnbptt_model *m, const rnnbptt_optim *o,
                                  const char *path)
{
    RETURN_IF(!m || !path || !*path, RNNBPTT_EINVAL);
    rb_optim_info oi;
    const float *state = NULL;
    if (o) {
        oi = rb_optim_info_of(o, &state);
        RETURN_IF(oi.n != m->n, RNNBPTT_EINVAL);
    }
    const size_t len = strlen(path), cap = len + 64; /* room for ".<pid>.<k>.tmp" */
    RETURN_IF(len > (size_t)PTRDIFF_MAX / 2 - 64, RNNBPTT_EINVAL);
    char *tmp = rb_malloc(2 * cap), *dir = tmp + cap; /* the temporary name, the directory */
    RETURN_IF(!tmp, RNNBPTT_ENOMEM);
    rnnbptt_status st = RNNBPTT_EIO;
    int fd = open_temp(path, tmp, cap);
    if (fd >= 0) {
        st = write_file(fd, m, o ? &oi : NULL, state);
        if (st == RNNBPTT_OK && rb_fsync(fd) != 0)
            st = RNNBPTT_EIO;
        if (rb_close(fd) != 0 || (st == RNNBPTT_OK && rb_rename(tmp, path) != 0))
            st = RNNBPTT_EIO;
        if (st != RNNBPTT_OK)
            unlink(tmp);
        else if (sync_dir(path, dir) != 0)
            st = RNNBPTT_EIO; /* renamed: the new file is in place, its durability unknown */
    }
    rb_free(tmp);
    return st;
}

/* ---- reading: every byte before the trailer is CRC'd as it is read ---- */

typedef struct {
    int fd;
    rb_crc32 crc;
    unsigned char buf[CHUNK];
} source;

/* Reads exactly n bytes to p (CRC'd): OK, EIO, or EFORMAT when the file ends first. */
static rnnbptt_status get_bytes(source *s, unsigned char *p, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t r = rb_read(s->fd, p + done, n - done);
        if (r < 0 && errno != EINTR)
            return RNNBPTT_EIO;
        RETURN_IF(r == 0, RNNBPTT_EFORMAT);
        done += r > 0 ? (size_t)r : 0;
    }
    rb_crc32_update(&s->crc, p, n);
    return RNNBPTT_OK;
}

/* Reads n little-endian float32 to x, or past them (x NULL). */
static rnnbptt_status get_floats(source *s, float *x, size_t n)
{
    for (size_t i = 0; i < n;) {
        const size_t c = n - i < CHUNK / 4 ? n - i : CHUNK / 4;
        rnnbptt_status st = get_bytes(s, s->buf, 4 * c);
        RETURN_IF(st != RNNBPTT_OK, st);
        for (size_t j = 0; x && j < c; j++) {
            uint32_t u = rb_get32(s->buf + 4 * j);
            memcpy(&x[i + j], &u, 4);
        }
        i += c;
    }
    return RNNBPTT_OK;
}

/* The load from the open s: *m, and *o when o is given and the file has an optimizer, created;
 * on an error the caller destroys what was created. */
static rnnbptt_status load(source *s, int threads, rnnbptt_model **m, rnnbptt_optim **o)
{
    struct stat sb;
    RETURN_IF(rb_fstat(s->fd, &sb) != 0 || !S_ISREG(sb.st_mode), RNNBPTT_EIO);
    RETURN_IF(sb.st_size < RB_FILE_HEADER + RB_FILE_TRAILER, RNNBPTT_EFORMAT);
    unsigned char hb[RB_FILE_HEADER];
    rb_crc32_init(&s->crc);
    rnnbptt_status st = get_bytes(s, hb, RB_FILE_HEADER);
    RETURN_IF(st != RNNBPTT_OK, st);
    rb_file_header h;
    rnnbptt_model_config cfg;
    rb_optim_info oi;
    RETURN_IF(!rb_file_header_get(hb, (uint64_t)sb.st_size, &h, &cfg, &oi), RNNBPTT_EFORMAT);
    /* Every size is now checked against the file's length: allocate what they describe. */
    cfg.threads = threads;
    float *state = NULL;
    st = rnnbptt_model_create(&cfg, m);
    if (st == RNNBPTT_OK && o && (h.flags & RB_FILE_HAS_OPTIM))
        st = rb_optim_restore(&oi, o, &state);
    RETURN_IF(st == RNNBPTT_EINVAL, RNNBPTT_EFORMAT); /* a configuration create refuses */
    RETURN_IF(st != RNNBPTT_OK, st);
    st = get_floats(s, (*m)->params, (*m)->n);
    if (st == RNNBPTT_OK)
        st = get_floats(s, state, (size_t)h.nstate);
    const uint32_t crc = rb_crc32_value(&s->crc);
    if (st == RNNBPTT_OK)
        st = get_bytes(s, hb, RB_FILE_TRAILER);
    return st != RNNBPTT_OK ? st : rb_get32(hb) != crc ? RNNBPTT_EFORMAT : RNNBPTT_OK;
}

rnnbptt_status rnnbptt_model_load(const char *path, int threads, rnnbptt_model **m,
                                  rnnbptt_optim **o)
{
    RETURN_IF(!path || !m || threads < 0 || threads > RNNBPTT_TEAM_MAX_THREADS, RNNBPTT_EINVAL);
    source s;
    s.fd = rb_open(path, O_RDONLY | O_CLOEXEC, 0);
    RETURN_IF(s.fd < 0, RNNBPTT_EIO);
    rnnbptt_model *md = NULL;
    rnnbptt_optim *op = NULL;
    rnnbptt_status st = load(&s, threads, &md, o ? &op : NULL);
    close(s.fd); /* read only: nothing to lose */
    if (st != RNNBPTT_OK) {
        rnnbptt_optim_destroy(op);
        rnnbptt_model_destroy(md);
        return st;
    }
    *m = md;
    if (o)
        *o = op;
    return RNNBPTT_OK;
}

rnnbptt_status rnnbptt_model_get_config(const rnnbptt_model *m, rnnbptt_model_config *cfg)
{
    RETURN_IF(!m || !cfg, RNNBPTT_EINVAL);
    *cfg = m->cfg;
    return RNNBPTT_OK;
}
