/* main.c — char_rnn: Karpathy's min-char-rnn (a character-level tanh RNN trained with Adagrad
 * over 25-step windows of a text) on rnnbptt. Flags, set-up, the training loop, the summary.
 *
 * Model and training, as min-char-rnn's by default: bytes as tokens (vocabulary V: the sorted
 * set of bytes present), one tanh layer of H = 100, the weights N(0, 0.01²) and the biases zero
 * (rnnbptt_model_init, NORMAL / CONSTANT), a softmax head with the cross-entropy SUMMED over the
 * window, the state carried from window to window and reset when a stream wraps around, every
 * gradient clipped to [−5, 5], Adagrad with lr 0.1 and eps 1e-8 (torch's placement, outside the
 * square root), smooth_loss = 0.999·s + 0.001·loss from −log(1/V)·window.
 * --batch B: B streams at offsets b·⌊n/B⌋, one row each; the loss of an iteration is the summed
 * loss divided by B (a stream's window), the gradient the sum over the streams. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "char_rnn.h"

enum { CR_SAMPLE_LEN = 200, CR_PROGRESS_EVERY = 100 };

/* In rnnbptt_cell's order: the flag's index is the cell. */
static const char *const cell_choices[] = {"tanh", "relu", "lstm", "gru", NULL};

static const char intro[] =
    "char_rnn — Karpathy's min-char-rnn on rnnbptt: a character-level RNN learns a text.\n"
    "Progress on stderr (every 100 iterations), a summary on stdout; its last line:\n"
    "  char_rnn iters N seconds S it_per_s R smooth_loss L vocab V\n"
    "(N iterations of this run, S the training loop's wall time without start-up and sampling).\n"
    "Exit status 2 for a bad flag or a missing or empty text file, 1 for a failure while running.";

/* Stops with a message if a library call failed. */
static void check(rnnbptt_status s, const char *what)
{
    if (s != RNNBPTT_OK)
        ex_die(EX_EXIT_FAIL, CR_PROG, "%s: %s", what, rnnbptt_strerror(s));
}

/* A new model of min-char-rnn's initialization, its Adagrad optimizer and a fresh run. */
static void start(const cr_opts *op, const cr_text *t, rnnbptt_model **m, rnnbptt_optim **o,
                  cr_run *run)
{
    const rnnbptt_model_config cfg = {
        .cell = (rnnbptt_cell)op->cell, .input_size = t->V, .hidden_size = op->hidden,
        .num_layers = op->layers, .output_size = t->V, .loss = RNNBPTT_LOSS_SOFTMAX_XENT,
        .loss_at = RNNBPTT_LOSS_EVERY_STEP, .threads = op->threads};
    check(rnnbptt_model_create(&cfg, m), "rnnbptt_model_create");
    rnnbptt_init_config ic = rnnbptt_init_defaults();
    ic.input = ic.recurrent = ic.head_weight = RNNBPTT_INIT_NORMAL;
    ic.bias = ic.head_bias = RNNBPTT_INIT_CONSTANT;
    ic.sigma = 0.01;
    ic.value = 0.0;
    check(rnnbptt_model_init(*m, &ic, op->seed), "rnnbptt_model_init");
    rnnbptt_optim_config oc = rnnbptt_optim_defaults(RNNBPTT_ADAGRAD, op->lr);
    oc.eps = 1e-8;
    check(rnnbptt_optim_create(&oc, rnnbptt_model_param_count(*m), o), "rnnbptt_optim_create");

    const int B = op->batch, lstm = op->cell == RNNBPTT_LSTM;
    const size_t nh = (size_t)op->layers * (size_t)B * (size_t)op->hidden;
    run->iter = 0;
    run->smooth_loss = -log(1.0 / t->V) * op->window;
    rnnbptt_rng_seed(&run->rng, ~op->seed); /* a stream apart from the initialization's */
    run->pos = malloc(sizeof(size_t) * (size_t)B);
    run->h = calloc(nh * (size_t)(1 + lstm), sizeof(float));
    if (!run->pos || !run->h)
        ex_die(EX_EXIT_FAIL, CR_PROG, "out of memory");
    run->c = lstm ? run->h + nh : NULL;
    for (int b = 0; b < B; b++)
        run->pos[b] = cr_stream_start(t, b, B);
}

/* Samples CR_SAMPLE_LEN bytes from the current state and prints them on f. */
static void sample_to(FILE *f, rnnbptt_model *m, const rnnbptt_state *st, const cr_text *t,
                      cr_run *run, const cr_opts *op)
{
    char text[CR_SAMPLE_LEN + 1];
    check(rnnbptt_state_get(st, run->h, run->c), "rnnbptt_state_get");
    check(cr_sample(m, t, run, op->batch, op->temperature, CR_SAMPLE_LEN, text), "sampling");
    fprintf(f, "----\n%s\n----\n", text);
}

int main(int argc, char **argv)
{
    cr_opts op = {.text = "/usr/share/common-licenses/GPL-3", .hidden = 100, .layers = 1,
                  .cell = 0, .window = 25, .batch = 1, .lr = 0.1, .clip = 5.0, .iters = 20000,
                  .seed = 1, .threads = 1, .temperature = 1.0, .sample_every = 100};
    ex_flag flags[] = {
        {"--text", EX_STRING, &op.text, 0, 0, NULL, "FILE  training text (default: GPL-3)", 0},
        {"--hidden", EX_INT, &op.hidden, 1, 65536, NULL, "N  hidden size (100)", 0},
        {"--layers", EX_INT, &op.layers, 1, 64, NULL, "N  stacked layers (1)", 0},
        {"--cell", EX_CHOICE, &op.cell, 0, 0, cell_choices, "tanh|relu|lstm|gru  the cell of every layer (tanh)", 0},
        {"--window", EX_INT, &op.window, 1, 1 << 20, NULL, "N  steps per update (25)", 0},
        {"--batch", EX_INT, &op.batch, 1, 4096, NULL, "N  parallel streams (1)", 0},
        {"--lr", EX_DOUBLE, &op.lr, 1e-300, 1e6, NULL, "X  Adagrad's learning rate (0.1)", 0},
        {"--clip", EX_DOUBLE, &op.clip, 0, 1e30, NULL, "X  clip gradients to [-X, X], 0: off (5)",
         0},
        {"--iters", EX_INT, &op.iters, 0, 2000000000, NULL, "N  iterations to run (20000)", 0},
        {"--seed", EX_U64, &op.seed, 0, 0, NULL, "N  initialization and sampling seed (1)", 0},
        {"--threads", EX_INT, &op.threads, 1, RNNBPTT_TEAM_MAX_THREADS, NULL,
         "N  model team and BLAS threads (1)", 0},
        {"--save", EX_STRING, &op.save, 0, 0, NULL, "FILE  at the end: FILE and FILE.train", 0},
        {"--resume", EX_STRING, &op.resume, 0, 0, NULL, "FILE  continue from a --save", 0},
        {"--temperature", EX_DOUBLE, &op.temperature, 1e-6, 1e6, NULL,
         "X  sampling temperature (1)", 0},
        {"--sample-every", EX_INT, &op.sample_every, 0, 2000000000, NULL,
         "N  sample 200 bytes every N iterations, 0: never (100)", 0},
        {"--trace-csv", EX_STRING, &op.trace_csv, 0, 0, NULL,
         "FILE  per iteration: loss, smooth loss, |dL/dh_t| per layer and step", 0},
    };
    const int nflags = (int)(sizeof flags / sizeof flags[0]);
    ex_parse(CR_PROG, intro, argc, argv, flags, nflags);

    cr_text t;
    cr_text_load(&t, op.text, op.window);
    rnnbptt_model *m = NULL;
    rnnbptt_optim *o = NULL;
    cr_run run = {0};
    if (op.resume)
        cr_resume(op.resume, &m, &o, &run, &op, flags, nflags, &t);
    else
        start(&op, &t, &m, &o, &run);
    const int T = op.window, B = op.batch, L = op.layers;
    if (cr_stream_start(&t, B - 1, B) + (size_t)T + 1 >= t.n)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--text %s: %zu bytes are too few for %d streams of %d",
               op.text, t.n, B, T + 1);
    int blas = ex_blas_threads(op.threads);
    rnnbptt_state *st = NULL;
    check(rnnbptt_state_create(m, B, &st), "rnnbptt_state_create");
    check(rnnbptt_state_set(st, run.h, run.c), "rnnbptt_state_set");
    int *tokens = malloc(sizeof(int) * 2 * (size_t)T * (size_t)B);
    double *trace = op.trace_csv ? malloc(sizeof(double) * (size_t)L * (size_t)T) : NULL;
    FILE *csv = op.trace_csv ? fopen(op.trace_csv, "w") : NULL;
    if (op.trace_csv && !csv)
        ex_die(EX_EXIT_USAGE, CR_PROG, "--trace-csv %s: cannot create it", op.trace_csv);
    if (!tokens || (op.trace_csv && !trace))
        ex_die(EX_EXIT_FAIL, CR_PROG, "out of memory");
    int *labels = tokens + (size_t)T * (size_t)B;
    if (csv) {
        check(rnnbptt_model_set_trace(m, trace, T), "rnnbptt_model_set_trace");
        fprintf(csv, "iter,loss,smooth_loss");
        for (int l = 0; l < L; l++)
            for (int k = 0; k < T; k++)
                fprintf(csv, ",dh%d_%d", l, k);
        fputc('\n', csv);
    }
    fprintf(stderr, "%s: %zu bytes of %s, vocab %d, %s H=%d L=%d, window %d, %d stream%s, "
            "BLAS threads %d, from iteration %" PRId64 "\n", CR_PROG, t.n, op.text, t.V,
            cell_choices[op.cell], op.hidden, L, T, B, B > 1 ? "s" : "", blas, run.iter);

    float *params = rnnbptt_model_params(m), *grads = rnnbptt_model_grads(m);
    const size_t np = rnnbptt_model_param_count(m);
    int skipped = 0;
    double sampling = 0.0, loss = 0.0, t0 = ex_now();
    for (int it = 0; it < op.iters; it++) {
        check(cr_windows(&t, T, B, run.pos, st, tokens, labels), "rnnbptt_state_reset");
        const rnnbptt_batch batch = {.T = T, .B = B, .tokens = tokens, .labels = labels};
        rnnbptt_model_zero_grad(m);
        check(rnnbptt_model_train_step(m, &batch, st, &loss), "rnnbptt_model_train_step");
        loss /= B;
        run.smooth_loss = run.smooth_loss * 0.999 + loss * 0.001;
        rnnbptt_status s = op.clip > 0 ? rnnbptt_clip_grad_value(grads, np, op.clip) : RNNBPTT_OK;
        if (s == RNNBPTT_OK)
            s = rnnbptt_optim_step(o, params, grads);
        if (s == RNNBPTT_ENONFINITE)
            skipped++; /* a NaN or Inf in the gradient: the update is skipped, nothing changed */
        else
            check(s, "clip and update");
        for (int b = 0; b < B; b++)
            run.pos[b] += (size_t)T;
        run.iter++;
        if (csv) {
            fprintf(csv, "%" PRId64 ",%.17g,%.17g", run.iter, loss, run.smooth_loss);
            for (int k = 0; k < L * T; k++)
                fprintf(csv, ",%.17g", trace[k]);
            fputc('\n', csv);
        }
        if (run.iter % CR_PROGRESS_EVERY == 0)
            fprintf(stderr, "%s iter %" PRId64 " loss %.6f smooth_loss %.6f\n", CR_PROG, run.iter,
                    loss, run.smooth_loss);
        if (op.sample_every > 0 && run.iter % op.sample_every == 0) {
            double s0 = ex_now();
            sample_to(stderr, m, st, &t, &run, &op);
            sampling += ex_now() - s0;
        }
    }
    const double seconds = ex_now() - t0 - sampling;

    if (csv && fclose(csv) != 0)
        ex_die(EX_EXIT_FAIL, CR_PROG, "--trace-csv %s: write failed", op.trace_csv);
    if (op.save && cr_save(op.save, m, o, st, &run, &op, &t) != 0)
        return EX_EXIT_FAIL;
    printf("text %s bytes %zu vocab %d\n", op.text, t.n, t.V);
    printf("model %s hidden %d layers %d params %zu window %d streams %d lr %g clip %g\n",
           cell_choices[op.cell], op.hidden, L, np, T, B, op.lr, op.clip);
    printf("iteration %" PRId64 " last_loss %.6f skipped_updates %d threads %d blas_threads %d\n",
           run.iter, loss, skipped, op.threads, blas);
    if (op.sample_every > 0)
        sample_to(stdout, m, st, &t, &run, &op);
    printf("%s iters %d seconds %.3f it_per_s %.1f smooth_loss %.4f vocab %d\n", CR_PROG,
           op.iters, seconds, seconds > 0 ? op.iters / seconds : 0.0, run.smooth_loss, t.V);

    free(tokens);
    free(trace);
    free(run.pos);
    free(run.h);
    rnnbptt_state_destroy(st);
    rnnbptt_optim_destroy(o);
    rnnbptt_model_destroy(m);
    cr_text_free(&t);
    return 0;
}
