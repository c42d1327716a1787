/* test_model_torch.c — rnnbptt_model_train_step / rnnbptt_model_predict against PyTorch float64.
 *
 * The data (tests/golden/model_data.h) is produced by tests/golden/gen_model.py:
 *     /usr/bin/python3 tests/golden/gen_model.py > tests/golden/model_data.h
 * Each case is nn.RNN (tanh, relu) / nn.LSTM / nn.GRU with num_layers L, bidirectional or not,
 * over packed variable-length sequences, then nn.Linear and the summed loss (MSE ½Σ or
 * cross-entropy with ignore_index −1; every valid step or each sequence's last step). Every
 * input is an exact float32 value, so the library sees exactly the numbers PyTorch saw and the
 * only difference is the library's float32 arithmetic.
 *
 * Per case (legend as in rnnbptt.h: T steps, B batch, I input, H hidden, G gates, L layers,
 * D = 1 + bidirectional directions, O outputs), at threads 0 and at threads 2:
 *   1. create: param_count and every rnnbptt_model_tensor offset and shape are the generator's
 *      layout, parameters and gradients are zero; then the golden parameters are copied in.
 *   2. train_step (x; lengths NULL where every length is T): the loss and every tensor of the
 *      gradient against the reference. predict (outputs NaN-filled first, so an element it
 *      forgets fails): the head's outputs, rows past each length exactly 0 (EVERY_STEP); the
 *      gradients untouched.
 *   3. The same again with everything past each length poisoned — x another finite value,
 *      targets NaN, labels and tokens out of range (the header: never read) — and the gradients
 *      accumulating onto the first result: loss and outputs as before, gradients 2·reference.
 *   4. Token cases: 2 and 3 again on a zeroed gradient with tokens instead of the one-hot x.
 *
 * Tolerance, per array (the loss, each tensor of the gradient, the outputs):
 *     tol = 8 · (L + 1) · ⌈log2 K⌉ · FLT_EPSILON · max(1, max|ref|),
 *     K = T·B·(max(I, H·D) + H + G·H + 1).
 * test_golden.c's bound 8·⌈log2 K⌉·FLT_EPSILON covers one layer's forward and backward: every
 * sum there is over at most K terms (T chained steps of dot products over the layer's input,
 * the recurrence and the bias, the G·H-term W_hᵀδ, dW summed over T·B rows), a float32 sum of n
 * terms carries ≈ ⌈log2 n⌉ roundings of FLT_EPSILON/2, and the constant 8 covers the product
 * roundings and the ≤ 2 ulp of the activations. Here K takes the widest layer input (I, or
 * H·D above the first layer), so it bounds every layer's sums, and the head's too (H·D + 1
 * terms forward, T·B rows for dW_y, O terms for its dx). A value at the end of the chain went
 * through L such forward/backward pairs plus the head and loss, one more pair; the rounding
 * errors of the stages add (relative to the magnitudes, the stage Jacobians having gain ≲ 1
 * for these small random models), hence the factor L + 1. The loss is a double sum of float
 * terms whose error is that of the head outputs times ∂ℓ/∂y = O(1), covered by the same bound
 * scaled by max(1, |loss|). Measured: PyTorch itself in float32 on the same cases stays below
 * 1% of this tol, so it is a bound, not a fit; a wrong bias, gate or direction is off by
 * orders of magnitude more. A failure is a library bug: never loosen this to make a test pass.
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

#include "golden/model_data.h"

#define TOL_C 8.0
#define POISON_X 3.0f /* finite and unlike any drawn x (those are in (-1, 1)) */

typedef struct {
    const model_case *mc;
    int threads;
    char name[160];
} model_run;

static int gates_of(rnnbptt_cell cell)
{
    return cell == RNNBPTT_LSTM ? 4 : cell == RNNBPTT_GRU ? 3 : 1;
}

static int every_step(const model_case *mc)
{
    return mc->cfg.loss_at == RNNBPTT_LOSS_EVERY_STEP;
}

/* Floats in predict's outputs: (T,B,O) every step, (B,O) last step. */
static size_t outputs_count(const model_case *mc)
{
    return (size_t)(every_step(mc) ? mc->T : 1) * mc->B * mc->cfg.output_size;
}

static double model_tol(const model_case *mc, double amax)
{
    const rnnbptt_model_config *c = &mc->cfg;
    const int D = 1 + c->bidirectional, H = c->hidden_size;
    const int in = c->input_size > H * D ? c->input_size : H * D;
    double K = (double)mc->T * mc->B * (in + H + gates_of(c->cell) * H + 1);
    return TOL_C * (c->num_layers + 1) * ceil(log2(K)) * FLT_EPSILON * (amax > 1.0 ? amax : 1.0);
}

/* Compares got[n] with scale·ref[n]; prints the worst element and returns 1 if it is off. */
static int check_array(const model_run *r, const char *what, const float *got,
                       const double *ref, size_t n, double scale)
{
    double amax = 0.0, worst = 0.0;
    size_t iworst = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(scale * ref[i]) > amax)
            amax = fabs(scale * ref[i]);
    double tol = model_tol(r->mc, amax);
    worst = ref_worst_error(got, ref, n, scale, &iworst);
    if (!(worst <= tol)) {
        print_error("%s: %s[%zu] = %.9g, expected %.17g (|err| %.3g > tol %.3g)\n", r->name,
                    what, iworst, (double)got[iworst], scale * ref[iworst], worst, tol);
        return 1;
    }
    return 0;
}

static int check_loss(const model_run *r, const char *what, double got, double ref)
{
    double tol = model_tol(r->mc, fabs(ref)), err = fabs(got - ref);
    if (!(err <= tol)) {
        print_error("%s: %s = %.17g, expected %.17g (|err| %.3g > tol %.3g)\n", r->name, what,
                    got, ref, err, tol);
        return 1;
    }
    return 0;
}

/* "layer 1 reverse W_h" / "head W_y" */
static void tensor_name(const model_run *r, const model_tensor_ref *t, char *buf, size_t n)
{
    static const char *const layer_names[4] = {"W_x", "W_h", "b", "b_h"};
    static const char *const head_names[2] = {"W_y", "b_y"};
    if (t->layer < 0)
        snprintf(buf, n, "head %s", head_names[t->which]);
    else
        snprintf(buf, n, "layer %d %s %s", t->layer, t->dir ? "reverse" : "forward",
                 t->which == 2 && r->mc->cfg.cell == RNNBPTT_GRU ? "b_x"
                                                                  : layer_names[t->which]);
}

/* Every tensor of the flat gradient against scale·reference, each with its own tolerance. */
static int check_grads(const model_run *r, const char *pass, const float *grads, double scale)
{
    const model_case *mc = r->mc;
    int bad = 0;
    for (int k = 0; k < mc->ntensors; k++) {
        const model_tensor_ref *t = &mc->tensors[k];
        char what[128], tname[48];
        tensor_name(r, t, tname, sizeof tname);
        snprintf(what, sizeof what, "%s: d(%s)", pass, tname);
        bad |= check_array(r, what, grads + t->offset, mc->dparams + t->offset,
                           (size_t)t->rows * t->cols, scale);
    }
    return bad;
}

/* Every-step outputs past each sequence's length must be exactly zero. */
static int check_zero_tail(const model_run *r, const char *what, const float *y)
{
    const model_case *mc = r->mc;
    const int O = mc->cfg.output_size;
    if (!every_step(mc))
        return 0;
    for (int t = 0; t < mc->T; t++)
        for (int b = 0; b < mc->B; b++)
            for (int k = 0; k < O; k++)
                if (t >= mc->lengths[b] && y[((size_t)t * mc->B + b) * O + k] != 0.0f) {
                    print_error("%s: %s[t=%d][b=%d][%d] = %.9g past length %d, expected 0\n",
                                r->name, what, t, b, k, (double)y[((size_t)t * mc->B + b) * O + k],
                                mc->lengths[b]);
                    return 1;
                }
    return 0;
}

/* Step 2 (or 3): train_step, then predict; grads hold `before`·reference on entry. */
static int run_pass(const model_run *r, rnnbptt_model *m, const rnnbptt_batch *batch,
                    const char *pass, double before)
{
    const model_case *mc = r->mc;
    const size_t P = (size_t)mc->nparams, NY = outputs_count(mc);
    float *grads = rnnbptt_model_grads(m), *saved = malloc(P * sizeof *saved),
          *y = malloc(NY * sizeof *y);
    char what[96];
    double loss = NAN;
    int bad = 0;
    assert_non_null(saved);
    assert_non_null(y);

    assert_int_equal(rnnbptt_model_train_step(m, batch, NULL, &loss), RNNBPTT_OK);
    snprintf(what, sizeof what, "%s: loss", pass);
    bad |= check_loss(r, what, loss, mc->loss);
    bad |= check_grads(r, pass, grads, before + 1.0);

    for (size_t i = 0; i < NY; i++)
        y[i] = NAN;
    memcpy(saved, grads, P * sizeof *saved);
    assert_int_equal(rnnbptt_model_predict(m, batch, NULL, y), RNNBPTT_OK);
    snprintf(what, sizeof what, "%s: outputs", pass);
    bad |= check_array(r, what, y, mc->outputs, NY, 1.0);
    bad |= check_zero_tail(r, what, y);
    if (memcmp(saved, grads, P * sizeof *saved) != 0) {
        print_error("%s: %s: predict changed the gradients\n", r->name, pass);
        bad = 1;
    }
    free(saved);
    free(y);
    return bad;
}

static void test_model_case(void **state)
{
    const model_run *r = *state;
    const model_case *mc = r->mc;
    const int T = mc->T, B = mc->B, I = mc->cfg.input_size, O = mc->cfg.output_size;
    const size_t P = (size_t)mc->nparams, TB = (size_t)T * B;
    rnnbptt_model_config cfg = mc->cfg;
    rnnbptt_model *m = NULL;
    int bad = 0;

    cfg.threads = r->threads;
    assert_int_equal(rnnbptt_model_create(&cfg, &m), RNNBPTT_OK);
    assert_non_null(m);

    /* 1. layout, zeros after create, golden parameters in */
    assert_int_equal(rnnbptt_model_param_count(m), P);
    for (int k = 0; k < mc->ntensors; k++) {
        const model_tensor_ref *t = &mc->tensors[k];
        size_t off = SIZE_MAX;
        int rows = -1, cols = -1;
        assert_int_equal(rnnbptt_model_tensor(m, t->layer, t->dir, t->which, &off, &rows, &cols),
                         RNNBPTT_OK);
        if (off != (size_t)t->offset || rows != t->rows || cols != t->cols)
            fail_msg("%s: rnnbptt_model_tensor(%d, %d, %d) = offset %zu (%d, %d), expected "
                     "offset %d (%d, %d)", r->name, t->layer, t->dir, t->which, off, rows, cols,
                     t->offset, t->rows, t->cols);
    }
    float *params = rnnbptt_model_params(m), *grads = rnnbptt_model_grads(m);
    for (size_t i = 0; i < P; i++)
        if (params[i] != 0.0f || grads[i] != 0.0f)
            fail_msg("%s: parameter or gradient %zu not zero after create", r->name, i);
    memcpy(params, mc->params, P * sizeof *params);

    /* 2. x as generated */
    rnnbptt_batch batch = {.T = T, .B = B, .lengths = mc->null_lengths ? NULL : mc->lengths,
                           .x = mc->x, .targets = mc->targets, .labels = mc->labels};
    bad |= run_pass(r, m, &batch, "x", 0.0);

    /* 3. poisoned past each length, gradients accumulating */
    float *x = malloc(TB * I * sizeof *x);
    float *targets = mc->targets ? malloc(outputs_count(mc) * sizeof *targets) : NULL;
    int *labels = mc->labels ? malloc((every_step(mc) ? TB : (size_t)B) * sizeof *labels) : NULL;
    int *tokens = mc->tokens ? malloc(TB * sizeof *tokens) : NULL;
    assert_non_null(x);
    memcpy(x, mc->x, TB * I * sizeof *x);
    if (targets)
        memcpy(targets, mc->targets, outputs_count(mc) * sizeof *targets);
    if (labels)
        memcpy(labels, mc->labels, (every_step(mc) ? TB : (size_t)B) * sizeof *labels);
    if (tokens)
        memcpy(tokens, mc->tokens, TB * sizeof *tokens);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            const size_t tb = (size_t)t * B + b;
            if (t < mc->lengths[b])
                continue;
            for (int i = 0; i < I; i++)
                x[tb * I + i] = POISON_X;
            if (tokens)
                tokens[tb] = I + 7;
            if (every_step(mc) && targets)
                for (int k = 0; k < O; k++)
                    targets[tb * O + k] = NAN;
            if (every_step(mc) && labels)
                labels[tb] = O + 7;
        }
    rnnbptt_batch poisoned = batch;
    poisoned.x = x;
    poisoned.targets = targets;
    poisoned.labels = labels;
    bad |= run_pass(r, m, &poisoned, "x poisoned past lengths", 1.0);

    /* 4. tokens instead of their one-hot x */
    if (mc->tokens) {
        rnnbptt_model_zero_grad(m);
        rnnbptt_batch tb = batch;
        tb.x = NULL;
        tb.tokens = mc->tokens;
        bad |= run_pass(r, m, &tb, "tokens", 0.0);
        tb = poisoned;
        tb.x = NULL;
        tb.tokens = tokens;
        bad |= run_pass(r, m, &tb, "tokens poisoned past lengths", 1.0);
    }

    free(x);
    free(targets);
    free(labels);
    free(tokens);
    rnnbptt_model_destroy(m);
    if (bad)
        fail_msg("%s: mismatch against the PyTorch golden data (see above)", r->name);
}

int main(void)
{
    enum { NTHREADS = 2 };
    static const int threads[NTHREADS] = {0, 2};
    static model_run runs[NTHREADS * MODEL_NCASES];
    struct CMUnitTest tests[NTHREADS * MODEL_NCASES];
    for (size_t k = 0; k < NTHREADS * MODEL_NCASES; k++) {
        model_run *r = &runs[k];
        r->mc = &model_cases[k % MODEL_NCASES];
        r->threads = threads[k / MODEL_NCASES];
        snprintf(r->name, sizeof r->name, "%s threads=%d", r->mc->name, r->threads);
        tests[k] = (struct CMUnitTest)cmocka_unit_test_prestate(test_model_case, r);
        tests[k].name = r->name;
    }
    return cmocka_run_group_tests_name("model (PyTorch float64)", tests, NULL, NULL);
}
