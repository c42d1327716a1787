/* machine.c — the clock, the BLAS, sgemm peak, bandwidth, run header; calls common. */

/* What the bench measures or reports about the machine: the clock, the BLAS and its thread
 * count, the sgemm peak, the read bandwidth over a buffer, and the run header. */
#define _POSIX_C_SOURCE 200809L
#include "machine.h"

#include "common.h"

#include <cblas.h>
#undef I /* <complex.h>, pulled in by OpenBLAS's cblas.h, defines I */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) /* interrupted: sleep the rest */
        ;
}

/* ---- the BLAS ---- */
#ifdef RNNBPTT_BENCH_OPENBLAS
int blas_is_openblas(void) { return 1; }
int blas_threads(void) { return openblas_get_num_threads(); }
int blas_set_threads(int n)
{
    openblas_set_num_threads(n);
    return 0;
}
#else
int blas_is_openblas(void) { return 0; }
int blas_threads(void) { return 0; } /* unknown */
int blas_set_threads(int n)
{
    (void)n;
    return -1;
}
#endif

double sgemm_peak(int N, int reps)
{
    const size_t n2 = (size_t)N * N;
    float *a = malloc(3 * n2 * sizeof(float));
    if (!a)
        return 0.0;
    for (size_t k = 0; k < 3 * n2; k++)
        a[k] = (float)(k % 17) * 0.0625f - 0.5f;
    double best = 1e30;
    for (int r = 0; r <= reps; r++) { /* the first call is a warm-up */
        const double t0 = now_s();
        /* C = A · Bᵀ, the library's most common form */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, N, 1.0f, a, N, a + n2, N, 0.0f,
                    a + 2 * n2, N);
        const double t = now_s() - t0;
        if (r && t < best)
            best = t;
    }
    free(a);
    return 2.0 * N * (double)N * N / best * 1e-9;
}

/* ---- read bandwidth: each thread sums its slice `passes` times ---- */
/* Not under ThreadSanitizer (as in src/exec/exec.h): the clones' ifunc resolver runs during
 * relocation, before TSan's runtime is up, and its instrumented code crashes the program before
 * main. */
#if defined(__SANITIZE_THREAD__)
#define BENCH_NO_CLONES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENCH_NO_CLONES 1
#endif
#endif
#if !defined(BENCH_NO_CLONES) && defined(__GNUC__) && defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define BENCH_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef BENCH_CLONES
#define BENCH_CLONES
#endif

enum { LANES = 64 }; /* independent partial sums: enough to keep the loads, not the adds, busy */

BENCH_CLONES static float sum_passes(const float *p, size_t n, long passes)
{
    float acc[LANES] = {0};
    for (long r = 0; r < passes; r++)
        for (size_t i = 0; i + LANES <= n; i += LANES)
            for (int k = 0; k < LANES; k++)
                acc[k] += p[i + k];
    float s = 0.0f;
    for (int k = 0; k < LANES; k++)
        s += acc[k];
    return s;
}

typedef struct {
    const float *p;
    size_t n;
    long passes;
    float sum;
} reader;

static void *read_slice(void *arg)
{
    reader *rd = arg;
    rd->sum = sum_passes(rd->p, rd->n, rd->passes);
    return NULL;
}

double read_bandwidth(size_t bytes, int threads)
{
    if (threads < 1)
        threads = 1;
    const size_t n = (bytes / sizeof(float) + LANES - 1) / LANES * LANES;
    const size_t slice = (n / LANES + (size_t)threads - 1) / (size_t)threads * LANES;
    float *buf = malloc(n * sizeof(float));
    reader *rd = malloc((size_t)threads * sizeof *rd);
    pthread_t *tid = malloc((size_t)threads * sizeof *tid);
    int *joined = malloc((size_t)threads * sizeof *joined);
    if (!buf || !rd || !tid || !joined) {
        free(buf);
        free(rd);
        free(tid);
        free(joined);
        return 0.0;
    }
    for (size_t k = 0; k < n; k++)
        buf[k] = 1.0f;
    /* ≈ 256 MiB read per trial, so that starting the threads (tens of µs) is noise */
    const long passes = (long)(256.0 * (1 << 20) / (double)(n * sizeof(float))) + 2;
    double best = 0.0;
    volatile float sink = 0.0f;
    for (int trial = 0; trial < 3; trial++) {
        const double t0 = now_s();
        for (int k = 0; k < threads; k++) {
            const size_t lo = (size_t)k * slice < n ? (size_t)k * slice : n;
            const size_t hi = lo + slice < n ? lo + slice : n;
            rd[k] = (reader){buf + lo, hi - lo, passes, 0.0f};
            joined[k] = pthread_create(&tid[k], NULL, read_slice, &rd[k]) == 0;
            if (!joined[k]) /* no thread: read the slice here (only slows the figure) */
                read_slice(&rd[k]);
        }
        for (int k = 0; k < threads; k++) {
            if (joined[k])
                pthread_join(tid[k], NULL);
            sink += rd[k].sum;
        }
        const double gbs = (double)passes * (double)n * sizeof(float) / (now_s() - t0) * 1e-9;
        best = gbs > best ? gbs : best;
    }
    (void)sink;
    free(buf);
    free(rd);
    free(tid);
    free(joined);
    return best;
}

/* ---- the run header ---- */
/* "model name (family F, model M)" from /proc/cpuinfo: VMs often hide all but the vendor */
static void cpu_model(char *out, size_t len)
{
    char name[256] = "unknown", family[32] = "?", model[32] = "?", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f) && line[0] != '\n') {
        const char *c = strchr(line, ':');
        if (!c)
            continue;
        for (c++; *c == ' ' || *c == '\t'; c++)
            ;
        const int n = (int)strcspn(c, "\n");
        if (strncmp(line, "model name", 10) == 0)
            snprintf(name, sizeof name, "%.*s", n, c);
        else if (strncmp(line, "cpu family", 10) == 0)
            snprintf(family, sizeof family, "%.*s", n, c);
        else if (strncmp(line, "model\t", 6) == 0)
            snprintf(model, sizeof model, "%.*s", n, c);
    }
    if (f)
        fclose(f);
    snprintf(out, len, "%s (family %s, model %s)", name, family, model);
}

static int cpu_has_flag(const char *flag)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return -1;
    char line[8192];
    int found = 0;
    const size_t fl = strlen(flag);
    while (!found && fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0)
            for (const char *c = strstr(line, flag); c && !found; c = strstr(c + 1, flag))
                found = c[-1] == ' ' && (c[fl] == ' ' || c[fl] == '\n');
    fclose(f);
    return found;
}

static int blas_env(const char *kv)
{
    static const char *pre[] = {"OPENBLAS_", "OMP_", "GOTO_", "MKL_", "BLIS_"};
    for (size_t k = 0; k < sizeof pre / sizeof *pre; k++)
        if (strncmp(kv, pre[k], strlen(pre[k])) == 0)
            return 1;
    return 0;
}

static void utc_now(char *out, size_t len)
{
    const time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *blas_config(void)
{
#ifdef RNNBPTT_BENCH_OPENBLAS
    return openblas_get_config();
#else
    return "unknown (not OpenBLAS: no version query)";
#endif
}
static const char *blas_core(void)
{
#ifdef RNNBPTT_BENCH_OPENBLAS
    return openblas_get_corename();
#else
    return "unknown";
#endif
}

void print_header(FILE *f)
{
    char cpu[320], date[64];
    cpu_model(cpu, sizeof cpu);
    utc_now(date, sizeof date);
    fprintf(f, "# rnnbptt-bench  %s\n", date);
    fprintf(f, "# library   rnnbptt %s\n", rnnbptt_version_string());
    fprintf(f, "# BLAS      %s | core %s | threads %d\n", blas_config(), blas_core(), blas_threads());
    fprintf(f, "# CPU       %s | %ld online CPUs | AVX-512F %s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN),
            cpu_has_flag("avx512f") > 0 ? "yes" : "no");
    fprintf(f, "# BLAS env ");
    int any = 0;
    for (char **e = environ; *e; e++)
        if (blas_env(*e)) {
            fprintf(f, " %s", *e);
            any = 1;
        }
    fprintf(f, "%s\n", any ? "" : " (none set)");
}

void json_header(FILE *f)
{
    char cpu[320], date[64];
    cpu_model(cpu, sizeof cpu);
    utc_now(date, sizeof date);
    fprintf(f, "\"date\": ");
    json_string(f, date);
    fprintf(f, ", \"library_version\": ");
    json_string(f, rnnbptt_version_string());
    fprintf(f, ", \"blas\": ");
    json_string(f, blas_config());
    fprintf(f, ", \"blas_core\": ");
    json_string(f, blas_core());
    fprintf(f, ", \"blas_threads\": %d, \"cpu\": ", blas_threads());
    json_string(f, cpu);
    fprintf(f, ", \"online_cpus\": %ld, \"env\": {", sysconf(_SC_NPROCESSORS_ONLN));
    int first = 1;
    for (char **e = environ; *e; e++)
        if (blas_env(*e)) {
            const char *eq = strchr(*e, '=');
            char key[256];
            snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - *e) : (int)strlen(*e), *e);
            fprintf(f, "%s", first ? "" : ", ");
            json_string(f, key);
            fprintf(f, ": ");
            json_string(f, eq ? eq + 1 : "");
            first = 0;
        }
    fprintf(f, "}");
}
