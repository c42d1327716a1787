/* rnnbptt.h — the public API of librnnbptt: RNN / LSTM / GRU forward passes and exact BPTT on CBLAS.
 *
 * Legend (used in every shape below)
 *   T  time steps            B  batch size           I  input size (L->input_size)
 *   H  hidden size           G  gates per cell: 1 (RNN_TANH, RNN_RELU), 4 (LSTM), 3 (GRU)
 *   N  rows of a dense layer / loss
 * All tensors are float32, row-major and densely packed. Sequences are time-major:
 * x is (T,B,I), h is (T,B,H); element x[t][b][i] is at x[(t*B + b)*I + i].
 *
 * Conventions shared by every function
 *   - Every function validates all of its arguments before it writes anything. On an error it
 *     returns the status and every output is left byte-identical.
 *   - Outputs must not overlap each other or any input (not checked). Inputs are only read, so
 *     several threads may share params, x, ... ; the library has no global mutable state.
 *   - Weight gradients (dparams, dW, db) are ACCUMULATED: g += dL/dθ, so minibatches and
 *     truncated-BPTT windows add up. Everything else (h, dx, dh0, dy, loss, ...) is WRITTEN.
 *   - Optional inputs may be NULL and then mean zeros; optional outputs may be NULL and are then
 *     not computed.
 *   - The library never prints, exits or aborts, and never changes process-wide state (the BLAS
 *     thread count, floating-point modes): those are the application's to set. NaN and Inf in the
 *     data propagate like any arithmetic; they are not an error for the kernels.
 *   - Dimensions that CBLAS receives are int: a call whose T*B, G*H or any product CBLAS would see
 *     does not fit in an int is rejected with RNNBPTT_EINVAL, never wrapped.
 *   - Determinism: the bits of every output depend on the arguments and on these factors only:
 *     the team (none, or its number of threads: a call runs on a team only where
 *     rnnbptt_team_used says so), the BLAS's kernel (OpenBLAS picks one per CPU, or as
 *     OPENBLAS_CORETYPE says) and its thread count, and the instruction set the library picks
 *     on this CPU (one of three x86-64 levels; docs/performance.md). With all of them
 *     fixed, repeating a call gives bitwise the same outputs. Changing one changes only float
 *     rounding (sums in another order, fused multiply-adds).
 */
#ifndef RNNBPTT_H
#define RNNBPTT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version: the one place it is defined (CMake parses these three lines) ---- */
#define RNNBPTT_VERSION_MAJOR 0
#define RNNBPTT_VERSION_MINOR 3
#define RNNBPTT_VERSION_PATCH 0
#define RNNBPTT_VERSION_NUMBER \
    (RNNBPTT_VERSION_MAJOR * 10000 + RNNBPTT_VERSION_MINOR * 100 + RNNBPTT_VERSION_PATCH)

#if defined(RNNBPTT_BUILDING) && defined(__GNUC__)
#define RNNBPTT_API __attribute__((visibility("default")))
#else
#define RNNBPTT_API
#endif

/** "MAJOR.MINOR.PATCH" of the library actually linked (may differ from the header's macros). */
RNNBPTT_API const char *rnnbptt_version_string(void);

/* ---- status codes ----------------------------------------------------------------------- */
/* X-macro: the enum and rnnbptt_strerror() are generated from this one table. */
#define RNNBPTT_STATUS_MAP(XX)                                                                  \
    XX(OK, "success")                                                                           \
    XX(EINVAL, "invalid argument: a required pointer is NULL, a size is not positive or "       \
               "overflows, a length is outside 1..T, a label is >= C, or the cell is unknown")  \
    XX(ENOMEM, "out of memory: the library could not allocate what the call needs")            \
    XX(ENONFINITE, "a non-finite value (NaN or Inf) was found where a finite one is required")  \
    XX(EIO, "input/output error while reading or writing a file")                              \
    XX(EFORMAT, "malformed data: the file or buffer is not in the expected format")            \
    XX(ETHREAD, "the system refused to create a thread (or its mutex) for an rnnbptt_team")     \
    XX(ECONVERGE, "LAPACK's iteration did not converge")

typedef enum {
#define RNNBPTT_STATUS_ENUM_(name, msg) RNNBPTT_##name,
    RNNBPTT_STATUS_MAP(RNNBPTT_STATUS_ENUM_)
#undef RNNBPTT_STATUS_ENUM_
} rnnbptt_status;

/** A one-sentence explanation of s; never NULL (an unknown value gives "unknown status"). */
RNNBPTT_API const char *rnnbptt_strerror(rnnbptt_status s);

/* ---- teams: the caller's explicit pool of threads (optional) ------------------------------ */

/** An opaque pool of threads, created by the caller, that runs a layer call's work in parallel.
 *  A layer whose `team` is set runs a call on it where the sizes suit it (rnnbptt_team_used says
 *  where; never in a build by a compiler other than GCC or Clang), and otherwise exactly as
 *  without a team; results differ from the team-less call only by float rounding (see
 *  Determinism above). On a team, a call makes no BLAS call: its threads run every product on a
 *  kernel of the library's own, each thread keeping its slice of W_h in its own cache.
 *  Rules and costs:
 *    - rnnbptt_team_create starts threads-1 threads (the calling thread is the other one). They
 *      busy-wait between the jobs of a call and sleep between calls, so outside rnnbptt calls a
 *      team uses no CPU. Choose threads <= the cores you give the library.
 *    - One call uses a team at a time: a call that finds its team held by another thread runs
 *      without it (correct, just not parallel). Two threads with separate teams never interfere.
 *    - Memory: a buffer the team keeps, allocated at first use, grown when a larger layer needs
 *      more and freed by rnnbptt_team_destroy: W_x and W_h copied in 16-column panels, the larger
 *      of r16(G*H)*(I+H) and G*H*(r16(I)+r16(H)) floats (r16: rounded up to a multiple of 16),
 *      plus 390 KiB of scratch per thread. If it cannot be allocated, that call runs without the
 *      team. The kernel also takes up to 32 KiB of each thread's stack, the caller's included.
 *    - The library creates no thread and changes no thread or process setting (affinity,
 *      priority, the BLAS thread count, FP modes) by itself, with or without a team.
 *    - Destroy a team only when no call is using it. */
typedef struct rnnbptt_team rnnbptt_team;

#define RNNBPTT_TEAM_MAX_THREADS 64

/** Create a team of `threads` threads (1..RNNBPTT_TEAM_MAX_THREADS; the calling thread is one of
 *  them, so threads - 1 are started; 1 gives a team that runs everything on the caller).
 *  *team is WRITTEN on success only. Returns RNNBPTT_OK, RNNBPTT_EINVAL (team NULL, threads out
 *  of range), RNNBPTT_ENOMEM or RNNBPTT_ETHREAD (nothing is left running on an error). */
RNNBPTT_API rnnbptt_status rnnbptt_team_create(int threads, rnnbptt_team **team);

/** Stop and join a team's threads and free it. NULL is a no-op. Destroying a team twice, or
 *  while a call is using it, is undefined (it reads freed memory). */
RNNBPTT_API void rnnbptt_team_destroy(rnnbptt_team *team);

/* ---- recurrent layers ------------------------------------------------------------------- */
typedef enum { RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_LSTM, RNNBPTT_GRU } rnnbptt_cell;

/** One recurrent layer: its cell type and sizes (both >= 1), and optionally a team.
 *  team: NULL runs on the calling thread and the BLAS's threads; a team from rnnbptt_team_create
 *  runs the calls whose sizes suit it on the team (see above). Initialize with designated
 *  initializers, `rnnbptt_layer L = {.cell = RNNBPTT_LSTM, .input_size = I, .hidden_size = H};`,
 *  so unnamed fields (team) are NULL. */
typedef struct {
    rnnbptt_cell cell;
    int input_size;      /* I */
    int hidden_size;     /* H */
    rnnbptt_team *team;  /* NULL, or a live team (not owned: the caller destroys it) */
} rnnbptt_layer;

/*
 * Flat parameter vector (one contiguous float array; offsets in floats), PyTorch/cuDNN layouts:
 *
 *   RNN_TANH, RNN_RELU   W_xh (H,I) at 0 | W_hh (H,H) at H*I | b_h (H) at H*I + H*H
 *       a_t = W_xh x_t + W_hh h_{t-1} + b_h,  h_t = tanh(a_t) or max(a_t, 0)
 *       From PyTorch nn.RNN: W_xh = weight_ih_l0, W_hh = weight_hh_l0, b_h = bias_ih_l0 + bias_hh_l0.
 *
 *   LSTM (gates i, f, g, o)   W_x (4H,I) at 0 | W_h (4H,H) at 4H*I | b (4H) at 4H*I + 4H*H
 *       [i f g o] = W_x x_t + W_h h_{t-1} + b;  i,f,o = σ(·), g = tanh(·)
 *       c_t = f ⊙ c_{t-1} + i ⊙ g,  h_t = o ⊙ tanh(c_t)
 *       From PyTorch nn.LSTM: W_x = weight_ih_l0, W_h = weight_hh_l0, b = bias_ih_l0 + bias_hh_l0.
 *
 *   GRU (gates r, z, n)   W_x (3H,I) at 0 | W_h (3H,H) at 3H*I | b_x (3H) at 3H*I + 3H*H
 *                         | b_h (3H) at 3H*I + 3H*H + 3H
 *       r = σ(W_xr x + b_xr + W_hr h_{t-1} + b_hr),  z = σ(W_xz x + b_xz + W_hz h_{t-1} + b_hz)
 *       n = tanh(W_xn x + b_xn + r ⊙ (W_hn h_{t-1} + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
 *       From PyTorch nn.GRU: W_x = weight_ih_l0, W_h = weight_hh_l0, b_x = bias_ih_l0,
 *       b_h = bias_hh_l0 (kept apart: r multiplies W_hn h + b_hn).
 *
 * Range and special inputs. tanh and σ(a) = ½ + ½ tanh(a/2) are rational approximations: for
 * every float a, tanh is within 4.2e-7 of the exact value, absolutely and relative to it
 * (tanh(a) = a for |a| < 2^-12, subnormals included), σ within 2.3e-7; |tanh| <= 1 and
 * 0 <= σ <= 1 hold exactly (so 1 − h² >= 0). These hold in round-to-nearest. Special inputs:
 *   - |a| >= 8 gives tanh = ±1, |a| >= 16 gives σ = 0 or 1, exactly; their derivatives are 0.
 *   - Finite inputs can overflow: x = 1e30 times a weight over about 3.4e8 is ±Inf. tanh and σ
 *     saturate on it (+Inf and −Inf in one sum give NaN). RNN_RELU passes +Inf into h (−Inf
 *     gives 0); the products that meet it (the next steps' W_hh h, dW_hh) are ±Inf or NaN, while
 *     dx and dh0 stay finite, its derivative being the mask h > 0.
 *   - Subnormal weights and inputs are computed as they are: the library sets no flush-to-zero
 *     (the FP modes are the application's; it assumes FP exceptions do not trap).
 *   - A NaN in x, h0 or c0 of sequence b reaches its h from that step on (from c0, one unit at the
 *     first step), its hT, cT, dx, dh0, dc0 and every weight gradient (they sum over the batch);
 *     the other sequences stay finite. For RNN_RELU the mask is 0 where h is NaN, so its dx and
 *     dh0 stay finite.
 *
 * Variable lengths (PyTorch packed-sequence semantics). lengths is [B] with every value in 1..T,
 * in any order, or NULL for "all T". Sequence b runs steps 0..lengths[b]-1. For the steps past
 * its length, h_t[b] = 0 and dx_t[b] = 0; hT[b] / cT[b] are the states after its last step;
 * dh_t[b] past the length is never read (NaN there cannot leak); dhT[b] / dcT[b] enter at its
 * last step. x rows past a length are multiplied by zero gradients in the weight-gradient GEMMs,
 * so they must be finite (pad with zeros); their values affect nothing else.
 */

/** Number of floats in the flat parameter vector (and in dparams); 0 if L is NULL or invalid. */
RNNBPTT_API size_t rnnbptt_param_count(const rnnbptt_layer *L);

/** Floats rnnbptt_forward keeps in `reserve` for rnnbptt_backward:
 *    RNN_TANH, RNN_RELU: 0 (backward takes f' from the stored h; reserve may be NULL);
 *    LSTM: 5*T*B*H (gate activations and cell states);
 *    GRU:  4*T*B*H + 3*B*H (gate activations, W_hn h + b_hn, and one step's scratch).
 *  The contents are private to the library. 0 for invalid arguments (or on size overflow). */
RNNBPTT_API size_t rnnbptt_reserve_count(const rnnbptt_layer *L, int T, int B);

/** Floats of scratch rnnbptt_backward_work needs in `work` (the pre-activation gradients of all
 *  steps, kept for the weight-gradient GEMMs, plus the carried state gradients):
 *    RNN_TANH, RNN_RELU: T*B*H;  LSTM: 4*T*B*H + 2*B*H;  GRU: 6*T*B*H + B*H.
 *  0 for invalid arguments (or on size overflow). */
RNNBPTT_API size_t rnnbptt_workspace_count(const rnnbptt_layer *L, int T, int B);

/** 1 if calls on layer L with batch B run on L->team (whenever no other call holds it), 0 if
 *  they run as without a team: L->team NULL or a 1-thread team, sizes where the team does not
 *  pay on this CPU, or invalid arguments. Depends on L's cell and sizes, B, the team's size, and
 *  the CPU (its instruction set and L2 cache size). */
RNNBPTT_API int rnnbptt_team_used(const rnnbptt_layer *L, int B);

/**
 * Forward pass of one recurrent layer over T steps.
 *   params   [param_count]      read
 *   lengths  [B] in 1..T        read, or NULL = all T
 *   x        (T,B,I)            read
 *   h0       (B,H)              read, or NULL = zeros
 *   c0       (B,H)              read, LSTM only (ignored otherwise), or NULL = zeros
 *   h        (T,B,H)            WRITTEN: h_1..h_T (zeros past each sequence's length)
 *   hT, cT   (B,H)              WRITTEN final states, or NULL = not wanted; cT is LSTM only
 *   reserve  [reserve_count]    WRITTEN for backward (training), or NULL = inference
 * The input projection of all T*B rows is one GEMM; each step does one recurrent GEMM (GEMV if
 * B = 1) for all gates. With reserve NULL, LSTM and GRU allocate reserve_count floats of
 * scratch once per call (the vanilla cells never allocate; a team grows its own buffer at first
 * use, see rnnbptt_team).
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (NULL L/params/x/h, bad cell, size <= 0, overflow, a length
 * outside 1..T) or RNNBPTT_ENOMEM (outputs untouched).
 */
RNNBPTT_API rnnbptt_status rnnbptt_forward(const rnnbptt_layer *L, const float *params, int T, int B,
                                           const int *lengths, const float *x, const float *h0,
                                           const float *c0, float *h, float *hT, float *cT,
                                           float *reserve);

/**
 * Backpropagation through time over the T steps of a forward call with the same arguments.
 *   params, lengths, x, h0, c0   as given to rnnbptt_forward (read)
 *   h        (T,B,H)            as written by forward (read)
 *   reserve  [reserve_count]    as written by forward (read, never modified); may be NULL for
 *                               RNN_TANH / RNN_RELU, required for LSTM / GRU
 *   dh       (T,B,H)            dL/dh_t from above (e.g. the output layer), or NULL = zeros
 *   dhT      (B,H)              dL/dh at each sequence's last step from beyond the window, or NULL
 *   dcT      (B,H)              the same for the LSTM cell state (ignored otherwise), or NULL
 *   dparams  [param_count]      ACCUMULATED: dparams += dL/dparams (same layout as params)
 *   dx       (T,B,I)            WRITTEN, or NULL
 *   dh0      (B,H)              WRITTEN (also when h0 was NULL: the gradient at the zero state), or NULL
 *   dc0      (B,H)              WRITTEN, LSTM only (ignored otherwise), or NULL
 * The per-step work is the gate gradients and one W_hᵀ product for all gates; dW_x, dW_h, db and
 * dx are each one GEMM over all T*B rows after the time loop (the BLAS's, or with a team the
 * team's kernel). Allocates workspace_count floats once per call. Calling it twice with the
 * same arguments adds the same gradient twice.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (as forward, plus a NULL dparams, or a NULL reserve for
 * LSTM / GRU) or RNNBPTT_ENOMEM (outputs untouched).
 */
RNNBPTT_API rnnbptt_status rnnbptt_backward(const rnnbptt_layer *L, const float *params, int T,
                                            int B, const int *lengths, const float *x,
                                            const float *h0, const float *c0, const float *h,
                                            const float *reserve, const float *dh,
                                            const float *dhT, const float *dcT, float *dparams,
                                            float *dx, float *dh0, float *dc0);

/** rnnbptt_backward without allocation: `work` is rnnbptt_workspace_count(L, T, B) floats of
 *  caller-owned scratch (any alignment; contents on entry are ignored, on return unspecified;
 *  it must not overlap any other argument). A NULL work is RNNBPTT_EINVAL. Never returns ENOMEM. */
RNNBPTT_API rnnbptt_status rnnbptt_backward_work(const rnnbptt_layer *L, const float *params, int T,
                                                 int B, const int *lengths, const float *x,
                                                 const float *h0, const float *c0, const float *h,
                                                 const float *reserve, const float *dh,
                                                 const float *dhT, const float *dcT,
                                                 float *dparams, float *dx, float *dh0, float *dc0,
                                                 float *work);

/* ---- dense (fully connected) layer ------------------------------------------------------ */

/**
 * y = x Wᵀ + b.   W (out,in) read; b [out] read or NULL = no bias; x (N,in) read;
 * y (N,out) WRITTEN. One GEMM. Returns RNNBPTT_OK or RNNBPTT_EINVAL (NULL W/x/y, size <= 0,
 * overflow).
 */
RNNBPTT_API rnnbptt_status rnnbptt_dense_forward(int N, int in, int out, const float *W,
                                                 const float *b, const float *x, float *y);

/**
 * Gradients of y = x Wᵀ + b given dy = dL/dy (N,out):
 *   dW (out,in) ACCUMULATED: dW += dyᵀ x;   db [out] ACCUMULATED: db += Σ_n dy_n, or NULL;
 *   dx (N,in)   WRITTEN: dx = dy W, or NULL.
 * W (out,in) and x (N,in) are read. Returns RNNBPTT_OK or RNNBPTT_EINVAL (NULL W/x/dy/dW,
 * size <= 0, overflow).
 */
RNNBPTT_API rnnbptt_status rnnbptt_dense_backward(int N, int in, int out, const float *W,
                                                  const float *x, const float *dy, float *dW,
                                                  float *db, float *dx);

/* ---- losses (sums, not means: scale by 1/N yourself if you want a mean) ----------------- */

/**
 * Squared error: *loss = ½ Σ (y − target)² over all N*D elements (WRITTEN, accumulated in
 * double); dy (N,D) = y − target (WRITTEN), or NULL. y, target (N,D) read.
 * Returns RNNBPTT_OK or RNNBPTT_EINVAL (NULL y/target/loss, size <= 0, overflow).
 */
RNNBPTT_API rnnbptt_status rnnbptt_mse_loss(int N, int D, const float *y, const float *target,
                                            float *loss, float *dy);

/**
 * Softmax cross-entropy: *loss = Σ_n −log softmax(logits_n)[labels_n] over the rows whose label
 * is >= 0 (WRITTEN; 0 when every row is ignored); dlogits (N,C) = softmax − onehot for those
 * rows and 0 for ignored rows (WRITTEN), or NULL. logits (N,C) read; labels [N] read, each < C.
 * Numerically stable (max-subtracted log-sum-exp in double).
 * Returns RNNBPTT_OK or RNNBPTT_EINVAL (NULL logits/labels/loss, size <= 0, overflow, a label >= C).
 */
RNNBPTT_API rnnbptt_status rnnbptt_softmax_xent_loss(int N, int C, const float *logits,
                                                     const int *labels, float *loss,
                                                     float *dlogits);

/* ---- optimizers ------------------------------------------------------------------------- */

/* torch.optim's update rules (PyTorch 1.13) over one flat parameter buffer and its gradient,
 * e.g. a layer's params and dparams (zero dparams yourself between steps: backward accumulates).
 * For a PyTorch recipe, give the same hyperparameters: the updates below are torch's pseudocode,
 * step t = 1, 2, ... counted per optimizer, every operation per element, g the gradient:
 *
 *   every kind first:  g ← g + wd·p                     (only if wd ≠ 0; not AdamW)
 *   SGD            p ← p − lr·g
 *   SGD_MOMENTUM   b ← g if t = 1, else μ·b + g          (dampening 0)
 *                  p ← p − lr·b
 *   SGD_NESTEROV   b as SGD_MOMENTUM;  p ← p − lr·(g + μ·b)
 *   ADAGRAD        s ← s + g²                            (s starts at 0; lr_decay 0)
 *                  p ← p − lr·g / (√s + eps)             (eps outside the root)
 *   RMSPROP        v ← α·v + (1 − α)·g²                  (v starts at 0; not centered, no momentum)
 *                  p ← p − lr·g / (√v + eps)
 *   ADAM           m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²   (both start at 0)
 *                  p ← p − (lr / (1 − β1^t))·m / (√v / √(1 − β2^t) + eps)
 *   ADAMW          p ← p·(1 − lr·wd) first (decoupled decay: g gets no wd·p), then as ADAM
 *
 * Weight decay applies to every element (biases included). The moments are float32; each element
 * is computed in float, rounded where torch rounds for float32 tensors; the scalar factors
 * (1 − β, 1 − α, the bias corrections' lr/(1 − β1^t) and √(1 − β2^t), AdamW's 1 − lr·wd) are
 * computed in double and cast to float once. Results match torch.optim on float32 tensors up to
 * float rounding (torch's vector kernels may fuse multiply-adds; the library does not). */
typedef enum {
    RNNBPTT_SGD,
    RNNBPTT_SGD_MOMENTUM,
    RNNBPTT_SGD_NESTEROV,
    RNNBPTT_ADAGRAD,
    RNNBPTT_RMSPROP,
    RNNBPTT_ADAM,
    RNNBPTT_ADAMW
} rnnbptt_optim_kind;

/** An optimizer's hyperparameters, used as given (no rescaling). Each kind reads only its
 *  fields: SGD lr, weight_decay; SGD_MOMENTUM, SGD_NESTEROV also momentum (μ); ADAGRAD lr, eps,
 *  weight_decay; RMSPROP lr, alpha (α), eps, weight_decay; ADAM, ADAMW lr, beta1, beta2, eps,
 *  weight_decay (wd). The others are ignored, whatever they hold. */
typedef struct {
    rnnbptt_optim_kind kind;
    double lr, momentum, alpha, beta1, beta2, eps, weight_decay;
} rnnbptt_optim_config;

/** An opaque optimizer: its configuration, the parameter count n, its step count (64-bit) and
 *  its moments (k·n floats: k = 0 for SGD, 1 for the momentum kinds, ADAGRAD and RMSPROP, 2 for
 *  ADAM and ADAMW). Not thread-safe: one step at a time per optimizer. */
typedef struct rnnbptt_optim rnnbptt_optim;

/** torch.optim's constructor defaults for kind, with learning rate lr: weight_decay 0 (AdamW
 *  1e-2); momentum 0.9 for SGD_MOMENTUM and SGD_NESTEROV (torch's default is 0, which would make
 *  them plain SGD); ADAGRAD eps 1e-10; RMSPROP alpha 0.99, eps 1e-8; ADAM, ADAMW beta1 0.9,
 *  beta2 0.999, eps 1e-8. Fields the kind does not read are 0. An unknown kind gives
 *  {kind, lr} and zeros (rnnbptt_optim_create rejects it). Never fails. */
RNNBPTT_API rnnbptt_optim_config rnnbptt_optim_defaults(rnnbptt_optim_kind kind, double lr);

/** Create an optimizer for n parameters (step 0, moments zero). *o is WRITTEN on success only.
 *  Allocates once: the optimizer and its k·n floats of moments (see rnnbptt_optim).
 *  Returns RNNBPTT_OK, RNNBPTT_EINVAL (cfg or o NULL; unknown kind; n = 0 or the state's size
 *  overflows size_t; among the fields the kind reads: lr, eps or weight_decay negative, NaN or
 *  infinite; momentum, alpha, beta1 or beta2 outside [0, 1)) or RNNBPTT_ENOMEM. */
RNNBPTT_API rnnbptt_status rnnbptt_optim_create(const rnnbptt_optim_config *cfg, size_t n,
                                                rnnbptt_optim **o);

/** One update (see above) of params [n] (read and WRITTEN) from grads [n] (read), n as created.
 *  Non-finite guard: if any grads element is NaN or ±Inf it returns RNNBPTT_ENONFINITE and
 *  changes nothing (params, moments and step count stay byte-identical), so a caller may skip the
 *  batch. Never allocates. Returns RNNBPTT_OK, RNNBPTT_EINVAL (o, params or grads NULL) or
 *  RNNBPTT_ENONFINITE. */
RNNBPTT_API rnnbptt_status rnnbptt_optim_step(rnnbptt_optim *o, float *params, const float *grads);

/** Free an optimizer. NULL is a no-op. */
RNNBPTT_API void rnnbptt_optim_destroy(rnnbptt_optim *o);

/* ---- gradient clipping and spectral diagnostics ----------------------------------------- */

/**
 * Clip a gradient by its global L2 norm (Pascanu et al. 2013; torch.nn.utils.clip_grad_norm_).
 *   g           [n]   the gradient, n >= 1: scaled in place when its norm exceeds max_norm
 *   max_norm          finite and > 0
 *   norm_before       WRITTEN: ‖g‖₂ before clipping (also when it is not finite), or NULL
 * ‖g‖₂ = sqrt(Σ g_i²) with the squares summed in double. If ‖g‖₂ > max_norm, every element
 * becomes (float)(g_i · c) with c = max_norm / ‖g‖₂ in double, so the new norm is max_norm up to
 * float rounding; otherwise g is unchanged. PyTorch differs in two ways: it uses
 * c = max_norm / (‖g‖₂ + 1e-6), clamped to 1 (so it also shrinks g when ‖g‖₂ is within 1e-6
 * below max_norm, and never reaches max_norm exactly), and with a non-finite norm it multiplies
 * by NaN unless error_if_nonfinite is set. Here a non-finite norm (a NaN or Inf in g) returns
 * RNNBPTT_ENONFINITE with g byte-identical (norm_before written). Never allocates.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (g NULL, n = 0, max_norm not finite or <= 0; nothing
 * written) or RNNBPTT_ENONFINITE.
 */
RNNBPTT_API rnnbptt_status rnnbptt_clip_grad_norm(float *g, size_t n, double max_norm,
                                                  double *norm_before);

/**
 * Clip every element of a gradient to [−clip, clip] (torch.nn.utils.clip_grad_value_;
 * min-char-rnn clips to [−5, 5]). g [n], n >= 1, is clamped in place; clip (finite, > 0) is
 * rounded to float first. Every element is checked before any is written: a NaN or Inf anywhere
 * returns RNNBPTT_ENONFINITE with g byte-identical (PyTorch would clamp Inf and keep NaN).
 * Never allocates. Returns RNNBPTT_OK, RNNBPTT_EINVAL (g NULL, n = 0, clip not finite or <= 0)
 * or RNNBPTT_ENONFINITE.
 */
RNNBPTT_API rnnbptt_status rnnbptt_clip_grad_value(float *g, size_t n, double clip);

/**
 * Spectral diagnostics of a square weight matrix (e.g. W_hh, to watch for exploding or
 * vanishing gradients):
 *   W          (n,n) row-major with leading dimension ldw >= n (row i at W + i*ldw), read; n >= 1
 *   radius     WRITTEN: the spectral radius max |λ_i| over W's eigenvalues, or NULL
 *   sigma_max  WRITTEN: the largest singular value ‖W‖₂, or NULL (not both NULL)
 * The radius comes from LAPACK's sgeev (eigenvalues only), sigma_max from sgesvd (singular
 * values only), both in float on a copy of W: both are within a small multiple of
 * n·FLT_EPSILON·sigma_max of the exact values when W is normal; an eigenvalue of a non-normal W
 * can be less accurate (a 2×2 Jordan block's, by about sqrt(FLT_EPSILON)·sigma_max).
 * Allocates one block per call, freed before it returns: n² + 2n floats plus the larger of the
 * two routines' optimal workspaces as LAPACK's queries report them (at least 5n floats). The
 * outputs are computed in double from LAPACK's float results.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (W NULL, n < 1, n·n past INT_MAX, ldw < n, both outputs
 * NULL), RNNBPTT_ENONFINITE (a NaN or Inf in W), RNNBPTT_ENOMEM or RNNBPTT_ECONVERGE (LAPACK's
 * QR iteration did not converge); on every error both outputs are untouched.
 */
RNNBPTT_API rnnbptt_status rnnbptt_spectral(int n, const float *W, int ldw, double *radius,
                                            double *sigma_max);

/* ---- models: stacked, bidirectional, token inputs, training step, truncated BPTT ----------- */

/* A model is L layers of one cell, each with one or (bidirectional) two directions, a dense head
 * and a loss, over the layers above; no second implementation of a cell. Layouts: every tensor
 * is row-major, time-major: x (T,B,I), h and layer outputs (T,B,·), logits (T,B,O).
 *
 * Parameters: ONE flat buffer of rnnbptt_model_param_count floats, owned by the model, and one
 * gradient buffer of the same layout: for layer l = 0..L-1, direction d = 0 (forward), then 1
 * (reverse, bidirectional only): that layer's flat parameters as rnnbptt_param_count lays them
 * out (W_x, W_h, b_x[, b_h]) with input I for l = 0 and H·D above (D = 1 + bidirectional); then
 * the head W_y (O, H·D) and b_y (O). rnnbptt_model_tensor gives each tensor's offset and shape.
 * After create both buffers are zero; every call reads the parameters afresh, so writing through
 * rnnbptt_model_params (initialization, an optimizer step) is how a model is changed.
 *
 * Each layer's output at step t is h_t (H), or [forward h_t, reverse h_t] (2H) when
 * bidirectional, as PyTorch's; layer l+1 reads the whole of it. The reverse direction runs each
 * sequence from its own last step, lengths[b] − 1, back to step 0, as PyTorch's packed sequences
 * do. Outputs past a sequence's length are zero and add no loss.
 *
 * Loss terms exist only at a sequence's valid steps (t < lengths[b]), and with SOFTMAX_XENT only
 * where the label is >= 0. The loss is a SUM over those terms, as the kernel losses are:
 *   MSE           ½ Σ (y − target)² over the O outputs of every term
 *   SOFTMAX_XENT  Σ −log softmax(logits)[label]
 * LOSS_EVERY_STEP has a term at every valid step; LOSS_LAST_STEP one per sequence, the head's
 * output at step lengths[b] − 1 of the top layer (bidirectional: [forward h, reverse h] there,
 * the reverse direction's first step). The head and the loss run as one GEMM over all T·B rows
 * (every step) or over the B last-step rows (last step), never per step. */

typedef enum { RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_SOFTMAX_XENT } rnnbptt_loss_kind;
typedef enum { RNNBPTT_LOSS_EVERY_STEP, RNNBPTT_LOSS_LAST_STEP } rnnbptt_loss_at;

typedef struct {
    rnnbptt_cell cell;        /* the same cell in every layer */
    int input_size;           /* I: features per step, or the vocabulary size for token inputs */
    int hidden_size;          /* H */
    int num_layers;           /* L >= 1 */
    int bidirectional;        /* 0 or 1: a reverse direction per layer; each layer's output at
                                 step t is [forward h_t, reverse h_t] (2H), as PyTorch's */
    int output_size;          /* O: the dense head's outputs (classes for softmax-xent) */
    rnnbptt_loss_kind loss;
    rnnbptt_loss_at loss_at;  /* every step, or only at each sequence's last step */
    int threads;              /* 0 or 1: the calling thread (and the BLAS's threads);
                                 n >= 2: the model creates and owns an rnnbptt_team of n */
} rnnbptt_model_config;

/* One call's data. Exactly one of x and tokens is given, on any model. Nothing past a sequence's
 * length is read except x, whose rows there must be finite (as for the kernels). */
typedef struct {
    int T, B;                 /* >= 1 each */
    const int *lengths;       /* [B] in 1..T, or NULL = all T (packed-sequence semantics) */
    const float *x;           /* (T,B,I), or NULL when tokens are given */
    const int *tokens;        /* (T,B) ids in 0..I-1: one-hot inputs, applied as a gather of W_x
                                 columns (never a GEMM on one-hot vectors), or NULL */
    const float *targets;     /* MSE: (T,B,O) every step, (B,O) last step */
    const int *labels;        /* SOFTMAX_XENT: (T,B) or (B) in 0..O-1, -1 = no loss there */
} rnnbptt_batch;

typedef struct rnnbptt_model rnnbptt_model; /* opaque */
typedef struct rnnbptt_state rnnbptt_state; /* opaque: carried h (and c) of every layer */

/**
 * Creates a model for cfg (copied; `threads` >= 2 starts an rnnbptt_team of that many threads,
 * owned and destroyed by the model) with parameters and gradients zero. Allocates the model and
 * its two flat buffers; the calls below share one scratch block the model keeps, reallocated
 * only when a call needs more than any earlier call did (a loop of fixed T and B allocates on
 * its first step only).
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (cfg or m NULL, a size < 1, an unknown cell, loss or
 * loss_at, bidirectional not 0 or 1, threads outside 0..RNNBPTT_TEAM_MAX_THREADS, a parameter
 * count past SIZE_MAX), RNNBPTT_ENOMEM or RNNBPTT_ETHREAD; *m is written only on success.
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_create(const rnnbptt_model_config *cfg,
                                                rnnbptt_model **m);
/** Frees the model, its buffers and its team (NULL: nothing). Destroy its states and TBPTT
 *  objects first. */
RNNBPTT_API void rnnbptt_model_destroy(rnnbptt_model *m);
/** The number of floats in the parameter (and gradient) buffer; 0 for NULL. */
RNNBPTT_API size_t rnnbptt_model_param_count(const rnnbptt_model *m);
/** The flat parameter buffer, [param_count] floats in the layout above, owned by the model and
 *  valid until it is destroyed; NULL for NULL. */
RNNBPTT_API float *rnnbptt_model_params(rnnbptt_model *m);
/** The flat gradient buffer, the same layout; train steps ACCUMULATE into it. NULL for NULL. */
RNNBPTT_API float *rnnbptt_model_grads(rnnbptt_model *m);
/** Sets every gradient to zero (NULL: nothing). */
RNNBPTT_API void rnnbptt_model_zero_grad(rnnbptt_model *m);

/**
 * Where tensor `which` of layer `layer`, direction `dir` sits in the flat buffers, and its shape:
 * for 0 <= layer < L, dir 0 or (bidirectional) 1, which 0 W_x (G·H, I or H·D), 1 W_h (G·H, H),
 * 2 b_x (G·H, 1), 3 b_h (G·H, 1; GRU only); for the head, layer −1 and dir 0: which 0 W_y (O, H·D),
 * 1 b_y (O, 1). G is 1, 4 (gates i,f,g,o) or 3 (r,z,n). *offset (floats), *rows, *cols WRITTEN;
 * any of the three may be NULL.
 * Returns RNNBPTT_OK or RNNBPTT_EINVAL (m NULL, no such tensor; nothing written).
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_tensor(const rnnbptt_model *m, int layer, int dir,
                                                int which, size_t *offset, int *rows, int *cols);

/** *cfg WRITTEN with m's configuration (as created or loaded; `threads` as given then), e.g. to
 *  learn a loaded model's sizes. Returns RNNBPTT_OK or RNNBPTT_EINVAL (m or cfg NULL). */
RNNBPTT_API rnnbptt_status rnnbptt_model_get_config(const rnnbptt_model *m,
                                                    rnnbptt_model_config *cfg);

/**
 * One training step over `batch`: forward through every layer and direction, the head and the
 * loss, then BPTT back to the inputs. Gradients ACCUMULATED into rnnbptt_model_grads (zero them
 * yourself between updates); *loss WRITTEN as the sum of the loss terms (double), or loss NULL.
 * state: NULL starts every row from zeros and keeps nothing; a state (unidirectional models only)
 * is read as the initial h (and c) of every layer and, after the step, each row's state after
 * its own last step is written back into it (detached: no gradient flows into earlier calls).
 * Returns RNNBPTT_OK; RNNBPTT_EINVAL (m or batch NULL, T or B < 1, lengths outside 1..T, not
 * exactly one of x and tokens, a token outside 0..I-1 or a label outside −1..O−1 at a valid step,
 * targets (MSE) or labels (SOFTMAX_XENT) NULL, a state of another model or another B); ENOMEM.
 * On every error nothing is written: parameters, gradients, state and *loss are as they were.
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_train_step(rnnbptt_model *m, const rnnbptt_batch *batch,
                                                    rnnbptt_state *state, double *loss);

/**
 * Inference (targets and labels ignored): outputs WRITTEN, the head's values (logits for
 * SOFTMAX_XENT; rnnbptt_softmax gives probabilities): (T,B,O) with zero rows past each length for
 * LOSS_EVERY_STEP, (B,O) for LOSS_LAST_STEP. The state as for train_step (a sampling loop calls
 * predict with T = 1 and a state). Keeps no reserve and touches no gradient.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (as train_step, and outputs NULL) or RNNBPTT_ENOMEM; on
 * every error nothing is written.
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_predict(rnnbptt_model *m, const rnnbptt_batch *batch,
                                                 rnnbptt_state *state, float *outputs);

/**
 * A state for model m and batch size B: h (and c for LSTM) of every layer, (B,H) each, zero.
 * It serves only m, and batches of exactly B rows. Destroy states before their model.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (m or s NULL, B < 1, a bidirectional model: the reverse
 * direction has no meaningful carry) or RNNBPTT_ENOMEM.
 */
RNNBPTT_API rnnbptt_status rnnbptt_state_create(const rnnbptt_model *m, int B, rnnbptt_state **s);
/** Zeros row `row` of every layer's h and c (a new sequence starts in that row), or every row
 *  for row −1. Returns RNNBPTT_OK or RNNBPTT_EINVAL (s NULL, row outside −1..B−1). */
RNNBPTT_API rnnbptt_status rnnbptt_state_reset(rnnbptt_state *s, int row);
/** Frees s (NULL: nothing). */
RNNBPTT_API void rnnbptt_state_destroy(rnnbptt_state *s);

/** Copies the carried state out: h [L·B·H] WRITTEN as (L,B,H) (layer l, row b at (l·B + b)·H);
 *  c the same for LSTM (NULL: not wanted; not written for the other cells).
 *  Returns RNNBPTT_OK or RNNBPTT_EINVAL (s or h NULL). */
RNNBPTT_API rnnbptt_status rnnbptt_state_get(const rnnbptt_state *s, float *h, float *c);
/** Sets the carried state: h (L,B,H) read; c (L,B,H) read for LSTM (NULL: zeros), ignored for
 *  the other cells. Returns RNNBPTT_OK or RNNBPTT_EINVAL (s or h NULL). */
RNNBPTT_API rnnbptt_status rnnbptt_state_set(rnnbptt_state *s, const float *h, const float *c);

/**
 * The gradient-norm trace (vanishing and exploding gradients, measured): with trace set, every
 * following training call of m (train_step, tbptt_step) WRITES, for each layer l, direction d and
 * step k < its T,
 *   trace[(l·D + d)·max_T + k] = ‖∂L/∂h_k‖ = sqrt(Σ_b Σ_j (∂L/∂h_{k,b,j})²)
 * the norm over the whole batch of the total gradient reaching that direction's state h_k: from
 * the loss or the layer above at step k plus, through the recurrence, from step k+1 (for LSTM the
 * gradient of h, not of c). It is the carried gradient of the cell's backward, squared and summed
 * as it passes (no extra pass over the sequence); rows past a length add nothing. The reverse
 * direction's step k is its own k-th step: k steps before each sequence's last step. For a TBPTT
 * step, T is its window (up to k2 steps, row b's window starting at its oldest kept step).
 * Entries k >= T are left as they were. trace is (L·D, max_T) doubles, owned by the caller and
 * read until set again; NULL turns the trace off. A training call with T > max_T while it is set
 * returns RNNBPTT_EINVAL.
 * Returns RNNBPTT_OK or RNNBPTT_EINVAL (m NULL, trace set with max_T < 1).
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_set_trace(rnnbptt_model *m, double *trace, int max_T);

/**
 * Row-wise softmax: probs (N,C) WRITTEN from logits (N,C) (max-subtracted, exponentials in
 * double); probs may equal logits. Returns RNNBPTT_OK or RNNBPTT_EINVAL (NULL, size < 1,
 * overflow).
 */
RNNBPTT_API rnnbptt_status rnnbptt_softmax(int N, int C, const float *logits, float *probs);

/* Truncated BPTT(k1, k2) (Williams & Peng 1990) over a stream of consecutive batches of k1 steps
 * (B rows, each row its own stream), k2 >= k1 >= 1, for a unidirectional LOSS_EVERY_STEP model.
 * Definition: the object keeps, per row, the state s at the start of its window and up to
 * k2 − k1 older input steps. Each call runs the k1 new steps from s through those older steps
 * and the new ones (a window of up to k2 steps, recomputed with the current parameters),
 * backpropagates the sum of the k1 new steps' losses through the whole window and accumulates
 * the gradient; the next window's s is the state at the right step of that recomputation. At the
 * stream's start, and after a row's reset, a row has fewer older steps: its window is shorter.
 * k1 = k2 is the state carry of train_step; k2 >= the stream's length is full BPTT of it. */
typedef struct rnnbptt_tbptt rnnbptt_tbptt; /* opaque */

/**
 * Allocates the object for model m and B rows: its state, and room for k2 − k1 older steps of
 * B rows of x (I floats) or tokens. The model must outlive it.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (m or t NULL, B < 1, k1 < 1, k2 < k1, a bidirectional or
 * LOSS_LAST_STEP model, sizes that overflow) or RNNBPTT_ENOMEM.
 */
RNNBPTT_API rnnbptt_status rnnbptt_tbptt_create(rnnbptt_model *m, int B, int k1, int k2,
                                                rnnbptt_tbptt **t);
/**
 * One call of the definition: batch->T must be k1, batch->B the object's B, lengths NULL; x or
 * tokens (the same kind as the older steps kept: switching kinds needs a reset of every row),
 * and targets or labels for the k1 steps, as for train_step. Gradients ACCUMULATED into the
 * model's; *loss WRITTEN as the sum of the k1 steps' loss terms, or loss NULL.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (as train_step, and the conditions above) or ENOMEM; on
 * every error nothing is written.
 */
RNNBPTT_API rnnbptt_status rnnbptt_tbptt_step(rnnbptt_tbptt *t, const rnnbptt_batch *batch,
                                              double *loss);
/** At a call boundary: zeros row `row`'s state and drops its older steps (its stream starts
 *  anew), or every row's for row −1. Returns RNNBPTT_OK or RNNBPTT_EINVAL (t NULL, row outside
 *  −1..B−1). */
RNNBPTT_API rnnbptt_status rnnbptt_tbptt_reset(rnnbptt_tbptt *t, int row);
/** Frees t (NULL: nothing). */
RNNBPTT_API void rnnbptt_tbptt_destroy(rnnbptt_tbptt *t);

/* Threads: one call at a time per model, per state and per TBPTT object (a TBPTT step uses its
 * model); different models in different threads never interfere. A model with threads >= 2 runs
 * its layers on its own team as rnnbptt_team describes. */

/* ---- a model's recurrent weights, measured ------------------------------------------------ */

/**
 * rnnbptt_spectral of one H×H gate block of a model's W_h (G·H, H): layer 0..L−1, dir 0 or
 * (bidirectional) 1, gate 0..G−1 — 0 for RNN_TANH and RNN_RELU, i f g o = 0..3 for LSTM,
 * r z n = 0..2 for GRU — is rows gate·H .. gate·H + H − 1 of W_h, passed with ldw = H.
 * radius, sigma_max WRITTEN as by rnnbptt_spectral (either may be NULL, not both). Reads the
 * parameters only. Allocates as rnnbptt_spectral does (n = H).
 * Returns as rnnbptt_spectral, and RNNBPTT_EINVAL for m NULL or no such layer, dir or gate; on
 * every error both outputs are untouched.
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_spectral(const rnnbptt_model *m, int layer, int dir,
                                                  int gate, double *radius, double *sigma_max);

/* ---- random numbers: the library's own seeded generator ----------------------------------- */

/* xoshiro256** 1.0 (Blackman & Vigna 2018), seeded by SplitMix64 (Steele, Lea & Flood 2014);
 * period 2^256 − 1; not cryptographic. The same seed gives the same integers and the same float
 * bits on every machine and compiler, as specified here (all integer arithmetic mod 2^64; every
 * real operation one IEEE-754 double operation, rounded to nearest):
 *
 *   seed(x):   z = x; for k = 0..3: z += 0x9E3779B97F4A7C15; y = z;
 *              y = (y ^ (y >> 30))·0xBF58476D1CE4E5B9; y = (y ^ (y >> 27))·0x94D049BB133111EB;
 *              s[k] = y ^ (y >> 31)   (four different outputs of a bijection: never all zero)
 *   next():    out = rotl(s[1]·5, 7)·9; t = s[1] << 17; s[2] ^= s[0]; s[3] ^= s[1];
 *              s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45); return out
 *   uniform:   per value, u = (next() >> 40)·2^−24 (24 bits: exact in float, 0 <= u < 1);
 *              d = hi − lo; e = d·u; v = (float)(lo + e)
 *   normal:    Marsaglia's polar method, per pair of values: a = (next() >> 11)·2^−52 − 1, then
 *              b likewise (both exact, in [−1, 1)); s = a·a + b·b (the two squares, then their
 *              sum); drawn again while s >= 1 or s = 0; f = sqrt(−2·ln(s) / s); the pair is
 *              (float)(mean + sigma·(a·f)), then (float)(mean + sigma·(b·f)) (a·f, its product
 *              with sigma, then the sum). For odd n the last pair's second value is dropped.
 *   ln(s):     the library's own, not libm's: s = m·2^e with m in [√½, √2) (frexp, then m·2 and
 *              e − 1 when m < √½); w = (m − 1)/(m + 1); q = w·w; P = 1/23, then for
 *              k = 10, 9, ..., 0: P = P·q + 1/(2k + 1) (each 1/(2k + 1) the double nearest it);
 *              ln s = e·ln2_hi + (e·ln2_lo + 2w·P), ln2_hi = 0x1.62e42feep-1,
 *              ln2_lo = 0x1.a39ef35793c76p-33 (2w·P as (2w)·P).
 * No libm function is in the path of the bits: sqrt is IEEE 754's correctly rounded square root
 * and frexp is exact. The bits hold where double expressions are evaluated in double
 * (FLT_EVAL_METHOD 0) with no fused multiply-add contraction (the
 * library compiles its generator with -ffp-contract=off). tests/golden/gen_init.py is an
 * independent implementation of this specification; test_init checks the library against it. */

/** The generator's state: on the stack or anywhere, copied freely (a copy repeats the stream).
 *  Set it with rnnbptt_rng_seed; all-zero is the one invalid state (it would give only zeros). */
typedef struct {
    uint64_t s[4];
} rnnbptt_rng;

/** Seeds r from any 64-bit seed (see seed above). r NULL: nothing. */
RNNBPTT_API void rnnbptt_rng_seed(rnnbptt_rng *r, uint64_t seed);

/** The next 64 random bits (next above); 0 for r NULL. */
RNNBPTT_API uint64_t rnnbptt_rng_next(rnnbptt_rng *r);

/** A uniform integer in 0 .. bound − 1 without modulo bias: draws x = next() until
 *  x >= 2^64 mod bound, returns x mod bound (an expected draw count below 2). 0, with no draw, for
 *  bound 0 or r NULL. */
RNNBPTT_API uint64_t rnnbptt_rng_below(rnnbptt_rng *r, uint64_t bound);

/** out [n] WRITTEN with n uniform values on [lo, hi) (uniform above, one next() each; a value can
 *  round up to hi, never beyond: lo <= v <= hi), 24 random bits each. n = 0 draws nothing.
 *  Returns RNNBPTT_OK or RNNBPTT_EINVAL (r NULL, out NULL with n > 0, lo or hi not finite,
 *  lo > hi; r and out untouched). */
RNNBPTT_API rnnbptt_status rnnbptt_rng_uniform(rnnbptt_rng *r, float *out, size_t n, float lo,
                                               float hi);

/** out [n] WRITTEN with n values of N(mean, sigma²) (normal above: ⌈n/2⌉ pairs, each 2 next()
 *  per try, 4/π tries on average); a value beyond float's range becomes ±Inf. Normal calls of
 *  even n continue one another's stream seamlessly. n = 0 draws nothing.
 *  Returns RNNBPTT_OK or RNNBPTT_EINVAL (r NULL, out NULL with n > 0, mean or sigma not finite,
 *  sigma < 0; r and out untouched). */
RNNBPTT_API rnnbptt_status rnnbptt_rng_normal(rnnbptt_rng *r, float *out, size_t n, float mean,
                                              float sigma);

/* ---- initialization --------------------------------------------------------------------- */

/* Each tensor kind of a model gets one scheme; H is the hidden size, D the directions, O the
 * head's outputs, G the gates, and a tensor (rows, cols) as rnnbptt_model_tensor gives it.
 *
 *   TORCH       PyTorch's default (nn.RNN / nn.LSTM / nn.GRU reset_parameters, nn.Linear's):
 *               W_x, W_h, and GRU's b_x and b_h: U(−k, k) with k = 1/√H, one draw per element.
 *               RNN and LSTM: torch draws bias_ih and bias_hh, each U(−k, k); rnnbptt's one b is
 *               their sum, so each element is (float)(u1 + u2) of two consecutive draws (two
 *               values of one rnnbptt_rng_uniform call): torch's distribution of b_ih + b_hh, a
 *               triangle on [−2k, 2k].
 *               W_y and b_y: U(−k, k) with k = 1/√(H·D) (nn.Linear: kaiming_uniform_ with a = √5
 *               gives 1/√fan_in, its bias the same bound).
 *   NORMAL      N(0, sigma²) per element (min-char-rnn: sigma 0.01).
 *   XAVIER      Glorot uniform (Glorot & Bengio 2010), weights only: U(−k, k) with
 *               k = √(6 / (fan_in + fan_out)), fan_in = cols and fan_out = rows of the whole
 *               tensor, as torch.nn.init.xavier_uniform_ (gain 1) and Keras's glorot_uniform give
 *               it: W_x √(6/(I + G·H)), W_h √(6/(H + G·H)), W_y √(6/(H·D + O)).
 *   ORTHOGONAL  W_h only, per H×H gate block g (rows g·H .. g·H + H − 1): A is H·H draws of
 *               N(0, 1) (one rnnbptt_rng_normal call), draw j at A[j mod H][j / H] (column-major,
 *               as LAPACK reads it); A = QR by LAPACK's sgeqrf and sorgqr in float; Q's column j
 *               is multiplied by the sign of R[j][j] (+1 for 0), making Q Haar-distributed (Saxe
 *               et al. 2014; torch.nn.init.orthogonal_); the block is (float)(gain·Q). torch's
 *               orthogonal_(weight_hh) instead makes the whole (G·H, H) matrix's columns
 *               orthonormal, which in general leaves no gate block orthogonal. Q is orthogonal
 *               up to LAPACK's float rounding (‖QᵀQ − I‖ about H·FLT_EPSILON); its bits depend on
 *               the LAPACK and BLAS builds, unlike every other scheme's.
 *   IDENTITY    W_h only: every H×H gate block (float)gain · I exactly (IRNN, Le et al. 2015).
 *   CONSTANT    every element (float)value (0: zeros).
 * The uniform schemes compute k in double (1/√·, √· correctly rounded) and draw with
 * rnnbptt_rng_uniform(−(float)k, (float)k).
 * forget_bias (LSTM only): when nonzero, the forget-gate block of b (elements H .. 2H − 1) is
 * set to (float)forget_bias after the bias scheme has filled b (Jozefowicz et al. 2015 advise 1).
 * b is torch's b_ih + b_hh: a PyTorch recipe that fills both forget blocks with 1 has 2 there.
 *
 * Order of draws, so that a seed fixes every value: one stream, rnnbptt_rng_seed(seed); the
 * tensors in flat-buffer order (per layer and direction W_x, W_h, b_x[, b_h]; then W_y, b_y);
 * TORCH, NORMAL, XAVIER: one rnnbptt_rng_uniform or rnnbptt_rng_normal call over the whole
 * tensor, elements in memory order (RNN / LSTM TORCH bias: one call of 2·G·H values, element i
 * the sum of values 2i and 2i + 1); ORTHOGONAL: one normal call per gate block, g = 0 .. G − 1;
 * IDENTITY, CONSTANT and forget_bias draw nothing. */
typedef enum {
    RNNBPTT_INIT_TORCH,
    RNNBPTT_INIT_NORMAL,
    RNNBPTT_INIT_XAVIER,
    RNNBPTT_INIT_ORTHOGONAL,
    RNNBPTT_INIT_IDENTITY,
    RNNBPTT_INIT_CONSTANT
} rnnbptt_init_kind;

/** Which scheme each tensor kind gets, and the schemes' numbers; each scheme reads only its
 *  fields. Allowed: input (W_x), head_weight (W_y): TORCH, NORMAL, XAVIER, CONSTANT; recurrent
 *  (W_h): all six; bias (b_x and GRU's b_h), head_bias (b_y): TORCH, NORMAL, CONSTANT. */
typedef struct {
    rnnbptt_init_kind input, recurrent, bias, head_weight, head_bias;
    double sigma;       /* NORMAL's σ: 0 <= sigma <= FLT_MAX */
    double gain;        /* ORTHOGONAL's and IDENTITY's scale: |gain| <= FLT_MAX */
    double value;       /* CONSTANT's value: |value| <= FLT_MAX */
    double forget_bias; /* LSTM: the forget-gate block of b, or 0 to leave it: |·| <= FLT_MAX */
} rnnbptt_init_config;

/** PyTorch's defaults: every kind TORCH; sigma 0.01, gain 1, value 0, forget_bias 0 (fields
 *  TORCH does not read, ready for a switch of scheme). Never fails. */
RNNBPTT_API rnnbptt_init_config rnnbptt_init_defaults(void);

/**
 * Initializes every parameter of m (WRITTEN; gradients untouched) as c says, from seed (see the
 * order of draws above). With ORTHOGONAL it allocates one block per call, freed before it
 * returns, before anything is written: H² + 2H floats plus the larger of the workspaces LAPACK's
 * queries report for sgeqrf and sorgqr (at least H). No other scheme allocates.
 * Returns RNNBPTT_OK, RNNBPTT_EINVAL (m or c NULL; a kind unknown or not allowed for its tensor;
 * a field that a used scheme reads out of its range, NaN included; ORTHOGONAL with H·H past
 * INT_MAX, as LAPACK indexes with int), RNNBPTT_ENOMEM, or
 * RNNBPTT_ECONVERGE (sgeqrf or sorgqr reported an error: they report only invalid arguments,
 * which the checks exclude, so a conforming LAPACK never does; were it to, the tensors before
 * the failing block would be written already). On every other error nothing is written.
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_init(rnnbptt_model *m, const rnnbptt_init_config *c,
                                              uint64_t seed);

/**
 * The same for one bare layer: params [rnnbptt_param_count(L)] WRITTEN, its tensors W_x, W_h,
 * b_x[, b_h] as in a model (TORCH's k = 1/√H); c's head fields are not read. A one-layer
 * unidirectional model's model_init writes its layer exactly as this call with the same seed.
 * Allocates as rnnbptt_model_init. Returns RNNBPTT_OK, RNNBPTT_EINVAL (L invalid or NULL, params
 * or c NULL, c as above), RNNBPTT_ENOMEM or RNNBPTT_ECONVERGE (as above).
 */
RNNBPTT_API rnnbptt_status rnnbptt_layer_init(const rnnbptt_layer *L, float *params,
                                              const rnnbptt_init_config *c, uint64_t seed);

/* ---- model files ------------------------------------------------------------------------ */

/* A model file holds a model's configuration (all of rnnbptt_model_config but `threads`, which
 * the loader is given), its parameters and, optionally, an optimizer: its kind, all seven
 * hyperparameters as given (bit for bit, the ones its kind ignores too), its 64-bit step count
 * and its float32 moments. No gradients, no state, no TBPTT object. Numbers are little-endian
 * on every host, floats IEEE-754 bit patterns (NaN payloads kept); a CRC-32 (zlib's) covers
 * every byte before it. docs/model-format.md gives the format field by field, with its
 * versioning rule: a reader accepts every format version it knows and rejects a newer one.
 * Threads: save only reads m and o (no train step or optimizer step on them meanwhile); load
 * creates new objects; calls on different files or objects never interfere. Two saves to the
 * same path at once each leave a whole file (one of the two). */

/**
 * Saves model m and, unless o is NULL, optimizer o (made for m's parameter count) to `path`,
 * atomically: the file is written under a new temporary name in path's directory
 * ("<path>.<pid>.<k>.tmp", the first k in 0..99 not taken), fsync'ed, closed and renamed over
 * path, then path's directory is fsync'ed. A crash or a failure at any point before the rename
 * leaves a file already at path byte-identical (and loadable); a failed save removes its
 * temporary file. The new file gets the mode fopen(path, "w") would give a new file,
 * 0666 & ~umask (an existing file's mode is not kept). Allocates one block (the two names),
 * freed before it returns.
 * Returns RNNBPTT_OK; RNNBPTT_EINVAL (m or path NULL, path empty, o made for another parameter
 * count; nothing created); RNNBPTT_ENOMEM; RNNBPTT_EIO (an operating-system failure: creating,
 * writing, syncing, closing or renaming the temporary file, e.g. a missing directory, no
 * permission, a name too long for the temporary suffix, a full disk; or, after the rename, opening
 * or syncing the directory: then path holds the new file but its durability is not known).
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_save(const rnnbptt_model *m, const rnnbptt_optim *o,
                                              const char *path);

/**
 * Loads a model file: *m WRITTEN with a new model of the file's configuration, `threads` as in
 * rnnbptt_model_config (0..RNNBPTT_TEAM_MAX_THREADS), its parameters the file's and its
 * gradients zero. o NULL: the file's optimizer, if any, is checked (and CRC'd) but not created.
 * o given: *o WRITTEN with a new optimizer (the file's kind, hyperparameters, step count and
 * moments; the same next step as the saved one), or NULL when the file has none.
 * Every field is checked, and every size against the file's length, before anything is
 * allocated; what is then allocated is what rnnbptt_model_create and rnnbptt_optim_create
 * allocate for the validated sizes (a corrupted count never makes it allocate more).
 * Returns RNNBPTT_OK; RNNBPTT_EINVAL (path or m NULL, threads out of range); RNNBPTT_EIO (an
 * operating-system failure: opening, stat or reading, e.g. a missing or unreadable file, or path
 * not a regular file); RNNBPTT_EFORMAT (any defect of the content: a wrong magic, a newer format
 * version, an unknown flag, enum or kind, a size < 1, a parameter or moment count that disagrees
 * with the configuration, a configuration rnnbptt_model_create or hyperparameters
 * rnnbptt_optim_create would refuse, non-zero optimizer fields without an optimizer, a length
 * other than the sizes give (truncation included), a CRC mismatch); RNNBPTT_ENOMEM or
 * RNNBPTT_ETHREAD (the team of `threads`). On every error *m and *o are untouched and nothing
 * stays allocated.
 */
RNNBPTT_API rnnbptt_status rnnbptt_model_load(const char *path, int threads, rnnbptt_model **m,
                                              rnnbptt_optim **o);

#ifdef __cplusplus
}
#endif

#endif /* RNNBPTT_H */
