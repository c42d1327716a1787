/* train.c — a 2-layer LSTM learns to repeat its input 3 steps late, then is saved and reloaded. */
#include <rnnbptt.h>
#include <stdio.h>

enum { T = 20, B = 16, DELAY = 3 };

int main(void)
{
    rnnbptt_model_config cfg = {.cell = RNNBPTT_LSTM, .input_size = 1, .hidden_size = 32,
                                .num_layers = 2, .output_size = 1, .loss = RNNBPTT_LOSS_MSE};
    rnnbptt_init_config init = rnnbptt_init_defaults();
    init.recurrent = RNNBPTT_INIT_ORTHOGONAL, init.gain = 1.0, init.forget_bias = 1.0;
    rnnbptt_optim_config oc = rnnbptt_optim_defaults(RNNBPTT_ADAM, 1e-2);
    rnnbptt_model *m = NULL;
    rnnbptt_optim *o = NULL;
    rnnbptt_rng rng;
    rnnbptt_rng_seed(&rng, 1);
    static float x[T * B], y[T * B];
    double loss = 0, norm;
    rnnbptt_status s = rnnbptt_model_create(&cfg, &m);
    if (!s) s = rnnbptt_model_init(m, &init, 42);
    float *p = rnnbptt_model_params(m), *g = rnnbptt_model_grads(m); /* NULL for NULL */
    size_t n = rnnbptt_model_param_count(m);                          /* 0 for NULL */
    if (!s) s = rnnbptt_optim_create(&oc, n, &o);
    for (int step = 1; !s && step <= 400; step++) {
        rnnbptt_rng_uniform(&rng, x, T * B, -1.0f, 1.0f);
        for (int k = 0; k < T * B; k++) y[k] = k >= DELAY * B ? x[k - DELAY * B] : 0.0f;
        rnnbptt_batch batch = {.T = T, .B = B, .x = x, .targets = y};
        rnnbptt_model_zero_grad(m);
        s = rnnbptt_model_train_step(m, &batch, NULL, &loss);
        if (!s) s = rnnbptt_clip_grad_norm(g, n, 1.0, &norm);
        if (!s) s = rnnbptt_optim_step(o, p, g);
        if (s == RNNBPTT_ENONFINITE) s = RNNBPTT_OK; /* the guard: nothing changed; skip it */
        if (step == 1 || step % 100 == 0) printf("step %3d  mse %.5f\n", step, 2 * loss / (T * B));
    }
    if (!s) s = rnnbptt_model_save(m, o, "echo.rnnbptt");
    rnnbptt_model_destroy(m), rnnbptt_optim_destroy(o), m = NULL, o = NULL;
    if (!s) s = rnnbptt_model_load("echo.rnnbptt", 0, &m, &o);       /* trained model, optimizer */
    if (s) fprintf(stderr, "rnnbptt: %s\n", rnnbptt_strerror(s));
    rnnbptt_model_destroy(m), rnnbptt_optim_destroy(o);
    return s ? 1 : 0;
}
