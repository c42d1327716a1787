/* test_alloc.c — allocation and thread-creation failure, injected one point at a time (SQLite's
 * technique, through the test build's hook in src/util/alloc.c).
 *
 * Technique: every allocation and thread creation of the library goes through rb_malloc,
 * rb_calloc, rb_aligned_alloc, rb_thread_create, rb_mutex_init and rb_cond_init, which in this
 * build count them per application thread; rb_fault_arm(a, t) makes the a-th allocation and the
 * t-th thread point (a thread, mutex or condition variable created) after it fail, that one
 * only. Each public function that allocates is run once with nothing armed, to count its n
 * allocations (and thread creations); then for k = 0..n-1 it runs again, outputs
 * reset to a sentinel byte pattern, with the k-th point failing.
 *
 * Checked for each injected failure:
 *   - an allocation the call needs (forward's scratch with reserve NULL, backward's workspace, a
 *     team's struct and worker table) gives RNNBPTT_ENOMEM, and every output (dparams, which is
 *     accumulated, included) is byte-identical to its sentinel; a thread creation that fails
 *     gives RNNBPTT_ETHREAD with *team untouched and every thread started so far joined
 *     (/proc/self/task counted where it exists);
 *   - the team's buffer, which the header lets fail ("that call runs without the team"), gives
 *     RNNBPTT_OK and outputs bitwise equal to the same call with layer.team = NULL (the team-less
 *     path is deterministic), and the call is not counted on the team (rb_team_stats_of);
 *   - exactly as many failures give an error as the call has allocations it needs; every input
 *     is unchanged; no layer call creates a thread;
 *   - the balance (rb_fault_get().live, blocks held): back to its value before the call after
 *     an error; after a call on a team, one block more than the bare team's (its buffer) when it
 *     succeeded, none more when the buffer failed (a buffer too small to grow is freed first);
 *     zero once every team is destroyed;
 *   - the next call, nothing armed, succeeds and, on a team, runs on it again with the outputs of
 *     the unfailed count run (a given team size is deterministic).
 * Without failures: forward with reserve given, forward of the vanilla cells, and
 * rnnbptt_backward_work allocate nothing without a team; a call on a team allocates one block
 * more (its buffer) at first use or growth, and none when repeated. After a failed growth, a
 * smaller call runs on the team again (the freed buffer's capacity is not trusted).
 * The team's sizes are picked per CPU with rnnbptt_team_used (the CI also runs builds capped to
 * x86-64-v3, to SSE2 and with 512 KiB of L2 assumed); a cell with no candidate size on the team
 * path is said so and tested without a team only.
 * Legend: T steps, B batch, I input, H hidden. */
#define _POSIX_C_SOURCE 200809L /* opendir, readdir */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec.h"
#include "rnnbptt.h"

/* I = 9, not a multiple of 16: a backward with dx keeps W_x in 16-column panels (G·H × 16
 * floats), more than the forward's W_xᵀ (9 × G·H), so a backward after a forward grows the team's
 * buffer (see rnnbptt_team in the header). */
enum { T = 3, I = 9, SENTINEL = 0xA5 };

static const rnnbptt_cell CELLS[] = {RNNBPTT_RNN_TANH, RNNBPTT_RNN_RELU, RNNBPTT_LSTM, RNNBPTT_GRU};
static const char *const CELL_NAMES[] = {"tanh", "relu", "lstm", "gru"};

/* The calls under test. */
typedef enum {
    FWD,         /* rnnbptt_forward, reserve NULL (inference: LSTM and GRU allocate scratch) */
    FWD_RESERVE, /* rnnbptt_forward, reserve given */
    BWD,         /* rnnbptt_backward (allocates its workspace) */
    BWD_WORK     /* rnnbptt_backward_work */
} kind;
static const char *const KIND_NAMES[] = {"forward", "forward+reserve", "backward",
                                         "backward_work"};

/* One layer's problem. Inputs in one block (in), outputs in another (out) so that each is one
 * memcmp; work (backward_work's scratch, contents unspecified) is in neither. */
typedef struct {
    rnnbptt_layer L; /* team NULL; set per call */
    int B, H;
    size_t np, nr, nw, n_in, n_out;
    float *in, *in_snap, *out, *sentinel, *ref, *team_ref, *work;
    /* inputs: params, x, h0, c0, dh, dhT, dcT, and the team-less forward's h and reserve */
    float *params, *x, *h0, *c0, *dh, *dhT, *dcT, *h_in, *res_in;
    /* outputs */
    float *h, *hT, *cT, *reserve, *dparams, *dx, *dh0, *dc0;
} problem;

static char where[200]; /* the case under test, printed with a failed check */
#define CHECK(cond)                                              \
    do {                                                         \
        if (!(cond)) {                                           \
            print_error("%s: check failed: %s\n", where, #cond); \
            fail();                                              \
        }                                                        \
    } while (0)

/* Equal bytes, else the first differing float is named. */
static void check_same(const float *a, const float *b, size_t n, const char *what)
{
    if (memcmp(a, b, n * sizeof(float)) == 0)
        return;
    size_t k = 0;
    while (memcmp(a + k, b + k, sizeof(float)) == 0)
        k++;
    print_error("%s: %s differs at float %zu of %zu (%a vs %a)\n", where, what, k, n,
                (double)a[k], (double)b[k]);
    fail();
}

static float *carve(float **at, size_t n)
{
    float *p = *at;
    *at += n;
    return p;
}

static void frand(float *a, size_t n, uint32_t *s, float scale)
{
    for (size_t k = 0; k < n; k++) {
        *s = *s * 1664525u + 1013904223u;
        a[k] = scale * ((float)(*s >> 8) / (float)(1u << 24) - 0.5f);
    }
}

static void problem_init(problem *p, rnnbptt_cell cell, int H, int B)
{
    memset(p, 0, sizeof *p);
    p->L = (rnnbptt_layer){.cell = cell, .input_size = I, .hidden_size = H};
    p->B = B, p->H = H;
    p->np = rnnbptt_param_count(&p->L);
    p->nr = rnnbptt_reserve_count(&p->L, T, B);
    p->nw = rnnbptt_workspace_count(&p->L, T, B);
    assert_true(p->np > 0 && p->nw > 0);
    const size_t nh = (size_t)T * B * H, nx = (size_t)T * B * I, ns = (size_t)B * H;
    p->n_in = p->np + nx + 2 * ns + nh + 2 * ns + nh + p->nr;
    p->n_out = nh + 2 * ns + p->nr + p->np + nx + 2 * ns;
    p->in = malloc(p->n_in * sizeof(float));
    p->in_snap = malloc(p->n_in * sizeof(float));
    p->out = malloc(p->n_out * sizeof(float));
    p->sentinel = malloc(p->n_out * sizeof(float));
    p->ref = malloc(p->n_out * sizeof(float));
    p->team_ref = malloc(p->n_out * sizeof(float));
    p->work = malloc(p->nw * sizeof(float));
    assert_true(p->in && p->in_snap && p->out && p->sentinel && p->ref && p->team_ref && p->work);
    float *at = p->in;
    p->params = carve(&at, p->np), p->x = carve(&at, nx), p->h0 = carve(&at, ns);
    p->c0 = carve(&at, ns), p->dh = carve(&at, nh), p->dhT = carve(&at, ns);
    p->dcT = carve(&at, ns), p->h_in = carve(&at, nh), p->res_in = carve(&at, p->nr);
    at = p->out;
    p->h = carve(&at, nh), p->hT = carve(&at, ns), p->cT = carve(&at, ns);
    p->reserve = carve(&at, p->nr), p->dparams = carve(&at, p->np), p->dx = carve(&at, nx);
    p->dh0 = carve(&at, ns), p->dc0 = carve(&at, ns);
    uint32_t seed = 12345u + (uint32_t)cell * 7919u + (uint32_t)H;
    frand(p->params, p->np, &seed, 0.2f);
    frand(p->x, nx, &seed, 2.0f);
    frand(p->h0, ns, &seed, 1.0f);
    frand(p->c0, ns, &seed, 1.0f);
    frand(p->dh, nh, &seed, 1.0f);
    frand(p->dhT, ns, &seed, 1.0f);
    frand(p->dcT, ns, &seed, 1.0f);
    memset(p->sentinel, SENTINEL, p->n_out * sizeof(float));
    /* backward's h and reserve: the team-less forward's */
    rb_fault_arm(-1, -1);
    assert_int_equal(rnnbptt_forward(&p->L, p->params, T, B, NULL, p->x, p->h0, p->c0, p->h_in,
                                     NULL, NULL, p->nr ? p->res_in : NULL),
                     RNNBPTT_OK);
    memcpy(p->in_snap, p->in, p->n_in * sizeof(float));
}

static void problem_free(problem *p)
{
    free(p->in), free(p->in_snap), free(p->out), free(p->sentinel), free(p->ref);
    free(p->team_ref), free(p->work);
}

static void reset_outputs(problem *p) { memcpy(p->out, p->sentinel, p->n_out * sizeof(float)); }

static rnnbptt_status call(problem *p, kind k, rnnbptt_team *team)
{
    rnnbptt_layer L = p->L;
    L.team = team;
    switch (k) {
    case FWD:
        return rnnbptt_forward(&L, p->params, T, p->B, NULL, p->x, p->h0, p->c0, p->h, p->hT,
                               p->cT, NULL);
    case FWD_RESERVE:
        return rnnbptt_forward(&L, p->params, T, p->B, NULL, p->x, p->h0, p->c0, p->h, p->hT,
                               p->cT, p->reserve);
    case BWD:
        return rnnbptt_backward(&L, p->params, T, p->B, NULL, p->x, p->h0, p->c0, p->h_in,
                                p->nr ? p->res_in : NULL, p->dh, p->dhT, p->dcT, p->dparams, p->dx,
                                p->dh0, p->dc0);
    default:
        return rnnbptt_backward_work(&L, p->params, T, p->B, NULL, p->x, p->h0, p->c0, p->h_in,
                                     p->nr ? p->res_in : NULL, p->dh, p->dhT, p->dcT, p->dparams,
                                     p->dx, p->dh0, p->dc0, p->work);
    }
}

/* Allocations the call needs for itself (the header's "allocates ... once per call"): ENOMEM
 * when one fails. Any other allocation is the team's buffer. */
static long own_allocs(const problem *p, kind k)
{
    return (k == FWD && p->nr > 0) || k == BWD;
}

static long live(void) { return rb_fault_get().live; }

static unsigned long team_calls(const rnnbptt_team *team)
{
    return team ? rb_team_stats_of(team).calls : 0;
}

/* How a team call starts: a fresh team (its buffer allocated at first use), or one that has run
 * the forward first (a backward then grows its buffer). */
typedef enum { NO_TEAM, FRESH_TEAM, WARM_TEAM } team_mode;
static const char *const MODE_NAMES[] = {"no team", "fresh team", "team after a forward"};

/* The team for a call under mode (NULL: none); *bare is rb_fault_get().live with the team
 * created, before its buffer exists. */
static rnnbptt_team *team_for(problem *p, team_mode mode, long *bare)
{
    *bare = live();
    if (mode == NO_TEAM)
        return NULL;
    rnnbptt_team *team = NULL;
    rb_fault_arm(-1, -1);
    assert_int_equal(rnnbptt_team_create(2, &team), RNNBPTT_OK);
    *bare = live();
    if (mode == WARM_TEAM) {
        assert_int_equal(call(p, FWD_RESERVE, team), RNNBPTT_OK);
        assert_int_equal(team_calls(team), 1);
    }
    return team;
}

/* Run call k of p under mode with each of its allocations failing in turn (see the top). */
static void inject(problem *p, kind k, team_mode mode)
{
    const long own = own_allocs(p, k), live_start = live();
    snprintf(where, sizeof where, "%s H=%d B=%d %s, %s", CELL_NAMES[p->L.cell], p->H, p->B,
             KIND_NAMES[k], MODE_NAMES[mode]);

    /* the team-less reference */
    rb_fault_arm(-1, -1);
    reset_outputs(p);
    CHECK(call(p, k, NULL) == RNNBPTT_OK);
    memcpy(p->ref, p->out, p->n_out * sizeof(float));

    /* the count run */
    long bare;
    rnnbptt_team *team = team_for(p, mode, &bare);
    /* live after a successful call: the team, if any, holds one buffer */
    const long held = team ? 1 : 0;
    reset_outputs(p);
    unsigned long calls0 = team_calls(team);
    rb_fault_arm(-1, -1);
    CHECK(call(p, k, team) == RNNBPTT_OK);
    rb_fault_counts f = rb_fault_get();
    const long n = f.allocs;
    CHECK(f.threads == 0);
    CHECK(f.live == bare + held);
    CHECK(team_calls(team) == calls0 + (team != NULL)); /* it ran on the team */
    CHECK(n == own + (team != NULL)); /* a team's buffer: one block, at first use or growth */
    memcpy(p->team_ref, p->out, p->n_out * sizeof(float));
    if (!team)
        check_same(p->out, p->ref, p->n_out, "outputs of the count run");
    /* the same call again: the team keeps its buffer, so it allocates only its own */
    reset_outputs(p);
    rb_fault_arm(-1, -1);
    CHECK(call(p, k, team) == RNNBPTT_OK);
    CHECK(rb_fault_get().allocs == own);
    CHECK(live() == bare + held);
    check_same(p->out, p->team_ref, p->n_out, "outputs of a repeated call");
    rnnbptt_team_destroy(team);

    long errors = 0;
    for (long a = 0; a < n; a++) {
        snprintf(where, sizeof where, "%s H=%d B=%d %s, %s, allocation %ld of %ld failing",
                 CELL_NAMES[p->L.cell], p->H, p->B, KIND_NAMES[k], MODE_NAMES[mode], a, n);
        team = team_for(p, mode, &bare);
        reset_outputs(p);
        const long live0 = live();
        calls0 = team_calls(team);
        const long failed0 = rb_fault_get().failed;
        rb_fault_arm(a, -1);
        const rnnbptt_status s = call(p, k, team);
        f = rb_fault_get();
        rb_fault_arm(-1, -1);
        CHECK(f.failed == failed0 + 1);
        CHECK(f.threads == 0);
        CHECK(team_calls(team) == calls0); /* an error, or a call run without the team */
        if (s == RNNBPTT_ENOMEM) {
            errors++;
            check_same(p->out, p->sentinel, p->n_out, "outputs after ENOMEM");
            CHECK(f.live == live0); /* the team's buffer, if any, kept as it was */
        } else {
            CHECK(s == RNNBPTT_OK);
            CHECK(team != NULL); /* only the team's buffer may fail without an error */
            check_same(p->out, p->ref, p->n_out, "outputs of the call run without its team");
            /* no buffer: one too small to grow was freed before the allocation that failed */
            CHECK(f.live == bare);
        }
        check_same(p->in, p->in_snap, p->n_in, "inputs");

        /* the next calls: the warm-up forward, which needs no more than the buffer that was
         * freed (so a stale capacity would show), and the same call, on the team again */
        if (mode == WARM_TEAM) {
            reset_outputs(p);
            CHECK(call(p, FWD_RESERVE, team) == RNNBPTT_OK);
            CHECK(team_calls(team) == ++calls0);
        }
        reset_outputs(p);
        CHECK(call(p, k, team) == RNNBPTT_OK);
        CHECK(live() == bare + held);
        CHECK(team_calls(team) == calls0 + (team != NULL));
        check_same(p->out, p->team_ref, p->n_out, "outputs of the next call");
        rnnbptt_team_destroy(team);
    }
    snprintf(where, sizeof where, "%s H=%d B=%d %s, %s", CELL_NAMES[p->L.cell], p->H, p->B,
             KIND_NAMES[k], MODE_NAMES[mode]);
    CHECK(errors == own);
    CHECK(live() == live_start); /* every team destroyed: nothing left */
}

/* Without a team: LSTM and GRU's forward with reserve NULL and rnnbptt_backward allocate one
 * block each; forward with reserve given, the vanilla cells' forward and backward_work none. */
static void layer_calls_without_a_team(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof CELLS / sizeof CELLS[0]; c++) {
        problem p;
        problem_init(&p, CELLS[c], 7, 3);
        for (kind k = FWD; k <= BWD_WORK; k++)
            inject(&p, k, NO_TEAM);
        problem_free(&p);
    }
    assert_int_equal(live(), 0);
}

/* The first of these sizes that runs on a 2-thread team on this CPU and build; 0 if none. From
 * the header's rule: 2^20 multiply-adds per step or more, with W_h from 48 KiB (on any L2) to
 * 528 KiB (the Zen 3 examples). */
static int team_size(rnnbptt_cell cell, rnnbptt_team *team, int *B)
{
    static const int sizes[][2] = {{256, 32}, {176, 32}, {128, 64}, {64, 64}, {64, 128}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const rnnbptt_layer L = {cell, I, sizes[s][0], team};
        if (rnnbptt_team_used(&L, sizes[s][1])) {
            *B = sizes[s][1];
            return sizes[s][0];
        }
    }
    return 0;
}

/* On a team: first use (a fresh team) and growth (a backward after a forward); the team's buffer
 * failing is the fallback, the call's own scratch failing is ENOMEM. */
static void layer_calls_on_a_team(void **state)
{
    (void)state;
    rnnbptt_team *probe = NULL;
    rb_fault_arm(-1, -1);
    assert_int_equal(rnnbptt_team_create(2, &probe), RNNBPTT_OK);
    for (size_t c = 0; c < sizeof CELLS / sizeof CELLS[0]; c++) {
        int B = 0;
        const int H = team_size(CELLS[c], probe, &B);
        if (!H) {
            print_message("test_alloc: no size tried runs %s on a team on this CPU and build; "
                          "its team-less calls are tested only\n",
                          CELL_NAMES[c]);
            continue;
        }
        print_message("test_alloc: %s on a 2-thread team at H=%d B=%d\n", CELL_NAMES[c], H, B);
        problem p;
        problem_init(&p, CELLS[c], H, B);
        inject(&p, FWD, FRESH_TEAM);
        inject(&p, FWD_RESERVE, FRESH_TEAM);
        inject(&p, BWD, FRESH_TEAM);
        inject(&p, BWD, WARM_TEAM);
        inject(&p, BWD_WORK, FRESH_TEAM);
        inject(&p, BWD_WORK, WARM_TEAM);
        problem_free(&p);
    }
    rnnbptt_team_destroy(probe);
    assert_int_equal(live(), 0);
}

/* Threads of this process, or -1 where /proc/self/task cannot be read. */
static int thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* 1 if this process has `want` threads within 2 s, or they cannot be counted (want < 0). A
 * joined thread may still be listed for a moment: pthread_join returns once the kernel clears
 * its tid, which is before the thread is released; a thread never joined stays listed. */
static int threads_are(int want)
{
    const struct timespec ms = {0, 1000000};
    for (int k = 0; want >= 0 && thread_count() != want; k++) {
        if (k == 2000)
            return 0;
        nanosleep(&ms, NULL);
    }
    return 1;
}

/* rnnbptt_team_create: each allocation failing gives ENOMEM, each thread creation (and the
 * creation of its mutex and condition variable) ETHREAD; on either *team is untouched, nothing
 * is leaked and no thread is left running. */
static void team_create_failures(void **state)
{
    (void)state;
    const long live_start = live();
    const int threads0 = thread_count();
    if (threads0 < 0)
        print_message("test_alloc: /proc/self/task unreadable; joined threads not counted\n");
    rnnbptt_team *const untouched = (rnnbptt_team *)&threads0;
    for (int n = 1; n <= 4; n++) {
        snprintf(where, sizeof where, "team_create(%d)", n);
        rnnbptt_team *team = NULL;
        rb_fault_arm(-1, -1);
        CHECK(rnnbptt_team_create(n, &team) == RNNBPTT_OK);
        const rb_fault_counts f = rb_fault_get();
        const long allocs = f.allocs, creates = f.threads;
        CHECK(creates == n + 1); /* its mutex, its condition variable, n - 1 threads */
        CHECK(threads_are(threads0 < 0 ? -1 : threads0 + n - 1));
        rnnbptt_team_destroy(team);
        CHECK(live() == live_start);
        CHECK(threads_are(threads0));

        for (long a = 0; a < allocs + creates; a++) {
            const int on_thread = a >= allocs;
            snprintf(where, sizeof where, "team_create(%d), %s %ld failing", n,
                     on_thread ? "thread creation" : "allocation", on_thread ? a - allocs : a);
            team = untouched;
            const long failed0 = rb_fault_get().failed;
            rb_fault_arm(on_thread ? -1 : a, on_thread ? a - allocs : -1);
            const rnnbptt_status s = rnnbptt_team_create(n, &team);
            const rb_fault_counts g = rb_fault_get();
            rb_fault_arm(-1, -1);
            CHECK(s == (on_thread ? RNNBPTT_ETHREAD : RNNBPTT_ENOMEM));
            CHECK(g.failed == failed0 + 1);
            CHECK(g.threads == (on_thread ? a - allocs + 1 : 0)); /* none after the failure */
            CHECK(team == untouched);
            CHECK(live() == live_start);
            CHECK(threads_are(threads0)); /* the started ones joined */

            /* the next call succeeds */
            CHECK(rnnbptt_team_create(n, &team) == RNNBPTT_OK);
            CHECK(threads_are(threads0 < 0 ? -1 : threads0 + n - 1));
            rnnbptt_team_destroy(team);
            CHECK(live() == live_start);
            CHECK(threads_are(threads0));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layer_calls_without_a_team),
        cmocka_unit_test(layer_calls_on_a_team),
        cmocka_unit_test(team_create_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
