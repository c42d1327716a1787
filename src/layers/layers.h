/* layers.h — the private header of src/layers/: the recurrent cells, their shared time loop and
 * weight gradients, the dense layer and the losses, and the public entry points for them.
 * Files here may include src/exec/ and src/util/ (and call the BLAS through exec/blas.h). */
#ifndef RNNBPTT_LAYERS_H
#define RNNBPTT_LAYERS_H

#include "exec/exec.h"
#include "util/util.h"

#include <math.h>

/* ---- dims.c: the sizes of a layer call, derived once at the entry point ---- */

/* Sizes of one layer call, derived once at the entry point. All counts are in floats. */
typedef struct {
    rnnbptt_cell cell;
    int T, B, I, H;
    int G;       /* gates: 1, 4, 3 */
    int GH;      /* G*H, the width of one gate row */
    int TB;      /* T*B, rows of the hoisted GEMMs */
    size_t n_params, n_reserve, n_work;
    rnnbptt_team *team; /* the team this call holds (rb_team_acquire), or NULL */
} rb_dims;

/* Fill d from (L, T, B); 0 when the layer or sizes are invalid or overflow. */
int rb_dims_init(rb_dims *d, const rnnbptt_layer *L, int T, int B);

/* ---- recur.c: what every cell shares ---- */


/* Offsets into the flat parameter vector (floats). */
typedef struct {
    const float *Wx; /* (G*H, I) */
    const float *Wh; /* (G*H, H) */
    const float *bx; /* (G*H)    */
    const float *bh; /* (G*H) GRU only, else NULL */
} rb_params;
typedef struct {
    float *Wx, *Wh, *bx, *bh;
} rb_grads;
void rb_carve(const rb_dims *d, const float *params, rb_params *p);
void rb_carve_grads(const rb_dims *d, float *dparams, rb_grads *g);

/* 1 if sequence b is still running at step t. */
static inline int rb_active(const int *lengths, int b, int t) { return !lengths || t < lengths[b]; }
/* 1 if step t is sequence b's last step. */
static inline int rb_last(const int *lengths, int T, int b, int t)
{
    return t == (lengths ? lengths[b] : T) - 1;
}

/* 1 if a call with d->team set runs its time loop as the batch split (rb_time_loop). */
int rb_batch_split(const rb_dims *d);

/* At a forward's entry, the twin of rb_bwd_prepare: the team the forward uses, after reserving
 * its kernel's scratch and making W_xᵀ and W_hᵀ (at B = 1 only for long calls: b1_panels in
 * recur.c: rb_b1_panels) in the team's buffer; NULL when team is NULL or that buffer cannot be allocated (the
 * forward then runs without the team). */
rnnbptt_team *rb_fwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh);

/* At a backward's entry: the team the backward uses, after reserving its kernel's scratch and
 * copying, as panel matrices into the team's buffer, W_x if with_dx (for dx) and W_h (at B = 1
 * only for long calls); NULL when team is NULL or that buffer cannot be allocated (the backward
 * then runs without the team). */
rnnbptt_team *rb_bwd_prepare(rnnbptt_team *team, const rb_dims *d, const float *Wx,
                             const float *Wh, int with_dx);

/* The context of a step's element-wise pass over rows (rb_exec_rows): the call's arguments
 * (rb_fwd_args or rb_bwd_args), the step, and the step's rows of the buffer the pass works in. */
typedef struct {
    const void *args;
    int t;
    float *rows;
} rb_pass;

/* One step t of a cell's time loop on rows b0..b1-1 of the batch: its W_h product and its
 * element-wise pass, each run through ex (rb_step_fwd/rb_step_bwd and rb_exec_rows). */
typedef void (*rb_step_fn)(const void *ctx, int t, int b0, int b1, rb_exec ex);

/* The time loop of a call, t = 0..T-1 (reverse: T-1..0), as step(ctx, t, b0, b1, ex): with the
 * whole batch per step (b0 = 0, b1 = B; the call's team, if any, splitting each product and each
 * pass); or, on a team where rb_batch_split says so, as one team job in which each thread runs
 * every step on its own rows of the batch (rows are independent across a layer's steps), with no
 * meeting between the steps. */
void rb_time_loop(const rb_dims *d, int reverse, rb_step_fn step, const void *ctx);

/* The input side of a call: x (T,B,I), or tokens (T,B), ids in 0..I-1 read only at active steps
 * (one-hot inputs), with the call's lengths. */
typedef struct {
    const float *x;
    const int *tokens;
    const int *lengths;
} rb_input;

/* out (TB, GH), rows ldo apart, = X · W_xᵀ + b_x: rb_project of x, or for tokens the gather of
 * W_x's column tokens[t,b] plus b_x (b_x alone at inactive steps), never a GEMM on one-hot rows. */
void rb_input_proj(const rb_dims *d, const rb_input *in, const rb_params *p, float *out, int ldo);

/* After the time loop, with dG (T,B,G*H) the pre-activation gradients of all steps on the input
 * side and dGh those on the recurrent side (the same buffer except for GRU):
 *   dWx += dGᵀ X   dWh += dGh_{2..T}ᵀ H_{1..T-1} + dGh_1ᵀ h0   db += Σ dG   dbh += Σ dGh (if dbh)
 *   dx = dG Wx (if dx).  Each is one GEMM over all T*B rows: the BLAS's, or with d->team the
 *   team's kernel. With tokens, dW_x's GEMM becomes the scatter-add dW_x[:, tokens[t,b]] += dG[t,b] over the active steps, in row
 * order, and dx must be NULL. */
void rb_input_grads(const rb_dims *d, const rb_input *in, const float *h0, const float *h,
                    const float *dG, const float *dGh, const float *Wx, const rb_grads *g,
                    float *dx);


/* ---- activations: branch-free so the compiler vectorizes the fused gate passes ---- */

/* tanh as a 13/6-degree rational interpolant (the coefficients of Eigen's
 * generic_fast_tanh_float) with two selects after it: ±1 for |x| >= RB_TANH_ONE, where the
 * interpolant would overshoot 1 (by up to 2 ulp on [8.05, 9)), and x itself for
 * |x| < RB_TANH_TINY, where float tanh(x) rounds to x (the interpolant's relative error is
 * 1.7e-7 there, and up to 1 on subnormals, whose product with its coefficients underflows).
 * Guaranteed for every float x, and checked at all 2^32 of them against double tanh by
 * tests/test_activation.c: |rb_tanh(x)| <= 1 (so 1 - h² >= 0), rb_tanh(-x) == -rb_tanh(x), NaN
 * in gives NaN out (both comparisons are false for NaN, so the interpolant's NaN comes out), and
 * the error bounds RB_TANH_ABS and RB_TANH_REL. Branch-free, and fabsf and copysignf compile to
 * bit operations (GCC and Clang, optimizing), so the fused element-wise passes vectorize it.
 * The interpolant is evaluated at every x, also where a select then discards its value
 * (Inf/Inf = NaN for |x| > 1.8e19, subnormal intermediates below 1e-19): the library is built
 * with -fno-trapping-math and promises nothing about FP exception flags. */
#define RB_TANH_TINY 0x1p-12f /* rb_tanh(x) = x below this |x| */
#define RB_TANH_ONE 8.0f      /* rb_tanh(x) = ±1 exactly from this |x| on */
#define RB_TANH_ABS 4.2e-7f   /* |rb_tanh(x) - tanh(x)| for every x */
#define RB_TANH_REL 4.2e-7f   /* |rb_tanh(x) - tanh(x)| / |tanh(x)| for every x != 0 */
static inline float rb_tanh(float x)
{
    const float ax = fabsf(x), x2 = x * x;
    float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    float r = x * p / q;
    r = ax >= RB_TANH_ONE ? copysignf(1.0f, x) : r; /* two statements: GCC emits fewer blends */
    return ax < RB_TANH_TINY ? x : r;
}

/* σ(x) = ½ + ½ rb_tanh(x/2): in [0, 1] for every float x (rounding ½ + ½t for t in [-1, 1] stays
 * in [0, 1]), exactly 1 for x >= 2·RB_TANH_ONE and 0 for x <= -2·RB_TANH_ONE; NaN propagates;
 * absolute error RB_SIGM_ABS, checked with rb_tanh's. Near σ = 0 only that absolute bound holds
 * (σ(-16) = 1.1e-7 comes out as 0). */
#define RB_SIGM_ABS 2.3e-7f /* |rb_sigm(x) - 1/(1 + exp(-x))| for every x */
static inline float rb_sigm(float x) { return 0.5f + 0.5f * rb_tanh(0.5f * x); }

/* ---- one forward / backward per cell family; arguments already validated ---- */
typedef struct {
    const rb_dims *d;
    rb_params p;
    const int *lengths;
    const float *x, *h0, *c0;
    float *h, *hT, *cT, *reserve;
    const int *tokens; /* (T,B) one-hot inputs instead of x, or NULL (rb_input) */
} rb_fwd_args;

typedef struct {
    const rb_dims *d;
    rb_params p;
    rb_grads g;
    const int *lengths;
    const float *x, *h0, *c0, *h, *reserve, *dh, *dhT, *dcT;
    float *dx, *dh0, *dc0, *work;
    const int *tokens; /* as in rb_fwd_args; dx is then NULL */
    double *trace;     /* (T,B): ‖total dL/dh_t‖² of each active row, or NULL (rb_trace_row) */
} rb_bwd_args;

void rb_rnn_forward(const rb_fwd_args *a);
void rb_rnn_backward(const rb_bwd_args *a);
void rb_lstm_forward(const rb_fwd_args *a);
void rb_lstm_backward(const rb_bwd_args *a);
void rb_gru_forward(const rb_fwd_args *a);
void rb_gru_backward(const rb_bwd_args *a);

/* The upstream rows entering step t of sequence b (each NULL when absent): dh_t[b], and dhT[b] /
 * dcT[b] at the sequence's last step. Called only for active steps, so dh past a length is never
 * read. */
typedef struct {
    const float *dh, *dhT, *dcT;
} rb_upstream;
static inline rb_upstream rb_upstream_at(const rb_bwd_args *a, int t, int b)
{
    const size_t H = (size_t)a->d->H, B = (size_t)a->d->B;
    const int last = rb_last(a->lengths, a->d->T, b, t);
    rb_upstream u = {a->dh ? a->dh + ((size_t)t * B + (size_t)b) * H : NULL,
                     last && a->dhT ? a->dhT + (size_t)b * H : NULL,
                     last && a->dcT ? a->dcT + (size_t)b * H : NULL};
    return u;
}

/* With a->trace set, the squared norm of g (H), the total dL/dh_t of row b (rb_gather_dh's),
 * into trace[t·B + b]; rows at inactive steps are not written. */
static inline void rb_trace_row(const rb_bwd_args *a, int t, int b, const float *g)
{
    if (!a->trace)
        return;
    double s = 0.0;
    for (int j = 0; j < a->d->H; j++)
        s += (double)g[j] * g[j];
    a->trace[(size_t)t * (size_t)a->d->B + (size_t)b] = s;
}

/* g (H) = (fresh ? 0 : g) + dh_t[b] + dhT[b]: the total dL/dh entering step t of sequence b, in
 * place in the carried-gradient row g. Separate simple loops on purpose: a NULL test inside one
 * fused loop is if-converted into masked loads, which are several times slower on AMD. */
static inline void rb_gather_dh(float *g, const float *dh_row, const float *dhT_row, int fresh,
                                int H)
{
    if (fresh)
        for (int j = 0; j < H; j++)
            g[j] = 0.0f;
    if (dh_row)
        for (int j = 0; j < H; j++)
            g[j] += dh_row[j];
    if (dhT_row)
        for (int j = 0; j < H; j++)
            g[j] += dhT_row[j];
}

/* ---- loss.c: one row of each loss, in double (the kernel losses and the model's head) ---- */

/* ½ Σ_k (y_k − target_k)² over D columns; dy = y − target, or dy NULL. */
double rb_mse_row(int D, const float *y, const float *target, float *dy);
/* log Σ exp(z) over C columns (max-subtracted, in double), and p = softmax(z) (p may be z, or
 * NULL: not wanted). */
double rb_softmax_row(int C, const float *z, float *p);
/* −log softmax(z)[label] over C columns (max-subtracted, in double); dz = softmax − onehot, or
 * dz NULL. label < 0: 0, and dz zero. */
double rb_xent_row(int C, const float *z, int label, float *dz);

/* ---- layer.c: the entry the model (src/train/) calls, past the public validation ---- */

/* rnnbptt_forward and rnnbptt_backward_work with the input side `in` (x or tokens; tokens make dx
 * NULL), the arguments already validated by the caller except the layer and sizes (EINVAL). A
 * NULL reserve (forward) or work (backward) is allocated for the call (ENOMEM). trace: (T,B)
 * doubles, each active row's ‖total dL/dh_t‖² (rb_trace_row), or NULL. */
rnnbptt_status rb_layer_forward(const rnnbptt_layer *L, const float *params, int T, int B,
                                const rb_input *in, const float *h0, const float *c0, float *h,
                                float *hT, float *cT, float *reserve);
rnnbptt_status rb_layer_backward(const rnnbptt_layer *L, const float *params, int T, int B,
                                 const rb_input *in, const float *h0, const float *c0,
                                 const float *h, const float *reserve, const float *dh,
                                 const float *dhT, const float *dcT, float *dparams, float *dx,
                                 float *dh0, float *dc0, float *work, double *trace);

/* Where the LSTM's cell states C (T,B,H) start in its reserve (floats): after the gates. */
static inline size_t rb_lstm_cells_at(int T, int B, int H) { return (size_t)T * B * 4 * H; }

#endif /* RNNBPTT_LAYERS_H */
