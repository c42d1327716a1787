/* torch_check.c — the installed librnnbptt against PyTorch float64 on random problems.
 *
 * Written only from the public header rnnbptt.h. Build against an installed library:
 *     cc torch_check.c $(pkg-config --cflags --libs rnnbptt) -lm -o torch_check
 * Run:  ./torch_check PROBLEMS.bin      (the file comes from gen_problems.py; run.sh does both)
 *
 * Per problem: rnnbptt_forward with a reserve of rnnbptt_reserve_count floats, then
 * rnnbptt_backward with dparams starting at zero, and every array is compared with PyTorch's
 * float64 result: forward outputs (h, hT, cT) within 2e-4, gradients (dparams, dx, dh0, dc0)
 * within 2e-3, both relative to max(1, max|reference|) of that array. One line per problem,
 * then the summary "N passed, M failed". Exit status: 0 all passed, 1 a problem failed,
 * 2 unreadable input.
 *
 * Input format (little-endian, no padding; written by gen_problems.py):
 *     file     := "RNNBPTC1" (8 bytes)  int32 count  problem[count]
 *     problem  := int32 cell T B I H P          cell: 0 RNN_TANH, 1 RNN_RELU, 2 LSTM, 3 GRU
 *                                               (the rnnbptt_cell order); P = parameter count
 *                 int32   lengths[B]
 *                 float32 params[P] x[T*B*I] h0[B*H] c0[B*H]* dh[T*B*H] dhT[B*H] dcT[B*H]*
 *                 float64 h[T*B*H] hT[B*H] cT[B*H]* dparams[P] dx[T*B*I] dh0[B*H] dc0[B*H]*
 *     (* present only when cell == LSTM). Native byte order is assumed to be little-endian.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rnnbptt.h>

#define FWD_TOL 2e-4
#define GRAD_TOL 2e-3

static const char *const cell_names[] = {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"};

/* One problem as read from the file: inputs in float, PyTorch's results in double. */
typedef struct {
    int32_t cell, T, B, I, H, P;
    int32_t *lengths;
    float *params, *x, *h0, *c0, *dh, *dhT, *dcT;    /* c0, dcT: LSTM only */
    double *h, *hT, *cT, *dparams, *dx, *dh0, *dc0; /* cT, dc0: LSTM only */
} problem;

static int read_exact(FILE *f, void *p, size_t size, size_t n)
{
    return fread(p, size, n, f) == n;
}

/* malloc + fread of n elements of `size` bytes; clears *ok on failure (and then does nothing). */
static void *read_array(FILE *f, size_t size, size_t n, int *ok)
{
    void *p = *ok ? malloc(n ? n * size : 1) : NULL;
    if (p == NULL || !read_exact(f, p, size, n))
        *ok = 0;
    return p;
}

static void free_problem(problem *p)
{
    void *all[] = {p->lengths, p->params, p->x, p->h0, p->c0, p->dh, p->dhT, p->dcT,
                   p->h, p->hT, p->cT, p->dparams, p->dx, p->dh0, p->dc0};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    memset(p, 0, sizeof *p);
}

/* Reads one problem; 0 on a short or malformed record. */
static int read_problem(FILE *f, problem *p)
{
    int32_t hdr[6];
    memset(p, 0, sizeof *p);
    if (!read_exact(f, hdr, sizeof hdr[0], 6))
        return 0;
    p->cell = hdr[0], p->T = hdr[1], p->B = hdr[2], p->I = hdr[3], p->H = hdr[4], p->P = hdr[5];
    if (p->cell < 0 || p->cell > 3 || p->T < 1 || p->B < 1 || p->I < 1 || p->H < 1 || p->P < 1 ||
        p->T > 100000 || p->B > 100000 || p->I > 100000 || p->H > 100000)
        return 0;
    const int lstm = p->cell == RNNBPTT_LSTM;
    const size_t T = (size_t)p->T, B = (size_t)p->B, I = (size_t)p->I, H = (size_t)p->H,
                 P = (size_t)p->P, F = sizeof(float), D = sizeof(double);
    int ok = 1;
    p->lengths = read_array(f, sizeof(int32_t), B, &ok);
    p->params = read_array(f, F, P, &ok);
    p->x = read_array(f, F, T * B * I, &ok);
    p->h0 = read_array(f, F, B * H, &ok);
    p->c0 = lstm ? read_array(f, F, B * H, &ok) : NULL;
    p->dh = read_array(f, F, T * B * H, &ok);
    p->dhT = read_array(f, F, B * H, &ok);
    p->dcT = lstm ? read_array(f, F, B * H, &ok) : NULL;
    p->h = read_array(f, D, T * B * H, &ok);
    p->hT = read_array(f, D, B * H, &ok);
    p->cT = lstm ? read_array(f, D, B * H, &ok) : NULL;
    p->dparams = read_array(f, D, P, &ok);
    p->dx = read_array(f, D, T * B * I, &ok);
    p->dh0 = read_array(f, D, B * H, &ok);
    p->dc0 = lstm ? read_array(f, D, B * H, &ok) : NULL;
    return ok;
}

/* max |got − ref| / max(1, max|ref|); NaN or Inf in got gives +Inf. */
static double rel_err(const float *got, const double *ref, size_t n)
{
    double scale = 1.0, err = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(ref[i]) > scale)
            scale = fabs(ref[i]);
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - ref[i]);
        if (!(e <= err))
            err = isfinite(e) ? e : INFINITY;
    }
    return err / scale;
}

/* Records the worst array of a problem for its report line. */
typedef struct {
    double fwd, grad;  /* worst relative error among forward / gradient arrays */
    const char *what;  /* first array over its tolerance, or NULL */
    double what_err, what_tol;
} verdict;

static void judge(verdict *v, const char *name, const float *got, const double *ref, size_t n,
                  double tol, double *worst)
{
    double e = rel_err(got, ref, n);
    if (e > *worst)
        *worst = e;
    if (!(e <= tol) && v->what == NULL) {
        v->what = name;
        v->what_err = e;
        v->what_tol = tol;
    }
}

/* Runs forward + backward on p; returns 1 if it passed. Prints the problem's line. */
static int check_problem(int index, const problem *p)
{
    const int lstm = p->cell == RNNBPTT_LSTM;
    const rnnbptt_layer L = {(rnnbptt_cell)p->cell, p->I, p->H, NULL};
    const size_t TBH = (size_t)p->T * p->B * p->H, TBI = (size_t)p->T * p->B * p->I,
                 BH = (size_t)p->B * p->H;
    const size_t P = rnnbptt_param_count(&L), R = rnnbptt_reserve_count(&L, p->T, p->B);
    const char *fail = NULL;
    rnnbptt_status st = RNNBPTT_OK;
    verdict v = {0.0, 0.0, NULL, 0.0, 0.0};
    int *lengths = malloc((size_t)p->B * sizeof *lengths);
    float *reserve = malloc((R ? R : 1) * sizeof(float));
    float *h = malloc(TBH * sizeof(float)), *hT = malloc(BH * sizeof(float));
    float *cT = malloc(BH * sizeof(float)), *dparams = calloc(P ? P : 1, sizeof(float));
    float *dx = malloc(TBI * sizeof(float)), *dh0 = malloc(BH * sizeof(float));
    float *dc0 = malloc(BH * sizeof(float));

    if (!lengths || !reserve || !h || !hT || !cT || !dparams || !dx || !dh0 || !dc0) {
        fail = "out of memory in torch_check";
    } else if (P != (size_t)p->P) {
        fail = "rnnbptt_param_count differs from PyTorch's parameter count";
    } else {
        for (int b = 0; b < p->B; b++)
            lengths[b] = p->lengths[b];
        st = rnnbptt_forward(&L, p->params, p->T, p->B, lengths, p->x, p->h0,
                             lstm ? p->c0 : NULL, h, hT, lstm ? cT : NULL, R ? reserve : NULL);
        if (st == RNNBPTT_OK)
            st = rnnbptt_backward(&L, p->params, p->T, p->B, lengths, p->x, p->h0,
                                  lstm ? p->c0 : NULL, h, R ? reserve : NULL, p->dh, p->dhT,
                                  lstm ? p->dcT : NULL, dparams, dx, dh0, lstm ? dc0 : NULL);
        if (st != RNNBPTT_OK) {
            fail = rnnbptt_strerror(st);
        } else {
            judge(&v, "h", h, p->h, TBH, FWD_TOL, &v.fwd);
            judge(&v, "hT", hT, p->hT, BH, FWD_TOL, &v.fwd);
            if (lstm)
                judge(&v, "cT", cT, p->cT, BH, FWD_TOL, &v.fwd);
            judge(&v, "dparams", dparams, p->dparams, P, GRAD_TOL, &v.grad);
            judge(&v, "dx", dx, p->dx, TBI, GRAD_TOL, &v.grad);
            judge(&v, "dh0", dh0, p->dh0, BH, GRAD_TOL, &v.grad);
            if (lstm)
                judge(&v, "dc0", dc0, p->dc0, BH, GRAD_TOL, &v.grad);
        }
    }

    printf("problem %d: %-8s T=%-2d B=%d I=%-2d H=%-2d lengths={", index, cell_names[p->cell],
           p->T, p->B, p->I, p->H);
    for (int b = 0; b < p->B; b++)
        printf(b ? ",%d" : "%d", (int)p->lengths[b]);
    if (fail)
        printf("}: FAIL (%s)\n", fail);
    else if (v.what)
        printf("}: FAIL (%s rel err %.3g > %.0e; fwd %.3g grad %.3g)\n", v.what, v.what_err,
               v.what_tol, v.fwd, v.grad);
    else
        printf("}: ok (fwd %.3g, grad %.3g)\n", v.fwd, v.grad);

    free(lengths);
    free(reserve);
    free(h);
    free(hT);
    free(cT);
    free(dparams);
    free(dx);
    free(dh0);
    free(dc0);
    return fail == NULL && v.what == NULL;
}

int main(int argc, char **argv)
{
    char magic[8];
    int32_t count;
    int passed = 0, failed = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s PROBLEMS.bin   (written by gen_problems.py)\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    if (!read_exact(f, magic, 1, 8) || memcmp(magic, "RNNBPTC1", 8) != 0 ||
        !read_exact(f, &count, sizeof count, 1) || count < 0) {
        fprintf(stderr, "%s: not a gen_problems.py file\n", argv[1]);
        fclose(f);
        return 2;
    }
    printf("torch_check: librnnbptt %s (header %d.%d.%d), %d problems from %s\n",
           rnnbptt_version_string(), RNNBPTT_VERSION_MAJOR, RNNBPTT_VERSION_MINOR,
           RNNBPTT_VERSION_PATCH, (int)count, argv[1]);
    for (int i = 0; i < count; i++) {
        problem p;
        if (!read_problem(f, &p)) {
            fprintf(stderr, "%s: problem %d is truncated or malformed\n", argv[1], i);
            free_problem(&p);
            fclose(f);
            return 2;
        }
        if (check_problem(i, &p))
            passed++;
        else
            failed++;
        free_problem(&p);
    }
    fclose(f);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
