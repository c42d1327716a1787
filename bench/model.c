/* model.c — rnnbptt-bench --model: timed training steps of stacked models; calls machine, common. */

/* Times rnnbptt_model_train_step — forward through every layer and direction, the dense head and
 * an MSE loss at every step, then BPTT back through all of them — over a sweep of models, against
 * the machine's sgemm peak measured in the same run. bench/peers/torch_model.py and
 * onednn_model.cpp time the same step and write the same CSV columns; all three fill their
 * tensors with golden() (common.h), so their losses must agree.
 * Legend: L layers, D = 1 + bidirectional, T steps, B batch, I input, H hidden, O head outputs. */
#define _POSIX_C_SOURCE 200809L
#include "model.h"

#include "common.h"
#include "machine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_COLUMNS                                                                              \
    "impl,cell,layers,bidirectional,T,B,I,H,O,threads,fwd_ms,bwd_ms,total_ms,total_best_ms,"       \
    "gflops,pct_peak,tokens_per_s,bytes,loss"

void model_usage(FILE *f)
{
    fprintf(f,
            "Model mode: rnnbptt-bench --model [options]\n"
            "Times rnnbptt_model_train_step on a model of `--layers` layers of one cell (each with\n"
            "a reverse direction with --bidirectional 1), a dense head of --O outputs and an MSE\n"
            "loss at every step (targets (T,B,O); lengths NULL; state NULL: zero initial states;\n"
            "float inputs x, no tokens): forward, head, loss and BPTT back to the first layer, the\n"
            "gradients accumulated into the model's buffer (zeroed between reps, untimed).\n"
            "rnnbptt_model_config.threads = --threads (the model's own team), and the BLAS's\n"
            "threads set to the same. With no sweep options: the default model sweep, cells\n"
            "tanh,lstm,gru x {L=2 D=1 50/64/512/512, L=2 D=2 50/32/512/512, L=3 D=1 100/32/256/256,\n"
            "L=3 D=2 100/32/256/256} (T/B/I/H), O = 16.\n\n"
            "  --cell LIST           tanh,relu,lstm,gru                 (default tanh,lstm,gru)\n"
            "  --layers LIST         L >= 1                             (default 2)\n"
            "  --bidirectional LIST  0, 1 or 0,1                        (default 0)\n"
            "  --points LIST         T/B/I/H,...                        (default 100/32/256/256)\n"
            "                        any of these three: the sweep is cells x layers x\n"
            "                        bidirectional x points, the others at their defaults\n"
            "  --O N                 the head's outputs                 (default 16)\n"
            "  --threads N           model and BLAS threads             (default: the BLAS's)\n"
            "  --reps N --warmup N --seconds S   as in layer mode       (default 5, 1, 0)\n"
            "  --quick               a smoke run: tiny models (8/4/16/16, L = 2, both D), 2 reps\n"
            "  --csv FILE            the results as CSV\n"
            "  --dump FILE           one step from zero gradients at the (single) point: the\n"
            "                        gradient buffer, float32 in the model's flat layout\n\n"
            "Columns (CSV): " MODEL_COLUMNS "\n"
            "  fwd_ms, bwd_ms and bytes are empty for rnnbptt (one call does both; the peers fill\n"
            "  fwd_ms and bwd_ms); loss is the step's summed loss, the same for every\n"
            "  implementation (every tensor filled by the same formula, see bench/common.h).\n"
            "FLOPs per step (R = T*B; G = 1 tanh/relu, 4 LSTM, 3 GRU; I_l = I for l = 0, D*H above):\n"
            "  F = sum over layers l and directions of (F_fwd + F_bwd)(T, B, I_l, H)   [layer mode's]\n"
            "      - D*2*R*G*H*I   (no dx at the first layer)\n"
            "      + 6*R*O*D*H     (the head: forward, dW_y, dh)\n"
            "  GFLOP/s = F / median time; %%peak against the sgemm peak measured in the same run.\n");
}

/* ---- command line ---- */
enum { MAXP = 256 };
typedef struct {
    int v[64], n;
} mlist;

/* comma list of ints in lo..hi */
static int ints(const char *s, int lo, int hi, mlist *l)
{
    l->n = 0;
    while (*s) {
        char *end;
        const long v = strtol(s, &end, 10);
        if (end == s || v < lo || v > hi || l->n == 64 || (*end && *end != ','))
            return -1;
        l->v[l->n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return l->n ? 0 : -1;
}

static int cells_of(const char *s, int *mask)
{
    *mask = 0;
    while (*s) {
        const size_t len = strcspn(s, ",");
        int k = 0;
        while (k < CELL_COUNT && !(strlen(cell_names[k]) == len && !strncmp(s, cell_names[k], len)))
            k++;
        if (k == CELL_COUNT)
            return -1;
        *mask |= 1 << k;
        s += len + (s[len] == ',');
    }
    return *mask ? 0 : -1;
}

typedef struct {
    int T, B, I, H;
} shape;

static int shapes_of(const char *s, shape *v, int *n)
{
    *n = 0;
    while (*s) {
        shape p;
        int used = 0;
        if (sscanf(s, "%d/%d/%d/%d%n", &p.T, &p.B, &p.I, &p.H, &used) != 4 || p.T < 1 || p.B < 1 ||
            p.I < 1 || p.H < 1 || *n == 64 || (s[used] && s[used] != ','))
            return -1;
        v[(*n)++] = p;
        s += used + (s[used] == ',');
    }
    return *n ? 0 : -1;
}

static int num(const char *s, double lo, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end == s || *end || !(*out >= lo) ? -1 : 0;
}

/* ---- one point ---- */
typedef struct {
    model_point p;
    int threads, reps;
    double total_ms, best_ms, gflops, pct_peak, tokens_per_s, loss;
} model_result;

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill(float *a, size_t n, int salt, double scale)
{
    for (size_t k = 0; k < n; k++)
        a[k] = golden(k, salt, scale);
}

/* Creates the model of p, fills parameters, x and targets, runs warmup + timed steps. */
static int run_model(const model_point *p, int threads, int reps, int warmup, double seconds,
                     double peak, const char *dump, model_result *r)
{
    const rnnbptt_model_config cfg = {p->cell, p->I, p->H, p->layers, p->bidirectional, p->O,
                                      RNNBPTT_LOSS_MSE, RNNBPTT_LOSS_EVERY_STEP, threads};
    rnnbptt_model *m = NULL;
    rnnbptt_status st = rnnbptt_model_create(&cfg, &m);
    const size_t TB = (size_t)p->T * (size_t)p->B;
    float *x = malloc(TB * (size_t)p->I * sizeof *x), *y = malloc(TB * (size_t)p->O * sizeof *y);
    double *t = malloc((size_t)(reps + 100000) * sizeof *t);
    if (st == RNNBPTT_OK && (!x || !y || !t))
        st = RNNBPTT_ENOMEM;
    if (st == RNNBPTT_OK) {
        fill(rnnbptt_model_params(m), rnnbptt_model_param_count(m), 1, 1.0 / sqrt(p->H));
        fill(x, TB * (size_t)p->I, 2, 1.0);
        fill(y, TB * (size_t)p->O, 3, 1.0);
    }
    const rnnbptt_batch batch = {p->T, p->B, NULL, x, NULL, y, NULL};
    /* OpenBLAS's threads spin for ~0.1 s after a threaded call (the peak measurement, the last
     * point's BLAS calls) and would take a core from the model's team: let them sleep first. */
    sleep_s(0.25);
    double loss = NAN;
    int n = 0;
    for (int w = 0; w < warmup && st == RNNBPTT_OK; w++)
        st = rnnbptt_model_train_step(m, &batch, NULL, &loss);
    const double start = now_s();
    while (st == RNNBPTT_OK && (n < reps || (now_s() - start < seconds && n < reps + 100000))) {
        rnnbptt_model_zero_grad(m);
        const double t0 = now_s();
        st = rnnbptt_model_train_step(m, &batch, NULL, &loss);
        t[n++] = now_s() - t0;
    }
    if (st == RNNBPTT_OK && dump) {
        rnnbptt_model_zero_grad(m);
        st = rnnbptt_model_train_step(m, &batch, NULL, &loss);
        FILE *f = fopen(dump, "wb");
        const size_t np = rnnbptt_model_param_count(m);
        if (!f || fwrite(rnnbptt_model_grads(m), sizeof(float), np, f) != np || fclose(f)) {
            fprintf(stderr, "rnnbptt-bench: cannot write %s\n", dump);
            n = 0;
        }
    }
    if (st != RNNBPTT_OK)
        fprintf(stderr, "rnnbptt-bench: model %s L=%d D=%d T=%d B=%d I=%d H=%d O=%d failed: %s\n",
                cell_name(p->cell), p->layers, 1 + p->bidirectional, p->T, p->B, p->I, p->H, p->O,
                rnnbptt_strerror(st));
    rnnbptt_model_destroy(m);
    free(x);
    free(y);
    if (st != RNNBPTT_OK || n == 0) {
        free(t);
        return -1;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    r->p = *p;
    r->threads = threads;
    r->reps = n;
    r->total_ms = 1e3 * (n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]));
    r->best_ms = 1e3 * t[0];
    r->gflops = model_flops(p) / (r->total_ms * 1e-3) * 1e-9;
    r->pct_peak = 100.0 * r->gflops / peak;
    r->tokens_per_s = (double)TB / (r->total_ms * 1e-3);
    r->loss = loss;
    free(t);
    return 0;
}

static void head(FILE *f)
{
    fprintf(f, "%-8s %-5s %2s %5s %5s %4s %5s %5s %4s %3s %10s %10s %8s %6s %10s %12s\n", "impl",
            "cell", "L", "bidir", "T", "B", "I", "H", "O", "thr", "total_ms", "best_ms", "GFLOP/s",
            "%peak", "tokens/s", "loss");
}

static void row(FILE *f, const model_result *r)
{
    const model_point *p = &r->p;
    fprintf(f, "%-8s %-5s %2d %5d %5d %4d %5d %5d %4d %3d %10.3f %10.3f %8.1f %6.1f %10.4g %12.6g\n",
            "rnnbptt", cell_name(p->cell), p->layers, p->bidirectional, p->T, p->B, p->I, p->H, p->O,
            r->threads, r->total_ms, r->best_ms, r->gflops, r->pct_peak, r->tokens_per_s, r->loss);
}

static int write_csv(const char *path, const model_result *r, int n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%s\n", MODEL_COLUMNS);
    for (int k = 0; k < n; k++) {
        const model_point *p = &r[k].p;
        fprintf(f, "rnnbptt,%s,%d,%d,%d,%d,%d,%d,%d,%d,,,%.6g,%.6g,%.6g,%.6g,%.6g,,%.9g\n",
                cell_name(p->cell), p->layers, p->bidirectional, p->T, p->B, p->I, p->H, p->O,
                r[k].threads, r[k].total_ms, r[k].best_ms, r[k].gflops, r[k].pct_peak,
                r[k].tokens_per_s, r[k].loss);
    }
    return fclose(f) ? -1 : 0;
}

int model_main(int argc, char **argv)
{
    int cells = 1 << RNNBPTT_RNN_TANH | 1 << RNNBPTT_LSTM | 1 << RNNBPTT_GRU, O = 16, threads = 0;
    int reps = 5, warmup = 1, quick = 0, swept = 0, peak_n = 2048, peak_reps = 3;
    double seconds = 0.0, d;
    mlist Ls = {{2}, 1}, Ds = {{0}, 1};
    shape S[64] = {{100, 32, 256, 256}};
    int nS = 1;
    const char *csv = NULL, *dump = NULL;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        int bad = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            model_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--model")) {
            continue;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
            continue;
        } else if (!v) {
            bad = 1;
        } else if (!strcmp(a, "--cell")) {
            bad = cells_of(v, &cells);
        } else if (!strcmp(a, "--layers")) {
            bad = ints(v, 1, 64, &Ls), swept = 1;
        } else if (!strcmp(a, "--bidirectional")) {
            bad = ints(v, 0, 1, &Ds), swept = 1;
        } else if (!strcmp(a, "--points")) {
            bad = shapes_of(v, S, &nS), swept = 1;
        } else if (!strcmp(a, "--O")) {
            bad = num(v, 1, &d) || (O = (int)d, 0);
        } else if (!strcmp(a, "--threads")) {
            bad = num(v, 1, &d) || d > RNNBPTT_TEAM_MAX_THREADS || (threads = (int)d, 0);
        } else if (!strcmp(a, "--reps")) {
            bad = num(v, 1, &d) || (reps = (int)d, 0);
        } else if (!strcmp(a, "--warmup")) {
            bad = num(v, 0, &d) || (warmup = (int)d, 0);
        } else if (!strcmp(a, "--seconds")) {
            bad = num(v, 0, &seconds);
        } else if (!strcmp(a, "--csv")) {
            csv = v;
        } else if (!strcmp(a, "--dump")) {
            dump = v;
        } else {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "rnnbptt-bench --model: bad or incomplete option '%s%s%s' (see --model "
                            "--help)\n", a, v ? " " : "", v ? v : "");
            return 1;
        }
        k++;
    }

    /* the points: cells x (the default sweep | layers x bidirectional x shapes) */
    static const model_point sweep[] = {
        {0, 2, 0, 50, 64, 512, 512, 0},
        {0, 2, 1, 50, 32, 512, 512, 0},
        {0, 3, 0, 100, 32, 256, 256, 0},
        {0, 3, 1, 100, 32, 256, 256, 0},
    };
    model_point pts[MAXP];
    int npts = 0;
    if (quick && !swept) {
        Ls = (mlist){{2}, 1}, Ds = (mlist){{0, 1}, 2}, S[0] = (shape){8, 4, 16, 16}, nS = 1;
        swept = 1;
        O = 4;
    }
    if (quick)
        reps = 2, warmup = 1, seconds = 0.0, peak_n = 512, peak_reps = 1;
    for (int c = 0; c < CELL_COUNT; c++) {
        if (!(cells >> c & 1))
            continue;
        if (!swept)
            for (size_t k = 0; k < sizeof sweep / sizeof *sweep; k++)
                pts[npts] = sweep[k], pts[npts].cell = (rnnbptt_cell)c, pts[npts++].O = O;
        else
            for (int l = 0; l < Ls.n; l++)
                for (int b = 0; b < Ds.n; b++)
                    for (int s = 0; s < nS && npts < MAXP; s++)
                        pts[npts++] = (model_point){(rnnbptt_cell)c, Ls.v[l], Ds.v[b], S[s].T,
                                                    S[s].B, S[s].I, S[s].H, O};
    }
    if (dump && npts != 1) {
        fprintf(stderr, "rnnbptt-bench --model: --dump needs exactly one point (%d given)\n", npts);
        return 1;
    }

    if (threads && blas_set_threads(threads))
        fprintf(stderr, "rnnbptt-bench: --threads: this BLAS has no API to set its thread count; "
                        "using its default\n");
    if (!threads)
        threads = blas_threads() > 0 ? blas_threads() : 1;

    print_header(stdout);
    printf("# model     rnnbptt_model_train_step, config.threads = %d (the model's own team), MSE "
           "at every step, O = %d, lengths NULL, state NULL, float inputs\n",
           threads, O);
    const double peak = sgemm_peak(peak_n, peak_reps);
    printf("# peak      cblas_sgemm N=%d, %d threads: %.1f GFLOP/s (best of %d)\n", peak_n,
           blas_threads(), peak, peak_reps);
    printf("# FLOPs     model: sum over layers and directions of layer mode's fwd + bwd (input I, "
           "then D*H), minus the first layer's dx 2*D*T*B*G*H*I, plus the head 6*T*B*O*D*H (see "
           "--model --help)\n");
    fflush(stdout);

    model_result *res = malloc((size_t)npts * sizeof *res);
    if (!res) {
        fprintf(stderr, "rnnbptt-bench: out of memory\n");
        return 1;
    }
    head(stdout);
    int nres = 0, status = 0;
    const double t_start = now_s();
    for (int k = 0; k < npts; k++) {
        const model_point *p = &pts[k];
        fprintf(stderr, "[%d/%d] model %s L=%d D=%d %d/%d/%d/%d\n", k + 1, npts, cell_name(p->cell),
                p->layers, 1 + p->bidirectional, p->T, p->B, p->I, p->H);
        if (run_model(p, threads, reps, warmup, seconds, peak, dump, &res[nres])) {
            status = 3;
            break;
        }
        row(stdout, &res[nres++]);
        fflush(stdout);
    }
    printf("# %d results in %.1f s\n", nres, now_s() - t_start);
    if (csv && write_csv(csv, res, nres)) {
        fprintf(stderr, "rnnbptt-bench: cannot write %s\n", csv);
        status = status ? status : 1;
    }
    free(res);
    return status;
}
