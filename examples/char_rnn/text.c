/* text.c — char_rnn's text: bytes as tokens, the sorted vocabulary, the streams' windows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "char_rnn.h"

void cr_text_load(cr_text *t, const char *path, int window)
{
    memset(t, 0, sizeof *t);
    t->bytes = ex_read_file(path, &t->n);
    if (!t->bytes)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--text %s: %s", path, strerror(errno));
    if (t->n == 0)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--text %s: the file is empty", path);
    if (t->n < (size_t)window + 2)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--text %s: %zu bytes, a window of %d needs at least %d",
               path, t->n, window, window + 2);
    int id[256], present[256] = {0};
    for (size_t i = 0; i < t->n; i++)
        present[t->bytes[i]] = 1;
    for (int c = 0; c < 256; c++)
        if (present[c]) {
            id[c] = t->V;
            t->sym[t->V++] = (unsigned char)c;
        }
    t->ids = malloc(t->n * sizeof *t->ids);
    if (!t->ids)
        ex_die(EX_EXIT_FAIL, CR_PROG, "out of memory for %zu bytes of text", t->n);
    uint64_t hash = 0xcbf29ce484222325u; /* FNV-1a 64 */
    for (size_t i = 0; i < t->n; i++) {
        t->ids[i] = id[t->bytes[i]];
        hash = (hash ^ t->bytes[i]) * 0x100000001b3u;
    }
    t->hash = hash;
}

void cr_text_free(cr_text *t)
{
    free(t->bytes);
    free(t->ids);
    memset(t, 0, sizeof *t);
}

size_t cr_stream_start(const cr_text *t, int b, int B) { return (size_t)b * (t->n / (size_t)B); }

rnnbptt_status cr_windows(const cr_text *t, int T, int B, size_t *pos, rnnbptt_state *st,
                          int *tokens, int *labels)
{
    for (int b = 0; b < B; b++) {
        if (pos[b] + (size_t)T + 1 >= t->n) {
            pos[b] = 0;
            rnnbptt_status s = rnnbptt_state_reset(st, b);
            if (s != RNNBPTT_OK)
                return s;
        }
        const int *src = t->ids + pos[b];
        for (int k = 0; k < T; k++) {
            tokens[k * B + b] = src[k];
            labels[k * B + b] = src[k + 1];
        }
    }
    return RNNBPTT_OK;
}
