/* team.c — rnnbptt_team: the caller's own, explicit pool of threads for the per-step products.
 *
 * One job at a time: the calling thread posts (fn, arg) by bumping `seq`, runs part 0 itself and
 * spins until the n-1 workers have each run their part and bumped `done`. Between the steps of a
 * call the workers spin on `seq` (a step is a few microseconds; a futex wake-up would cost more),
 * so each keeps its slice of W_h in its own cache. At the end of every call (rb_team_release) the
 * library posts a park job (fn NULL): the workers then sleep on the condition variable until the
 * next job, so they take no CPU between calls; a model call's layers and head are one run of
 * calls, parked once at its end (rb_team_stay).
 * Ordering: fn/arg/quit are plain fields written before the seq_cst bump of `seq` and read after
 * the workers' acquire load of it; the caller writes them again only after every worker has
 * acknowledged the previous job (release on `done`, acquire in wait_done). */
#include "exec/exec.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#define RB_TEAM_MAGIC 0x72627471u /* "rbtq": a live team; cleared by destroy */

typedef struct {
    rnnbptt_team *team;
    int part;
    pthread_t tid;
} rb_worker;

struct rnnbptt_team {
    unsigned magic;
    int n;              /* threads, the caller's included */
    rb_worker *workers; /* n - 1 of them */
    atomic_uint seq;    /* job number: a worker runs a job when it sees seq change */
    atomic_uint done;   /* workers that have finished the current job */
    atomic_int sleepers;
    atomic_flag busy;   /* held by the one call using the team */
    int quit;
    int parked;         /* the workers sleep (after a park job, or since creation): the holder's */
    int stay;           /* release leaves the workers waiting (rb_team_stay): the holder's */
    rb_job_fn fn;       /* the current job (NULL: park, or quit when quit is set) */
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rb_pack pack; /* the kernel's scratch and weights for the current call (rb_team_pack) */
    size_t l2;    /* bytes of L2 per core, read at creation (rb_team_l2) */
    rb_team_stats stats; /* written by the holder only (rb_team_count, rb_team_park) */
};

/* One turn of a wait loop: a pause first (the awaited thread is running on another core), then
 * sched_yield (it is not: more threads than cores, so give it this one). */
static inline void rb_spin(unsigned turn)
{
    if (turn < RB_SPIN_PAUSES) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        sched_yield();
    }
}

/* Sleep until seq differs from seen; returns the new seq. */
static unsigned sleep_while(rnnbptt_team *tm, unsigned seen)
{
    unsigned s;
    pthread_mutex_lock(&tm->mu);
    atomic_fetch_add(&tm->sleepers, 1);
    while ((s = atomic_load(&tm->seq)) == seen)
        pthread_cond_wait(&tm->cv, &tm->mu);
    atomic_fetch_sub(&tm->sleepers, 1);
    pthread_mutex_unlock(&tm->mu);
    return s;
}

static void *worker_main(void *p)
{
    const rb_worker *w = p;
    rnnbptt_team *tm = w->team;
    unsigned seen = 0;
    int parked = 1;
    for (;;) {
        unsigned s = atomic_load_explicit(&tm->seq, memory_order_acquire);
        for (unsigned turn = 0; s == seen && !parked && turn < RB_SPIN_PAUSES + RB_SPIN_YIELDS;
             turn++) {
            rb_spin(turn);
            s = atomic_load_explicit(&tm->seq, memory_order_acquire);
        }
        if (s == seen)
            s = sleep_while(tm, seen);
        seen = s;
        const rb_job_fn fn = tm->fn;
        const int quit = tm->quit;
        if (fn)
            fn(tm->arg, w->part, tm->n);
        parked = !fn;
        atomic_fetch_add_explicit(&tm->done, 1, memory_order_release);
        if (!fn && quit)
            return NULL;
    }
}

static void post(rnnbptt_team *tm, rb_job_fn fn, void *arg)
{
    tm->fn = fn;
    tm->arg = arg;
    atomic_store_explicit(&tm->done, 0, memory_order_relaxed);
    atomic_fetch_add(&tm->seq, 1);
    if (atomic_load(&tm->sleepers)) {
        pthread_mutex_lock(&tm->mu);
        pthread_cond_broadcast(&tm->cv);
        pthread_mutex_unlock(&tm->mu);
    }
}

static void wait_done(rnnbptt_team *tm)
{
    const unsigned want = (unsigned)tm->n - 1;
    for (unsigned turn = 0; atomic_load_explicit(&tm->done, memory_order_acquire) != want; turn++)
        rb_spin(turn < RB_SPIN_PAUSES ? turn : RB_SPIN_PAUSES);
}

void rb_team_run(rnnbptt_team *tm, rb_job_fn fn, void *arg)
{
    tm->parked = 0;
    post(tm, fn, arg);
    fn(arg, 0, tm->n);
    wait_done(tm);
}

typedef struct {
    rb_range_fn fn;       /* one of the two */
    rb_part_range_fn pfn;
    void *ctx;
    int n, align;
} rb_split_job;

/* Where part `part` of nparts starts in 0..n: a multiple of align (a power of 2); n at the end. */
static int part_start(int n, int part, int nparts, int align)
{
    return part >= nparts ? n : (int)((long long)n * part / nparts) & -align;
}

static void split_part(void *arg, int part, int nparts)
{
    const rb_split_job *j = arg;
    const int i0 = part_start(j->n, part, nparts, j->align);
    const int i1 = part_start(j->n, part + 1, nparts, j->align);
    if (i1 <= i0)
        return;
    if (j->pfn)
        j->pfn(j->ctx, part, i0, i1);
    else
        j->fn(j->ctx, i0, i1);
}

void rb_team_split(rnnbptt_team *tm, int n, int align, rb_range_fn fn, void *ctx)
{
    rb_split_job j = {fn, NULL, ctx, n, align};
    rb_team_run(tm, split_part, &j);
}

void rb_team_split_parts(rnnbptt_team *tm, int n, int align, rb_part_range_fn fn, void *ctx)
{
    rb_split_job j = {NULL, fn, ctx, n, align};
    rb_team_run(tm, split_part, &j);
}

void rb_team_rows(rnnbptt_team *tm, int B, rb_range_fn fn, void *ctx)
{
    if (tm && tm->n > 1 && B > 1)
        rb_team_split(tm, B, 1, fn, ctx);
    else
        fn(ctx, 0, B);
}

/* Put the workers to sleep until the next job. NULL, 1 thread or already parked: no-op. */
static void rb_team_park(rnnbptt_team *tm)
{
    if (tm && tm->n > 1 && !tm->parked) { /* waking sleeping workers only to park them costs µs */
        post(tm, NULL, NULL);
        wait_done(tm);
        tm->parked = 1;
        tm->stats.parks++;
    }
}

int rb_team_threads(const rnnbptt_team *tm) { return tm ? tm->n : 1; }

int rb_team_valid(const rnnbptt_team *tm) { return tm && tm->magic == RB_TEAM_MAGIC; }

rnnbptt_team *rb_team_acquire(rnnbptt_team *tm)
{
    return tm && !atomic_flag_test_and_set(&tm->busy) ? tm : NULL;
}

rb_pack *rb_team_pack(rnnbptt_team *tm) { return &tm->pack; }

float *rb_team_reserve(rnnbptt_team *tm, size_t n)
{
    rb_pack *pk = &tm->pack;
    const size_t ns = (size_t)tm->n * RB_GEMM_SCRATCH;
    if (pk->cap < ns + n) {
        rb_free(pk->buf);
        /* 64-byte aligned, so that each 16-column row of a panel is one cache line (malloc's
         * large blocks start 16 bytes into a page: every vector load then spanned two lines) */
        pk->buf = rb_aligned_alloc(64, (ns + n + 15) / 16 * 16 * sizeof(float));
        pk->cap = pk->buf ? ns + n : 0;
        if (!pk->buf)
            return NULL;
    }
    pk->scratch = pk->buf;
    return pk->buf + ns;
}

size_t rb_team_l2(const rnnbptt_team *tm) { return tm->l2; }

#ifdef RB_TESTING
void rb_team_assume_l2(rnnbptt_team *tm, size_t l2) { tm->l2 = l2; }
#endif

rb_team_stats rb_team_stats_of(const rnnbptt_team *tm) { return tm->stats; }

void rb_team_count(rnnbptt_team *tm, int batch_split)
{
    tm->stats.calls++;
    tm->stats.batch_split += batch_split != 0;
}

void rb_team_release(rnnbptt_team *tm)
{
    if (tm) {
        if (!tm->stay)
            rb_team_park(tm);
        atomic_flag_clear(&tm->busy);
    }
}

void rb_team_stay(rnnbptt_team *tm, int on)
{
    rnnbptt_team *held = rb_team_acquire(tm);
    if (held) {
        held->stay = on;
        rb_team_release(held); /* parks them when off */
    }
}

/* Stop and join the first `started` workers, then free everything. */
static void teardown(rnnbptt_team *tm, int started)
{
    if (started > 0) {
        tm->quit = 1;
        const int n = tm->n;
        tm->n = started + 1; /* wait_done counts the workers that exist */
        post(tm, NULL, NULL);
        wait_done(tm);
        for (int i = 0; i < started; i++)
            pthread_join(tm->workers[i].tid, NULL);
        tm->n = n;
    }
    pthread_cond_destroy(&tm->cv);
    pthread_mutex_destroy(&tm->mu);
    tm->magic = 0;
    rb_free(tm->pack.buf);
    rb_free(tm->workers);
    rb_free(tm);
}

rnnbptt_status rnnbptt_team_create(int threads, rnnbptt_team **team)
{
    RETURN_IF(!team || threads < 1 || threads > RNNBPTT_TEAM_MAX_THREADS, RNNBPTT_EINVAL);
    rnnbptt_team *tm = rb_calloc(1, sizeof *tm);
    RETURN_IF(!tm, RNNBPTT_ENOMEM);
    tm->workers = rb_calloc((size_t)threads, sizeof *tm->workers);
    if (!tm->workers) {
        rb_free(tm);
        return RNNBPTT_ENOMEM;
    }
    if (rb_mutex_init(&tm->mu)) {
        rb_free(tm->workers);
        rb_free(tm);
        return RNNBPTT_ETHREAD;
    }
    if (rb_cond_init(&tm->cv)) {
        pthread_mutex_destroy(&tm->mu);
        rb_free(tm->workers);
        rb_free(tm);
        return RNNBPTT_ETHREAD;
    }
    tm->magic = RB_TEAM_MAGIC;
    tm->n = threads;
    tm->l2 = rb_cpu_l2();
    tm->parked = 1; /* the workers start asleep */
    atomic_init(&tm->seq, 0);
    atomic_init(&tm->done, 0);
    atomic_init(&tm->sleepers, 0);
    atomic_flag_clear(&tm->busy);
    for (int i = 0; i < threads - 1; i++) {
        tm->workers[i].team = tm;
        tm->workers[i].part = i + 1;
        if (rb_thread_create(&tm->workers[i].tid, worker_main, &tm->workers[i])) {
            teardown(tm, i);
            return RNNBPTT_ETHREAD;
        }
    }
    *team = tm;
    return RNNBPTT_OK;
}

void rnnbptt_team_destroy(rnnbptt_team *team)
{
    if (rb_team_valid(team))
        teardown(team, team->n - 1);
}
