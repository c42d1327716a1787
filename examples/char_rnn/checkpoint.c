/* checkpoint.c — char_rnn's --save and --resume: the model file (rnnbptt_model_save: the model and
 * the Adagrad optimizer) and beside it FILE.train, the training state, as text:
 *
 *   char_rnn-train 1                  magic and version (a reader rejects any other)
 *   text_bytes N  text_fnv1a64 X      the text's length and FNV-1a 64 hash (hex): the same text
 *   cell C  hidden H  layers L  window W  streams B  lr R  clip K  seed S
 *   iter N  smooth_loss D             iterations done; the smoothed loss (hex float)
 *   rng A B C D                       the sampling generator's four words (hex)
 *   pos P0 .. P(B-1)                  each stream's offset in the text
 *   h  L·B·H hex floats               the carried state (L,B,H) as rnnbptt_state_get gives it
 *   c  L·B·H hex floats               LSTM only
 *   end
 *
 * Tokens are separated by white space (one line per item, the state H values a line). Every real
 * number is a C99 hex float (%a), so a resumed run starts from bitwise the same state and repeats
 * the losses of an uninterrupted one. Each of the two files is written atomically, the model file
 * first; a resume checks that the sidecar describes the model file's sizes. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "char_rnn.h"

enum { CR_TRAIN_VERSION = 1 };

static const char *const cell_names[] = {"tanh", "relu", "lstm", "gru", NULL};

/* path + ".train", malloc'ed. */
static char *sidecar_path(const char *path)
{
    size_t n = strlen(path);
    char *p = malloc(n + 7);
    if (p)
        memcpy(p, path, n), memcpy(p + n, ".train", 7);
    return p;
}

static void put_floats(FILE *f, const char *key, const float *v, size_t rows, int H)
{
    fprintf(f, "%s\n", key);
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < H; j++)
            fprintf(f, "%a%c", (double)v[r * (size_t)H + (size_t)j], j + 1 < H ? ' ' : '\n');
}

int cr_save(const char *path, const rnnbptt_model *m, const rnnbptt_optim *o,
            const rnnbptt_state *st, cr_run *run, const cr_opts *op, const cr_text *t)
{
    rnnbptt_status s = rnnbptt_state_get(st, run->h, run->c);
    if (s == RNNBPTT_OK)
        s = rnnbptt_model_save(m, o, path);
    if (s != RNNBPTT_OK) {
        fprintf(stderr, "%s: --save %s: %s\n", CR_PROG, path, rnnbptt_strerror(s));
        return -1;
    }
    char *buf = NULL, *side = sidecar_path(path);
    size_t len = 0;
    FILE *f = side ? open_memstream(&buf, &len) : NULL;
    if (!f) {
        fprintf(stderr, "%s: --save %s: out of memory\n", CR_PROG, path);
        free(side);
        return -1;
    }
    fprintf(f, "char_rnn-train %d\n", CR_TRAIN_VERSION);
    fprintf(f, "text_bytes %zu\ntext_fnv1a64 %016" PRIx64 "\n", t->n, t->hash);
    fprintf(f, "cell %s\nhidden %d\nlayers %d\nwindow %d\nstreams %d\n", cell_names[op->cell],
            op->hidden, op->layers, op->window, op->batch);
    fprintf(f, "lr %a\nclip %a\nseed %" PRIu64 "\n", op->lr, op->clip, op->seed);
    fprintf(f, "iter %" PRId64 "\nsmooth_loss %a\n", run->iter, run->smooth_loss);
    fprintf(f, "rng %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\npos",
            run->rng.s[0], run->rng.s[1], run->rng.s[2], run->rng.s[3]);
    for (int b = 0; b < op->batch; b++)
        fprintf(f, " %zu", run->pos[b]);
    fputc('\n', f);
    const size_t rows = (size_t)op->layers * (size_t)op->batch;
    put_floats(f, "h", run->h, rows, op->hidden);
    if (run->c)
        put_floats(f, "c", run->c, rows, op->hidden);
    fprintf(f, "end\n");
    int bad = fclose(f) != 0 || !buf;
    if (bad || ex_write_atomic(side, buf, len) != 0) {
        fprintf(stderr, "%s: --save %s: %s\n", CR_PROG, side, bad ? "out of memory" : strerror(errno));
        bad = 1;
    }
    free(buf);
    free(side);
    return bad ? -1 : 0;
}

/* ---- reading the sidecar: a cursor over its white-space separated tokens ---- */

typedef struct {
    char *p;          /* the next unread character */
    const char *file; /* for messages */
} reader;

static char *token(reader *r)
{
    while (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r')
        r->p++;
    if (!*r->p)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s ends too early", r->file);
    char *tok = r->p;
    while (*r->p && *r->p != ' ' && *r->p != '\n' && *r->p != '\t' && *r->p != '\r')
        r->p++;
    if (*r->p)
        *r->p++ = 0;
    return tok;
}

static void expect(reader *r, const char *key)
{
    const char *tok = token(r);
    if (strcmp(tok, key) != 0)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: '%s' where '%s' belongs", r->file, tok, key);
}

static uint64_t u64(reader *r, int base)
{
    const char *tok = token(r);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(tok, &end, base);
    if (*end || end == tok || errno || tok[0] == '-')
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: '%s' is not a count", r->file, tok);
    return (uint64_t)v;
}

static double real(reader *r)
{
    const char *tok = token(r);
    char *end;
    double v = strtod(tok, &end);
    if (*end || end == tok)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: '%s' is not a number", r->file, tok);
    return v;
}

/* key, then a count that must lie in lo..hi. */
static uint64_t count(reader *r, const char *key, uint64_t lo, uint64_t hi)
{
    expect(r, key);
    uint64_t v = u64(r, 10);
    if (v < lo || v > hi)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: %s %" PRIu64 " is outside %" PRIu64
               "..%" PRIu64, r->file, key, v, lo, hi);
    return v;
}

/* The saved value of an option; a value given on the command line must equal it. */
static void adopt_int(const ex_flag *flags, int n, const char *flag, int *opt, int saved)
{
    const ex_flag *f = ex_flag_named(flags, n, flag);
    if (f && f->given && *opt != saved)
        ex_die(EX_EXIT_USAGE, CR_PROG, "%s %d: the run being resumed has %d", flag, *opt, saved);
    *opt = saved;
}

static void adopt_real(const ex_flag *flags, int n, const char *flag, double *opt, double saved)
{
    const ex_flag *f = ex_flag_named(flags, n, flag);
    if (f && f->given && *opt != saved)
        ex_die(EX_EXIT_USAGE, CR_PROG, "%s %g: the run being resumed has %g", flag, *opt, saved);
    *opt = saved;
}

void cr_resume(const char *path, rnnbptt_model **m, rnnbptt_optim **o, cr_run *run, cr_opts *op,
               const ex_flag *flags, int n, const cr_text *t)
{
    char *side = sidecar_path(path);
    size_t len;
    char *buf = side ? (char *)ex_read_file(side, &len) : NULL;
    if (!buf)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: %s", side ? side : path,
               side ? strerror(errno) : "out of memory");
    reader r = {buf, side};
    expect(&r, "char_rnn-train");
    if (u64(&r, 10) != CR_TRAIN_VERSION)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: not version %d", side, CR_TRAIN_VERSION);
    expect(&r, "text_bytes");
    uint64_t bytes = u64(&r, 10);
    expect(&r, "text_fnv1a64");
    if (bytes != t->n || u64(&r, 16) != t->hash)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s was trained on another text than --text",
               side);
    expect(&r, "cell");
    const char *cell = token(&r);
    int k = 0;
    while (cell_names[k] && strcmp(cell_names[k], cell) != 0)
        k++;
    if (!cell_names[k])
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: unknown cell '%s'", side, cell);
    adopt_int(flags, n, "--cell", &op->cell, k);
    adopt_int(flags, n, "--hidden", &op->hidden, (int)count(&r, "hidden", 1, 1 << 20));
    adopt_int(flags, n, "--layers", &op->layers, (int)count(&r, "layers", 1, 1 << 10));
    adopt_int(flags, n, "--window", &op->window, (int)count(&r, "window", 1, t->n - 2));
    adopt_int(flags, n, "--batch", &op->batch, (int)count(&r, "streams", 1, 1 << 20));
    expect(&r, "lr");
    adopt_real(flags, n, "--lr", &op->lr, real(&r));
    expect(&r, "clip");
    adopt_real(flags, n, "--clip", &op->clip, real(&r));
    expect(&r, "seed");
    uint64_t seed = u64(&r, 10);
    const ex_flag *fs = ex_flag_named(flags, n, "--seed");
    if (fs && fs->given && op->seed != seed)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--seed %" PRIu64 ": the run being resumed has %" PRIu64,
               op->seed, seed);
    op->seed = seed;

    rnnbptt_status s = rnnbptt_model_load(path, op->threads, m, o);
    if (s != RNNBPTT_OK)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume %s: %s", path, rnnbptt_strerror(s));
    rnnbptt_model_config cfg;
    rnnbptt_model_get_config(*m, &cfg);
    if (!*o || (int)cfg.cell != op->cell || cfg.hidden_size != op->hidden ||
        cfg.num_layers != op->layers || cfg.input_size != t->V || cfg.output_size != t->V ||
        cfg.bidirectional || cfg.loss != RNNBPTT_LOSS_SOFTMAX_XENT ||
        cfg.loss_at != RNNBPTT_LOSS_EVERY_STEP)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s is not the char_rnn model %s describes",
               path, side);

    expect(&r, "iter");
    run->iter = (int64_t)u64(&r, 10);
    expect(&r, "smooth_loss");
    run->smooth_loss = real(&r);
    expect(&r, "rng");
    for (int w = 0; w < 4; w++)
        run->rng.s[w] = u64(&r, 16);
    const int B = op->batch, lstm = op->cell == RNNBPTT_LSTM;
    const size_t nh = (size_t)op->layers * (size_t)B * (size_t)op->hidden;
    run->pos = malloc(sizeof(size_t) * (size_t)B);
    run->h = malloc(sizeof(float) * nh * (size_t)(1 + lstm));
    if (!run->pos || !run->h)
        ex_die(EX_EXIT_FAIL, CR_PROG, "out of memory");
    run->c = lstm ? run->h + nh : NULL;
    expect(&r, "pos");
    for (int b = 0; b < B; b++) {
        uint64_t p = u64(&r, 10);
        if (p >= t->n)
            ex_die(EX_EXIT_USAGE, CR_PROG, "--resume: %s: position %" PRIu64 " past the text",
                   side, p);
        run->pos[b] = (size_t)p;
    }
    expect(&r, "h");
    for (size_t i = 0; i < nh; i++)
        run->h[i] = (float)real(&r);
    if (lstm) {
        expect(&r, "c");
        for (size_t i = 0; i < nh; i++)
            run->c[i] = (float)real(&r);
    }
    expect(&r, "end");
    free(buf);
    free(side);
}
