/* test_team.c — rnnbptt_team under concurrency: application threads with their own teams never
 * interfere, and a team shared by two calls at once is used by one of them while the other runs
 * without it (both correct). Every comparison here is bitwise against a serial run of the same
 * call: the library is deterministic for a given path (team or not), and the team's split does
 * not change any output's summation order (each element is one thread's sum, whole). That the
 * team path itself is right, against the double reference, is test_ref's test_team.
 * Legend: T steps, B batch (9 here: with these H every layer below runs on its team on cores
 * with 512 KiB of L2 or more, by the header's rule, which test_ref checks; on others the calls
 * run without it, which the tests check as well and say), I input, H hidden. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec/exec.h" /* rb_team_stats_of */
#include "ref.h"
#include "rnnbptt.h"

enum { T = 7, B = 9, I = 24, ROUNDS = 40 };

/* One call's data: a layer (cell, H; team set per run) and its inputs and outputs. */
typedef struct {
    rnnbptt_layer L;
    float *p, *x, *h0, *dh;         /* inputs */
    float *h, *reserve, *dp, *dx, *dh0; /* outputs of one forward + backward */
    size_t np, nr, nh, nx, ns;
} job;

static void job_init(job *j, rnnbptt_cell cell, int H, uint32_t seed)
{
    memset(j, 0, sizeof *j);
    j->L = (rnnbptt_layer){.cell = cell, .input_size = I, .hidden_size = H};
    j->np = rnnbptt_param_count(&j->L);
    j->nr = rnnbptt_reserve_count(&j->L, T, B);
    j->nh = (size_t)T * B * H, j->nx = (size_t)T * B * I, j->ns = (size_t)B * H;
    j->p = ref_frand(j->np, &seed, 0.1f);
    j->x = ref_frand(j->nx, &seed, 2.0f);
    j->h0 = ref_frand(j->ns, &seed, 1.0f);
    j->dh = ref_frand(j->nh, &seed, 1.0f);
    j->h = malloc(j->nh * sizeof(float));
    j->reserve = malloc(j->nr * sizeof(float) + 1);
    j->dp = malloc(j->np * sizeof(float));
    j->dx = malloc(j->nx * sizeof(float));
    j->dh0 = malloc(j->ns * sizeof(float));
    assert_true(j->h && j->reserve && j->dp && j->dx && j->dh0);
}

static void job_free(job *j)
{
    free(j->p), free(j->x), free(j->h0), free(j->dh);
    free(j->h), free(j->reserve), free(j->dp), free(j->dx), free(j->dh0);
}

/* forward with team fteam, then backward with team bteam; RNNBPTT_OK or the first error */
static rnnbptt_status job_run2(job *j, rnnbptt_team *fteam, rnnbptt_team *bteam)
{
    rnnbptt_layer L = j->L;
    L.team = fteam;
    memset(j->dp, 0, j->np * sizeof(float));
    rnnbptt_status s = rnnbptt_forward(&L, j->p, T, B, NULL, j->x, j->h0, NULL, j->h, NULL, NULL,
                                       j->nr ? j->reserve : NULL);
    L.team = bteam;
    if (s == RNNBPTT_OK)
        s = rnnbptt_backward(&L, j->p, T, B, NULL, j->x, j->h0, NULL, j->h,
                             j->nr ? j->reserve : NULL, j->dh, NULL, NULL, j->dp, j->dx, j->dh0,
                             NULL);
    return s;
}

static rnnbptt_status job_run(job *j, rnnbptt_team *team) { return job_run2(j, team, team); }

/* The outputs of one run, concatenated, to compare bitwise. */
static float *snapshot(const job *j)
{
    const size_t n = j->nh + j->np + j->nx + j->ns;
    float *s = malloc(n * sizeof *s);
    assert_non_null(s);
    memcpy(s, j->h, j->nh * sizeof(float));
    memcpy(s + j->nh, j->dp, j->np * sizeof(float));
    memcpy(s + j->nh + j->np, j->dx, j->nx * sizeof(float));
    memcpy(s + j->nh + j->np + j->nx, j->dh0, j->ns * sizeof(float));
    return s;
}

static int matches(const job *j, const float *want)
{
    float *got = snapshot(j);
    const int same = memcmp(got, want, (j->nh + j->np + j->nx + j->ns) * sizeof(float)) == 0;
    free(got);
    return same;
}

/* The serial results of j: want[0] forward and backward with the team, want[1] forward with
 * it and backward without, want[2] the other way round, want[3] without the team. The four
 * calls that are given the team ran on it exactly where rnnbptt_team_used says so (the team's
 * counter tells which path a call took); returns that. */
static int serial(job *j, rnnbptt_team *team, float *want[4])
{
    const unsigned long before = rb_team_stats_of(team).calls;
    for (int k = 0; k < 4; k++) {
        assert_int_equal(job_run2(j, k < 2 ? team : NULL, k % 2 ? NULL : team), RNNBPTT_OK);
        want[k] = snapshot(j);
    }
    rnnbptt_layer L = j->L;
    L.team = team;
    const int used = rnnbptt_team_used(&L, B);
    assert_int_equal(rb_team_stats_of(team).calls - before, used ? 4 : 0);
    if (!used)
        print_message("H = %d: not on the team path on this CPU; the calls run without it\n",
                      j->L.hidden_size);
    return used;
}

static void free4(float *want[4])
{
    for (int k = 0; k < 4; k++)
        free(want[k]);
}

/* A thread: ROUNDS runs of its job on `team`; n_as[k] counts the runs whose outputs equal
 * want[k] bitwise (k < nwant), n_error the runs that returned an error. */
typedef struct {
    job *j;
    rnnbptt_team *team;
    float **want;
    int nwant, n_as[4], n_error;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    for (int r = 0; r < ROUNDS; r++) {
        if (job_run(w->j, w->team) != RNNBPTT_OK) {
            w->n_error++;
            continue;
        }
        for (int k = 0; k < w->nwant; k++)
            if (matches(w->j, w->want[k])) {
                w->n_as[k]++;
                break;
            }
    }
    return NULL;
}

static int sum(const int *a, int n)
{
    int s = 0;
    for (int k = 0; k < n; k++)
        s += a[k];
    return s;
}

/* Two application threads, each with its own team and its own layer (tanh H = 345, LSTM
 * H = 175: both on the team path), run at the same time: every run equals its serial result. */
static void separate_teams_never_interfere(void **state)
{
    (void)state;
    job j[2];
    job_init(&j[0], RNNBPTT_RNN_TANH, 345, 1u);
    job_init(&j[1], RNNBPTT_LSTM, 175, 2u);
    rnnbptt_team *team[2];
    float *want[2][4];
    for (int k = 0; k < 2; k++) {
        assert_int_equal(rnnbptt_team_create(2, &team[k]), RNNBPTT_OK);
        serial(&j[k], team[k], want[k]);
    }
    worker w[2];
    pthread_t tid[2];
    for (int k = 0; k < 2; k++) {
        w[k] = (worker){&j[k], team[k], want[k], 1, {0}, 0}; /* only the all-team result */
        assert_int_equal(pthread_create(&tid[k], NULL, worker_main, &w[k]), 0);
    }
    for (int k = 0; k < 2; k++) {
        assert_int_equal(pthread_join(tid[k], NULL), 0);
        assert_int_equal(w[k].n_error, 0);
        assert_int_equal(w[k].n_as[0], ROUNDS);
    }
    for (int k = 0; k < 2; k++) {
        rnnbptt_team_destroy(team[k]);
        free4(want[k]);
        job_free(&j[k]);
    }
}

/* Two threads share ONE team: whichever call finds it busy runs without it. Every run must
 * equal, bitwise, one of the four serial results (forward and backward each with or without
 * the team): never anything else, never an error. */
static void a_shared_team_is_used_by_one_call_at_a_time(void **state)
{
    (void)state;
    job j[2];
    job_init(&j[0], RNNBPTT_RNN_TANH, 345, 3u);
    job_init(&j[1], RNNBPTT_GRU, 201, 4u);
    rnnbptt_team *team;
    assert_int_equal(rnnbptt_team_create(2, &team), RNNBPTT_OK);
    float *want[2][4];
    for (int k = 0; k < 2; k++)
        serial(&j[k], team, want[k]);
    worker w[2];
    pthread_t tid[2];
    for (int k = 0; k < 2; k++) {
        w[k] = (worker){&j[k], team, want[k], 4, {0}, 0};
        assert_int_equal(pthread_create(&tid[k], NULL, worker_main, &w[k]), 0);
    }
    for (int k = 0; k < 2; k++) {
        assert_int_equal(pthread_join(tid[k], NULL), 0);
        assert_int_equal(w[k].n_error, 0);
        assert_int_equal(sum(w[k].n_as, 4), ROUNDS);
        print_message("shared team, thread %d: runs with the team %d, forward only %d, backward "
                      "only %d, without %d\n",
                      k, w[k].n_as[0], w[k].n_as[1], w[k].n_as[2], w[k].n_as[3]);
    }
    rnnbptt_team_destroy(team);
    for (int k = 0; k < 2; k++) {
        free4(want[k]);
        job_free(&j[k]);
    }
}

/* A team outlives many calls and idles asleep between them; create/destroy in a loop leaves no
 * thread behind (ASan/LSan and the join in destroy would tell). Every run on the team path gives
 * the same bits whatever the team's size (each output element is one thread's sum, whole), and
 * every run off it (a 1-thread team, or a size whose slices the rule finds too large) the bits
 * of the call without a team. */
static void teams_come_and_go(void **state)
{
    (void)state;
    job j;
    job_init(&j, RNNBPTT_RNN_TANH, 345, 5u);
    assert_int_equal(job_run(&j, NULL), RNNBPTT_OK);
    float *with = NULL, *without = snapshot(&j); /* the first result of each path */
    for (int r = 0; r < 20; r++) {
        rnnbptt_team *team = NULL;
        assert_int_equal(rnnbptt_team_create(1 + r % 4, &team), RNNBPTT_OK);
        rnnbptt_layer L = j.L;
        L.team = team;
        const int used = rnnbptt_team_used(&L, B);
        assert_int_equal(job_run(&j, team), RNNBPTT_OK);
        assert_int_equal(rb_team_stats_of(team).calls, used ? 2 : 0);
        if (used && !with)
            with = snapshot(&j);
        assert_true(matches(&j, used ? with : without));
        rnnbptt_team_destroy(team);
    }
    assert_int_equal(job_run(&j, NULL), RNNBPTT_OK);
    assert_true(matches(&j, without));
    free(with), free(without);
    job_free(&j);
}

/* rb_team_stay: while on, the calls of a run (a model's layers and head) leave the workers
 * waiting instead of parking them at each release; turning it off parks them once. Without it
 * every call parks them. The results are those of the calls without it, bit for bit. */
static void a_run_of_calls_parks_its_team_once(void **state)
{
    (void)state;
    job j;
    job_init(&j, RNNBPTT_RNN_TANH, 345, 7u); /* on a 2-thread team from 512 KiB of L2 (above) */
    rnnbptt_team *team = NULL;
    assert_int_equal(rnnbptt_team_create(2, &team), RNNBPTT_OK);
    rnnbptt_layer L = j.L;
    L.team = team;
    if (!rnnbptt_team_used(&L, B)) { /* no rule puts these sizes on a team here: nothing parks */
        print_message("tanh H = 345, B = %d does not run on a 2-thread team here\n", B);
        rnnbptt_team_destroy(team);
        job_free(&j);
        return;
    }
    assert_int_equal(job_run(&j, team), RNNBPTT_OK); /* forward and backward: 2 parks */
    float *want = snapshot(&j);
    const unsigned long p0 = rb_team_stats_of(team).parks;
    assert_int_equal(p0, 2);
    rb_team_stay(team, 1);
    for (int r = 0; r < 3; r++)
        assert_int_equal(job_run(&j, team), RNNBPTT_OK);
    assert_int_equal(rb_team_stats_of(team).parks, p0); /* awake between the calls */
    assert_true(matches(&j, want));
    rb_team_stay(team, 0);
    assert_int_equal(rb_team_stats_of(team).parks, p0 + 1);
    rb_team_stay(team, 0); /* parked already: no job */
    assert_int_equal(rb_team_stats_of(team).parks, p0 + 1);
    assert_int_equal(job_run(&j, team), RNNBPTT_OK);
    assert_int_equal(rb_team_stats_of(team).parks, p0 + 3);
    assert_true(matches(&j, want));
    rb_team_stay(NULL, 1); /* no team: nothing */
    free(want);
    rnnbptt_team_destroy(team);
    job_free(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(separate_teams_never_interfere),
        cmocka_unit_test(a_shared_team_is_used_by_one_call_at_a_time),
        cmocka_unit_test(teams_come_and_go),
        cmocka_unit_test(a_run_of_calls_parks_its_team_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
