/* tbptt.c — truncated BPTT(k1, k2) over a stream (Williams & Peng 1990), as the header defines
 * it: per row, the state s at its window's start and up to K = k2 − k1 older input steps; each
 * call recomputes the window (older steps, then the k1 new ones) from s, scores the new steps
 * only, backpropagates through the whole window, then moves s and the older steps on.
 * Legend: L layers, B rows, H hidden, I input, O outputs, W = K + k1 the longest window. Row b's
 * window is left-aligned: its hist[b] older steps, then the k1 new steps (length hist[b] + k1). */
#include "train/train.h"

#include <stdint.h>
#include <string.h>

_Static_assert(sizeof(int) == sizeof(float), "ids share the float-sized steps of copy_steps");

enum { KIND_NONE, KIND_X, KIND_TOKENS };

struct rnnbptt_tbptt {
    rnnbptt_model *m;
    int B, k1, K, kind; /* kind: what the older steps hold */
    int *hist, *len, *from, *steps; /* [B] each */
    int *tok, *wtok, *wlab;         /* older tokens (K,B); the window's tokens and labels (W,B) */
    float *h, *c;                   /* (L,B,H) each: the state at each row's window start */
    float *x, *wx, *wtarget;        /* older x (K,B,I); the window's x (W,B,I), targets (W,B,O) */
};

/* Carves n floats-or-ints of the block at *at (64-byte steps); returns the piece. */
static void *take(char **at, size_t n)
{
    void *p = *at;
    *at += (n * sizeof(float) + 63) & ~(size_t)63;
    return p;
}

rnnbptt_status rnnbptt_tbptt_create(rnnbptt_model *m, int B, int k1, int k2, rnnbptt_tbptt **t)
{
    RETURN_IF(!m || !t || B < 1 || k1 < 1 || k2 < k1 || m->D != 1 ||
                  m->cfg.loss_at != RNNBPTT_LOSS_EVERY_STEP || !rb_dims_ok(k2, B),
              RNNBPTT_EINVAL);
    const size_t K = (size_t)(k2 - k1), W = (size_t)k2, Bz = (size_t)B;
    const size_t I = (size_t)m->cfg.input_size, O = (size_t)m->cfg.output_size;
    const size_t LBH = (size_t)m->cfg.num_layers * Bz * (size_t)m->cfg.hidden_size;
    size_t n[11] = {Bz, Bz, Bz, Bz, K * Bz, W * Bz, W * Bz, LBH, LBH, 0, 0}, wx = 0, bytes = 0;
    int ok = rb_add_prod(&n[9], K, Bz, I) && rb_add_prod(&n[10], W, Bz, I) &&
             rb_add_prod(&wx, W, Bz, O);
    for (int k = 0; ok && k < 11; k++)
        ok = rb_add_prod(&bytes, 1, n[k] + 16, 1);
    ok = ok && rb_add_prod(&bytes, 1, wx + 16, 1);
    RETURN_IF(!ok || bytes > ((size_t)PTRDIFF_MAX - 64 - sizeof(rnnbptt_tbptt)) / sizeof(float),
              RNNBPTT_EINVAL);
    rnnbptt_tbptt *tb = rb_calloc(1, sizeof *tb + 64 + bytes * sizeof(float));
    RETURN_IF(!tb, RNNBPTT_ENOMEM);
    char *at = (char *)(((uintptr_t)(tb + 1) + 63) & ~(uintptr_t)63);
    *tb = (rnnbptt_tbptt){.m = m, .B = B, .k1 = k1, .K = k2 - k1, .kind = KIND_NONE};
    tb->hist = take(&at, n[0]);
    tb->len = take(&at, n[1]);
    tb->from = take(&at, n[2]);
    tb->steps = take(&at, n[3]);
    tb->tok = take(&at, n[4]);
    tb->wtok = take(&at, n[5]);
    tb->wlab = take(&at, n[6]);
    tb->h = take(&at, n[7]);
    tb->c = take(&at, n[8]);
    tb->x = take(&at, n[9]);
    tb->wx = take(&at, n[10]);
    tb->wtarget = take(&at, wx);
    *t = tb;
    return RNNBPTT_OK;
}

void rnnbptt_tbptt_destroy(rnnbptt_tbptt *t) { rb_free(t); }

rnnbptt_status rnnbptt_tbptt_reset(rnnbptt_tbptt *t, int row)
{
    RETURN_IF(!t || row < -1 || row >= t->B, RNNBPTT_EINVAL);
    const int L = t->m->cfg.num_layers, H = t->m->cfg.hidden_size;
    rb_zero_rows(t->h, L, t->B, H, row);
    rb_zero_rows(t->c, L, t->B, H, row);
    for (int b = 0; b < t->B; b++)
        if (row < 0 || b == row)
            t->hist[b] = 0;
    return RNNBPTT_OK;
}

/* Copies W floats (or ints, as floats' bytes) per row: dst row (t, b) of a (·,B) array from src
 * row (s, b), for the n steps t = t0.., s = s0.. . */
static void copy_steps(void *dst, int t0, const void *src, int s0, int n, int b, int B, size_t W)
{
    for (int k = 0; k < n; k++)
        memcpy((char *)dst + (((size_t)(t0 + k) * (size_t)B + (size_t)b) * W) * sizeof(float),
               (const char *)src + (((size_t)(s0 + k) * (size_t)B + (size_t)b) * W) * sizeof(float),
               W * sizeof(float));
}

/* Builds row b's window in the scratch: older steps, the k1 new ones, nothing scored before. */
static void build_row(rnnbptt_tbptt *t, const rnnbptt_batch *bt, int b, int xent)
{
    const int B = t->B, h = t->hist[b], k1 = t->k1;
    const size_t I = (size_t)t->m->cfg.input_size, O = (size_t)t->m->cfg.output_size;
    if (bt->x) {
        copy_steps(t->wx, 0, t->x, 0, h, b, B, I);
        copy_steps(t->wx, h, bt->x, 0, k1, b, B, I);
    } else {
        copy_steps(t->wtok, 0, t->tok, 0, h, b, B, 1);
        copy_steps(t->wtok, h, bt->tokens, 0, k1, b, B, 1);
    }
    if (xent)
        copy_steps(t->wlab, h, bt->labels, 0, k1, b, B, 1);
    else
        copy_steps(t->wtarget, h, bt->targets, 0, k1, b, B, O);
    t->len[b] = h + k1;
    t->from[b] = h;
}

rnnbptt_status rnnbptt_tbptt_step(rnnbptt_tbptt *t, const rnnbptt_batch *batch, double *loss)
{
    RETURN_IF(!t || !batch || batch->T != t->k1 || batch->B != t->B || batch->lengths,
              RNNBPTT_EINVAL);
    rnnbptt_model *m = t->m;
    RETURN_IF(!rb_batch_ok(m, batch, 1), RNNBPTT_EINVAL);
    const int B = t->B, kind = batch->x ? KIND_X : KIND_TOKENS;
    int W = t->k1;
    for (int b = 0; b < B; b++) {
        RETURN_IF(t->hist[b] && t->kind != kind, RNNBPTT_EINVAL);
        W = t->hist[b] + t->k1 > W ? t->hist[b] + t->k1 : W;
    }
    const int xent = m->cfg.loss == RNNBPTT_LOSS_SOFTMAX_XENT;
    const size_t I = (size_t)m->cfg.input_size, WB = (size_t)W * (size_t)B;
    /* the window's rows past each length: finite x, token 0, no label (never scored anyway) */
    if (batch->x)
        memset(t->wx, 0, WB * I * sizeof(float));
    else
        memset(t->wtok, 0, WB * sizeof(int));
    for (size_t r = 0; xent && r < WB; r++)
        t->wlab[r] = -1;
    for (int b = 0; b < B; b++)
        build_row(t, batch, b, xent);
    const int lstm = m->cfg.cell == RNNBPTT_LSTM;
    const rb_net_call c = {W,      B,       t->len,  batch->x ? t->wx : NULL,
                           batch->x ? NULL : t->wtok, xent ? NULL : t->wtarget,
                           xent ? t->wlab : NULL,     t->from, t->h, lstm ? t->c : NULL,
                           NULL,   NULL};
    rnnbptt_status st = rb_net_run(m, &c, loss, NULL);
    RETURN_IF(st != RNNBPTT_OK, st);
    /* move on: keep the last min(len, K) steps; s becomes the state just before them */
    for (int b = 0; b < B; b++) {
        const int keep = t->len[b] < t->K ? t->len[b] : t->K;
        t->steps[b] = t->len[b] - keep - 1; /* −1: the window keeps every step, s stays */
        if (batch->x)
            copy_steps(t->x, 0, t->wx, t->len[b] - keep, keep, b, B, I);
        else
            copy_steps(t->tok, 0, t->wtok, t->len[b] - keep, keep, b, B, 1);
        t->hist[b] = keep;
    }
    t->kind = kind;
    rb_net_states_at(m, W, B, t->steps, t->h, lstm ? t->c : NULL);
    return RNNBPTT_OK;
}
