/* test_model.c — properties of the model API (include/rnnbptt.h, "models"): central finite
 * differences of rnnbptt_model_train_step on tiny stacked and bidirectional models; token inputs
 * against the same one-hot floats; the state carry; TBPTT(k1, k2) against a plain-loop double
 * reference of its definition; every invalid-argument path and allocation failure. The PyTorch
 * comparison is test_model_torch.c.
 *
 * Legend: T steps, B batch, I input (the vocabulary for tokens), H hidden, L layers,
 * D directions (1 + bidirectional), G gates, O outputs, P parameter count, N head rows (T·B or B).
 *
 * The double reference (refm_*) stacks tests/ref.c's layer reference exactly as the header
 * describes (reverse direction per row from lengths[b] − 1, outputs [forward h, reverse h],
 * head, summed loss); its backward covers unidirectional models, all that TBPTT needs.
 *
 * Tolerances (no magic constants; the worst observed ratio is printed with each group):
 *   - Float against exact (or against another float computation of the same quantity):
 *     C_TOL·⌈log2 K⌉·FLT_EPSILON·max(1, max|ref|) per array, test_ref's law, with K the
 *     summation length behind the value: K_f = Σ_l (in_l + H + 1)·T + H·D + 1 for an output,
 *     K_w = K_f·G·H·T·T·B·L·D for a gradient (test_fd's K_b·T·B with the layers' paths added).
 *     Losses: the same with max(1, |L|) (a sum of non-negative terms).
 *   - Finite differences (test_fd's method, applied to the loss double that train_step returns):
 *     parameters on a 2^-20 grid so every perturbation v ± m·s is exact; the 4-point central
 *     difference D4(s) with truncation estimated as |D4(s) − D4(2s)|/15 (2× allowed). The loss is
 *     a function of the float outputs y_o (logits), each off by at most
 *     ē_o = ⌈log2 K_f⌉·FLT_EPSILON·max(1, |y_o|) (test_fd's per-output bound, which test_ref
 *     shows holds with a 4× margin), so its rounding is at most Σ_o |∂L/∂y_o|·ē_o, with
 *     ∂L/∂y = y − target (MSE) or softmax − onehot (xent) taken from the reference; D4 combines
 *     evaluations with Σ|c_m| = 1.5/s, so its rounding part is at most (1.5/s)·Σ_o|∂L/∂y_o|·ē_o.
 *     This is the worst case (every error at its bound with the sign of its weight), not
 *     test_fd's Hoeffding bound: the loss weights here are not independent of the errors.
 *     Plus the gradient's own error C_TOL·⌈log2 K_w⌉·FLT_EPSILON·max(1, max|g|). The step is
 *     test_fd's 2^-6 (2^-9 for RNN_RELU, whose elements that cross a kink are skipped: the
 *     reference's pattern h > 0 of every layer tells, as in test_fd).
 *   - Equalities the contract makes exact (data past a length is never read, accumulation, an
 *     error leaves everything as it was) are checked bit for bit.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ref.h"
#include "rnnbptt.h"
#include "util/util.h" /* rb_fault_arm, rb_fault_get: the test build's allocation hook */

#define C_TOL 4.0          /* the constant of test_ref's scaled tolerances */
#define GRID 0x1p-20       /* parameters and data are multiples of this */
#define STEP 0x1p-6        /* finite-difference step (test_fd's per-element step) */
#define STEP_RELU 0x1p-9   /* RNN_RELU: smaller, so that most elements avoid the kinks */
#define MIN_CHECKED 0.75   /* RNN_RELU: at least this fraction must avoid the kinks */
#define LR 0x1p-4          /* the SGD step between TBPTT calls (the parameters must change) */
enum { MAXL = 3, MAXB = 8, MAXO = 8, SENT = 0xA5 };

static const char *const CELL_NAMES[] = {"tanh", "relu", "lstm", "gru"};
static char where[256]; /* the case under test, printed with a failed check */
static char mark_obj;   /* its address: a sentinel pointer that no create call returns */

#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            print_error("%s: check failed: %s (line %d)\n", where, #cond, __LINE__);    \
            fail();                                                                     \
        }                                                                               \
    } while (0)
#define CHECK_STATUS(call, want)                                                        \
    do {                                                                                \
        const rnnbptt_status st_ = (call);                                              \
        if (st_ != (want)) {                                                            \
            print_error("%s: %s returned %d (%s), expected %d (line %d)\n", where, #call,  \
                        (int)st_, rnnbptt_strerror(st_), (int)(want), __LINE__);         \
            fail();                                                                     \
        }                                                                               \
    } while (0)
#define CHECK_OK(call) CHECK_STATUS(call, RNNBPTT_OK)

/* ---- a model with parameters on the grid, its layout computed independently -------------- */

typedef struct {
    rnnbptt_model_config c;
    rnnbptt_model *m;
    int D, G;
    size_t P, off[MAXL][2], head; /* layer blocks; W_y at head, b_y at head + O·H·D */
    float *p, *g;
} model;

static void check_tensor(const model *M, int l, int d, int which, size_t off, int rows, int cols)
{
    size_t o = 0;
    int r = 0, c = 0;
    CHECK_OK(rnnbptt_model_tensor(M->m, l, d, which, &o, &r, &c));
    CHECK(o == off && r == rows && c == cols);
}

static void model_make(model *M, rnnbptt_cell cell, int I, int H, int L, int bidir, int O,
                       rnnbptt_loss_kind loss, rnnbptt_loss_at at, uint64_t seed)
{
    memset(M, 0, sizeof *M);
    M->c = (rnnbptt_model_config){.cell = cell, .input_size = I, .hidden_size = H,
                                  .num_layers = L, .bidirectional = bidir, .output_size = O,
                                  .loss = loss, .loss_at = at};
    CHECK_OK(rnnbptt_model_create(&M->c, &M->m));
    M->D = 1 + bidir;
    M->G = ref_gates(cell);
    const int HD = H * M->D, GH = M->G * H;
    size_t off = 0;
    for (int l = 0; l < L; l++)
        for (int d = 0; d < M->D; d++) {
            const int in = l ? HD : I;
            M->off[l][d] = off;
            check_tensor(M, l, d, 0, off, GH, in);
            check_tensor(M, l, d, 1, off + (size_t)GH * in, GH, H);
            check_tensor(M, l, d, 2, off + (size_t)GH * (in + H), GH, 1);
            if (cell == RNNBPTT_GRU)
                check_tensor(M, l, d, 3, off + (size_t)GH * (in + H + 1), GH, 1);
            off += ref_param_count(cell, in, H);
        }
    M->head = off;
    check_tensor(M, -1, 0, 0, off, O, HD);
    check_tensor(M, -1, 0, 1, off + (size_t)O * HD, O, 1);
    M->P = off + (size_t)O * HD + (size_t)O;
    CHECK(rnnbptt_model_param_count(M->m) == M->P);
    M->p = rnnbptt_model_params(M->m);
    M->g = rnnbptt_model_grads(M->m);
    for (size_t k = 0; k < M->P; k++)
        CHECK(M->p[k] == 0.0f && M->g[k] == 0.0f); /* zero after create */
    ref_rng r;
    ref_rng_seed(&r, seed);
    ref_fill_grid(&r, M->p, M->P, 1.0 / sqrt((double)H), GRID); /* PyTorch's ±1/sqrt(H) */
}

static size_t out_rows(const model *M, int T, int B)
{
    return M->c.loss_at == RNNBPTT_LOSS_LAST_STEP ? (size_t)B : (size_t)T * (size_t)B;
}

/* ---- one batch's data: x and tokens, targets and labels for every row ------------------- */

typedef struct {
    int T, B, I, O, last;
    int *len;  /* [B] or NULL */
    float *x;  /* (T,B,I) */
    int *tok;  /* (T,B) in 0..I-1 */
    float *tgt; /* (T,B,O), or (B,O) for the last step */
    int *lab;  /* (T,B) or (B), in -1..O-1 */
} data;

static float *grid_array(ref_rng *r, size_t n, double a)
{
    float *p = ref_malloc(sizeof(float) * (n ? n : 1));
    ref_fill_grid(r, p, n, a, GRID);
    return p;
}

static void data_make(data *Dt, const model *M, int T, int B, const int *len, uint64_t seed)
{
    ref_rng r;
    memset(Dt, 0, sizeof *Dt);
    ref_rng_seed(&r, seed);
    Dt->T = T, Dt->B = B, Dt->I = M->c.input_size, Dt->O = M->c.output_size;
    Dt->last = M->c.loss_at == RNNBPTT_LOSS_LAST_STEP;
    if (len) {
        Dt->len = ref_malloc(sizeof(int) * (size_t)B);
        memcpy(Dt->len, len, sizeof(int) * (size_t)B);
    }
    const size_t rows = Dt->last ? (size_t)B : (size_t)T * B;
    Dt->x = grid_array(&r, (size_t)T * B * Dt->I, 1.0);
    Dt->tok = ref_malloc(sizeof(int) * (size_t)T * B);
    for (size_t k = 0; k < (size_t)T * B; k++)
        Dt->tok[k] = ref_rng_int(&r, 0, Dt->I - 1);
    Dt->tgt = grid_array(&r, rows * Dt->O, 1.0);
    Dt->lab = ref_malloc(sizeof(int) * rows);
    for (size_t k = 0; k < rows; k++)
        Dt->lab[k] = k % 5 == 3 ? -1 : ref_rng_int(&r, 0, Dt->O - 1);
}

static void data_free(data *Dt)
{
    free(Dt->len);
    free(Dt->x);
    free(Dt->tok);
    free(Dt->tgt);
    free(Dt->lab);
}

static int data_len(const data *Dt, int b) { return Dt->len ? Dt->len[b] : Dt->T; }

static rnnbptt_batch data_batch(const data *Dt, int tokens)
{
    return (rnnbptt_batch){.T = Dt->T, .B = Dt->B, .lengths = Dt->len,
                           .x = tokens ? NULL : Dt->x, .tokens = tokens ? Dt->tok : NULL,
                           .targets = Dt->tgt, .labels = Dt->lab};
}

/* The input the reference reads: x, or the tokens as one-hot rows (zero past a length). */
static double *data_input(const data *Dt, int tokens)
{
    const size_t n = (size_t)Dt->T * Dt->B * Dt->I;
    if (!tokens)
        return ref_dup_f2d(Dt->x, n);
    double *x = ref_calloc(n, sizeof(double));
    for (int t = 0; t < Dt->T; t++)
        for (int b = 0; b < Dt->B; b++)
            if (t < data_len(Dt, b))
                x[((size_t)t * Dt->B + b) * Dt->I + Dt->tok[t * Dt->B + b]] = 1.0;
    return x;
}

/* ---- the double reference of a model --------------------------------------------------- */

typedef struct {
    int T, B, N, len[MAXB];
    double *out[MAXL];          /* (T,B,H·D): each layer's output */
    double *hT[MAXL], *cT[MAXL]; /* (B,H): the forward direction's after each row's last step */
    double *top, *y, *dy;       /* (N,H·D), (N,O), (N,O): head input, output, ∂loss/∂y */
    double loss;
} refrun;

/* Forward, head and loss of model M at parameters P on Dt's data with input x (data_input),
 * from initial states h0, c0 (per layer (B,H), unidirectional only; NULL: zeros). Steps t < t0
 * have no loss term (TBPTT's older steps). */
static void refm_forward(const model *M, const double *P, const data *Dt, const double *x,
                         double *const *h0, double *const *c0, int t0, refrun *R)
{
    const rnnbptt_model_config *c = &M->c;
    const int T = Dt->T, B = Dt->B, H = c->hidden_size, HD = H * M->D, O = c->output_size;
    const int lstm = c->cell == RNNBPTT_LSTM;
    assert_true(B <= MAXB && O <= MAXO);
    memset(R, 0, sizeof *R);
    R->T = T, R->B = B, R->N = (int)out_rows(M, T, B);
    for (int b = 0; b < B; b++)
        R->len[b] = data_len(Dt, b);
    const double *in = x;
    int nin = c->input_size;
    for (int l = 0; l < c->num_layers; l++) {
        const size_t nh = (size_t)T * B * H;
        double *h = ref_malloc(sizeof(double) * nh);
        R->out[l] = ref_calloc((size_t)T * B * HD, sizeof(double));
        R->hT[l] = ref_malloc(sizeof(double) * (size_t)B * H);
        R->cT[l] = ref_calloc((size_t)B * H, sizeof(double));
        ref_forward(c->cell, nin, H, T, B, R->len, P + M->off[l][0], in, h0 ? h0[l] : NULL,
                    c0 && lstm ? c0[l] : NULL, h, R->hT[l], lstm ? R->cT[l] : NULL);
        for (size_t r = 0; r < (size_t)T * B; r++)
            memcpy(R->out[l] + r * HD, h + r * H, sizeof(double) * H);
        if (M->D == 2) { /* each row reversed within its own length */
            double *xr = ref_calloc((size_t)T * B * nin, sizeof(double));
            for (int b = 0; b < B; b++)
                for (int t = 0; t < R->len[b]; t++)
                    memcpy(xr + ((size_t)t * B + b) * nin,
                           in + ((size_t)(R->len[b] - 1 - t) * B + b) * nin, sizeof(double) * nin);
            ref_forward(c->cell, nin, H, T, B, R->len, P + M->off[l][1], xr, NULL, NULL, h, NULL,
                        NULL);
            for (int b = 0; b < B; b++)
                for (int t = 0; t < R->len[b]; t++)
                    memcpy(R->out[l] + ((size_t)t * B + b) * HD + H,
                           h + ((size_t)(R->len[b] - 1 - t) * B + b) * H, sizeof(double) * H);
            free(xr);
        }
        free(h);
        in = R->out[l];
        nin = HD;
    }
    const int N = R->N, last = c->loss_at == RNNBPTT_LOSS_LAST_STEP;
    R->top = ref_malloc(sizeof(double) * (size_t)N * HD);
    for (int n = 0; n < N; n++) {
        const size_t src = last ? (size_t)(R->len[n] - 1) * B + n : (size_t)n;
        memcpy(R->top + (size_t)n * HD, in + src * HD, sizeof(double) * HD);
    }
    R->y = ref_malloc(sizeof(double) * (size_t)N * O);
    R->dy = ref_calloc((size_t)N * O, sizeof(double));
    ref_dense_forward(N, HD, O, P + M->head, P + M->head + (size_t)O * HD, R->top, R->y);
    for (int n = 0; n < N; n++) {
        const int b = last ? n : n % B, t = last ? R->len[b] - 1 : n / B;
        if (!last && (t >= R->len[b] || t < t0))
            continue;
        double term = 0.0;
        if (c->loss == RNNBPTT_LOSS_MSE) {
            double tg[MAXO];
            ref_f2d(Dt->tgt + (size_t)n * O, tg, (size_t)O);
            ref_mse_loss(1, O, R->y + (size_t)n * O, tg, &term, R->dy + (size_t)n * O);
        } else {
            if (Dt->lab[n] < 0)
                continue;
            ref_softmax_xent_loss(1, O, R->y + (size_t)n * O, &Dt->lab[n], &term,
                                  R->dy + (size_t)n * O);
        }
        R->loss += term;
    }
}

/* BPTT of refm_forward's loss (unidirectional models): dP ACCUMULATED. */
static void refm_backward(const model *M, const double *P, const double *x, double *const *h0,
                          double *const *c0, const refrun *R, double *dP)
{
    const rnnbptt_model_config *c = &M->c;
    const int T = R->T, B = R->B, N = R->N, H = c->hidden_size, O = c->output_size;
    const int lstm = c->cell == RNNBPTT_LSTM;
    assert_int_equal(M->D, 1);
    double *dtop = ref_calloc((size_t)N * H, sizeof(double));
    double *dh = ref_calloc((size_t)T * B * H, sizeof(double));
    ref_dense_backward(N, H, O, P + M->head, R->top, R->dy, dP + M->head,
                       dP + M->head + (size_t)O * H, dtop);
    for (int n = 0; n < N; n++) {
        const size_t dst = c->loss_at == RNNBPTT_LOSS_LAST_STEP
                               ? (size_t)(R->len[n] - 1) * B + n : (size_t)n;
        memcpy(dh + dst * H, dtop + (size_t)n * H, sizeof(double) * H);
    }
    for (int l = c->num_layers - 1; l >= 0; l--) {
        const double *in = l ? R->out[l - 1] : x;
        const int nin = l ? H : c->input_size;
        double *dx = l ? ref_malloc(sizeof(double) * (size_t)T * B * H) : NULL;
        ref_backward(c->cell, nin, H, T, B, R->len, P + M->off[l][0], in, h0 ? h0[l] : NULL,
                     c0 && lstm ? c0[l] : NULL, dh, NULL, NULL, dP + M->off[l][0], dx, NULL,
                     NULL);
        free(dh);
        dh = dx;
    }
    free(dtop);
}

static void refrun_free(refrun *R)
{
    for (int l = 0; l < MAXL; l++) {
        free(R->out[l]);
        free(R->hT[l]);
        free(R->cT[l]);
    }
    free(R->top);
    free(R->y);
    free(R->dy);
    memset(R, 0, sizeof *R);
}

/* ---- tolerances ------------------------------------------------------------------------- */

static double k_forward(const model *M, int T)
{
    const int H = M->c.hidden_size, HD = H * M->D;
    double K = HD + 1;
    for (int l = 0; l < M->c.num_layers; l++)
        K += (double)((l ? HD : M->c.input_size) + H + 1) * T;
    return K;
}

static double k_grad(const model *M, int T, int B)
{
    return k_forward(M, T) * M->G * M->c.hidden_size * T * T * B * M->c.num_layers * M->D;
}

static int loss_close(const char *name, double got, double ref, double K)
{
    const double tol = C_TOL * ref_log2_ceil(K) * FLT_EPSILON * fmax(1.0, fabs(ref));
    if (fabs(got - ref) <= tol)
        return 1;
    printf("MISMATCH %s %s: %.10g vs %.10g, |diff| %.3g > allowed %.3g\n", where, name, got, ref,
           fabs(got - ref), tol);
    return 0;
}

/* Float against float within the scaled tolerance of K (b taken as the reference). */
static int floats_close(const char *name, const float *a, const float *b, size_t n, double K)
{
    double *bd = ref_dup_f2d(b, n);
    char full[sizeof where + 128];
    snprintf(full, sizeof full, "%s %s", where, name);
    const int ok = ref_check_scaled(full, a, bd, n, C_TOL, K);
    free(bd);
    return ok;
}

/* Some element differs by more than 100 times the scaled tolerance: a comparison that the test
 * relies on to be meaningful (two things that must differ) is not vacuous. */
static int floats_far(const float *a, const float *b, size_t n, double K)
{
    double m = 0.0, d = 0.0;
    for (size_t k = 0; k < n; k++) {
        m = fmax(m, fabs((double)b[k]));
        d = fmax(d, fabs((double)a[k] - (double)b[k]));
    }
    return d > 100.0 * C_TOL * ref_log2_ceil(K) * FLT_EPSILON * fmax(1.0, m);
}

static float *fdup(const float *p, size_t n)
{
    float *q = ref_malloc(sizeof(float) * (n ? n : 1));
    memcpy(q, p, sizeof(float) * n);
    return q;
}

/* ---- 1. finite differences ---------------------------------------------------------------- */

typedef struct {
    model *M;
    const data *Dt;
    int tokens;
    /* optional: each evaluation starts from the state reached by predicting `pre` (full
     * lengths) from zeros at the unperturbed parameters, so the state is held fixed */
    rnnbptt_state *s;
    const data *pre;
    float *pre_out;
} fdcase;

typedef struct {
    size_t checked, skipped, failed;
    double worst;           /* largest |D4 − g| / allowed */
    double amin, amax, gmax; /* the range of the allowed differences, the largest |g| */
} tally;

/* train_step's loss at the current parameters; k, v0: the element perturbed and its value. */
static double fd_lib_loss(const fdcase *F, size_t k, float v0)
{
    if (F->s) {
        const float v = F->M->p[k];
        const rnnbptt_batch pb = data_batch(F->pre, 0);
        F->M->p[k] = v0;
        CHECK_OK(rnnbptt_state_reset(F->s, -1));
        CHECK_OK(rnnbptt_model_predict(F->M->m, &pb, F->s, F->pre_out));
        F->M->p[k] = v;
    }
    const rnnbptt_batch b = data_batch(F->Dt, F->tokens);
    double L = NAN;
    rnnbptt_model_zero_grad(F->M->m);
    CHECK_OK(rnnbptt_model_train_step(F->M->m, &b, F->s, &L));
    return L;
}

/* The reference at P (with the prefix's final states as h0, c0 when F->s); the ReLU pattern of
 * every layer's output is stored in pat (set) or compared with it (returns 1 if it changed). */
static int fd_ref(const fdcase *F, const double *P, const double *x, double *const *h0,
                  double *const *c0, refrun *R, unsigned char *pat, int set)
{
    const model *M = F->M;
    const size_t n = (size_t)F->Dt->T * F->Dt->B * M->c.hidden_size * M->D;
    int flipped = 0;
    refm_forward(M, P, F->Dt, x, h0, c0, 0, R);
    if (pat)
        for (int l = 0; l < M->c.num_layers; l++)
            for (size_t k = 0; k < n; k++) {
                const unsigned char on = R->out[l][k] > 0.0;
                if (set)
                    pat[l * n + k] = on;
                else
                    flipped |= on != pat[l * n + k];
            }
    return flipped;
}

static void fd_check(const fdcase *F, const char *ctx, tally *tl)
{
    static const int m[6] = {1, -1, 2, -2, 4, -4};
    model *M = F->M;
    const int relu = M->c.cell == RNNBPTT_RNN_RELU;
    const double s = relu ? STEP_RELU : STEP;
    const int T = F->Dt->T, B = F->Dt->B, O = M->c.output_size;
    snprintf(where, sizeof where, "%s", ctx);

    double *P = ref_dup_f2d(M->p, M->P), *x = data_input(F->Dt, F->tokens);
    refrun pre = {0}, R;
    if (F->s) {
        double *xp = data_input(F->pre, 0);
        refm_forward(M, P, F->pre, xp, NULL, NULL, 0, &pre);
        free(xp);
    }
    double *const *h0 = F->s ? pre.hT : NULL, *const *c0 = F->s ? pre.cT : NULL;
    const size_t npat = (size_t)M->c.num_layers * T * B * M->c.hidden_size * M->D;
    unsigned char *pat = relu ? ref_malloc(npat) : NULL;
    fd_ref(F, P, x, h0, c0, &R, pat, 1);

    /* rounding bound of the loss: Σ_o |∂L/∂y_o|·ē_o */
    const double e = ref_log2_ceil(k_forward(M, T)) * FLT_EPSILON;
    double sw = 0.0;
    for (size_t k = 0; k < (size_t)R.N * O; k++)
        sw += fabs(R.dy[k]) * e * fmax(1.0, fabs(R.y[k]));
    const double noise = 1.5 / s * sw;

    /* the library's loss and gradient at the point; its loss against the reference's */
    const double L0 = fd_lib_loss(F, 0, M->p[0]);
    float *g = fdup(M->g, M->P);
    const double Lallowed = sw + ref_log2_ceil((double)R.N * O) * FLT_EPSILON * fabs(R.loss);
    if (!(fabs(L0 - R.loss) <= Lallowed)) {
        printf("MISMATCH %s loss %.10g, reference %.10g, |diff| %.3g > allowed %.3g\n", ctx, L0,
               R.loss, fabs(L0 - R.loss), Lallowed);
        tl->failed++;
    }
    double gmax = 0.0;
    for (size_t k = 0; k < M->P; k++)
        gmax = fmax(gmax, fabs((double)g[k]));
    const double eg = C_TOL * ref_log2_ceil(k_grad(M, T, B)) * FLT_EPSILON * fmax(1.0, gmax);

    for (size_t k = 0; k < M->P; k++) {
        const float v0 = M->p[k];
        double L[6];
        int flipped = 0;
        for (int j = 0; j < 6; j++) {
            const double target = (double)v0 + m[j] * s;
            M->p[k] = (float)target;
            assert_true((double)M->p[k] == target); /* the perturbation is exact */
            L[j] = fd_lib_loss(F, k, v0);
            if (relu) {
                refrun Rj;
                P[k] = target;
                flipped |= fd_ref(F, P, x, h0, c0, &Rj, pat, 0);
                refrun_free(&Rj);
            }
        }
        M->p[k] = v0;
        P[k] = v0;
        if (flipped) {
            tl->skipped++;
            continue;
        }
        const double d4 = (8.0 * (L[0] - L[1]) - (L[2] - L[3])) / (12.0 * s);
        const double d42 = (8.0 * (L[2] - L[3]) - (L[4] - L[5])) / (24.0 * s);
        const double allowed = noise + 2.0 * fabs(d4 - d42) / 15.0 + eg;
        const double err = fabs(d4 - (double)g[k]);
        tl->amin = tl->checked ? fmin(tl->amin, allowed) : allowed;
        tl->amax = fmax(tl->amax, allowed);
        tl->gmax = fmax(tl->gmax, fabs((double)g[k]));
        tl->checked++;
        if (!(err / allowed <= tl->worst))
            tl->worst = isnan(err) ? INFINITY : err / allowed;
        if (!(err <= allowed)) {
            tl->failed++;
            printf("MISMATCH %s param %zu: finite difference %.9g, gradient %.9g, |diff| %.3g > "
                   "allowed %.3g (rounding %.3g)\n",
                   ctx, k, d4, (double)g[k], err, allowed, noise);
        }
    }
    free(g);
    free(P);
    free(x);
    free(pat);
    refrun_free(&R);
    refrun_free(&pre);
}

/* Beside the finite differences, for a case without state: predict's outputs against the
 * reference (zero rows past a length, bit for bit), gradients accumulate, predict touches no
 * gradient. */
static void check_forward_and_accumulation(model *M, const data *Dt, const char *ctx)
{
    const int T = Dt->T, B = Dt->B, O = M->c.output_size;
    const size_t N = out_rows(M, T, B), no = N * O;
    snprintf(where, sizeof where, "%s", ctx);
    double *P = ref_dup_f2d(M->p, M->P), *x = data_input(Dt, 0);
    refrun R;
    refm_forward(M, P, Dt, x, NULL, NULL, 0, &R);
    float *out = ref_malloc(sizeof(float) * no);
    const rnnbptt_batch b = data_batch(Dt, 0);
    rnnbptt_model_zero_grad(M->m);
    double L1 = NAN, L2 = NAN;
    CHECK_OK(rnnbptt_model_train_step(M->m, &b, NULL, &L1));
    float *g1 = fdup(M->g, M->P);
    CHECK_OK(rnnbptt_model_predict(M->m, &b, NULL, out));
    CHECK(memcmp(g1, M->g, sizeof(float) * M->P) == 0); /* predict touches no gradient */
    CHECK_OK(rnnbptt_model_train_step(M->m, &b, NULL, &L2));
    CHECK(L1 == L2);
    for (size_t k = 0; k < M->P; k++)
        CHECK(M->g[k] == 2.0f * g1[k]); /* accumulated: g + g, exactly */
    CHECK_OK(rnnbptt_model_train_step(M->m, &b, NULL, NULL)); /* loss may be NULL */
    const double e = ref_log2_ceil(k_forward(M, T)) * FLT_EPSILON;
    int ok = 1;
    for (size_t n = 0; n < N; n++) {
        const int valid = Dt->last || (int)(n / B) < data_len(Dt, (int)(n % B));
        for (int o = 0; o < O; o++) {
            const float got = out[n * O + o];
            const double want = R.y[n * O + o];
            const double allowed = C_TOL * e * fmax(1.0, fabs(want));
            if (valid ? !(fabs(got - want) <= allowed) : got != 0.0f) {
                printf("MISMATCH %s output row %zu col %d: %.9g vs reference %.9g%s\n", ctx, n, o,
                       (double)got, valid ? want : 0.0, valid ? "" : " (past the length: 0)");
                ok = 0;
            }
        }
    }
    CHECK(ok);
    rnnbptt_model_zero_grad(M->m);
    for (size_t k = 0; k < M->P; k++)
        CHECK(M->g[k] == 0.0f);
    free(out);
    free(g1);
    free(P);
    free(x);
    refrun_free(&R);
}

static void fd_cell(rnnbptt_cell cell)
{
    enum { T = 3, B = 3, I = 3, H = 3, L = 2, O = 3 };
    static const int len[B] = {2, 3, 1}; /* unsorted, one of length 1, one full */
    tally tl = {0};
    char ctx[128];
    int n = 0;
    for (int bidir = 0; bidir <= 1; bidir++)
        for (int loss = 0; loss <= 1; loss++)
            for (int at = 0; at <= 1; at++, n++) {
                model M;
                data Dt;
                snprintf(ctx, sizeof ctx, "fd %s L=%d bidir=%d %s %s", CELL_NAMES[cell], L, bidir,
                         loss ? "xent" : "mse", at ? "last" : "every");
                snprintf(where, sizeof where, "%s", ctx);
                model_make(&M, cell, I, H, L, bidir, O, (rnnbptt_loss_kind)loss,
                           (rnnbptt_loss_at)at, 0xF0D0u + 16u * cell + (uint64_t)n);
                data_make(&Dt, &M, T, B, len, 0xDA7Au + 16u * cell + (uint64_t)n);
                check_forward_and_accumulation(&M, &Dt, ctx);
                const fdcase F = {.M = &M, .Dt = &Dt};
                const size_t before = tl.failed;
                fd_check(&F, ctx, &tl);
                if (tl.failed != before)
                    printf("[%s] %zu failures\n", ctx, tl.failed - before);
                data_free(&Dt);
                rnnbptt_model_destroy(M.m);
            }
    printf("[fd %s] %zu checked, %zu skipped at ReLU kinks, %zu failed; worst |diff|/allowed "
           "%.3g; allowed %.2g..%.2g, max |g| %.2g\n",
           CELL_NAMES[cell], tl.checked, tl.skipped, tl.failed, tl.worst, tl.amin, tl.amax,
           tl.gmax);
    snprintf(where, sizeof where, "fd %s", CELL_NAMES[cell]);
    CHECK(tl.failed == 0);
    CHECK((double)tl.checked >= MIN_CHECKED * (double)(tl.checked + tl.skipped));
}

static void test_fd_tanh(void **state) { (void)state; fd_cell(RNNBPTT_RNN_TANH); }
static void test_fd_relu(void **state) { (void)state; fd_cell(RNNBPTT_RNN_RELU); }
static void test_fd_lstm(void **state) { (void)state; fd_cell(RNNBPTT_LSTM); }
static void test_fd_gru(void **state) { (void)state; fd_cell(RNNBPTT_GRU); }

/* ---- 2. token inputs ---------------------------------------------------------------------- */

/* loss, gradients and outputs of one call (train_step then predict, NULL state) */
typedef struct {
    double loss;
    float *g, *out;
} result;

static result run_once(model *M, const rnnbptt_batch *b)
{
    result r = {NAN, NULL, NULL};
    rnnbptt_model_zero_grad(M->m);
    CHECK_OK(rnnbptt_model_train_step(M->m, b, NULL, &r.loss));
    r.g = fdup(M->g, M->P);
    r.out = ref_malloc(sizeof(float) * out_rows(M, b->T, b->B) * M->c.output_size);
    CHECK_OK(rnnbptt_model_predict(M->m, b, NULL, r.out));
    return r;
}

static int result_same(const model *M, const result *a, const result *b, size_t no)
{
    return memcmp(&a->loss, &b->loss, sizeof(double)) == 0
           && memcmp(a->g, b->g, sizeof(float) * M->P) == 0
           && memcmp(a->out, b->out, sizeof(float) * no) == 0;
}

static void result_free(result *r)
{
    free(r->g);
    free(r->out);
}

static void tokens_cell(rnnbptt_cell cell)
{
    enum { T = 4, B = 3, V = 5, H = 3, L = 2, O = 4 };
    static const int len[B] = {3, 4, 1};
    int n = 0;
    for (int bidir = 0; bidir <= 1; bidir++)
        for (int kind = 0; kind <= 1; kind++, n++) {
            /* kind 0: xent at every step, 1: MSE at the last step */
            const rnnbptt_loss_kind loss = kind ? RNNBPTT_LOSS_MSE : RNNBPTT_LOSS_SOFTMAX_XENT;
            const rnnbptt_loss_at at = kind ? RNNBPTT_LOSS_LAST_STEP : RNNBPTT_LOSS_EVERY_STEP;
            model M;
            data Dt;
            snprintf(where, sizeof where, "tokens %s bidir=%d %s", CELL_NAMES[cell], bidir,
                     kind ? "mse last" : "xent every");
            model_make(&M, cell, V, H, L, bidir, O, loss, at, 0x70Cu + 8u * cell + (uint64_t)n);
            data_make(&Dt, &M, T, B, len, 0x70Du + 8u * cell + (uint64_t)n);
            const size_t no = out_rows(&M, T, B) * O, rows = out_rows(&M, T, B);
            /* the same one-hot inputs as floats (x past a length: finite, anything) */
            float *onehot = ref_malloc(sizeof(float) * (size_t)T * B * V);
            for (int k = 0; k < T * B; k++)
                for (int v = 0; v < V; v++)
                    onehot[(size_t)k * V + v] = Dt.tok[k] == v ? 1.0f : 0.0f;
            rnnbptt_batch bt = data_batch(&Dt, 1), bx = bt;
            bx.tokens = NULL;
            bx.x = onehot;
            result rt = run_once(&M, &bt), rx = run_once(&M, &bx);
            const double Kw = k_grad(&M, T, B);
            int ok = loss_close("loss tokens vs one-hot", rt.loss, rx.loss, k_forward(&M, T));
            ok &= floats_close("grads tokens vs one-hot", rt.g, rx.g, M.P, Kw);
            ok &= floats_close("outputs tokens vs one-hot", rt.out, rx.out, no, k_forward(&M, T));
            CHECK(ok);
            CHECK(rt.loss > 0.0);

            /* garbage past each length: token ids, labels, targets (NaN) are never read */
            int *tok2 = ref_malloc(sizeof(int) * T * B), *lab2 = ref_malloc(sizeof(int) * rows);
            float *tgt2 = fdup(Dt.tgt, rows * O);
            memcpy(tok2, Dt.tok, sizeof(int) * T * B);
            memcpy(lab2, Dt.lab, sizeof(int) * rows);
            for (int t = 0; t < T; t++)
                for (int b = 0; b < B; b++)
                    if (t >= len[b]) {
                        tok2[t * B + b] = (t + b) % 2 ? 99999 : -5;
                        if (!Dt.last) {
                            lab2[t * B + b] = (t + b) % 2 ? -5 : 99999;
                            for (int o = 0; o < O; o++)
                                tgt2[((size_t)t * B + b) * O + o] = NAN;
                        }
                    }
            rnnbptt_batch bg = bt;
            bg.tokens = tok2;
            bg.labels = lab2;
            bg.targets = tgt2;
            result rg = run_once(&M, &bg);
            if (!result_same(&M, &rg, &rt, no)) {
                printf("MISMATCH %s: garbage past the lengths changed the result (loss %.10g vs "
                       "%.10g)\n",
                       where, rg.loss, rt.loss);
                fail();
            }
            /* the same with float inputs: labels and targets past a length never read */
            rnnbptt_batch bxg = bx;
            bxg.labels = lab2;
            bxg.targets = tgt2;
            result rxg = run_once(&M, &bxg);
            if (!result_same(&M, &rxg, &rx, no)) {
                printf("MISMATCH %s: labels/targets past the lengths changed the float-input "
                       "result (loss %.10g vs %.10g)\n",
                       where, rxg.loss, rx.loss);
                fail();
            }
            result_free(&rt);
            result_free(&rx);
            result_free(&rg);
            result_free(&rxg);
            free(tok2);
            free(lab2);
            free(tgt2);
            free(onehot);
            data_free(&Dt);
            rnnbptt_model_destroy(M.m);
        }
    ref_check_report(where);
}

static void test_tokens_tanh(void **state) { (void)state; tokens_cell(RNNBPTT_RNN_TANH); }
static void test_tokens_relu(void **state) { (void)state; tokens_cell(RNNBPTT_RNN_RELU); }
static void test_tokens_lstm(void **state) { (void)state; tokens_cell(RNNBPTT_LSTM); }
static void test_tokens_gru(void **state) { (void)state; tokens_cell(RNNBPTT_GRU); }

/* ---- 3. state carry ----------------------------------------------------------------------- */

/* A window [t0, t0 + T) of a full-length stream Dt (time-major: contiguous slices). */
static rnnbptt_batch window(const data *Dt, int t0, int T, int tokens)
{
    const size_t r0 = (size_t)t0 * Dt->B;
    return (rnnbptt_batch){.T = T, .B = Dt->B, .x = tokens ? NULL : Dt->x + r0 * Dt->I,
                           .tokens = tokens ? Dt->tok + r0 : NULL,
                           .targets = Dt->tgt + r0 * Dt->O, .labels = Dt->lab + r0};
}

static void state_cell(rnnbptt_cell cell)
{
    enum { TS = 9, B = 3, I = 3, H = 4, L = 2, O = 3, NW = 3 };
    static const int wt[NW + 1] = {0, 3, 6, 8}; /* windows 3, 3, 2, then one step */
    model M;
    data S;
    rnnbptt_state *s;
    snprintf(where, sizeof where, "state %s", CELL_NAMES[cell]);
    model_make(&M, cell, I, H, L, 0, O, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP,
               0x57A7u + (uint64_t)cell);
    data_make(&S, &M, TS, B, NULL, 0x57A8u + (uint64_t)cell);
    CHECK_OK(rnnbptt_state_create(M.m, B, &s));
    const size_t row = (size_t)B * O, nall = (size_t)TS * row;
    const double Kf = k_forward(&M, TS), Kw = k_grad(&M, TS, B);
    int ok = 1;

    /* one long run: predict over all TS steps; train_step over the first 8 */
    float *yfull = ref_malloc(sizeof(float) * nall), *y = ref_malloc(sizeof(float) * nall);
    rnnbptt_batch full = window(&S, 0, TS, 0);
    CHECK_OK(rnnbptt_model_predict(M.m, &full, NULL, yfull));
    rnnbptt_batch first8 = window(&S, 0, wt[NW], 0);
    double Lfull = NAN;
    rnnbptt_model_zero_grad(M.m);
    CHECK_OK(rnnbptt_model_train_step(M.m, &first8, NULL, &Lfull));
    float *gfull = fdup(M.g, M.P);

    /* (a) predict in windows with one state == the long run */
    for (int w = 0; w <= NW; w++) {
        const int t1 = w < NW ? wt[w + 1] : TS;
        rnnbptt_batch b = window(&S, wt[w], t1 - wt[w], 0);
        CHECK_OK(rnnbptt_model_predict(M.m, &b, s, y + (size_t)wt[w] * row));
    }
    ok &= floats_close("windowed predict vs long run", y, yfull, nall, Kf);
    /* non-vacuous: window 2 from zeros differs from the carried one */
    {
        rnnbptt_batch b = window(&S, wt[1], wt[2] - wt[1], 0);
        float *y0 = ref_malloc(sizeof(float) * (size_t)(wt[2] - wt[1]) * row);
        CHECK_OK(rnnbptt_model_predict(M.m, &b, NULL, y0));
        CHECK(floats_far(y0, yfull + (size_t)wt[1] * row, (size_t)(wt[2] - wt[1]) * row, Kf));
        free(y0);
    }

    /* (b) train_step in windows with one state: losses sum to the long run's; then a predict of
     * the last step from the written-back state equals the long run's last step */
    CHECK_OK(rnnbptt_state_reset(s, -1));
    rnnbptt_model_zero_grad(M.m);
    double Lsum = 0.0;
    for (int w = 0; w < NW; w++) {
        rnnbptt_batch b = window(&S, wt[w], wt[w + 1] - wt[w], 0);
        double Lw = NAN;
        CHECK_OK(rnnbptt_model_train_step(M.m, &b, s, &Lw));
        Lsum += Lw;
    }
    float *gwin = fdup(M.g, M.P);
    ok &= loss_close("windowed train_step loss sum vs long run", Lsum, Lfull, Kf);
    {
        rnnbptt_batch b = window(&S, wt[NW], 1, 0);
        CHECK_OK(rnnbptt_model_predict(M.m, &b, s, y));
        ok &= floats_close("predict after windowed train_step", y, yfull + (size_t)wt[NW] * row,
                           row, Kf);
    }

    /* (c) gradients: the windowed run == each window alone from a state reached by predict
     * (detached), and != full BPTT (gradient does not cross windows) */
    rnnbptt_model_zero_grad(M.m);
    for (int w = 0; w < NW; w++) {
        CHECK_OK(rnnbptt_state_reset(s, -1));
        for (int v = 0; v < w; v++) {
            rnnbptt_batch b = window(&S, wt[v], wt[v + 1] - wt[v], 0);
            CHECK_OK(rnnbptt_model_predict(M.m, &b, s, y));
        }
        rnnbptt_batch b = window(&S, wt[w], wt[w + 1] - wt[w], 0);
        CHECK_OK(rnnbptt_model_train_step(M.m, &b, s, NULL));
    }
    ok &= floats_close("windowed grads vs detached windows", gwin, M.g, M.P, Kw);
    CHECK(floats_far(gwin, gfull, M.P, Kw));

    /* (d) per-row reset: row 1 restarts at window 1, the others carry on */
    CHECK_OK(rnnbptt_state_reset(s, -1));
    {
        rnnbptt_batch b0 = window(&S, 0, wt[1], 0), b1 = window(&S, wt[1], wt[2] - wt[1], 0);
        const size_t n1 = (size_t)(wt[2] - wt[1]) * row;
        float *y0 = ref_malloc(sizeof(float) * n1);
        CHECK_OK(rnnbptt_model_predict(M.m, &b0, s, y));
        CHECK_OK(rnnbptt_state_reset(s, 1));
        CHECK_OK(rnnbptt_model_predict(M.m, &b1, s, y));
        CHECK_OK(rnnbptt_model_predict(M.m, &b1, NULL, y0));
        /* expected: rows 0, 2 from the long run, row 1 from zeros */
        float *want = fdup(yfull + (size_t)wt[1] * row, n1);
        for (int t = 0; t < wt[2] - wt[1]; t++)
            memcpy(want + ((size_t)t * B + 1) * O, y0 + ((size_t)t * B + 1) * O,
                   sizeof(float) * O);
        ok &= floats_close("per-row reset", y, want, n1, Kf);
        CHECK(floats_far(y0, yfull + (size_t)wt[1] * row, n1, Kf));
        free(y0);
        free(want);
    }

    /* (e) variable lengths: each row's state is written back after its own last step, by
     * predict and by train_step; window 1 then continues each row's own sequence */
    {
        static const int len0[B] = {2, 3, 1};
        enum { T1 = 2 };
        data W0;
        data_make(&W0, &M, 3, B, len0, 0x57A9u + (uint64_t)cell);
        rnnbptt_batch b0 = data_batch(&W0, 0), b1 = window(&S, 0, T1, 0);
        float *y0 = ref_malloc(sizeof(float) * 3 * row), *y1 = ref_malloc(sizeof(float) * T1 * row);
        for (int via_train = 0; via_train <= 1; via_train++) {
            CHECK_OK(rnnbptt_state_reset(s, -1));
            if (via_train) {
                CHECK_OK(rnnbptt_model_train_step(M.m, &b0, s, NULL));
            } else {
                CHECK_OK(rnnbptt_model_predict(M.m, &b0, s, y0));
                for (int t = 0; t < 3; t++)
                    for (int b = 0; b < B; b++)
                        for (int o = 0; o < O; o++)
                            if (t >= len0[b])
                                CHECK(y0[((size_t)t * B + b) * O + o] == 0.0f);
            }
            CHECK_OK(rnnbptt_model_predict(M.m, &b1, s, y1));
            for (int b = 0; b < B; b++) {
                /* row b alone (B = 1, no state): its len0[b] steps, then window 1's steps */
                const int Tb = len0[b] + T1;
                float *xb = ref_malloc(sizeof(float) * Tb * I);
                float *yb = ref_malloc(sizeof(float) * Tb * O);
                for (int t = 0; t < len0[b]; t++)
                    memcpy(xb + (size_t)t * I, W0.x + ((size_t)t * B + b) * I, sizeof(float) * I);
                for (int t = 0; t < T1; t++)
                    memcpy(xb + (size_t)(len0[b] + t) * I, S.x + ((size_t)t * B + b) * I,
                           sizeof(float) * I);
                rnnbptt_batch bb = {.T = Tb, .B = 1, .x = xb};
                CHECK_OK(rnnbptt_model_predict(M.m, &bb, NULL, yb));
                float got[T1 * O];
                for (int t = 0; t < T1; t++)
                    memcpy(got + t * O, y1 + ((size_t)t * B + b) * O, sizeof(float) * O);
                char name[96];
                snprintf(name, sizeof name, "lengths, row %d after %s", b,
                         via_train ? "train_step" : "predict");
                ok &= floats_close(name, got, yb + (size_t)len0[b] * O, (size_t)T1 * O, Kf);
                free(xb);
                free(yb);
            }
        }
        free(y0);
        free(y1);
        data_free(&W0);
    }

    /* (f) the gradient of a window from a carried state is the derivative with that state held
     * fixed (central differences, as group 1) */
    {
        static const int lenw[B] = {2, 3, 1};
        data Wd, Pre;
        tally tl = {0};
        char ctx[96];
        data_make(&Wd, &M, 3, B, lenw, 0x57AAu + (uint64_t)cell);
        data_make(&Pre, &M, 2, B, NULL, 0x57ABu + (uint64_t)cell);
        float *pout = ref_malloc(sizeof(float) * 2 * row);
        const fdcase F = {.M = &M, .Dt = &Wd, .s = s, .pre = &Pre, .pre_out = pout};
        snprintf(ctx, sizeof ctx, "state fd %s", CELL_NAMES[cell]);
        fd_check(&F, ctx, &tl);
        printf("[%s] %zu checked, %zu skipped at ReLU kinks, %zu failed; worst ratio %.3g; "
               "allowed %.2g..%.2g, max |g| %.2g\n",
               ctx, tl.checked, tl.skipped, tl.failed, tl.worst, tl.amin, tl.amax, tl.gmax);
        snprintf(where, sizeof where, "%s", ctx);
        CHECK(tl.failed == 0);
        CHECK((double)tl.checked >= MIN_CHECKED * (double)(tl.checked + tl.skipped));
        free(pout);
        data_free(&Wd);
        data_free(&Pre);
    }
    snprintf(where, sizeof where, "state %s", CELL_NAMES[cell]);
    CHECK(ok);
    ref_check_report(where);
    free(yfull);
    free(y);
    free(gfull);
    free(gwin);
    rnnbptt_state_destroy(s);
    data_free(&S);
    rnnbptt_model_destroy(M.m);
}

static void test_state_tanh(void **state) { (void)state; state_cell(RNNBPTT_RNN_TANH); }
static void test_state_relu(void **state) { (void)state; state_cell(RNNBPTT_RNN_RELU); }
static void test_state_lstm(void **state) { (void)state; state_cell(RNNBPTT_LSTM); }
static void test_state_gru(void **state) { (void)state; state_cell(RNNBPTT_GRU); }

/* ---- 4. TBPTT(k1, k2) ----------------------------------------------------------------------- */

enum { TS = 12, TB = 3, TI = 4, TH = 3, TL = 2, TO = 3, RESET_AT = 6, RESET_ROW = 1 };

/* TBPTT(k1, k2) on a 12-step stream of TB rows, the parameters updated by SGD between calls,
 * row RESET_ROW reset at step RESET_AT, against the plain-loop reference of the definition:
 * per row, the state s at the window start (double), the window start ws; each call runs the
 * window [ws, n1) from s with the current parameters, loss at the k1 new steps only, and moves
 * s to the new start max(ws, n1 − (k2 − k1)) along that recomputation. */
static void tbptt_reference(rnnbptt_cell cell, int k1, int k2, int tokens, rnnbptt_loss_kind loss)
{
    model M;
    data S;
    rnnbptt_tbptt *t;
    snprintf(where, sizeof where, "tbptt %s k1=%d k2=%d %s %s", CELL_NAMES[cell], k1, k2,
             tokens ? "tokens" : "x", loss ? "xent" : "mse");
    model_make(&M, cell, TI, TH, TL, 0, TO, loss, RNNBPTT_LOSS_EVERY_STEP,
               0x7B0u + 64u * cell + 8u * (uint64_t)k1 + (uint64_t)k2);
    data_make(&S, &M, TS, TB, NULL, 0x7B1u + 64u * cell + (uint64_t)k2);
    double *xs = data_input(&S, tokens);
    CHECK_OK(rnnbptt_tbptt_create(M.m, TB, k1, k2, &t));
    double *sh[TB][TL], *sc[TB][TL];
    int ws[TB];
    for (int b = 0; b < TB; b++) {
        ws[b] = 0;
        for (int l = 0; l < TL; l++) {
            sh[b][l] = ref_calloc(TH, sizeof(double));
            sc[b][l] = ref_calloc(TH, sizeof(double));
        }
    }
    const double Kf = k_forward(&M, TS), Kw = k_grad(&M, TS, TB);
    int ok = 1;
    for (int call = 0; call < TS / k1; call++) {
        const int n0 = call * k1, n1 = n0 + k1;
        char name[64];
        if (n0 == RESET_AT) {
            CHECK_OK(rnnbptt_tbptt_reset(t, RESET_ROW));
            for (int l = 0; l < TL; l++) {
                memset(sh[RESET_ROW][l], 0, sizeof(double) * TH);
                memset(sc[RESET_ROW][l], 0, sizeof(double) * TH);
            }
            ws[RESET_ROW] = n0;
        }
        rnnbptt_batch b = window(&S, n0, k1, tokens);
        double Llib = NAN;
        rnnbptt_model_zero_grad(M.m);
        CHECK_OK(rnnbptt_tbptt_step(t, &b, &Llib));

        double *P = ref_dup_f2d(M.p, M.P), *dP = ref_calloc(M.P, sizeof(double)), Lref = 0.0;
        for (int r = 0; r < TB; r++) {
            const int W = n1 - ws[r];
            data Dw = {.T = W, .B = 1, .I = TI, .O = TO};
            double *xw = ref_malloc(sizeof(double) * W * TI);
            Dw.tgt = ref_malloc(sizeof(float) * W * TO);
            Dw.lab = ref_malloc(sizeof(int) * W);
            for (int u = 0; u < W; u++) {
                const size_t src = (size_t)(ws[r] + u) * TB + r;
                memcpy(xw + (size_t)u * TI, xs + src * TI, sizeof(double) * TI);
                memcpy(Dw.tgt + (size_t)u * TO, S.tgt + src * TO, sizeof(float) * TO);
                Dw.lab[u] = S.lab[src];
            }
            refrun R;
            refm_forward(&M, P, &Dw, xw, sh[r], sc[r], n0 - ws[r], &R);
            refm_backward(&M, P, xw, sh[r], sc[r], &R, dP);
            Lref += R.loss;
            refrun_free(&R);
            const int nws = ws[r] > n1 - (k2 - k1) ? ws[r] : n1 - (k2 - k1);
            if (nws > ws[r]) { /* the next window's s along this recomputation */
                Dw.T = nws - ws[r];
                refm_forward(&M, P, &Dw, xw, sh[r], sc[r], 0, &R);
                for (int l = 0; l < TL; l++) {
                    memcpy(sh[r][l], R.hT[l], sizeof(double) * TH);
                    memcpy(sc[r][l], R.cT[l], sizeof(double) * TH);
                }
                refrun_free(&R);
                ws[r] = nws;
            }
            free(xw);
            free(Dw.tgt);
            free(Dw.lab);
        }
        snprintf(name, sizeof name, "call %d loss", call);
        ok &= loss_close(name, Llib, Lref, Kf);
        char gname[sizeof where + 32];
        snprintf(gname, sizeof gname, "%s call %d grads", where, call);
        ok &= ref_check_scaled(gname, M.g, dP, M.P, C_TOL, Kw);
        free(P);
        free(dP);
        for (size_t k = 0; k < M.P; k++)
            M.p[k] -= (float)LR * M.g[k];
    }
    CHECK(ok);
    for (int b = 0; b < TB; b++)
        for (int l = 0; l < TL; l++) {
            free(sh[b][l]);
            free(sc[b][l]);
        }
    free(xs);
    rnnbptt_tbptt_destroy(t);
    data_free(&S);
    rnnbptt_model_destroy(M.m);
}

/* TBPTT(k, k) == train_step with a carried state (same resets, same SGD updates). */
static void tbptt_vs_state(rnnbptt_cell cell, int k, int tokens)
{
    model A, Bm;
    data S;
    rnnbptt_tbptt *t;
    rnnbptt_state *s;
    snprintf(where, sizeof where, "tbptt %s k1=k2=%d vs state carry %s", CELL_NAMES[cell], k,
             tokens ? "tokens" : "x");
    model_make(&A, cell, TI, TH, TL, 0, TO, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_EVERY_STEP,
               0x5C0u + (uint64_t)cell);
    model_make(&Bm, cell, TI, TH, TL, 0, TO, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_EVERY_STEP,
               0x5C0u + (uint64_t)cell);
    data_make(&S, &A, TS, TB, NULL, 0x5C1u + (uint64_t)cell);
    CHECK_OK(rnnbptt_tbptt_create(A.m, TB, k, k, &t));
    CHECK_OK(rnnbptt_state_create(Bm.m, TB, &s));
    const double Kf = k_forward(&A, TS), Kw = k_grad(&A, TS, TB);
    int ok = 1, bitwise = 1;
    for (int call = 0; call < TS / k; call++) {
        if (call * k == RESET_AT) {
            CHECK_OK(rnnbptt_tbptt_reset(t, RESET_ROW));
            CHECK_OK(rnnbptt_state_reset(s, RESET_ROW));
        }
        rnnbptt_batch b = window(&S, call * k, k, tokens);
        double La = NAN, Lb = NAN;
        char name[64];
        rnnbptt_model_zero_grad(A.m);
        rnnbptt_model_zero_grad(Bm.m);
        CHECK_OK(rnnbptt_tbptt_step(t, &b, &La));
        CHECK_OK(rnnbptt_model_train_step(Bm.m, &b, s, &Lb));
        snprintf(name, sizeof name, "call %d loss", call);
        ok &= loss_close(name, La, Lb, Kf);
        snprintf(name, sizeof name, "call %d grads", call);
        ok &= floats_close(name, A.g, Bm.g, A.P, Kw);
        bitwise &= La == Lb && memcmp(A.g, Bm.g, sizeof(float) * A.P) == 0;
        for (size_t j = 0; j < A.P; j++) {
            A.p[j] -= (float)LR * A.g[j];
            Bm.p[j] -= (float)LR * Bm.g[j];
        }
    }
    printf("[%s] %s\n", where, bitwise ? "bitwise equal" : "equal within rounding");
    CHECK(ok);
    rnnbptt_state_destroy(s);
    rnnbptt_tbptt_destroy(t);
    data_free(&S);
    rnnbptt_model_destroy(A.m);
    rnnbptt_model_destroy(Bm.m);
}

/* TBPTT(k1, k2 >= stream length) with fixed parameters: the accumulated gradient and the summed
 * loss equal one train_step (full BPTT) over the whole stream. */
static void tbptt_vs_full(rnnbptt_cell cell, int k1, int k2)
{
    model M;
    data S;
    rnnbptt_tbptt *t;
    snprintf(where, sizeof where, "tbptt %s k1=%d k2=%d vs full BPTT", CELL_NAMES[cell], k1, k2);
    model_make(&M, cell, TI, TH, TL, 0, TO, RNNBPTT_LOSS_SOFTMAX_XENT, RNNBPTT_LOSS_EVERY_STEP,
               0xF11u + (uint64_t)cell);
    data_make(&S, &M, TS, TB, NULL, 0xF12u + (uint64_t)cell);
    CHECK_OK(rnnbptt_tbptt_create(M.m, TB, k1, k2, &t));
    rnnbptt_batch full = window(&S, 0, TS, 0);
    double Lfull = NAN, Lsum = 0.0;
    rnnbptt_model_zero_grad(M.m);
    CHECK_OK(rnnbptt_model_train_step(M.m, &full, NULL, &Lfull));
    float *gfull = fdup(M.g, M.P);
    rnnbptt_model_zero_grad(M.m);
    for (int call = 0; call < TS / k1; call++) {
        rnnbptt_batch b = window(&S, call * k1, k1, 0);
        double Lc = NAN;
        CHECK_OK(rnnbptt_tbptt_step(t, &b, &Lc));
        Lsum += Lc;
    }
    int ok = loss_close("summed loss", Lsum, Lfull, k_forward(&M, TS));
    ok &= floats_close("accumulated grads", M.g, gfull, M.P, k_grad(&M, TS, TB));
    CHECK(ok);
    free(gfull);
    rnnbptt_tbptt_destroy(t);
    data_free(&S);
    rnnbptt_model_destroy(M.m);
}

static void tbptt_cell(rnnbptt_cell cell)
{
    static const int combos[][2] = {{1, 1}, {2, 5}, {3, 3}, {2, 7}};
    for (size_t i = 0; i < sizeof combos / sizeof combos[0]; i++)
        tbptt_reference(cell, combos[i][0], combos[i][1], 0, RNNBPTT_LOSS_SOFTMAX_XENT);
    tbptt_reference(cell, 2, 5, 1, RNNBPTT_LOSS_SOFTMAX_XENT); /* older tokens kept */
    tbptt_reference(cell, 3, 5, 0, RNNBPTT_LOSS_MSE);
    tbptt_vs_state(cell, 1, 0);
    tbptt_vs_state(cell, 3, 0);
    tbptt_vs_state(cell, 2, 1);
    tbptt_vs_full(cell, 3, TS);
    tbptt_vs_full(cell, 2, 20);
    tbptt_vs_full(cell, 1, TS);
    ref_check_report(CELL_NAMES[cell]);
}

static void test_tbptt_tanh(void **state) { (void)state; tbptt_cell(RNNBPTT_RNN_TANH); }
static void test_tbptt_lstm(void **state) { (void)state; tbptt_cell(RNNBPTT_LSTM); }
static void test_tbptt_gru(void **state) { (void)state; tbptt_cell(RNNBPTT_GRU); }

/* ---- 5. invalid arguments ------------------------------------------------------------------- */

enum { VT = 3, VB = 2, VI = 4, VH = 3, VL = 2, VO = 3, K1 = 2, K2 = 4 };

/* The fixture: model U (LSTM, xent every step) with nonzero gradients, two twin states and two
 * twin TBPTT objects with the same history, a second model V of the same configuration, and an
 * MSE model (GRU). Twins are compared after each rejected call: a state by one predict step on
 * both, a TBPTT object by one step on both (bitwise). */
typedef struct {
    model U, V, Mse;
    rnnbptt_state *s1, *s2, *sv, *s3; /* twins of U (B = VB), one of V, one of U with B = 3 */
    rnnbptt_tbptt *t1, *t2;           /* twins of U (B = VB, k1 = K1, k2 = K2) */
    data Dt, Dm, Ds;                  /* U's batch (lengths {2,3}), Mse's batch, a K1-step one */
    float *psnap, *gsnap, *out;
    int tbptt_tokens; /* the kind of the TBPTT twins' older steps: 0 x, 1 tokens */
} fixture;

static void fixture_make(fixture *X)
{
    static const int len[VB] = {2, 3};
    memset(X, 0, sizeof *X);
    model_make(&X->U, RNNBPTT_LSTM, VI, VH, VL, 0, VO, RNNBPTT_LOSS_SOFTMAX_XENT,
               RNNBPTT_LOSS_EVERY_STEP, 0x1A1u);
    model_make(&X->V, RNNBPTT_LSTM, VI, VH, VL, 0, VO, RNNBPTT_LOSS_SOFTMAX_XENT,
               RNNBPTT_LOSS_EVERY_STEP, 0x1A1u);
    model_make(&X->Mse, RNNBPTT_GRU, VI, VH, VL, 0, VO, RNNBPTT_LOSS_MSE,
               RNNBPTT_LOSS_EVERY_STEP, 0x1A2u);
    data_make(&X->Dt, &X->U, VT, VB, len, 0x1A3u);
    data_make(&X->Dm, &X->Mse, VT, VB, len, 0x1A4u);
    data_make(&X->Ds, &X->U, K1, VB, NULL, 0x1A5u);
    X->out = ref_malloc(sizeof(float) * VT * VB * VO);
    CHECK_OK(rnnbptt_state_create(X->U.m, VB, &X->s1));
    CHECK_OK(rnnbptt_state_create(X->U.m, VB, &X->s2));
    CHECK_OK(rnnbptt_state_create(X->V.m, VB, &X->sv));
    CHECK_OK(rnnbptt_state_create(X->U.m, 3, &X->s3));
    CHECK_OK(rnnbptt_tbptt_create(X->U.m, VB, K1, K2, &X->t1));
    CHECK_OK(rnnbptt_tbptt_create(X->U.m, VB, K1, K2, &X->t2));
    const rnnbptt_batch b = data_batch(&X->Dt, 0), bs = data_batch(&X->Ds, 0);
    CHECK_OK(rnnbptt_model_train_step(X->U.m, &b, X->s1, NULL));
    CHECK_OK(rnnbptt_model_train_step(X->U.m, &b, X->s2, NULL));
    CHECK_OK(rnnbptt_tbptt_step(X->t1, &bs, NULL));
    CHECK_OK(rnnbptt_tbptt_step(X->t2, &bs, NULL));
    X->psnap = fdup(X->U.p, X->U.P);
    X->gsnap = fdup(X->U.g, X->U.P);
}

static void fixture_free(fixture *X)
{
    rnnbptt_tbptt_destroy(X->t1);
    rnnbptt_tbptt_destroy(X->t2);
    rnnbptt_state_destroy(X->s1);
    rnnbptt_state_destroy(X->s2);
    rnnbptt_state_destroy(X->sv);
    rnnbptt_state_destroy(X->s3);
    data_free(&X->Dt);
    data_free(&X->Dm);
    data_free(&X->Ds);
    free(X->psnap);
    free(X->gsnap);
    free(X->out);
    rnnbptt_model_destroy(X->U.m);
    rnnbptt_model_destroy(X->V.m);
    rnnbptt_model_destroy(X->Mse.m);
}

/* Twin states equal: one predict step (T = 1) from each gives the same bits. */
static void check_twin_states(fixture *X, model *M, rnnbptt_state *a, rnnbptt_state *b)
{
    const rnnbptt_batch one = {.T = 1, .B = VB, .x = X->Dt.x};
    float ya[VB * VO], yb[VB * VO];
    CHECK_OK(rnnbptt_model_predict(M->m, &one, a, ya));
    CHECK_OK(rnnbptt_model_predict(M->m, &one, b, yb));
    CHECK(memcmp(ya, yb, sizeof ya) == 0);
}

/* Twin TBPTT objects equal: one valid step on each gives the same loss and gradient bits (the
 * model's parameters and gradients are restored afterwards). */
static void check_twin_tbptt(fixture *X)
{
    const rnnbptt_batch bs = data_batch(&X->Ds, X->tbptt_tokens);
    double La = NAN, Lb = NAN;
    float *ga;
    rnnbptt_model_zero_grad(X->U.m);
    CHECK_OK(rnnbptt_tbptt_step(X->t1, &bs, &La));
    ga = fdup(X->U.g, X->U.P);
    rnnbptt_model_zero_grad(X->U.m);
    CHECK_OK(rnnbptt_tbptt_step(X->t2, &bs, &Lb));
    CHECK(memcmp(&La, &Lb, sizeof La) == 0);
    CHECK(memcmp(ga, X->U.g, sizeof(float) * X->U.P) == 0);
    memcpy(X->U.g, X->gsnap, sizeof(float) * X->U.P);
    free(ga);
}

/* After a rejected call: U's parameters and gradients, the sentinels and every twin unchanged. */
static void check_untouched(fixture *X, const double *loss, const float *out, size_t nout)
{
    double sentinel;
    memset(&sentinel, SENT, sizeof sentinel);
    CHECK(memcmp(X->U.p, X->psnap, sizeof(float) * X->U.P) == 0);
    CHECK(memcmp(X->U.g, X->gsnap, sizeof(float) * X->U.P) == 0);
    if (loss)
        CHECK(memcmp(loss, &sentinel, sizeof sentinel) == 0);
    for (size_t k = 0; out && k < nout * sizeof(float); k++)
        CHECK(((const unsigned char *)out)[k] == SENT);
    check_twin_states(X, &X->U, X->s1, X->s2);
    check_twin_tbptt(X);
}

/* train_step and predict (and with the state s1) on batch b must be EINVAL, nothing written. */
static void expect_einval_calls(fixture *X, model *M, const rnnbptt_batch *b, int train,
                                int pred, const char *what)
{
    snprintf(where, sizeof where, "einval %s", what);
    rnnbptt_state *states[2] = {NULL, M == &X->U ? X->s1 : NULL};
    for (int si = 0; si < 2; si++) {
        if (si && !states[si])
            continue;
        double loss;
        memset(&loss, SENT, sizeof loss);
        memset(X->out, SENT, sizeof(float) * VT * VB * VO);
        float *gm = fdup(M->g, M->P), *pm = fdup(M->p, M->P);
        if (train) {
            CHECK_STATUS(rnnbptt_model_train_step(M->m, b, states[si], &loss),
                         RNNBPTT_EINVAL);
            CHECK(memcmp(M->g, gm, sizeof(float) * M->P) == 0);
            CHECK(memcmp(M->p, pm, sizeof(float) * M->P) == 0);
            check_untouched(X, &loss, NULL, 0);
        }
        if (pred) {
            CHECK_STATUS(rnnbptt_model_predict(M->m, b, states[si], X->out), RNNBPTT_EINVAL);
            CHECK(memcmp(M->g, gm, sizeof(float) * M->P) == 0);
            check_untouched(X, NULL, X->out, (size_t)VT * VB * VO);
        }
        free(gm);
        free(pm);
    }
}

static void test_invalid_calls(void **state)
{
    (void)state;
    fixture X;
    snprintf(where, sizeof where, "einval fixture");
    fixture_make(&X);
    const rnnbptt_batch good = data_batch(&X.Dt, 0);
    rnnbptt_batch b;
    int bad_len[VB], bad_tok[VT * VB], bad_lab[VT * VB];

    snprintf(where, sizeof where, "einval NULL model / batch");
    {
        double loss;
        memset(&loss, SENT, sizeof loss);
        memset(X.out, SENT, sizeof(float) * VT * VB * VO);
        CHECK_STATUS(rnnbptt_model_train_step(NULL, &good, NULL, &loss), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_model_train_step(X.U.m, NULL, NULL, &loss), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_model_train_step(X.U.m, NULL, X.s1, &loss), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_model_predict(NULL, &good, NULL, X.out), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_model_predict(X.U.m, NULL, X.s1, X.out), RNNBPTT_EINVAL);
        check_untouched(&X, &loss, X.out, (size_t)VT * VB * VO);
    }
    b = good, b.T = 0;
    expect_einval_calls(&X, &X.U, &b, 1, 1, "T = 0");
    b = good, b.T = -1, b.lengths = NULL;
    expect_einval_calls(&X, &X.U, &b, 1, 1, "T = -1");
    b = good, b.B = 0;
    expect_einval_calls(&X, &X.U, &b, 1, 1, "B = 0");
    b = good, b.B = -2;
    expect_einval_calls(&X, &X.U, &b, 1, 1, "B = -2");
    const int lens[][VB] = {{0, 3}, {2, 4}, {-1, 3}, {3, 0}};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char what[64];
        memcpy(bad_len, lens[i], sizeof bad_len);
        b = good, b.lengths = bad_len;
        snprintf(what, sizeof what, "lengths {%d, %d}", bad_len[0], bad_len[1]);
        expect_einval_calls(&X, &X.U, &b, 1, 1, what);
    }
    b = good, b.tokens = X.Dt.tok;
    expect_einval_calls(&X, &X.U, &b, 1, 1, "both x and tokens");
    b = good, b.x = NULL;
    expect_einval_calls(&X, &X.U, &b, 1, 1, "neither x nor tokens");
    /* token ids out of range at a valid step: row 0 has length 2, so step 1 is valid */
    const int toks[] = {VI, -1, 1 << 30};
    for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++) {
        char what[64];
        memcpy(bad_tok, X.Dt.tok, sizeof bad_tok);
        bad_tok[1 * VB + 0] = toks[i];
        b = good, b.x = NULL, b.tokens = bad_tok;
        snprintf(what, sizeof what, "token %d at a valid step", toks[i]);
        expect_einval_calls(&X, &X.U, &b, 1, 1, what);
    }
    /* labels out of range at a valid step: train_step only (predict ignores labels) */
    const int labs[] = {VO, -2, 1 << 30};
    for (size_t i = 0; i < sizeof labs / sizeof labs[0]; i++) {
        char what[64];
        memcpy(bad_lab, X.Dt.lab, sizeof bad_lab);
        bad_lab[1 * VB + 0] = labs[i];
        b = good, b.labels = bad_lab;
        snprintf(what, sizeof what, "label %d at a valid step", labs[i]);
        expect_einval_calls(&X, &X.U, &b, 1, 0, what);
        snprintf(where, sizeof where, "predict ignores %s", what);
        CHECK_OK(rnnbptt_model_predict(X.U.m, &b, NULL, X.out));
    }
    b = good, b.labels = NULL;
    expect_einval_calls(&X, &X.U, &b, 1, 0, "labels NULL (xent)");
    CHECK_OK(rnnbptt_model_predict(X.U.m, &b, NULL, X.out));
    b = data_batch(&X.Dm, 0), b.targets = NULL;
    expect_einval_calls(&X, &X.Mse, &b, 1, 0, "targets NULL (MSE)");
    CHECK_OK(rnnbptt_model_predict(X.Mse.m, &b, NULL, X.out));

    /* a state of another model (same configuration and B), of another B */
    snprintf(where, sizeof where, "einval foreign state");
    for (int which = 0; which < 2; which++) {
        rnnbptt_state *bad = which ? X.s3 : X.sv;
        double loss;
        memset(&loss, SENT, sizeof loss);
        memset(X.out, SENT, sizeof(float) * VT * VB * VO);
        CHECK_STATUS(rnnbptt_model_train_step(X.U.m, &good, bad, &loss), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_model_predict(X.U.m, &good, bad, X.out), RNNBPTT_EINVAL);
        check_untouched(&X, &loss, X.out, (size_t)VT * VB * VO);
    }
    /* sv and s3 are unchanged too: sv against a fresh state of V advanced the same way */
    {
        rnnbptt_state *fresh;
        CHECK_OK(rnnbptt_state_create(X.V.m, VB, &fresh));
        check_twin_states(&X, &X.V, X.sv, fresh);
        rnnbptt_state_destroy(fresh);
    }
    snprintf(where, sizeof where, "einval predict outputs NULL");
    CHECK_STATUS(rnnbptt_model_predict(X.U.m, &good, X.s1, NULL), RNNBPTT_EINVAL);
    check_untouched(&X, NULL, NULL, 0);

    /* state_reset, state_create */
    snprintf(where, sizeof where, "einval state_reset");
    CHECK_STATUS(rnnbptt_state_reset(X.s1, VB), RNNBPTT_EINVAL);
    CHECK_STATUS(rnnbptt_state_reset(X.s1, -2), RNNBPTT_EINVAL);
    CHECK_STATUS(rnnbptt_state_reset(NULL, 0), RNNBPTT_EINVAL);
    check_untouched(&X, NULL, NULL, 0);
    snprintf(where, sizeof where, "einval state_create");
    {
        rnnbptt_state *const mark = (rnnbptt_state *)(void *)&mark_obj, *s = mark;
        model Bi;
        model_make(&Bi, RNNBPTT_GRU, VI, VH, 1, 1, VO, RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP,
                   0x1A6u);
        CHECK_STATUS(rnnbptt_state_create(Bi.m, VB, &s), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_state_create(NULL, VB, &s), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_state_create(X.U.m, 0, &s), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_state_create(X.U.m, VB, NULL), RNNBPTT_EINVAL);
        CHECK(s == mark);
        /* a bidirectional model takes no state in a call either: none can exist, so only NULL */
        rnnbptt_model_destroy(Bi.m);
    }
    fixture_free(&X);
}

static void test_invalid_tbptt(void **state)
{
    (void)state;
    fixture X;
    snprintf(where, sizeof where, "einval fixture");
    fixture_make(&X);

    snprintf(where, sizeof where, "einval tbptt_create");
    {
        rnnbptt_tbptt *const mark = (rnnbptt_tbptt *)(void *)&mark_obj, *t = mark;
        model Bi, Last;
        model_make(&Bi, RNNBPTT_RNN_TANH, VI, VH, 1, 1, VO, RNNBPTT_LOSS_SOFTMAX_XENT,
                   RNNBPTT_LOSS_EVERY_STEP, 0x1A7u);
        model_make(&Last, RNNBPTT_RNN_TANH, VI, VH, 1, 0, VO, RNNBPTT_LOSS_SOFTMAX_XENT,
                   RNNBPTT_LOSS_LAST_STEP, 0x1A8u);
        CHECK_STATUS(rnnbptt_tbptt_create(NULL, VB, K1, K2, &t), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_create(X.U.m, VB, K1, K2, NULL), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_create(X.U.m, 0, K1, K2, &t), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_create(X.U.m, VB, 0, K2, &t), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_create(X.U.m, VB, -1, K2, &t), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_create(X.U.m, VB, K1, K1 - 1, &t), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_create(Bi.m, VB, K1, K2, &t), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_create(Last.m, VB, K1, K2, &t), RNNBPTT_EINVAL);
        CHECK(t == mark);
        rnnbptt_model_destroy(Bi.m);
        rnnbptt_model_destroy(Last.m);
    }

    const rnnbptt_batch good = data_batch(&X.Ds, 0);
    int full_len[VB] = {K1, K1}, bad_tok[K1 * VB], bad_lab[K1 * VB];
    data D3;
    data_make(&D3, &X.U, K1 + 1, VB, NULL, 0x1A9u);
    data Db3;
    data_make(&Db3, &X.U, K1, VB + 1, NULL, 0x1AAu);
    struct {
        const char *what;
        rnnbptt_batch b;
    } cases[16];
    int n = 0;
    cases[n].what = "T = k1 + 1", cases[n++].b = data_batch(&D3, 0);
    cases[n].what = "T = k1 - 1", cases[n].b = good, cases[n++].b.T = K1 - 1;
    cases[n].what = "lengths given (all full)", cases[n].b = good, cases[n++].b.lengths = full_len;
    cases[n].what = "B + 1", cases[n++].b = data_batch(&Db3, 0);
    cases[n].what = "B - 1", cases[n].b = good, cases[n++].b.B = VB - 1;
    cases[n].what = "both x and tokens", cases[n].b = good, cases[n++].b.tokens = X.Ds.tok;
    cases[n].what = "neither", cases[n].b = good, cases[n++].b.x = NULL;
    cases[n].what = "labels NULL", cases[n].b = good, cases[n++].b.labels = NULL;
    memcpy(bad_lab, X.Ds.lab, sizeof bad_lab);
    bad_lab[VB * K1 - 1] = VO;
    cases[n].what = "label out of range", cases[n].b = good, cases[n++].b.labels = bad_lab;
    cases[n].what = "tokens after x history without a reset (kind switch)";
    cases[n].b = good, cases[n].b.x = NULL, cases[n++].b.tokens = X.Ds.tok;
    const int n_x = n;
    /* then, on twins whose older steps are tokens */
    memcpy(bad_tok, X.Ds.tok, sizeof bad_tok);
    bad_tok[VB * K1 - 1] = VI;
    cases[n].what = "token out of range", cases[n].b = good, cases[n].b.x = NULL;
    cases[n++].b.tokens = bad_tok;
    cases[n].what = "x after token history without a reset (kind switch)", cases[n++].b = good;
    for (int i = 0; i < n; i++) {
        double loss;
        if (i == n_x) { /* both twins restart with tokens: after a reset of every row */
            rnnbptt_batch bt = good;
            bt.x = NULL, bt.tokens = X.Ds.tok;
            snprintf(where, sizeof where, "tbptt tokens after a reset of every row");
            CHECK_OK(rnnbptt_tbptt_reset(X.t1, -1));
            CHECK_OK(rnnbptt_tbptt_reset(X.t2, -1));
            rnnbptt_model_zero_grad(X.U.m);
            CHECK_OK(rnnbptt_tbptt_step(X.t1, &bt, NULL));
            CHECK_OK(rnnbptt_tbptt_step(X.t2, &bt, NULL));
            memcpy(X.U.g, X.gsnap, sizeof(float) * X.U.P);
            X.tbptt_tokens = 1;
        }
        snprintf(where, sizeof where, "einval tbptt_step %s", cases[i].what);
        memset(&loss, SENT, sizeof loss);
        CHECK_STATUS(rnnbptt_tbptt_step(X.t1, &cases[i].b, &loss), RNNBPTT_EINVAL);
        check_untouched(&X, &loss, NULL, 0);
    }
    snprintf(where, sizeof where, "einval tbptt_step NULL");
    {
        double loss;
        memset(&loss, SENT, sizeof loss);
        CHECK_STATUS(rnnbptt_tbptt_step(NULL, &good, &loss), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_tbptt_step(X.t1, NULL, &loss), RNNBPTT_EINVAL);
        check_untouched(&X, &loss, NULL, 0);
    }
    snprintf(where, sizeof where, "einval tbptt_reset");
    CHECK_STATUS(rnnbptt_tbptt_reset(X.t1, VB), RNNBPTT_EINVAL);
    CHECK_STATUS(rnnbptt_tbptt_reset(X.t1, -2), RNNBPTT_EINVAL);
    CHECK_STATUS(rnnbptt_tbptt_reset(NULL, 0), RNNBPTT_EINVAL);
    check_untouched(&X, NULL, NULL, 0);
    data_free(&D3);
    data_free(&Db3);
    fixture_free(&X);
}

static void test_invalid_create_tensor_softmax(void **state)
{
    (void)state;
    const rnnbptt_model_config ok = {.cell = RNNBPTT_LSTM, .input_size = 3, .hidden_size = 2,
                                      .num_layers = 2, .bidirectional = 1, .output_size = 3,
                                      .loss = RNNBPTT_LOSS_MSE,
                                      .loss_at = RNNBPTT_LOSS_EVERY_STEP};
    rnnbptt_model *const mark = (rnnbptt_model *)(void *)&mark_obj;
    rnnbptt_model *m = mark;
    rnnbptt_model_config c;
    snprintf(where, sizeof where, "einval model_create");
    CHECK_STATUS(rnnbptt_model_create(NULL, &m), RNNBPTT_EINVAL);
    CHECK_STATUS(rnnbptt_model_create(&ok, NULL), RNNBPTT_EINVAL);
#define BAD_CFG(field, value)                                                         \
    do {                                                                              \
        c = ok;                                                                       \
        c.field = value;                                                              \
        snprintf(where, sizeof where, "einval model_create %s = %d", #field, (int)(value)); \
        CHECK_STATUS(rnnbptt_model_create(&c, &m), RNNBPTT_EINVAL);                   \
        CHECK(m == mark);                                                             \
    } while (0)
    BAD_CFG(cell, (rnnbptt_cell)4);
    BAD_CFG(cell, (rnnbptt_cell)-1);
    BAD_CFG(input_size, 0);
    BAD_CFG(hidden_size, 0);
    BAD_CFG(hidden_size, -3);
    BAD_CFG(num_layers, 0);
    BAD_CFG(bidirectional, 2);
    BAD_CFG(bidirectional, -1);
    BAD_CFG(output_size, 0);
    BAD_CFG(loss, (rnnbptt_loss_kind)2);
    BAD_CFG(loss_at, (rnnbptt_loss_at)2);
    BAD_CFG(threads, -1);
#undef BAD_CFG

    snprintf(where, sizeof where, "einval model_tensor");
    CHECK_OK(rnnbptt_model_create(&ok, &m));
    {
        size_t o = 77;
        int r = 78, cc = 79;
        const int bad[][3] = {{2, 0, 0}, {-2, 0, 0}, {0, 2, 0}, {0, -1, 0}, {0, 0, 3}, {0, 0, 4},
                              {0, 0, -1}, {-1, 1, 0}, {-1, 0, 2}, {-1, 0, -1}};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            snprintf(where, sizeof where, "einval model_tensor(%d, %d, %d)", bad[i][0], bad[i][1],
                     bad[i][2]);
            CHECK_STATUS(rnnbptt_model_tensor(m, bad[i][0], bad[i][1], bad[i][2], &o, &r, &cc),
                         RNNBPTT_EINVAL);
            CHECK(o == 77 && r == 78 && cc == 79);
        }
        CHECK_STATUS(rnnbptt_model_tensor(NULL, 0, 0, 0, &o, &r, &cc), RNNBPTT_EINVAL);
        CHECK(o == 77 && r == 78 && cc == 79);
        snprintf(where, sizeof where, "model_tensor NULL outputs");
        CHECK_OK(rnnbptt_model_tensor(m, 1, 1, 2, NULL, NULL, NULL));
    }
    rnnbptt_model_destroy(m);
    /* a unidirectional model has no direction 1 */
    c = ok, c.bidirectional = 0;
    CHECK_OK(rnnbptt_model_create(&c, &m));
    snprintf(where, sizeof where, "einval model_tensor dir 1 of a unidirectional model");
    {
        size_t o = 77;
        CHECK_STATUS(rnnbptt_model_tensor(m, 0, 1, 0, &o, NULL, NULL), RNNBPTT_EINVAL);
        CHECK(o == 77);
    }
    rnnbptt_model_destroy(m);
    CHECK(rnnbptt_model_param_count(NULL) == 0 && rnnbptt_model_params(NULL) == NULL
          && rnnbptt_model_grads(NULL) == NULL);
    rnnbptt_model_zero_grad(NULL);
    rnnbptt_model_destroy(NULL);
    rnnbptt_state_destroy(NULL);
    rnnbptt_tbptt_destroy(NULL);

    snprintf(where, sizeof where, "einval softmax");
    {
        float logits[6] = {1, 2, 3, 4, 5, 6}, probs[6];
        memset(probs, SENT, sizeof probs);
        CHECK_STATUS(rnnbptt_softmax(2, 3, NULL, probs), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_softmax(2, 3, logits, NULL), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_softmax(0, 3, logits, probs), RNNBPTT_EINVAL);
        CHECK_STATUS(rnnbptt_softmax(2, 0, logits, probs), RNNBPTT_EINVAL);
        for (size_t k = 0; k < sizeof probs; k++)
            CHECK(((unsigned char *)probs)[k] == SENT);
        CHECK_OK(rnnbptt_softmax(2, 3, logits, logits)); /* in place */
        double sum = 0.0;
        for (int k = 0; k < 3; k++)
            sum += logits[k];
        CHECK(fabs(sum - 1.0) <= 4.0 * FLT_EPSILON && logits[2] > logits[1]);
    }
}

/* ---- allocation failure ------------------------------------------------------------------- */

typedef enum { OP_TRAIN, OP_TRAIN_STATE, OP_PREDICT, OP_PREDICT_STATE, OP_TBPTT, OP_COUNT } op;
static const char *const OP_NAMES[] = {"train_step", "train_step+state", "predict",
                                       "predict+state", "tbptt_step"};

enum { AT = 32 }; /* the call's T: many more rows than the fixture's setup calls used, so that
                   * the model's scratch block has to grow for predict too */

static rnnbptt_status run_op(fixture *X, op o, const data *Da, double *loss, float *out)
{
    const rnnbptt_batch b = data_batch(Da, 0), bs = data_batch(&X->Ds, 0);
    switch (o) {
    case OP_TRAIN: return rnnbptt_model_train_step(X->U.m, &b, NULL, loss);
    case OP_TRAIN_STATE: return rnnbptt_model_train_step(X->U.m, &b, X->s1, loss);
    case OP_PREDICT: return rnnbptt_model_predict(X->U.m, &b, NULL, out);
    case OP_PREDICT_STATE: return rnnbptt_model_predict(X->U.m, &b, X->s1, out);
    default: return rnnbptt_tbptt_step(X->t1, &bs, loss);
    }
}

/* Each allocation of one call fails in turn: ENOMEM, nothing written, the balance of live blocks
 * restored; the next call succeeds with the unfailed result. Each trial on a fresh fixture, so
 * that the model's scratch has to grow. */
static void test_alloc_calls(void **state)
{
    (void)state;
    const long live0 = rb_fault_get().live;
    for (int o = 0; o < OP_COUNT; o++) {
        double Lref = NAN;
        float outref[AT * VB * VO];
        long n = -1;
        for (long k = -1; k < n || n < 0; k++) {
            fixture X;
            data Da;
            snprintf(where, sizeof where, "alloc %s fixture", OP_NAMES[o]);
            fixture_make(&X);
            data_make(&Da, &X.U, AT, VB, NULL, 0xA11u);
            double loss;
            float out[AT * VB * VO];
            memset(&loss, SENT, sizeof loss);
            memset(out, SENT, sizeof out);
            snprintf(where, sizeof where, "alloc %s, allocation %ld of %ld", OP_NAMES[o], k, n);
            const long before = rb_fault_get().live;
            rb_fault_arm(k, -1);
            const rnnbptt_status st = run_op(&X, (op)o, &Da, &loss, out);
            const long tried = rb_fault_get().allocs;
            rb_fault_arm(-1, -1);
            if (k < 0) { /* the count */
                CHECK_OK(st);
                n = tried;
                Lref = loss;
                memcpy(outref, out, sizeof out);
                printf("[alloc] %s: %ld allocations\n", OP_NAMES[o], n);
            } else {
                CHECK_STATUS(st, RNNBPTT_ENOMEM);
                CHECK(rb_fault_get().live == before);
                check_untouched(&X, o == OP_PREDICT || o == OP_PREDICT_STATE ? NULL : &loss,
                                o == OP_PREDICT || o == OP_PREDICT_STATE ? out : NULL,
                                (size_t)AT * VB * VO);
                /* check_untouched advanced the twins: redo on fresh objects for the retry */
                fixture_free(&X);
                fixture_make(&X);
                memset(&loss, SENT, sizeof loss);
                CHECK_OK(run_op(&X, (op)o, &Da, &loss, out));
                if (o == OP_PREDICT || o == OP_PREDICT_STATE)
                    CHECK(memcmp(out, outref, sizeof out) == 0);
                else
                    CHECK(memcmp(&loss, &Lref, sizeof loss) == 0);
            }
            data_free(&Da);
            fixture_free(&X);
            if (n == 0)
                break;
        }
    }
    snprintf(where, sizeof where, "alloc calls: balance");
    CHECK(rb_fault_get().live == live0);
}

static void test_alloc_create(void **state)
{
    (void)state;
    const long live0 = rb_fault_get().live;
    const rnnbptt_model_config cfg = {.cell = RNNBPTT_GRU, .input_size = VI, .hidden_size = VH,
                                      .num_layers = VL, .bidirectional = 0, .output_size = VO,
                                      .loss = RNNBPTT_LOSS_SOFTMAX_XENT,
                                      .loss_at = RNNBPTT_LOSS_EVERY_STEP};
    for (int what = 0; what < 4; what++) {
        /* 0 model_create, 1 model_create with a team (threads = 2), 2 state_create,
         * 3 tbptt_create */
        static const char *const names[] = {"model_create", "model_create threads=2",
                                            "state_create", "tbptt_create"};
        long n = -1, nthreads = 0;
        for (long k = -1; k < n || n < 0; k++) {
            rnnbptt_model_config c = cfg;
            void *const mark = &mark_obj;
            rnnbptt_model *m = NULL, *const mmark = mark;
            rnnbptt_state *s = mark;
            rnnbptt_tbptt *t = mark;
            c.threads = what == 1 ? 2 : 0;
            snprintf(where, sizeof where, "alloc %s, allocation %ld of %ld", names[what], k, n);
            if (what >= 2)
                CHECK_OK(rnnbptt_model_create(&c, &m));
            else
                m = mmark;
            const long before = rb_fault_get().live;
            rb_fault_arm(k, -1);
            rnnbptt_status st;
            if (what < 2)
                st = rnnbptt_model_create(&c, &m);
            else if (what == 2)
                st = rnnbptt_state_create(m, VB, &s);
            else
                st = rnnbptt_tbptt_create(m, VB, K1, K2, &t);
            const rb_fault_counts cnt = rb_fault_get();
            rb_fault_arm(-1, -1);
            if (k < 0) {
                CHECK_OK(st);
                n = cnt.allocs;
                nthreads = cnt.threads;
                printf("[alloc] %s: %ld allocations, %ld thread points\n", names[what], n,
                       nthreads);
                CHECK(n >= 1);
            } else {
                CHECK_STATUS(st, RNNBPTT_ENOMEM);
                CHECK(rb_fault_get().live == before);
                CHECK(what < 2 ? m == mmark : what == 2 ? (void *)s == mark : (void *)t == mark);
            }
            if (st == RNNBPTT_OK) {
                if (what == 2)
                    rnnbptt_state_destroy(s);
                if (what == 3)
                    rnnbptt_tbptt_destroy(t);
            }
            if (m != mmark)
                rnnbptt_model_destroy(m);
        }
        /* a thread point of the team failing: ETHREAD, nothing left */
        for (long j = 0; what == 1 && j < nthreads; j++) {
            rnnbptt_model_config c = cfg;
            rnnbptt_model *const mmark = (void *)&mark_obj, *m = mmark;
            c.threads = 2;
            snprintf(where, sizeof where, "thread point %ld of %ld in model_create", j, nthreads);
            const long before = rb_fault_get().live;
            rb_fault_arm(-1, j);
            const rnnbptt_status st = rnnbptt_model_create(&c, &m);
            rb_fault_arm(-1, -1);
            CHECK_STATUS(st, RNNBPTT_ETHREAD);
            CHECK(m == mmark && rb_fault_get().live == before);
        }
    }
    snprintf(where, sizeof where, "alloc create: balance");
    CHECK(rb_fault_get().live == live0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fd_tanh),
        cmocka_unit_test(test_fd_relu),
        cmocka_unit_test(test_fd_lstm),
        cmocka_unit_test(test_fd_gru),
        cmocka_unit_test(test_tokens_tanh),
        cmocka_unit_test(test_tokens_relu),
        cmocka_unit_test(test_tokens_lstm),
        cmocka_unit_test(test_tokens_gru),
        cmocka_unit_test(test_state_tanh),
        cmocka_unit_test(test_state_relu),
        cmocka_unit_test(test_state_lstm),
        cmocka_unit_test(test_state_gru),
        cmocka_unit_test(test_tbptt_tanh),
        cmocka_unit_test(test_tbptt_lstm),
        cmocka_unit_test(test_tbptt_gru),
        cmocka_unit_test(test_invalid_calls),
        cmocka_unit_test(test_invalid_tbptt),
        cmocka_unit_test(test_invalid_create_tensor_softmax),
        cmocka_unit_test(test_alloc_calls),
        cmocka_unit_test(test_alloc_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
