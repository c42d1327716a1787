/* train.c — the adding problem's data and the training of one cell: model, init,
 * optimizer, the timed training step, and the measurements (test MSE, spectral radius of W_h,
 * the gradient-norm trace of the first step). */
#include "adding_problem.h"

#include <stdlib.h>

const char *const add_cell_names[ADD_CELLS] = {"tanh", "irnn", "lstm", "gru"};
enum { TANH, IRNN, LSTM, GRU };
static const rnnbptt_cell cell_kind[ADD_CELLS] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU,
                                                  RNNBPTT_LSTM, RNNBPTT_GRU};
static const int cell_gates[ADD_CELLS] = {1, 1, 4, 3};

void add_make_batch(rnnbptt_rng *r, int T, int B, float *x, float *y, float *tmp)
{
    const int half = T / 2;
    for (int b = 0; b < B; b++) {
        rnnbptt_rng_uniform(r, tmp, (size_t)T, 0.0f, 1.0f);
        const int p1 = (int)rnnbptt_rng_below(r, (uint64_t)half);             /* [0, T/2) */
        const int p2 = half + (int)rnnbptt_rng_below(r, (uint64_t)(T - half)); /* [T/2, T) */
        for (int t = 0; t < T; t++) {
            float *xt = x + ((size_t)t * B + b) * 2;
            xt[0] = tmp[t];
            xt[1] = (t == p1 || t == p2) ? 1.0f : 0.0f;
        }
        y[b] = tmp[p1] + tmp[p2];
    }
}

/* PyTorch's default init; IRNN as Le et al. 2015 (identity W_hh, zero biases, N(0, 0.001²) for
 * the other weights); LSTM with its forget-gate bias at +1 (Jozefowicz et al. 2015). */
static rnnbptt_status init_model(rnnbptt_model *m, int cell, uint64_t seed)
{
    rnnbptt_init_config c = rnnbptt_init_defaults();
    if (cell == IRNN) {
        c.input = c.head_weight = RNNBPTT_INIT_NORMAL;
        c.sigma = 0.001;
        c.recurrent = RNNBPTT_INIT_IDENTITY;
        c.gain = 1.0;
        c.bias = c.head_bias = RNNBPTT_INIT_CONSTANT;
        c.value = 0.0;
    } else if (cell == LSTM) {
        c.forget_bias = 1.0;
    }
    return rnnbptt_model_init(m, &c, seed);
}

/* The spectral radius of W_h; for LSTM and GRU the largest over its gate blocks. LAPACK runs on
 * one BLAS thread (unless OPENBLAS_NUM_THREADS is set), the count going back to `threads` after:
 * at H = 100 sgeev's threaded sgemv calls wake the BLAS's workers, which then spin for about
 * 0.1 s against the model's team in the timed steps that follow (irnn, --threads 2: 1.34 ms per
 * step against 1.00, medians of 5 runs; docs/examples.md). */
static rnnbptt_status radius_of(const rnnbptt_model *m, int cell, int threads, double *radius)
{
    *radius = 0.0;
    rnnbptt_status s = RNNBPTT_OK;
    ex_blas_threads(1);
    for (int g = 0; s == RNNBPTT_OK && g < cell_gates[cell]; g++) {
        double r;
        s = rnnbptt_model_spectral(m, 0, 0, g, &r, NULL);
        if (s == RNNBPTT_OK && r > *radius)
            *radius = r;
    }
    ex_blas_threads(threads);
    return s;
}

/* Mean squared error of the model's predictions on the test set (pred [ADD_TEST_N] scratch). */
static rnnbptt_status test_mse(rnnbptt_model *m, const rnnbptt_batch *test, float *pred,
                               double *mse)
{
    rnnbptt_status s = rnnbptt_model_predict(m, test, NULL, pred);
    double sum = 0.0;
    for (int b = 0; s == RNNBPTT_OK && b < test->B; b++) {
        const double e = (double)pred[b] - (double)test->targets[b];
        sum += e * e;
    }
    *mse = sum / test->B;
    return s;
}

void add_result_free(add_result *res)
{
    free(res->trace), free(res->radius), free(res->test_mse), free(res->train_mse);
    free(res->eval_step);
    res->trace = res->radius = res->test_mse = res->train_mse = NULL;
    res->eval_step = NULL;
}

#define CHECK(call)                                                                              \
    do {                                                                                         \
        rnnbptt_status s_ = (call);                                                              \
        if (s_ != RNNBPTT_OK) {                                                                  \
            fprintf(stderr, "adding_problem: %s: %s\n", #call, rnnbptt_strerror(s_));            \
            goto done;                                                                           \
        }                                                                                        \
    } while (0)

int add_train_cell(const add_options *o, int cell, const float *test_x, const float *test_y,
                   add_result *res)
{
    const int T = o->T, B = o->batch, irnn = cell == IRNN;
    const int max_evals = o->steps / ADD_EVAL_EVERY + 2;
    int rc = 1;
    *res = (add_result){.cell = cell, .solved_step = -1};
    const rnnbptt_model_config cfg = {
        .cell = cell_kind[cell], .input_size = 2, .hidden_size = o->hidden, .num_layers = 1,
        .output_size = 1, .loss = RNNBPTT_LOSS_MSE, .loss_at = RNNBPTT_LOSS_LAST_STEP,
        .threads = o->threads >= 2 ? o->threads : 0};
    const rnnbptt_optim_config ocfg =
        rnnbptt_optim_defaults(irnn ? RNNBPTT_SGD : RNNBPTT_ADAM, irnn ? 1e-2 : 1e-3);
    rnnbptt_model *m = NULL;
    rnnbptt_optim *opt = NULL;
    float *x = malloc(sizeof(float) * (size_t)T * B * 2), *y = malloc(sizeof(float) * B);
    float *tmp = malloc(sizeof(float) * T), *pred = malloc(sizeof(float) * ADD_TEST_N);
    res->trace = calloc((size_t)T, sizeof(double));
    res->radius = malloc(sizeof(double) * max_evals);
    res->test_mse = malloc(sizeof(double) * max_evals);
    res->train_mse = malloc(sizeof(double) * max_evals);
    res->eval_step = malloc(sizeof(int) * max_evals);
    if (!x || !y || !tmp || !pred || !res->trace || !res->radius || !res->test_mse ||
        !res->train_mse || !res->eval_step) {
        fprintf(stderr, "adding_problem: out of memory\n");
        goto done;
    }
    CHECK(rnnbptt_model_create(&cfg, &m));
    CHECK(init_model(m, cell, o->seed));
    const size_t n = rnnbptt_model_param_count(m);
    float *p = rnnbptt_model_params(m), *g = rnnbptt_model_grads(m);
    CHECK(rnnbptt_optim_create(&ocfg, n, &opt));

    const rnnbptt_batch train = {.T = T, .B = B, .x = x, .targets = y};
    const rnnbptt_batch test = {.T = T, .B = ADD_TEST_N, .x = test_x, .targets = test_y};
    double base = 0.0;
    for (int b = 0; b < ADD_TEST_N; b++)
        base += ((double)test_y[b] - 1.0) * ((double)test_y[b] - 1.0);
    res->baseline = base / ADD_TEST_N;

    rnnbptt_rng r;
    rnnbptt_rng_seed(&r, ~o->seed); /* the training data: a stream apart from the init's */
    const float grad_scale = 2.0f / (float)B; /* the loss is ½Σ(y − t)²; torch's MSELoss the mean */
    double seconds = 0.0, window = 0.0;
    int in_window = 0;
    CHECK(rnnbptt_model_set_trace(m, res->trace, T)); /* for the first step only */
    for (int step = 0;; step++) {
        if (step % ADD_EVAL_EVERY == 0 || step == o->steps) {
            const int k = res->n_evals++;
            res->eval_step[k] = step;
            res->train_mse[k] = in_window ? window / in_window : -1.0;
            CHECK(test_mse(m, &test, pred, &res->test_mse[k]));
            CHECK(radius_of(m, cell, o->threads, &res->radius[k]));
            if (res->solved_step < 0 && res->test_mse[k] < ADD_GOAL_MSE)
                res->solved_step = step;
            char train_mse[32] = "-"; /* the mean over the steps since the last evaluation */
            if (in_window)
                snprintf(train_mse, sizeof train_mse, "%.5f", res->train_mse[k]);
            fprintf(stderr, "adding: %s T %d step %d train_mse %s test_mse %.5f radius %.4f%s\n",
                    add_cell_names[cell], T, step, train_mse, res->test_mse[k], res->radius[k],
                    step == 0 ? " (initial)" : "");
            window = 0.0, in_window = 0;
        }
        if (step == o->steps)
            break;
        add_make_batch(&r, T, B, x, y, tmp);
        double loss;
        const double t0 = ex_now();
        rnnbptt_model_zero_grad(m);
        CHECK(rnnbptt_model_train_step(m, &train, NULL, &loss));
        for (size_t i = 0; i < n; i++)
            g[i] *= grad_scale;
        rnnbptt_status s = rnnbptt_clip_grad_norm(g, n, 1.0, NULL);
        if (s == RNNBPTT_OK)
            s = rnnbptt_optim_step(opt, p, g);
        seconds += ex_now() - t0;
        if (s == RNNBPTT_ENONFINITE)
            res->skipped++;
        else
            CHECK(s);
        if (step == 0)
            CHECK(rnnbptt_model_set_trace(m, NULL, 0));
        window += 2.0 * loss / B, in_window++;
    }
    res->ms_per_step = o->steps > 0 ? 1e3 * seconds / o->steps : 0.0;
    if (res->skipped)
        fprintf(stderr, "adding: %s: %ld steps skipped (gradient not finite)\n",
                add_cell_names[cell], res->skipped);
    rc = 0;
done:
    rnnbptt_optim_destroy(opt);
    rnnbptt_model_destroy(m);
    free(x), free(y), free(tmp), free(pred);
    if (rc)
        add_result_free(res);
    return rc;
}
