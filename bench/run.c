/* run.c — one point's buffers, warm-up and timed runs; calls baselines, machine, common. */

/* The buffers, the warm-up and the timed repetitions of one implementation (the library or a
 * baseline) at one point of a sweep, and the figures derived from them.
 * Legend: T steps, B batch, I input, H hidden, G gates. x (T,B,I), h and dh (T,B,H). */
#include "run.h"

#include "baselines.h"
#include "common.h"
#include "machine.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct bench_bufs {
    float *params, *dparams, *x, *dx, *h0, *dh0, *h, *dh, *reserve, *work, *scratch;
    size_t n_params;
    uint64_t seed;
};

/* ---- deterministic data (splitmix64 → uniform in [-scale, scale)) ---- */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static void fill(float *a, size_t n, float scale, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        a[i] = scale * (2.0f * (float)(splitmix(s) >> 40) / (float)(1u << 24) - 1.0f);
}

static size_t max_z(size_t a, size_t b) { return a > b ? a : b; }

bench_bufs *bufs_new(const bench_point *pts, int n)
{
    size_t np = 0, nx = 0, nh = 0, nh0 = 0, nr = 0, nw = 0, ns = 0;
    for (int k = 0; k < n; k++) {
        const bench_point *p = &pts[k];
        const rnnbptt_layer L = {p->cell, p->I, p->H, NULL};
        const size_t TB = (size_t)p->T * (size_t)p->B;
        np = max_z(np, rnnbptt_param_count(&L));
        nx = max_z(nx, TB * (size_t)p->I);
        nh = max_z(nh, TB * (size_t)p->H);
        nh0 = max_z(nh0, (size_t)p->B * (size_t)p->H);
        nr = max_z(nr, rnnbptt_reserve_count(&L, p->T, p->B));
        nw = max_z(nw, rnnbptt_workspace_count(&L, p->T, p->B));
        ns = max_z(ns, baseline_scratch_count(p->B, p->H));
    }
    bench_bufs *bb = calloc(1, sizeof *bb);
    if (!bb)
        return NULL;
    bb->n_params = np;
    bb->params = malloc(np * sizeof(float));
    bb->dparams = malloc(np * sizeof(float));
    bb->x = malloc(nx * sizeof(float));
    bb->dx = malloc(nx * sizeof(float));
    bb->h0 = malloc(nh0 * sizeof(float));
    bb->dh0 = malloc(nh0 * sizeof(float));
    bb->h = malloc(nh * sizeof(float));
    bb->dh = malloc(nh * sizeof(float));
    bb->reserve = malloc(max_z(nr, 1) * sizeof(float));
    bb->work = malloc(max_z(nw, 1) * sizeof(float));
    bb->scratch = malloc(ns * sizeof(float));
    if (!bb->params || !bb->dparams || !bb->x || !bb->dx || !bb->h0 || !bb->dh0 || !bb->h ||
        !bb->dh || !bb->reserve || !bb->work || !bb->scratch) {
        bufs_free(bb);
        return NULL;
    }
    uint64_t s = 42;
    fill(bb->x, nx, 1.0f, &s);
    fill(bb->h0, nh0, 0.5f, &s);
    fill(bb->dh, nh, 1.0f, &s);
    bb->seed = s;
    return bb;
}

void bufs_free(bench_bufs *bb)
{
    if (!bb)
        return;
    free(bb->params);
    free(bb->dparams);
    free(bb->x);
    free(bb->dx);
    free(bb->h0);
    free(bb->dh0);
    free(bb->h);
    free(bb->dh);
    free(bb->reserve);
    free(bb->work);
    free(bb->scratch);
    free(bb);
}

/* Fresh weights for point p (uniform ±1/√H, PyTorch's default) and zeroed gradients. */
static void init_point(bench_bufs *bb, const rnnbptt_layer *L)
{
    const size_t np = rnnbptt_param_count(L);
    uint64_t s = bb->seed;
    fill(bb->params, np, 1.0f / sqrtf((float)L->hidden_size), &s);
    memset(bb->dparams, 0, np * sizeof(float));
}

/* One forward (want_f) and/or backward (want_b) of impl m; the seconds each took. */
static int once(bench_bufs *bb, const bench_point *p, bench_impl m, const bench_opts *o,
                int want_f, int want_b, double *tf, double *tb)
{
    const int lib = m == IMPL_RNNBPTT || m == IMPL_TEAM;
    const rnnbptt_layer L = {p->cell, p->I, p->H, m == IMPL_TEAM ? o->team : NULL};
    float *res = rnnbptt_reserve_count(&L, p->T, p->B) ? bb->reserve : NULL;
    rnnbptt_status st = RNNBPTT_OK;
    const double t0 = now_s();
    if (want_f) {
        if (lib)
            st = rnnbptt_forward(&L, bb->params, p->T, p->B, NULL, bb->x, bb->h0, NULL, bb->h,
                                 NULL, NULL, res);
        else if (m == IMPL_NAIVE)
            naive_forward(&L, bb->params, p->T, p->B, bb->x, bb->h0, bb->h);
        else
            perstep_forward(&L, bb->params, p->T, p->B, bb->x, bb->h0, bb->h);
    }
    const double t1 = now_s();
    if (want_b && st == RNNBPTT_OK) {
        if (lib)
            st = rnnbptt_backward_work(&L, bb->params, p->T, p->B, NULL, bb->x, bb->h0, NULL,
                                       bb->h, res, bb->dh, NULL, NULL, bb->dparams, bb->dx,
                                       bb->dh0, NULL, bb->work);
        else if (m == IMPL_NAIVE)
            naive_backward(&L, bb->params, p->T, p->B, bb->x, bb->h0, bb->h, bb->dh, NULL,
                           bb->dparams, bb->dx, bb->dh0, bb->scratch);
        else
            perstep_backward(&L, bb->params, p->T, p->B, bb->x, bb->h0, bb->h, bb->dh, NULL,
                             bb->dparams, bb->dx, bb->dh0, bb->scratch);
    }
    const double t2 = now_s();
    *tf = t1 - t0;
    *tb = t2 - t1;
    if (st != RNNBPTT_OK) {
        fprintf(stderr, "rnnbptt-bench: %s %s T=%d B=%d I=%d H=%d failed: %s\n", impl_name(m),
                cell_name(p->cell), p->T, p->B, p->I, p->H, rnnbptt_strerror(st));
        return -1;
    }
    return 0;
}

int run_wanted(bench_bufs *bb, const bench_point *p, bench_impl m, const bench_opts *o,
               double peak_gflops)
{
    if (m == IMPL_RNNBPTT)
        return 1;
    if (m == IMPL_TEAM) { /* only where the team runs: elsewhere it is rnnbptt's very code */
        const rnnbptt_layer L = {p->cell, p->I, p->H, o->team};
        return rnnbptt_team_used(&L, p->B);
    }
    if (p->cell != RNNBPTT_RNN_TANH && p->cell != RNNBPTT_RNN_RELU)
        return 0;
    if (o->baseline_limit <= 0.0)
        return 1;
    /* An optimistic estimate first (naive at 30 GFLOP/s, perstep at the sgemm peak), so that no
     * probe is run where even that is too slow; then one step (T = 1) timed, times T. */
    const double flops = flops_fwd(p) + flops_bwd(p);
    const double rate = (m == IMPL_NAIVE ? 30.0 : peak_gflops) * 1e9;
    if (flops / rate > o->baseline_limit)
        return 0;
    const rnnbptt_layer L = {p->cell, p->I, p->H, NULL};
    init_point(bb, &L);
    bench_point one = *p;
    one.T = 1;
    double tf, tb;
    if (once(bb, &one, m, o, 1, 1, &tf, &tb))
        return 0;
    return (tf + tb) * p->T <= o->baseline_limit;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double median(double *v, int n) /* sorts v */
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int run_point(bench_bufs *bb, const bench_point *p, bench_impl m, const bench_opts *o,
              double peak_gflops, bench_result *r)
{
    const rnnbptt_layer L = {p->cell, p->I, p->H, NULL};
    const int want_f = o->phase != PHASE_BWD, want_b = o->phase != PHASE_FWD;
    double tf, tb;
    init_point(bb, &L);
    /* OpenBLAS's threads spin for ~0.1 s after each threaded call (the other implementations'
     * runs just made many) and would take a core from the team's threads: let them sleep first,
     * as they would in an application whose recurrent layers all run on a team. */
    if (m == IMPL_TEAM)
        sleep_s(0.25);
    if (!want_f && once(bb, p, m, o, 1, 0, &tf, &tb)) /* backward needs h (and reserve) */
        return -1;
    for (int w = 0; w < o->warmup; w++)
        if (once(bb, p, m, o, want_f, want_b, &tf, &tb))
            return -1;

    typedef struct {
        double f, b;
    } rep;
    int cap = 64, n = 0;
    rep *v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return -1;
    const double start = now_s();
    while (n < o->reps || (now_s() - start < o->seconds && n < 1000000)) {
        if (n == cap) {
            rep *nv = realloc(v, 2 * (size_t)cap * sizeof *v);
            if (!nv)
                break; /* keep the reps we have */
            v = nv;
            cap *= 2;
        }
        if (once(bb, p, m, o, want_f, want_b, &v[n].f, &v[n].b)) {
            free(v);
            return -1;
        }
        n++;
    }
    double *col = malloc((size_t)n * sizeof *col);
    if (!col) {
        free(v);
        return -1;
    }
    r->p = *p;
    r->impl = m;
    r->threads = blas_threads();
    r->reps = n;
    for (int k = 0; k < n; k++)
        col[k] = v[k].f;
    r->fwd_ms = want_f ? 1e3 * median(col, n) : NAN;
    for (int k = 0; k < n; k++)
        col[k] = v[k].b;
    r->bwd_ms = want_b ? 1e3 * median(col, n) : NAN;
    for (int k = 0; k < n; k++) /* only the phases run: a skipped one costs a clock read */
        col[k] = (want_f ? v[k].f : 0.0) + (want_b ? v[k].b : 0.0);
    r->total_ms = 1e3 * median(col, n);
    r->total_best_ms = 1e3 * col[0]; /* median() sorted col */
    free(col);
    free(v);

    r->gflops = flops_phase(p, o->phase) / (r->total_ms * 1e-3) * 1e-9;
    r->pct_peak = 100.0 * r->gflops / peak_gflops;
    r->tokens_per_s = (double)p->T * p->B / (r->total_ms * 1e-3);
    const double TBH = (double)p->T * p->B * p->H;
    if (m == IMPL_RNNBPTT || m == IMPL_TEAM)
        r->bytes = 4.0 * (TBH + (double)rnnbptt_reserve_count(&L, p->T, p->B) +
                          (double)rnnbptt_workspace_count(&L, p->T, p->B));
    else
        r->bytes = 4.0 * (TBH + (double)baseline_scratch_count(p->B, p->H));
    r->bound_ms = NAN;
    r->ratio_ours = NAN;
    return 0;
}
