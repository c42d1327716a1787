/* train.h — the private header of src/train/: the training layer (models of stacked layers,
 * optimizers, clipping, initialization, model files), built on the layers below it.
 * Files here may include src/layers/, src/exec/ and src/util/; nothing of src/mpi/. */
#ifndef RNNBPTT_TRAIN_H
#define RNNBPTT_TRAIN_H

#include "layers/layers.h"

#include <stdint.h>

/* ---- guard.c ---- */
/* 1 if g[0..n-1] holds a NaN or an Inf. */
int rb_any_nonfinite(const float *g, size_t n);

/* ---- optim.c: what model files (file.c) read and restore of an optimizer ---- */

/* An optimizer's configuration, parameter count, moment buffers (k of n floats each) and steps. */
typedef struct {
    rnnbptt_optim_config cfg;
    size_t n, k;
    uint64_t t;
} rb_optim_info;
/* The number of moment buffers kind keeps (0, 1 or 2); -1 for an unknown kind. */
int rb_optim_moments(rnnbptt_optim_kind kind);
/* 1 if rnnbptt_optim_create would accept cfg (a known kind, every field it reads in range). */
int rb_optim_config_ok(const rnnbptt_optim_config *cfg);
/* o's info; *state set to its k·n floats of moments. */
rb_optim_info rb_optim_info_of(const rnnbptt_optim *o, const float **state);
/* rnnbptt_optim_create(&info->cfg, info->n, o), then its step count set to info->t and *state to
 * its k·n moments (zero) for the caller to fill. Its statuses; nothing written on an error. */
rnnbptt_status rb_optim_restore(const rb_optim_info *info, rnnbptt_optim **o, float **state);

/* ---- model.c: the model object ---- */

struct rnnbptt_model {
    rnnbptt_model_config cfg;
    int D;              /* directions: 1 + bidirectional */
    int DH;             /* D·H, a layer's output width */
    rnnbptt_team *team; /* owned, or NULL */
    rnnbptt_layer *layer; /* [L·D], layer l direction d at l·D + d */
    size_t *off;        /* [L·D] the offset of its parameters in the flat buffers */
    size_t head, n;     /* the head's offset; all floats */
    float *params, *grads;
    double *trace;      /* the caller's gradient-norm trace (L·D, trace_T), or NULL */
    int trace_T;
    void *arena;        /* the call scratch (net.c), grown as needed, kept */
    size_t arena_bytes;
};

/* The input width of layer l. */
static inline int rb_layer_in(const rnnbptt_model *m, int l)
{
    return l ? m->DH : m->cfg.input_size;
}

/* ---- format.c: the model file's header (docs/model-format.md); file.c does the I/O ---- */

#define RB_FILE_VERSION 1u   /* the newest format version this reader knows; the one written */
#define RB_FILE_HAS_OPTIM 1u /* flags bit 0: an optimizer follows the parameters */
enum { RB_FILE_HEADER = 136, RB_FILE_TRAILER = 4, RB_FILE_CONFIG_FIELDS = 8, RB_FILE_HYPERS = 7 };

/* The header, decoded. conf: cell, I, H, L, bidirectional, O, loss, loss_at; n parameters;
 * kind, k moment buffers, t steps, hyper the bits of lr, momentum, alpha, beta1, beta2, eps,
 * weight_decay, nstate = k·n moments (all zero without an optimizer). */
typedef struct {
    uint32_t version, flags, conf[RB_FILE_CONFIG_FIELDS], kind, k;
    uint64_t n, t, hyper[RB_FILE_HYPERS], nstate;
} rb_file_header;

static inline void rb_put32(unsigned char *b, uint32_t v) /* little-endian */
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> 8 * i);
}
static inline uint32_t rb_get32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The header of m and, unless oi is NULL, its optimizer: written to b[RB_FILE_HEADER], and
 * returned. */
rb_file_header rb_file_header_put(unsigned char *b, const rnnbptt_model *m,
                                  const rb_optim_info *oi);
/* 1 if b[RB_FILE_HEADER] is a header this reader knows (magic, a version it knows, known flags
 * and enums), consistent in itself (counts that the configuration gives, optimizer fields zero
 * without an optimizer, hyperparameters rnnbptt_optim_create accepts) and with a file of `bytes`
 * bytes; then *h, *cfg (threads 0) and, with an optimizer, *oi are what it holds. */
int rb_file_header_get(const unsigned char *b, uint64_t bytes, rb_file_header *h,
                       rnnbptt_model_config *cfg, rb_optim_info *oi);

/* ---- net.c: one call through the stack, head and loss ---- */

/* A call of the stack, validated by its caller: batch's sizes, lengths (NULL = all T), x or
 * tokens, the loss's targets or labels; from [B] the first step with a loss term per row (NULL:
 * 0; TBPTT's older steps have none); h0, c0 (L,B,H) the initial states (NULL: zeros); hT, cT
 * (L,B,H) WRITTEN with each row's states after its last step (NULL: not wanted). */
typedef struct {
    int T, B;
    const int *lengths;
    const float *x;
    const int *tokens;
    const float *targets;
    const int *labels;
    const int *from;
    const float *h0, *c0;
    float *hT, *cT;
} rb_net_call;

/* Training (outputs NULL): forward, loss, backward; gradients accumulated, *loss written (or
 * NULL), and m->trace filled when set. Inference (outputs set): the head's values into outputs.
 * Allocates (grows m->arena) before it writes anything: RNNBPTT_OK, RNNBPTT_EINVAL (sizes that
 * overflow; a training call longer than m->trace_T while the trace is set) or RNNBPTT_ENOMEM. */
rnnbptt_status rb_net_run(rnnbptt_model *m, const rb_net_call *c, double *loss, float *outputs);

/* ---- plan.c: where a call's buffers sit in the model's arena ---- */

/* Where a layer's pieces sit in its block of the arena (floats from the block's start). */
typedef struct {
    size_t h[2], res[2]; /* h (T,B,H) and the reserve of each direction */
    size_t rin;          /* the reversed input (T,B,Il), or reversed tokens (T,B) for l = 0 */
    size_t Y;            /* the output [h_fwd, h_rev] (T,B,2H) (D = 2) */
    size_t size;
} rb_layer_plan;

/* The arena of a call (floats from its start): layer 0's block, then blocks of layers 1..L-1,
 * then the call's shared pieces. */
typedef struct {
    rb_layer_plan lay[2];           /* layer 0, every layer above */
    size_t res;                     /* inference: one reserve for every layer */
    size_t Z, dZ, ylast, dylast;    /* the head: logits (N,O) and gradient; last-step rows */
    size_t dY[2], dh[2], dxr, work; /* backward: ping-pong dL/dY, dh per direction, reversed dx */
    size_t hT, cT;                  /* (L,B,H) each: the states after each row's last step */
    size_t sq;                      /* (T,B) doubles: the trace's squared row norms */
    size_t floats;
} rb_plan;

/* Plans the arena of a call of (T, B) (training or inference; state_out: states written back);
 * 0 when a size overflows. */
int rb_plan_call(const rnnbptt_model *m, int T, int B, int state_out, int train, rb_plan *p);

/* After a training rb_net_run of m: the states of every layer at step steps[b] of row b, (L,B,H)
 * h and c (LSTM; else c untouched) WRITTEN for the rows with steps[b] >= 0 (others untouched). */
void rb_net_states_at(const rnnbptt_model *m, int T, int B, const int *steps, float *h,
                      float *c);

/* ---- head.c: the dense head and the loss ---- */

/* The head's scratch: logits Z and their gradient dZ (N,O); for LOSS_LAST_STEP the top output's
 * last-step rows ylast and their gradient dylast (B,DH). */
typedef struct {
    float *Z, *dZ, *ylast, *dylast;
} rb_head_scratch;

/* Training: the head and the loss over the top layer's output Y (T,B,DH): returns the sum of the
 * loss terms; dW_y and db_y accumulated; dY (T,B,DH) WRITTEN (zero where no term reaches). */
double rb_head_train(rnnbptt_model *m, const rb_net_call *c, const float *Y,
                     const rb_head_scratch *hs, float *dY);
/* Inference: the head's values into out, (T,B,O) zero past each length, or (B,O) at each
 * sequence's last step (ylast (B,DH) scratch). */
void rb_head_predict(const rnnbptt_model *m, const rb_net_call *c, const float *Y, float *ylast,
                     float *out);

/* ---- state.c ---- */

/* Zeros row `row` (−1: every row) of each of L consecutive (B,H) blocks at s. */
void rb_zero_rows(float *s, int L, int B, int H, int row);
/* 1 if batch is a valid call of m, with the x/tokens, targets/labels (train: 1) checks. */
int rb_batch_ok(const rnnbptt_model *m, const rnnbptt_batch *batch, int train);

#endif /* RNNBPTT_TRAIN_H */
