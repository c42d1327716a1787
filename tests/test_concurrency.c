/* test_concurrency.c — the library under several application threads at once, written to run
 * under ThreadSanitizer (scripts/tsan.sh) as well as in every other build: every cell's forward
 * and backward, at B = 1 and B > 1, at sizes on and off the team path, called from
 *   - NAPP threads, each with its own layers and its own team of 2 threads: every result equals,
 *     bitwise, the same call run alone before the threads start, and every team-path call ran
 *     on its team (the team's call counter);
 *   - NAPP threads sharing one team of 2 threads: a call that finds the team busy runs without
 *     it, so every result equals, bitwise, one of the four serial results (forward and backward
 *     each with or without the team), never anything else.
 * Compared: all outputs, h, hT, cT, dparams, dx, dh0 and dc0. Bitwise equality holds because
 * the library is deterministic for a given path (team of a given size, or none) on a given CPU.
 * Which calls take the team path depends on the CPU level, the L2 size and the build's caps, so
 * the test never assumes it: it asks rnnbptt_team_used and checks that against the team's call
 * counter (rb_team_stats_of) after each serial run, and prints how many cases took the team.
 * Legend: T steps, B batch, I input, H hidden, G gates. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h"
#include "ref.h"
#include "rnnbptt.h"

/* Small T and few rounds: under TSan every instrumented access costs 5-15x. BB (> 1) with the
 * large H below gives B·G·H·H of 10^6 multiply-adds per step or more and W_h of 256-588 KiB: on
 * the team path with 512 KiB of L2 or more; at B = 1 (all but relu's) with 1 MiB or more. */
enum { T = 4, I = 32, BB = 16, NAPP = 3, ROUNDS = 3, NWANT = 4 };
enum { NCELLS = 4, NB = 2, NH = 2, NCASES = NCELLS * NB * NH };

static const rnnbptt_cell cells[NCELLS] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_LSTM,
                                           RNNBPTT_GRU};
static const char *const cell_names[NCELLS] = {"tanh", "relu", "lstm", "gru"};
static const int batches[NB] = {1, BB};
/* Per cell: a size off the team path everywhere (a step's product is far too small) and a
 * candidate for it (G·H·H = 65536..150528 floats). */
static const int hiddens[NCELLS][NH] = {{40, 384}, {40, 256}, {32, 192}, {32, 224}};

/* One call of one application thread: its layer, inputs, outputs and serial results. */
typedef struct {
    rnnbptt_layer L; /* team set per run */
    int B, lstm, team_path;
    int lengths[BB];
    float *p, *x, *h0, *c0, *dh, *dhT, *dcT; /* inputs (c0, dcT: LSTM only, else NULL) */
    float *reserve;
    float *out; /* every output, one after the other: h | hT | cT | dp | dx | dh0 | dc0 */
    float *h, *hT, *cT, *dp, *dx, *dh0, *dc0;
    size_t n_out, n_p;
    float *want[NWANT]; /* serial results; want[0] with the team for forward and backward */
} call;

/* One application thread's calls and what it saw. */
typedef struct {
    call c[NCASES];
    rnnbptt_team *team;
    int nwant;          /* serial results a run may equal: 1 (own team) or 4 (shared) */
    int n_as[NWANT];    /* runs equal to want[k] (the first k that matches) */
    int n_other, n_err; /* runs equal to none of them; runs that returned an error */
    int first;          /* the case it starts its rounds at, so that threads mix cases */
} app;

static void call_init(call *c, int cell, int B, int H, uint32_t seed)
{
    memset(c, 0, sizeof *c);
    c->L = (rnnbptt_layer){.cell = cells[cell], .input_size = I, .hidden_size = H};
    c->B = B;
    c->lstm = cells[cell] == RNNBPTT_LSTM;
    for (int b = 0; b < B; b++) /* lengths in 1..T, some full; B = 1 runs all T */
        c->lengths[b] = B == 1 ? T : T - (b * 7) % T;
    const size_t nh = (size_t)T * B * H, nx = (size_t)T * B * I, ns = (size_t)B * H;
    const size_t nc = c->lstm ? ns : 0;
    c->n_p = rnnbptt_param_count(&c->L);
    c->p = ref_frand(c->n_p, &seed, 0.2f);
    c->x = ref_frand(nx, &seed, 2.0f);
    c->h0 = ref_frand(ns, &seed, 1.0f);
    c->c0 = c->lstm ? ref_frand(nc, &seed, 1.0f) : NULL;
    c->dh = ref_frand(nh, &seed, 1.0f);
    c->dhT = ref_frand(ns, &seed, 1.0f);
    c->dcT = c->lstm ? ref_frand(nc, &seed, 1.0f) : NULL;
    c->reserve = malloc(rnnbptt_reserve_count(&c->L, T, B) * sizeof(float) + 1);
    c->n_out = nh + ns + nc + c->n_p + nx + ns + nc;
    c->out = malloc(c->n_out * sizeof(float));
    assert_true(c->reserve && c->out);
    c->h = c->out;
    c->hT = c->h + nh;
    c->cT = c->lstm ? c->hT + ns : NULL;
    c->dp = c->hT + ns + nc;
    c->dx = c->dp + c->n_p;
    c->dh0 = c->dx + nx;
    c->dc0 = c->lstm ? c->dh0 + ns : NULL;
}

static void call_free(call *c)
{
    free(c->p), free(c->x), free(c->h0), free(c->c0), free(c->dh), free(c->dhT), free(c->dcT);
    free(c->reserve), free(c->out);
    for (int k = 0; k < NWANT; k++)
        free(c->want[k]);
}

/* Forward on fteam, then backward on bteam (either may be NULL), into c->out, which is poisoned
 * first so that an output left unwritten shows. RNNBPTT_OK or the first error. Touches nothing
 * outside c: several threads run this at once on their own calls. */
static rnnbptt_status call_run(call *c, rnnbptt_team *fteam, rnnbptt_team *bteam)
{
    const int *len = c->B > 1 ? c->lengths : NULL;
    rnnbptt_layer L = c->L;
    memset(c->out, 0xa5, c->n_out * sizeof(float));
    memset(c->dp, 0, c->n_p * sizeof(float)); /* dparams is accumulated */
    L.team = fteam;
    rnnbptt_status s = rnnbptt_forward(&L, c->p, T, c->B, len, c->x, c->h0, c->c0, c->h, c->hT,
                                       c->cT, c->reserve);
    L.team = bteam;
    if (s == RNNBPTT_OK)
        s = rnnbptt_backward(&L, c->p, T, c->B, len, c->x, c->h0, c->c0, c->h, c->reserve, c->dh,
                             c->dhT, c->dcT, c->dp, c->dx, c->dh0, c->dc0);
    return s;
}

static float *copy_out(const call *c)
{
    float *s = malloc(c->n_out * sizeof *s);
    assert_non_null(s);
    memcpy(s, c->out, c->n_out * sizeof *s);
    return s;
}

static unsigned long team_calls(const rnnbptt_team *team) { return rb_team_stats_of(team).calls; }

/* The serial results of c on team, before any thread starts: want[0] with the team for forward
 * and backward, then (nwant 4) forward only, backward only, neither. Whether c takes the team
 * path is rnnbptt_team_used's answer, checked against the team's counter after each run. */
static void call_serial(call *c, rnnbptt_team *team, int nwant)
{
    rnnbptt_layer L = c->L;
    L.team = team;
    c->team_path = rnnbptt_team_used(&L, c->B);
    for (int k = 0; k < nwant; k++) {
        rnnbptt_team *ft = k < 2 ? team : NULL, *bt = k % 2 ? NULL : team;
        const unsigned long before = team_calls(team);
        assert_int_equal(call_run(c, ft, bt), RNNBPTT_OK);
        const unsigned long ran = team_calls(team) - before;
        assert_int_equal(ran, c->team_path ? (unsigned long)((ft != NULL) + (bt != NULL)) : 0ul);
        c->want[k] = copy_out(c);
    }
}

/* Application thread a's calls: every cell at both batches and both sizes, its own data. */
static void app_init(app *a, int index, rnnbptt_team *team, int nwant)
{
    memset(a, 0, sizeof *a);
    a->team = team;
    a->nwant = nwant;
    a->first = index * 5 % NCASES;
    int k = 0;
    for (int cell = 0; cell < NCELLS; cell++)
        for (int b = 0; b < NB; b++)
            for (int h = 0; h < NH; h++, k++)
                call_init(&a->c[k], cell, batches[b], hiddens[cell][h],
                          1000u * (uint32_t)index + (uint32_t)k + 1u);
}

static void app_serial(app *a)
{
    for (int k = 0; k < NCASES; k++)
        call_serial(&a->c[k], a->team, a->nwant);
}

static void app_free(app *a)
{
    for (int k = 0; k < NCASES; k++)
        call_free(&a->c[k]);
}

static int app_team_cases(const app *a)
{
    int n = 0;
    for (int k = 0; k < NCASES; k++)
        n += a->c[k].team_path;
    return n;
}

/* The thread: ROUNDS rounds over its calls, each run on its team, its outputs compared with the
 * serial results. Only counts: CMocka's asserts are for the main thread. */
static void *app_main(void *arg)
{
    app *a = arg;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < NCASES; i++) {
            call *c = &a->c[(a->first + i) % NCASES];
            if (call_run(c, a->team, a->team) != RNNBPTT_OK) {
                a->n_err++;
                continue;
            }
            int k = 0;
            while (k < a->nwant && memcmp(c->out, c->want[k], c->n_out * sizeof(float)))
                k++;
            if (k < a->nwant)
                a->n_as[k]++;
            else
                a->n_other++;
        }
    return NULL;
}

static void run_apps(app *a)
{
    pthread_t tid[NAPP];
    for (int t = 0; t < NAPP; t++)
        assert_int_equal(pthread_create(&tid[t], NULL, app_main, &a[t]), 0);
    for (int t = 0; t < NAPP; t++)
        assert_int_equal(pthread_join(tid[t], NULL), 0);
}

/* Which cases take the team path (the same for every app: same sizes, teams of 2), printed. */
static void report_paths(const app *a, const char *what)
{
    char list[512] = "";
    size_t len = 0;
    for (int k = 0; k < NCASES; k++)
        if (a->c[k].team_path && len < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, " %s/B=%d/H=%d",
                                    cell_names[a->c[k].L.cell], a->c[k].B,
                                    a->c[k].L.hidden_size);
    const int n = app_team_cases(a);
    print_message("%s: %d of %d cases take the team path%s%s\n", what, n, NCASES, n ? ":" : "",
                  list);
    if (!n)
        print_message("%s: no case takes the team path in this build (CPU level, L2): only the "
                      "team-less path ran under threads\n",
                      what);
}

/* NAPP threads, each with its own team and its own layers: every run equals its serial result,
 * and each of its team-path calls ran on its team (never found it busy). */
static void own_teams_match_serial_runs(void **state)
{
    (void)state;
    app a[NAPP];
    unsigned long before[NAPP];
    for (int t = 0; t < NAPP; t++) {
        rnnbptt_team *team;
        assert_int_equal(rnnbptt_team_create(2, &team), RNNBPTT_OK);
        app_init(&a[t], t, team, 1);
        app_serial(&a[t]);
        before[t] = team_calls(team);
    }
    report_paths(&a[0], "own teams");
    run_apps(a);
    for (int t = 0; t < NAPP; t++) {
        assert_int_equal(a[t].n_err, 0);
        assert_int_equal(a[t].n_other, 0);
        assert_int_equal(a[t].n_as[0], ROUNDS * NCASES);
        assert_int_equal(team_calls(a[t].team) - before[t],
                         (unsigned long)(2 * ROUNDS * app_team_cases(&a[t])));
        rnnbptt_team_destroy(a[t].team);
        app_free(&a[t]);
    }
}

/* NAPP threads share one team: every run equals one of its four serial results. */
static void a_shared_team_gives_one_of_the_serial_results(void **state)
{
    (void)state;
    rnnbptt_team *team;
    assert_int_equal(rnnbptt_team_create(2, &team), RNNBPTT_OK);
    app a[NAPP];
    for (int t = 0; t < NAPP; t++) {
        app_init(&a[t], t, team, NWANT);
        app_serial(&a[t]);
    }
    report_paths(&a[0], "shared team");
    const unsigned long before = team_calls(team);
    run_apps(a);
    int on_path = 0;
    for (int t = 0; t < NAPP; t++) {
        assert_int_equal(a[t].n_err, 0);
        assert_int_equal(a[t].n_other, 0);
        on_path += app_team_cases(&a[t]);
        print_message("shared team, thread %d: runs equal to the serial result with the team %d, "
                      "forward only %d, backward only %d, without %d (team-less cases count as "
                      "with)\n",
                      t, a[t].n_as[0], a[t].n_as[1], a[t].n_as[2], a[t].n_as[3]);
    }
    const unsigned long ran = team_calls(team) - before;
    assert_true(ran <= (unsigned long)(2 * ROUNDS * on_path));
    print_message("shared team: %lu of %d team-path calls got the team\n", ran,
                  2 * ROUNDS * on_path);
    rnnbptt_team_destroy(team);
    for (int t = 0; t < NAPP; t++)
        app_free(&a[t]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_teams_match_serial_runs),
        cmocka_unit_test(a_shared_team_gives_one_of_the_serial_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
