/* main.c — command line, sweep, summary; calls run, output, baselines, machine, common. */

/* rnnbptt-bench's entry point; nothing calls into this file. The FLOP and traffic formulas that
 * --help and the "# FLOPs" line describe are computed in common.c, which states them too: change
 * them together. */
#define _POSIX_C_SOURCE 200809L
#include "baselines.h"
#include "common.h"
#include "machine.h"
#include "model.h"
#include "output.h"
#include "run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char FLOP_TEXT[] =
    "FLOPs counted per point (R = T*B rows; G = 1 tanh/relu, 4 LSTM, 3 GRU):\n"
    "  forward   F_fwd = 2*R*G*H*(I + H) + e_f*R*H\n"
    "  backward  F_bwd = 4*R*G*H*(I + H) + e_b*R*H\n"
    "            = dW_x 2RGHI + dx 2RGHI + dW_h 2RGHH + W_h^T delta 2RGHH (dx and dh0 counted)\n"
    "  e_f/e_b   element-wise FLOPs per hidden unit per row (+ - * and each exp/tanh/sigmoid\n"
    "            count 1): tanh/relu 0/0, i.e. vanilla F_fwd = 2*T*B*(I*H + H*H) and\n"
    "            F_bwd = 2*F_fwd; LSTM 9/24; GRU 11/17. Bias adds, bias gradients and copies\n"
    "            are not counted.\n"
    "  GFLOP/s = F(phase) / median time; %peak = GFLOP/s / the cblas_sgemm peak (N = 2048,\n"
    "  same threads) measured at the start of the same run.\n"
    "Traffic bound (B = 1): W_h (G*H x H floats) read once per step forward and once backward,\n"
    "  bound_ms = 2*T*G*H*H*4 bytes / read bandwidth (measured in this run over a buffer of W_h's\n"
    "  size with the BLAS's thread count); x_bound = total_ms / bound_ms.\n";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rnnbptt-bench [options]\n"
            "Times one recurrent layer, forward over all T steps from h0 and BPTT from dL/dh at\n"
            "every step (weight gradients, dx, dh0), against the baselines and the machine's\n"
            "sgemm peak. With no options: the default sweep (under five minutes on 2 cores).\n\n"
            "  --cell LIST      tanh,relu,lstm,gru                    (default tanh)\n"
            "  --T LIST         sequence lengths                      (default 16,64,256,1024)\n"
            "  --B LIST         batch sizes                           (default 1,32)\n"
            "  --H LIST         hidden sizes                          (default 64,128,256,512,1024)\n"
            "  --I LIST         input sizes                           (default I = H)\n"
            "  --points LIST    explicit T/B/I/H points instead of the sweep, e.g. 100/1/128/128,...\n"
            "  --phase P        fwd, bwd or both                      (default both)\n"
            "  --impl LIST      rnnbptt,naive,perstep,rnnbptt-team    (default all four)\n"
            "                   rnnbptt-team: the library with an rnnbptt_team, at the points\n"
            "                   where the team runs (rnnbptt_team_used), each after a\n"
            "                   0.25 s pause that lets the BLAS's spinning threads sleep\n"
            "  --baseline-limit S  run a baseline only where one rep is estimated under S seconds\n"
            "                   (default 1; 0 = always). Baselines exist for tanh and relu only.\n"
            "  --reps N         at least N timed repetitions          (default 5)\n"
            "  --warmup N       untimed repetitions first             (default 1)\n"
            "  --seconds S      repeat until S seconds are spent on a point, after --reps (default 0.2)\n"
            "  --threads N      BLAS threads, set with openblas_set_num_threads (default: the BLAS's)\n"
            "  --team N         threads of rnnbptt-team's rnnbptt_team    (default: the BLAS threads)\n"
            "  --quick          a few seconds' subset: T 16,64  B 1,16  H 64,256, 3 reps\n"
            "  --csv FILE       write the results as CSV\n"
            "  --json FILE      write the results (and the run header) as JSON\n"
            "  --plot FILE.png  GFLOP/s against T and against H, with gnuplot\n"
            "  --model          the model mode instead: timed training steps of\n"
            "                   stacked and bidirectional models (rnnbptt-bench --model --help)\n"
            "  --help           this text\n\n"
            "Columns (CSV/JSON): impl,cell,T,B,I,H,threads,fwd_ms,bwd_ms,total_ms,total_best_ms,\n"
            "  gflops,pct_peak,tokens_per_s,bytes. *_ms are medians over the reps, total_best_ms the\n"
            "  best rep; tokens_per_s = T*B / total; bytes = h + reserve + backward workspace\n"
            "  (baselines: h + their 2*B*H floats of scratch). The table adds bound_ms, x_bound\n"
            "  and x_ours (a baseline's total_ms / rnnbptt's at the same point).\n\n%s",
            FLOP_TEXT);
}

/* ---- command line ---- */
enum { MAXL = 64 };
typedef struct {
    int v[MAXL], n;
} ilist;

static int parse_ints(const char *s, ilist *l)
{
    l->n = 0;
    while (*s) {
        char *end;
        const long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 1 << 24 || l->n == MAXL || (*end && *end != ','))
            return -1;
        l->v[l->n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    return l->n ? 0 : -1;
}

/* name list → bit mask over `names`; -1 on an unknown name */
static int parse_names(const char *s, const char *const *names, int count)
{
    int mask = 0;
    while (*s) {
        const size_t len = strcspn(s, ",");
        int k = 0;
        while (k < count && !(strlen(names[k]) == len && strncmp(s, names[k], len) == 0))
            k++;
        if (k == count)
            return -1;
        mask |= 1 << k;
        s += len + (s[len] == ',');
    }
    return mask ? mask : -1;
}

static int parse_points(const char *s, bench_point *pts, int *n, int cap)
{
    *n = 0;
    while (*s) {
        int T, B, I, H, used = 0;
        if (sscanf(s, "%d/%d/%d/%d%n", &T, &B, &I, &H, &used) != 4 || T < 1 || B < 1 || I < 1 ||
            H < 1 || *n == cap || (s[used] && s[used] != ','))
            return -1;
        pts[(*n)++] = (bench_point){RNNBPTT_RNN_TANH, T, B, I, H};
        s += used + (s[used] == ',');
    }
    return *n ? 0 : -1;
}

/* a number >= lo, the whole string */
static int parse_num(const char *s, double lo, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return end == s || *end || !(*out >= lo) ? -1 : 0;
}

/* ---- progress on stderr: one updating line on a terminal, a line per result otherwise ---- */
static int tty;
static void progress(const char *what, int k, int n, const bench_point *p, const bench_result *r)
{
    if (tty && !r)
        fprintf(stderr, "\r\033[K[%d/%d] %s %s T=%d B=%d I=%d H=%d ...", k, n, what,
                cell_name(p->cell), p->T, p->B, p->I, p->H);
    else if (!tty && r)
        fprintf(stderr, "[%d/%d] %s %s T=%d B=%d I=%d H=%d: %.3f ms (%d reps)\n", k, n, what,
                cell_name(p->cell), p->T, p->B, p->I, p->H, r->total_ms, r->reps);
    fflush(stderr);
}
static void progress_clear(void)
{
    if (tty)
        fprintf(stderr, "\r\033[K");
}

/* ---- summary: speedups over the baselines, fractions of the peak and of the traffic bound ---- */
static void summary(FILE *f, const bench_result *r, int n)
{
    for (int m = IMPL_NAIVE; m <= IMPL_PERSTEP; m++) {
        double lg = 0.0, lo = INFINITY, hi = 0.0;
        int c = 0;
        for (int k = 0; k < n; k++)
            if (r[k].impl == (bench_impl)m && !isnan(r[k].ratio_ours)) {
                lg += log(r[k].ratio_ours);
                lo = fmin(lo, r[k].ratio_ours);
                hi = fmax(hi, r[k].ratio_ours);
                c++;
            }
        if (c)
            fprintf(f, "# rnnbptt is %.2fx faster than %s (geometric mean over %d points; min %.2fx, "
                       "max %.2fx)\n",
                    exp(lg / c), impl_name((bench_impl)m), c, lo, hi);
    }
    double lo = INFINITY, hi = 0.0;
    int c = 0;
    for (int k = 0; k < n; k++)
        if (r[k].impl == IMPL_RNNBPTT && r[k].p.B >= 32 && r[k].p.H >= 512) {
            lo = fmin(lo, r[k].pct_peak);
            hi = fmax(hi, r[k].pct_peak);
            c++;
        }
    if (c)
        fprintf(f, "# rnnbptt at B >= 32, H >= 512: %.1f%% .. %.1f%% of the sgemm peak (%d points)\n",
                lo, hi, c);
    for (int m = IMPL_RNNBPTT; m <= IMPL_TEAM; m += IMPL_TEAM - IMPL_RNNBPTT) {
        lo = INFINITY, hi = 0.0, c = 0;
        for (int k = 0; k < n; k++)
            if (r[k].impl == (bench_impl)m && !isnan(r[k].bound_ms) && r[k].p.H >= 256) {
                lo = fmin(lo, r[k].total_ms / r[k].bound_ms);
                hi = fmax(hi, r[k].total_ms / r[k].bound_ms);
                c++;
            }
        if (c)
            fprintf(f, "# %s at B = 1, H >= 256: %.2fx .. %.2fx the traffic bound (%d points)\n",
                    impl_name((bench_impl)m), lo, hi, c);
    }
    lo = INFINITY, hi = 0.0, c = 0;
    for (int k = 0; k < n; k++)
        if (r[k].impl == IMPL_TEAM && !isnan(r[k].ratio_ours)) {
            lo = fmin(lo, 1.0 / r[k].ratio_ours);
            hi = fmax(hi, 1.0 / r[k].ratio_ours);
            c++;
        }
    if (c)
        fprintf(f,
                "# rnnbptt-team is %.2fx .. %.2fx as fast as rnnbptt without a team (%d points)\n",
                lo, hi, c);
}

int main(int argc, char **argv)
{
    bench_opts o = {5, 1, 0.2, 1.0, PHASE_BOTH, NULL};
    ilist Ts = {{16, 64, 256, 1024}, 4}, Bs = {{1, 32}, 2}, Hs = {{64, 128, 256, 512, 1024}, 5};
    ilist Is = {{0}, 0};
    int cells = 1 << RNNBPTT_RNN_TANH, impls = 15, threads = 0, team_threads = 0, peak_reps = 3;
    int npts = 0;
    const char *csv = NULL, *json = NULL, *plot = NULL, *points = NULL;

    for (int k = 1; k < argc; k++)
        if (strcmp(argv[k], "--model") == 0)
            return model_main(argc, argv);
    for (int k = 1; k < argc; k++)
        if (strcmp(argv[k], "--quick") == 0) {
            Ts = (ilist){{16, 64}, 2}, Bs = (ilist){{1, 16}, 2}, Hs = (ilist){{64, 256}, 2};
            o = (bench_opts){3, 1, 0.02, 0.05, PHASE_BOTH, NULL};
            peak_reps = 2;
        }
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k], *v = k + 1 < argc ? argv[k + 1] : NULL;
        double d;
        int bad = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--quick") == 0) {
            continue;
        } else if (!v) {
            bad = 1;
        } else if (strcmp(a, "--cell") == 0) {
            bad = (cells = parse_names(v, cell_names, CELL_COUNT)) < 0;
        } else if (strcmp(a, "--impl") == 0) {
            bad = (impls = parse_names(v, impl_names, IMPL_COUNT)) < 0;
        } else if (strcmp(a, "--T") == 0) {
            bad = parse_ints(v, &Ts);
        } else if (strcmp(a, "--B") == 0) {
            bad = parse_ints(v, &Bs);
        } else if (strcmp(a, "--H") == 0) {
            bad = parse_ints(v, &Hs);
        } else if (strcmp(a, "--I") == 0) {
            bad = parse_ints(v, &Is);
        } else if (strcmp(a, "--points") == 0) {
            points = v;
        } else if (strcmp(a, "--phase") == 0) {
            o.phase = !strcmp(v, "fwd") ? PHASE_FWD : !strcmp(v, "bwd") ? PHASE_BWD : PHASE_BOTH;
            bad = o.phase == PHASE_BOTH && strcmp(v, "both") != 0;
        } else if (strcmp(a, "--reps") == 0) {
            bad = parse_num(v, 1, &d) || (o.reps = (int)d, 0);
        } else if (strcmp(a, "--warmup") == 0) {
            bad = parse_num(v, 0, &d) || (o.warmup = (int)d, 0);
        } else if (strcmp(a, "--seconds") == 0) {
            bad = parse_num(v, 0, &o.seconds);
        } else if (strcmp(a, "--baseline-limit") == 0) {
            bad = parse_num(v, 0, &o.baseline_limit);
        } else if (strcmp(a, "--threads") == 0) {
            bad = parse_num(v, 1, &d) || (threads = (int)d, 0);
        } else if (strcmp(a, "--team") == 0) {
            bad = parse_num(v, 1, &d) || d > RNNBPTT_TEAM_MAX_THREADS || (team_threads = (int)d, 0);
        } else if (strcmp(a, "--csv") == 0) {
            csv = v;
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (strcmp(a, "--plot") == 0) {
            plot = v;
        } else {
            bad = 1;
        }
        if (bad) {
            fprintf(stderr, "rnnbptt-bench: bad or incomplete option '%s%s%s' (see --help)\n", a,
                    v ? " " : "", v ? v : "");
            return 1;
        }
        k++;
    }
    tty = isatty(STDERR_FILENO);

    /* the points: cell × (explicit list | B × H × T × I) */
    bench_point grid[MAXL];
    int ngrid = 0;
    if (points && parse_points(points, grid, &ngrid, MAXL)) {
        fprintf(stderr, "rnnbptt-bench: bad --points '%s' (want T/B/I/H,T/B/I/H,...)\n", points);
        return 1;
    }
    const size_t per_cell = points ? (size_t)ngrid
                                   : (size_t)Bs.n * Hs.n * Ts.n * (size_t)(Is.n ? Is.n : 1);
    bench_point *pts = malloc(CELL_COUNT * per_cell * sizeof *pts);
    if (!pts) {
        fprintf(stderr, "rnnbptt-bench: out of memory\n");
        return 1;
    }
    for (int c = 0; c < CELL_COUNT; c++) {
        if (!(cells >> c & 1))
            continue;
        if (points)
            for (int k = 0; k < ngrid; k++)
                pts[npts] = grid[k], pts[npts++].cell = (rnnbptt_cell)c;
        else
            for (int b = 0; b < Bs.n; b++)
                for (int h = 0; h < Hs.n; h++)
                    for (int t = 0; t < Ts.n; t++)
                        for (int i = 0; i < (Is.n ? Is.n : 1); i++)
                            pts[npts++] = (bench_point){(rnnbptt_cell)c, Ts.v[t], Bs.v[b],
                                                        Is.n ? Is.v[i] : Hs.v[h], Hs.v[h]};
    }

    if (threads && blas_set_threads(threads))
        fprintf(stderr, "rnnbptt-bench: --threads: this BLAS has no API to set its thread count; "
                        "using its default (set its environment variable instead)\n");
    if (plot && !have_gnuplot())
        fprintf(stderr, "rnnbptt-bench: --plot: gnuplot is not installed (not found in PATH); the "
                        "run goes on, but no plot will be written\n");

    if (impls >> IMPL_TEAM & 1) {
        if (!team_threads)
            team_threads = blas_threads() > 0 ? blas_threads() : 1;
        const rnnbptt_status st = rnnbptt_team_create(team_threads, &o.team);
        if (st != RNNBPTT_OK) {
            fprintf(stderr, "rnnbptt-bench: rnnbptt_team_create(%d): %s\n", team_threads,
                    rnnbptt_strerror(st));
            return 1;
        }
    }

    print_header(stdout);
    if (o.team)
        printf("# team      rnnbptt-team: an rnnbptt_team of %d threads, at the points where "
               "rnnbptt_team_used says it runs\n",
               team_threads);
    if (tty)
        fprintf(stderr, "measuring the sgemm peak, the read bandwidth; checking the baselines ...");
    const double peak = sgemm_peak(2048, peak_reps);
    printf("# peak      cblas_sgemm N=2048, %d threads: %.1f GFLOP/s (best of %d)\n", blas_threads(),
           peak, peak_reps);
    printf("# FLOPs     fwd 2*T*B*G*H*(I+H) + e_f*T*B*H, bwd 4*T*B*G*H*(I+H) + e_b*T*B*H (dx, dh0 "
           "counted; e_f/e_b: tanh,relu 0/0, lstm 9/24, gru 11/17; see --help)\n");

    /* read bandwidth over a buffer of W_h's size, for the B = 1 traffic bound */
    double bw_bytes[MAXL * CELL_COUNT], bw[MAXL * CELL_COUNT];
    int nbw = 0;
    for (int k = 0; k < npts; k++) {
        const double bytes = wh_bytes(&pts[k]);
        int j = 0;
        while (j < nbw && bw_bytes[j] != bytes)
            j++;
        if (pts[k].B == 1 && j == nbw && nbw < MAXL * CELL_COUNT) {
            bw_bytes[nbw] = bytes;
            bw[nbw++] = read_bandwidth((size_t)bytes, blas_threads() > 0 ? blas_threads() : 1);
        }
    }
    if (nbw) {
        printf("# read bw   %d threads, buffer = W_h:", blas_threads() > 0 ? blas_threads() : 1);
        for (int j = 0; j < nbw; j++)
            printf("%s %.0f KiB %.0f GB/s", j ? "," : "", bw_bytes[j] / 1024, bw[j]);
        printf("\n");
    }
    if (baselines_check(stdout)) {
        fprintf(stderr, "rnnbptt-bench: aborting: the baselines disagree with the library, so the "
                        "comparison would not be honest\n");
        return 2;
    }
    fflush(stdout);

    bench_bufs *bb = bufs_new(pts, npts);
    bench_result *res = malloc((size_t)npts * IMPL_COUNT * sizeof *res);
    if (!bb || !res) {
        fprintf(stderr, "rnnbptt-bench: out of memory for the buffers of the largest point\n");
        return 1;
    }
    table_head(stdout);
    int nres = 0, status = 0;
    const double t_start = now_s();
    for (int k = 0; k < npts && !status; k++) {
        const bench_point *p = &pts[k];
        int ours = -1;
        for (int m = 0; m < IMPL_COUNT && !status; m++) {
            if (!(impls >> m & 1))
                continue;
            progress(impl_name((bench_impl)m), k + 1, npts, p, NULL);
            if (!run_wanted(bb, p, (bench_impl)m, &o, peak))
                continue;
            bench_result *r = &res[nres];
            if (run_point(bb, p, (bench_impl)m, &o, peak, r)) {
                status = 3;
                break;
            }
            for (int j = 0; j < nbw && p->B == 1; j++)
                if (bw_bytes[j] == wh_bytes(p))
                    r->bound_ms = traffic_bound_ms(p, o.phase, bw[j]);
            if (m == IMPL_RNNBPTT)
                ours = nres;
            else if (ours >= 0)
                r->ratio_ours = r->total_ms / res[ours].total_ms;
            progress(impl_name((bench_impl)m), k + 1, npts, p, r);
            progress_clear();
            table_row(stdout, r);
            fflush(stdout);
            nres++;
        }
    }
    progress_clear();
    summary(stdout, res, nres);
    printf("# %d results in %.1f s\n", nres, now_s() - t_start);

    char cmd[4096] = "";
    for (int k = 0; k < argc; k++)
        snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", k ? " " : "", argv[k]);
    if (csv && write_csv(csv, res, nres))
        fprintf(stderr, "rnnbptt-bench: cannot write %s\n", csv), status = status ? status : 1;
    if (json && write_json(json, res, nres, peak, cmd))
        fprintf(stderr, "rnnbptt-bench: cannot write %s\n", json), status = status ? status : 1;
    if (plot)
        write_plot(plot, res, nres, peak); /* says why when it cannot */
    bufs_free(bb);
    free(res);
    free(pts);
    rnnbptt_team_destroy(o.team);
    return status;
}
