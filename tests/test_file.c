/* test_file.c — model files (rnnbptt_model_save, rnnbptt_model_load; docs/model-format.md).
 *
 * Checked:
 *   - the CRC-32 against zlib's check value, and the documented layout: magic, version, counts at
 *     their offsets, the length 136 + 4·n + 4·k·n + 4, the trailer the CRC of every byte before;
 *   - save → load round-trips bit for bit, for four configurations (every cell, stacked,
 *     bidirectional, both losses and loss positions) × no optimizer and every optimizer kind
 *     stepped three times: configuration, parameters (NaN payload, −0, Inf included), kind, all
 *     seven hyperparameters (the ones the kind ignores too, a NaN among them), step count and
 *     moments; the loaded optimizer's next step equals the original's bitwise; saving the
 *     loaded pair rewrites the same bytes; load with o NULL skips the optimizer (allocates only
 *     the model), a file without one sets *o to NULL;
 *   - every truncation length and every single flipped bit of a file with an optimizer give
 *     EFORMAT; so do a wrong magic, a newer (and a zero) version, unknown flags, an unknown
 *     enum, inflated or inconsistent counts, invalid hyperparameters, optimizer fields without
 *     an optimizer, a byte appended, each with the CRC made right so that the check under test
 *     is the one that fires; every rejection of the header allocates nothing at all
 *     (rb_fault_get().allocs == 0), a CRC mismatch frees all it allocated;
 *   - EIO for a missing file, a directory, an unreadable file (not as root: root reads it
 *     anyway), a missing directory to save into; every I/O operation of a load failed in turn
 *     (rb_io_fault_arm) gives EIO; every allocation failed in turn gives ENOMEM;
 *   - every I/O operation of a save failed in turn (the temporary file's open, each write, its
 *     fsync, close, the rename, the directory's open, fsync, close): EIO, no temporary file
 *     left, and before the rename the old file byte-identical and loadable, after it the new;
 *   - the saved file's mode is 0666 & ~umask for two umasks, also over a 0600 file;
 *   - invalid arguments give EINVAL with nothing written or created;
 * and on every error *m and *o are untouched (a sentinel) and the allocation balance is back. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, umask, opendir */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rnnbptt.h"
#include "train/train.h" /* the model's and optimizer's insides, rb_fault_*, rb_io_*, rb_crc32 */

/* What *m and *o hold before a call that must leave them untouched. */
#define MARK_M ((rnnbptt_model *)(uintptr_t)0xA5A5A5A5u)
#define MARK_O ((rnnbptt_optim *)(uintptr_t)0x5A5A5A5Au)
enum { KINDS = RNNBPTT_ADAMW + 1, NO_OPTIM = -1 };

static char dir[256];    /* this run's directory, made by setup */
static char path[320];   /* dir/model.bin */

static const rnnbptt_model_config CONFIGS[] = {
    {RNNBPTT_RNN_TANH, 3, 4, 1, 0, 2, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP, 0},
    {RNNBPTT_LSTM, 5, 3, 2, 1, 4, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_LAST_STEP, 0},
    {RNNBPTT_GRU, 2, 5, 3, 0, 3, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_EVERY_STEP, 0},
    {RNNBPTT_RNN_RELU, 4, 2, 2, 1, 1, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_LAST_STEP, 0},
};

/* ---- helpers ------------------------------------------------------------------------------ */

static uint32_t rng = 12345u;
static float frand(void) /* in (−1, 1) */
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((double)(rng >> 8) / (1 << 23) - 1.0);
}

static float bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* A model of cfg with random parameters. */
static rnnbptt_model *model_of(const rnnbptt_model_config *cfg)
{
    rnnbptt_model *m = NULL;
    assert_int_equal(rnnbptt_model_create(cfg, &m), RNNBPTT_OK);
    float *p = rnnbptt_model_params(m);
    for (size_t i = 0; i < rnnbptt_model_param_count(m); i++)
        p[i] = frand();
    return m;
}

/* An optimizer of `kind` for m, stepped three times (its moments non-zero), the fields its kind
 * ignores set to odd values (one a NaN with a payload); NULL for NO_OPTIM. Then a few special
 * parameters: a NaN with a payload, −0, +Inf. */
static rnnbptt_optim *optim_of(int kind, rnnbptt_model *m)
{
    rnnbptt_optim *o = NULL;
    if (kind != NO_OPTIM) {
        rnnbptt_optim_config c = rnnbptt_optim_defaults((rnnbptt_optim_kind)kind, 0.01);
        c.weight_decay = 1e-3;
        double *ignored[] = {&c.momentum, &c.alpha, &c.beta1, &c.beta2, &c.eps};
        const double odd[] = {0.123, -7.5, 1e300, NAN, 42};
        for (int i = 0; i < 5; i++)
            if (*ignored[i] == 0)
                *ignored[i] = odd[i];
        if (kind == RNNBPTT_SGD) /* SGD ignores eps: a NaN with a payload, bit for bit */
            memcpy(&c.eps, &(uint64_t){0x7FF8000000C0FFEEull}, 8);
        size_t n = rnnbptt_model_param_count(m);
        assert_int_equal(rnnbptt_optim_create(&c, n, &o), RNNBPTT_OK);
        float *g = malloc(n * sizeof *g);
        for (int t = 0; t < 3; t++) {
            for (size_t i = 0; i < n; i++)
                g[i] = frand();
            assert_int_equal(rnnbptt_optim_step(o, rnnbptt_model_params(m), g), RNNBPTT_OK);
        }
        free(g);
    }
    float *p = rnnbptt_model_params(m);
    p[0] = bits(0x7FC01234u);
    p[1] = -0.0f;
    p[2] = INFINITY;
    return o;
}

/* buf[320] = dir/name */
static void in_dir(char *buf, const char *name) { snprintf(buf, 320, "%s/%s", dir, name); }

static unsigned char *slurp(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*len + 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void spit(const char *file, const unsigned char *b, size_t len)
{
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* The CRC of b[0 .. len−5] stored in its last 4 bytes (a file edited and made consistent). */
static void fix_crc(unsigned char *b, size_t len)
{
    rb_crc32 c;
    rb_crc32_init(&c);
    rb_crc32_update(&c, b, len - 4);
    rb_put32(b + len - 4, rb_crc32_value(&c));
}

/* The names in dir other than model.bin (a temporary file left behind would be one). */
static int strays(void)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int k = 0;
    for (struct dirent *e; (e = readdir(d));)
        k += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "model.bin");
    closedir(d);
    return k;
}

/* Loads `file` (o given): expect status st; on an error *m, *o untouched and the allocation
 * balance back. Returns the allocations the call tried. */
static long load_expect(const char *file, rnnbptt_status st)
{
    rnnbptt_model *m = MARK_M;
    rnnbptt_optim *o = MARK_O;
    long live = rb_fault_get().live;
    rb_fault_arm(-1, -1);
    assert_int_equal(rnnbptt_model_load(file, 0, &m, &o), st);
    long allocs = rb_fault_get().allocs;
    if (st == RNNBPTT_OK) {
        rnnbptt_optim_destroy(o);
        rnnbptt_model_destroy(m);
    } else {
        assert_ptr_equal(m, MARK_M);
        assert_ptr_equal(o, MARK_O);
    }
    assert_int_equal(rb_fault_get().live, live);
    return allocs;
}

/* The loaded pair equals the saved one bit for bit (threads aside), the gradients +0. */
static void assert_same(rnnbptt_model *a, rnnbptt_optim *oa, rnnbptt_model *b, rnnbptt_optim *ob)
{
    rnnbptt_model_config ca, cb;
    assert_int_equal(rnnbptt_model_get_config(a, &ca), RNNBPTT_OK);
    assert_int_equal(rnnbptt_model_get_config(b, &cb), RNNBPTT_OK);
    cb.threads = ca.threads; /* not in the file: the loader's */
    assert_memory_equal(&ca, &cb, sizeof ca); /* nine ints and enums: no padding */
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->params, b->params, a->n * sizeof(float));
    for (size_t i = 0; i < b->n; i++)
        assert_true(b->grads[i] == 0 && !signbit(b->grads[i]));
    assert_true((oa == NULL) == (ob == NULL));
    if (!oa)
        return;
    const float *sa, *sb;
    rb_optim_info ia = rb_optim_info_of(oa, &sa), ib = rb_optim_info_of(ob, &sb);
    assert_int_equal(ia.cfg.kind, ib.cfg.kind);
    double *fa[] = {&ia.cfg.lr, &ia.cfg.momentum, &ia.cfg.alpha, &ia.cfg.beta1, &ia.cfg.beta2,
                    &ia.cfg.eps, &ia.cfg.weight_decay};
    double *fb[] = {&ib.cfg.lr, &ib.cfg.momentum, &ib.cfg.alpha, &ib.cfg.beta1, &ib.cfg.beta2,
                    &ib.cfg.eps, &ib.cfg.weight_decay};
    for (int i = 0; i < 7; i++)
        assert_memory_equal(fa[i], fb[i], sizeof(double));
    assert_true(ia.n == ib.n && ia.k == ib.k && ia.t == ib.t && ia.t == 3);
    assert_memory_equal(sa, sb, ia.k * ia.n * sizeof(float));
}

/* ---- the format ---------------------------------------------------------------------------- */

static void crc32_is_zlibs(void **state)
{
    (void)state;
    rb_crc32 c;
    rb_crc32_init(&c);
    rb_crc32_update(&c, "123456789", 9);
    assert_int_equal(rb_crc32_value(&c), 0xCBF43926u); /* the CRC-32/ISO-HDLC check value */
    rb_crc32_init(&c);
    rb_crc32_update(&c, "1234", 4);
    rb_crc32_update(&c, "56789", 5);
    assert_int_equal(rb_crc32_value(&c), 0xCBF43926u);
    rb_crc32_init(&c);
    assert_int_equal(rb_crc32_value(&c), 0);
}

static uint64_t get64(const unsigned char *b) { return rb_get32(b) | (uint64_t)rb_get32(b + 4) << 32; }

/* The documented offsets, read back from a saved file. */
static void layout_is_documented(void **state)
{
    (void)state;
    rnnbptt_model *m = model_of(&CONFIGS[1]);
    rnnbptt_optim *o = optim_of(RNNBPTT_ADAM, m);
    assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_OK);
    size_t len, n = m->n;
    unsigned char *b = slurp(path, &len);
    assert_memory_equal(b, "RNNBPTTM", 8);
    assert_int_equal(rb_get32(b + 8), 1);  /* version */
    assert_int_equal(rb_get32(b + 12), 1); /* flags: an optimizer */
    const uint32_t conf[8] = {RNNBPTT_LSTM, 5, 3, 2, 1, 4, RNNBPTT_LOSS_SOFTMAX_XENT,
                              RNNBPTT_LOSS_LAST_STEP};
    for (int i = 0; i < 8; i++)
        assert_int_equal(rb_get32(b + 16 + 4 * i), conf[i]);
    assert_int_equal(get64(b + 48), n);
    assert_int_equal(rb_get32(b + 56), RNNBPTT_ADAM);
    assert_int_equal(rb_get32(b + 60), 2);
    assert_int_equal(get64(b + 64), 3); /* steps */
    uint64_t lr = get64(b + 72);
    double d;
    memcpy(&d, &lr, 8);
    assert_true(d == 0.01);
    assert_int_equal(get64(b + 128), 2 * n);
    assert_int_equal(len, 136 + 4 * n + 4 * 2 * n + 4);
    uint32_t p3;
    memcpy(&p3, &m->params[3], 4);
    assert_int_equal(rb_get32(b + 136 + 4 * 3), p3); /* little-endian float32 bits */
    float p1;
    memcpy(&p1, &(uint32_t){rb_get32(b + 136 + 4 * 1)}, 4);
    assert_true(p1 == 0 && signbit(p1)); /* params[1] = −0 */
    unsigned char c[4];
    memcpy(c, b + len - 4, 4);
    fix_crc(b, len);
    assert_memory_equal(c, b + len - 4, 4);
    free(b);
    rnnbptt_optim_destroy(o);
    rnnbptt_model_destroy(m);
}

/* ---- round trips --------------------------------------------------------------------------- */

static void round_trips_bitwise(void **state)
{
    (void)state;
    char again[320];
    in_dir(again, "again.bin");
    for (size_t c = 0; c < sizeof CONFIGS / sizeof *CONFIGS; c++)
        for (int kind = NO_OPTIM; kind < KINDS; kind++) {
            rnnbptt_model *m = model_of(&CONFIGS[c]), *m2 = MARK_M;
            rnnbptt_optim *o = optim_of(kind, m), *o2 = MARK_O;
            assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_OK);
            assert_int_equal(rnnbptt_model_load(path, 0, &m2, &o2), RNNBPTT_OK);
            assert_same(m, o, m2, o2);
            /* the loaded pair saves to the same bytes */
            assert_int_equal(rnnbptt_model_save(m2, o2, again), RNNBPTT_OK);
            size_t la, lb;
            unsigned char *a = slurp(path, &la), *b = slurp(again, &lb);
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, la);
            free(a);
            free(b);
            unlink(again);
            if (o) { /* the same next step, bit for bit (the NaN, Inf parameters put back) */
                size_t n = m->n;
                float *g = malloc(n * sizeof *g);
                for (size_t i = 0; i < n; i++)
                    g[i] = frand();
                memset(m->params, 0, 3 * sizeof(float));
                memset(m2->params, 0, 3 * sizeof(float));
                assert_int_equal(rnnbptt_optim_step(o, m->params, g), RNNBPTT_OK);
                assert_int_equal(rnnbptt_optim_step(o2, m2->params, g), RNNBPTT_OK);
                assert_memory_equal(m->params, m2->params, n * sizeof(float));
                free(g);
            }
            rnnbptt_optim_destroy(o2);
            rnnbptt_model_destroy(m2);
            rnnbptt_optim_destroy(o);
            rnnbptt_model_destroy(m);
        }
}

/* o NULL at load: the file's optimizer is skipped, only the model allocated; a file without an
 * optimizer sets *o to NULL; threads at load are the loader's. */
static void optimizer_optional(void **state)
{
    (void)state;
    rnnbptt_model *m = model_of(&CONFIGS[0]), *m2 = NULL;
    rnnbptt_optim *o = optim_of(RNNBPTT_ADAM, m), *o2 = MARK_O;
    assert_int_equal(rnnbptt_model_save(m, NULL, path), RNNBPTT_OK);
    long model_only = load_expect(path, RNNBPTT_OK);
    assert_int_equal(rnnbptt_model_load(path, 0, &m2, &o2), RNNBPTT_OK);
    assert_null(o2);
    assert_same(m, NULL, m2, NULL);
    rnnbptt_model_destroy(m2);

    assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_OK);
    rb_fault_arm(-1, -1);
    assert_int_equal(rnnbptt_model_load(path, 0, &m2, NULL), RNNBPTT_OK);
    assert_int_equal(rb_fault_get().allocs, model_only); /* no optimizer */
    assert_same(m, NULL, m2, NULL);
    rnnbptt_model_destroy(m2);
    assert_int_equal(rnnbptt_model_load(path, 2, &m2, NULL), RNNBPTT_OK);
    rnnbptt_model_config cfg;
    assert_int_equal(rnnbptt_model_get_config(m2, &cfg), RNNBPTT_OK);
    assert_int_equal(cfg.threads, 2);
    assert_non_null(m2->team);
    assert_same(m, NULL, m2, NULL);
    rnnbptt_model_destroy(m2);
    rnnbptt_optim_destroy(o);
    rnnbptt_model_destroy(m);
}

/* ---- defects of the content ---------------------------------------------------------------- */

/* A small model with Adam, saved: its bytes (caller frees); scratch[320] set to dir/name. */
static unsigned char *saved_file(size_t *len, char *scratch, const char *name)
{
    in_dir(scratch, name);
    rnnbptt_model *m = model_of(&CONFIGS[0]);
    rnnbptt_optim *o = optim_of(RNNBPTT_ADAM, m);
    assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_OK);
    rnnbptt_optim_destroy(o);
    rnnbptt_model_destroy(m);
    return slurp(path, len);
}

static void every_truncation(void **state)
{
    (void)state;
    size_t len;
    char cut[320];
    unsigned char *b = saved_file(&len, cut, "cut.bin");
    for (size_t k = 0; k < len; k++) {
        spit(cut, b, k);
        load_expect(cut, RNNBPTT_EFORMAT);
    }
    spit(cut, b, len);
    load_expect(cut, RNNBPTT_OK);
    unlink(cut);
    free(b);
}

/* Every single bit of the file flipped, one at a time (every region: header, parameters,
 * moments, trailer): EFORMAT. A flip in the header is caught before anything is allocated or
 * by the CRC; one in the data by the CRC, with everything allocated freed. */
static void every_bit_flip(void **state)
{
    (void)state;
    size_t len;
    char bad[320];
    unsigned char *b = saved_file(&len, bad, "flip.bin");
    for (size_t i = 0; i < len; i++)
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            spit(bad, b, len);
            load_expect(bad, RNNBPTT_EFORMAT);
            b[i] ^= (unsigned char)(1u << bit);
        }
    unlink(bad);
    free(b);
}

/* One edit of the header (a 32- or 64-bit field set), the CRC made right: EFORMAT and no
 * allocation at all. */
typedef struct {
    const char *what;
    size_t at;
    int wide;
    uint64_t value;
} edit;

static void crafted_headers(void **state)
{
    (void)state;
    const edit edits[] = {
        {"magic", 0, 0, 0x42424E52u},
        {"version 2 (newer)", 8, 0, 2},
        {"version 0", 8, 0, 0},
        {"unknown flag", 12, 0, 3},
        {"no optimizer flag, optimizer fields set", 12, 0, 0},
        {"cell", 16, 0, 4},
        {"input size 0", 20, 0, 0},
        {"hidden size 2^31", 24, 0, 0x80000000u},
        {"hidden size 1000 (sizes past the file)", 24, 0, 1000},
        {"layers 2^31 - 1", 28, 0, 0x7FFFFFFFu},
        {"bidirectional 2", 32, 0, 2},
        {"output size 0", 36, 0, 0},
        {"loss", 40, 0, 2},
        {"loss_at", 44, 0, 2},
        {"n inflated", 48, 1, 1ull << 40},
        {"n one more", 48, 1, 0},
        {"kind", 56, 0, 7},
        {"moments", 60, 0, 1},
        {"lr negative", 72, 1, 0xBFF0000000000000ull},
        {"beta1 = 1", 72 + 3 * 8, 1, 0x3FF0000000000000ull},
        {"eps NaN", 72 + 5 * 8, 1, 0x7FF8000000000000ull},
        {"moment count inflated", 128, 1, 1ull << 62},
    };
    size_t len;
    char bad[320];
    unsigned char *orig = saved_file(&len, bad, "crafted.bin");
    unsigned char *b = malloc(len + 1);
    for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
        memcpy(b, orig, len);
        uint64_t v = edits[e].value;
        if (!strcmp(edits[e].what, "n one more"))
            v = rb_get32(b + 48) + 1ull;
        rb_put32(b + edits[e].at, (uint32_t)v);
        if (edits[e].wide)
            rb_put32(b + edits[e].at + 4, (uint32_t)(v >> 32));
        fix_crc(b, len);
        spit(bad, b, len);
        print_message("%s\n", edits[e].what);
        assert_int_equal(load_expect(bad, RNNBPTT_EFORMAT), 0);
    }
    /* sizes consistent with each other but not with the file: a large H, a huge L (and n, k·n to
     * match, for CONFIGS[0], a unidirectional RNN_TANH: k(in) = H·in + H² + H per layer) */
    const uint64_t shapes[][2] = {{1000, 1}, {4, 0x7FFFFFFFu}, {46340, 1}};
    for (size_t e = 0; e < 3; e++) {
        const uint64_t H = shapes[e][0], L = shapes[e][1], I = 3, O = 2;
        const uint64_t n = (H * I + H * H + H) + (L - 1) * (H * H + H * H + H) + O * (H + 1);
        memcpy(b, orig, len);
        rb_put32(b + 24, (uint32_t)H);
        rb_put32(b + 28, (uint32_t)L);
        rb_put32(b + 48, (uint32_t)n);
        rb_put32(b + 52, (uint32_t)(n >> 32));
        rb_put32(b + 128, (uint32_t)(2 * n));
        rb_put32(b + 132, (uint32_t)(2 * n >> 32));
        fix_crc(b, len);
        spit(bad, b, len);
        assert_int_equal(load_expect(bad, RNNBPTT_EFORMAT), 0);
    }
    /* a byte appended (the CRC made right over all but the last 4 bytes) */
    memcpy(b, orig, len);
    b[len] = 0;
    fix_crc(b, len + 1);
    spit(bad, b, len + 1);
    assert_int_equal(load_expect(bad, RNNBPTT_EFORMAT), 0);
    /* the CRC wrong only: the sizes were right, so the model was allocated, then freed */
    memcpy(b, orig, len);
    b[len - 1] ^= 1;
    spit(bad, b, len);
    assert_true(load_expect(bad, RNNBPTT_EFORMAT) > 0);
    unlink(bad);
    free(b);
    free(orig);
}

/* ---- the operating system's failures ------------------------------------------------------- */

static void io_errors(void **state)
{
    (void)state;
    char name[320];
    in_dir(name, "missing.bin");
    load_expect(name, RNNBPTT_EIO);
    load_expect(dir, RNNBPTT_EIO); /* a directory */
    rnnbptt_model *m = model_of(&CONFIGS[0]);
    in_dir(name, "no/such/dir/model.bin");
    assert_int_equal(rnnbptt_model_save(m, NULL, name), RNNBPTT_EIO);
    in_dir(name, "locked.bin");
    assert_int_equal(rnnbptt_model_save(m, NULL, name), RNNBPTT_OK);
    assert_int_equal(chmod(name, 0), 0);
    if (geteuid() != 0) /* root reads a mode-0 file anyway */
        load_expect(name, RNNBPTT_EIO);
    else
        print_message("running as root: the unreadable-file case is not checked\n");
    unlink(name);
    rnnbptt_model_destroy(m);
}

/* Every I/O operation of a load failed in turn: EIO; every allocation: ENOMEM. */
static void load_faults(void **state)
{
    (void)state;
    size_t len;
    char unused[320];
    free(saved_file(&len, unused, "unused"));
    rb_io_fault_arm(-1);
    load_expect(path, RNNBPTT_OK);
    const long ops = rb_io_ops(), allocs = load_expect(path, RNNBPTT_OK);
    assert_true(ops >= 4); /* open, fstat, reads */
    for (long k = 0; k < ops; k++) {
        rb_io_fault_arm(k);
        load_expect(path, RNNBPTT_EIO);
    }
    rb_io_fault_arm(-1);
    for (long k = 0; k < allocs; k++) {
        rnnbptt_model *m = MARK_M;
        rnnbptt_optim *o = MARK_O;
        long live = rb_fault_get().live;
        rb_fault_arm(k, -1);
        assert_int_equal(rnnbptt_model_load(path, 0, &m, &o), RNNBPTT_ENOMEM);
        assert_ptr_equal(m, MARK_M);
        assert_ptr_equal(o, MARK_O);
        assert_int_equal(rb_fault_get().live, live);
    }
    rb_fault_arm(-1, -1);
}

/* Every I/O operation of a save failed in turn, over an existing file. The model is large
 * enough for several writes (n > 8 KiB of floats). */
static void save_faults(void **state)
{
    (void)state;
    const rnnbptt_model_config big = {RNNBPTT_LSTM, 20, 24, 1, 0, 5, RNNBPTT_LOSS_MSE,
                                      RNNBPTT_LOSS_EVERY_STEP, 0};
    rnnbptt_model *old = model_of(&big), *m = model_of(&big);
    rnnbptt_optim *o = optim_of(RNNBPTT_RMSPROP, m);
    assert_int_equal(rnnbptt_model_save(old, NULL, path), RNNBPTT_OK);
    size_t old_len, new_len;
    unsigned char *old_bytes = slurp(path, &old_len);
    rb_io_fault_arm(-1);
    assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_OK);
    const long ops = rb_io_ops();
    unsigned char *new_bytes = slurp(path, &new_len);
    /* open, >= 3 writes, fsync, close, rename, then the directory's open, fsync, close */
    assert_true(ops >= 10);
    const long rename_op = ops - 4;
    for (long k = 0; k < ops; k++) {
        spit(path, old_bytes, old_len);
        rb_io_fault_arm(k);
        assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_EIO);
        rb_io_fault_arm(-1);
        assert_int_equal(strays(), 0);
        size_t len;
        unsigned char *now = slurp(path, &len);
        if (k <= rename_op) {
            assert_int_equal(len, old_len);
            assert_memory_equal(now, old_bytes, len);
        } else {
            assert_int_equal(len, new_len);
            assert_memory_equal(now, new_bytes, len);
        }
        free(now);
        load_expect(path, RNNBPTT_OK);
    }
    /* ENOMEM: its one allocation (the names) */
    rb_fault_arm(0, -1);
    assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_ENOMEM);
    rb_fault_arm(-1, -1);
    assert_int_equal(strays(), 0);
    free(old_bytes);
    free(new_bytes);
    rnnbptt_optim_destroy(o);
    rnnbptt_model_destroy(m);
    rnnbptt_model_destroy(old);
}

/* The mode of a new file and of one saved over a 0600 file: 0666 & ~umask. */
static void mode_is_fopens(void **state)
{
    (void)state;
    rnnbptt_model *m = model_of(&CONFIGS[0]);
    const mode_t masks[] = {022, 027};
    for (int i = 0; i < 2; i++) {
        mode_t before = umask(masks[i]);
        unlink(path);
        assert_int_equal(rnnbptt_model_save(m, NULL, path), RNNBPTT_OK);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0666 & ~masks[i]);
        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(rnnbptt_model_save(m, NULL, path), RNNBPTT_OK);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0666 & ~masks[i]);
        umask(before);
    }
    rnnbptt_model_destroy(m);
}

static void invalid_arguments(void **state)
{
    (void)state;
    rnnbptt_model *m = model_of(&CONFIGS[0]), *m2 = MARK_M;
    rnnbptt_optim *o = NULL, *o2 = MARK_O;
    rnnbptt_optim_config oc = rnnbptt_optim_defaults(RNNBPTT_ADAM, 0.1);
    assert_int_equal(rnnbptt_optim_create(&oc, m->n + 1, &o), RNNBPTT_OK);
    unlink(path);
    assert_int_equal(rnnbptt_model_save(NULL, NULL, path), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_save(m, NULL, NULL), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_save(m, NULL, ""), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_save(m, o, path), RNNBPTT_EINVAL); /* another n */
    assert_int_equal(strays(), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(rnnbptt_model_save(m, NULL, path), RNNBPTT_OK);
    assert_int_equal(rnnbptt_model_load(NULL, 0, &m2, &o2), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_load(path, 0, NULL, &o2), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_load(path, -1, &m2, &o2), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_load(path, RNNBPTT_TEAM_MAX_THREADS + 1, &m2, &o2),
                     RNNBPTT_EINVAL);
    assert_ptr_equal(m2, MARK_M);
    assert_ptr_equal(o2, MARK_O);
    rnnbptt_model_config cfg;
    assert_int_equal(rnnbptt_model_get_config(NULL, &cfg), RNNBPTT_EINVAL);
    assert_int_equal(rnnbptt_model_get_config(m, NULL), RNNBPTT_EINVAL);
    rnnbptt_optim_destroy(o);
    rnnbptt_model_destroy(m);
}

/* ---- a directory of this run's own ---------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/rnnbptt-file-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    in_dir(path, "model.bin");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_is_zlibs),      cmocka_unit_test(layout_is_documented),
        cmocka_unit_test(round_trips_bitwise), cmocka_unit_test(optimizer_optional),
        cmocka_unit_test(every_truncation),    cmocka_unit_test(every_bit_flip),
        cmocka_unit_test(crafted_headers),     cmocka_unit_test(io_errors),
        cmocka_unit_test(load_faults),         cmocka_unit_test(save_faults),
        cmocka_unit_test(mode_is_fopens),      cmocka_unit_test(invalid_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
