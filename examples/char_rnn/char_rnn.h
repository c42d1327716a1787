/* char_rnn.h — the parts of examples/char_rnn (Karpathy's min-char-rnn on rnnbptt) and what they
 * share: the text and its vocabulary, the options, the training run's state.
 *   main.c        flags, set-up, the training loop, the summary
 *   text.c        the text, its sorted byte vocabulary, the streams' windows
 *   checkpoint.c  --save and --resume: the model file plus the training-state sidecar
 *   sample.c      sampling text from the model */
#ifndef CHAR_RNN_H
#define CHAR_RNN_H

#include <rnnbptt.h>
#include <stddef.h>
#include <stdint.h>

#include "../common.h"

#define CR_PROG "char_rnn"

/* The text as token ids: bytes, the vocabulary the sorted set of bytes present (V <= 256). */
typedef struct {
    unsigned char *bytes;  /* [n] the file */
    int *ids;              /* [n] ids[i] = the vocabulary index of bytes[i] */
    size_t n;
    int V;
    unsigned char sym[256]; /* sym[id] = its byte */
    uint64_t hash;          /* FNV-1a 64 of the bytes: a resumed run checks it is the same text */
} cr_text;

/* The options; the flag table in main.c fills them. */
typedef struct {
    const char *text, *save, *resume, *trace_csv;
    int hidden, layers, window, batch, iters, threads, sample_every;
    int cell; /* an rnnbptt_cell: --cell's choices tanh, relu, lstm, gru are in its order */
    double lr, clip, temperature;
    uint64_t seed;
} cr_opts;

/* Everything a run carries from one iteration to the next besides the model and the optimizer:
 * what --save writes to the sidecar. */
typedef struct {
    int64_t iter;        /* iterations done */
    double smooth_loss;  /* 0.999·s + 0.001·loss per stream, from −log(1/V)·window */
    rnnbptt_rng rng;     /* sampling's generator */
    size_t *pos;         /* [B] each stream's offset in the text: its next window starts there */
    float *h, *c;        /* (L,B,H) the carried state, copied in and out of an rnnbptt_state;
                            c for LSTM only (else NULL) */
} cr_run;

/* text.c */
/* Loads path; on a missing, unreadable, empty or too short (fewer than window + 2 bytes) file
 * it exits with status 2 and a message. */
void cr_text_load(cr_text *t, const char *path, int window);
void cr_text_free(cr_text *t);
/* Stream b's first offset for B streams: b·⌊n/B⌋. */
size_t cr_stream_start(const cr_text *t, int b, int B);
/* Fills tokens and labels (T,B) for the streams at pos[B], after wrapping each stream that has
 * no full window left (pos + T + 1 >= n: back to 0, its state row reset, as min-char-rnn does).
 * Returns RNNBPTT_OK or the state reset's status. */
rnnbptt_status cr_windows(const cr_text *t, int T, int B, size_t *pos, rnnbptt_state *st,
                          int *tokens, int *labels);

/* checkpoint.c */
/* Writes path (rnnbptt_model_save: model and optimizer) and path.train (the sidecar, below) from
 * run and the state st. Returns 0, or prints why and returns -1. */
int cr_save(const char *path, const rnnbptt_model *m, const rnnbptt_optim *o,
            const rnnbptt_state *st, cr_run *run, const cr_opts *op, const cr_text *t);
/* Loads path and path.train into *m, *o and run (allocating run's arrays) and sets op's model,
 * optimizer and stream options from them, after checking that they fit the text and that every
 * such option given on the command line (flags[n]) has the saved value; exits with status 2 if
 * not. */
void cr_resume(const char *path, rnnbptt_model **m, rnnbptt_optim **o, cr_run *run, cr_opts *op,
               const ex_flag *flags, int n, const cr_text *t);

/* sample.c */
/* n bytes sampled from the model (softmax of logits / temperature), starting from row 0 of the
 * training state h (and c) and the byte at stream 0's position, written to out[n + 1]
 * (NUL-terminated), drawing from run->rng. Uses its own B = 1 state; the training state is
 * untouched. */
rnnbptt_status cr_sample(rnnbptt_model *m, const cr_text *t, cr_run *run, int B,
                         double temperature, int n, char *out);

#endif /* CHAR_RNN_H */
