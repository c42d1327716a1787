/* gemm_tiles.h — the team GEMM kernel's body, a C template: gemm.c includes it once per vector
 * width, with RB_SFX (the instance's name suffix), RB_VL (floats per vector), RB_MR (rows per
 * tile) and optionally RB_TARGET (a target attribute string) defined; it undefines them.
 *
 * C (M, cols j0..j1) (+)= A (M, R) · Bm (R, cols j0..j1), C row-major, A any strides, Bm a
 * row-major or panel matrix (rb_opb); j0 a multiple of 2·RB_VL (a strip).
 * Tiles of RB_MR rows × 2·RB_VL columns keep 2·RB_MR accumulators in vector registers (16 of
 * AVX-512's 32, 12 of AVX2's 16, 8 of SSE's 16); every row tile of a strip passes over the same
 * RB_KC rows of Bm's strip, which stay in L1 (copied to a contiguous panel first when a
 * row-major Bm's stride would put its rows in a few cache sets), and a block of RB_MC rows of A
 * stays in L2 (packed first when A is a transpose). */
#define RB_CAT2(a, b) a##_##b
#define RB_CAT(a, b) RB_CAT2(a, b)
#define RB_FN(name) RB_CAT(name, RB_SFX)
#ifdef RB_TARGET
#define RB_ATTR __attribute__((target(RB_TARGET)))
#else
#define RB_ATTR
#endif

typedef float RB_FN(rb_vec) __attribute__((vector_size(RB_VL * sizeof(float))));

/* One tile: C (MR rows, RB_VL·NV columns) (+)= A (MR, R) · Bm (R, RB_VL·NV), Bm's vector v of
 * row r at Bv[v] + r·ldb; without accumulate, bias (the tile's RB_VL·NV columns of it, or NULL)
 * is added to every row. Vectors are loaded and stored through memcpy (one unaligned move): no
 * alias or alignment assumption. */
static inline __attribute__((always_inline)) RB_ATTR void
RB_FN(gemm_tile)(const int MR, const int NV, int R, rb_opa A, const float *const Bv[2], size_t ldb,
                 int accumulate, const float *bias, float *C, int ldc)
{
    RB_FN(rb_vec) acc[RB_MR][2];
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++)
            acc[m][v] = (RB_FN(rb_vec)){0};
    for (int r = 0; r < R; r++) {
        RB_FN(rb_vec) b[2];
        for (int v = 0; v < NV; v++)
            memcpy(&b[v], Bv[v] + (size_t)r * ldb, sizeof b[v]);
        for (int m = 0; m < MR; m++) {
            const float a = A.p[(size_t)m * A.sm + (size_t)r * A.sr];
            for (int v = 0; v < NV; v++)
                acc[m][v] += a * b[v];
        }
    }
    for (int m = 0; m < MR; m++)
        for (int v = 0; v < NV; v++) {
            float *c = C + (size_t)m * ldc + RB_VL * v;
            RB_FN(rb_vec) out = acc[m][v];
            if (accumulate || bias) {
                RB_FN(rb_vec) old;
                memcpy(&old, accumulate ? c : bias + RB_VL * v, sizeof old);
                out += old;
            }
            memcpy(c, &out, sizeof out);
        }
}

/* Floats from one packed tile of a transposed A's block to the next (pack_at): its R·RB_MR
 * floats and one cache line more, so that the tiles' starts fall in different L1 sets. */
#define RB_TILE_STRIDE(R) ((size_t)(R) * RB_MR + RB_TILE_PAD)

/* The rows m.. of a block of A (M, R): in place, or (ap not NULL) in ap as packed by pack_at. */
static inline __attribute__((always_inline)) rb_opa RB_FN(tile_a)(rb_opa A, const float *ap, int M,
                                                                  int R, int m)
{
    if (!ap)
        return rb_opa_at(A, (size_t)m, 0);
    const int t = m / RB_MR * RB_MR, mr = M - t < RB_MR ? M - t : RB_MR;
    return (rb_opa){ap + (size_t)(t / RB_MR) * RB_TILE_STRIDE(R) + (m - t), 1, (size_t)mr};
}

/* A block of a transposed A (sm = 1: its R rows are A's columns, far apart in memory) into ap as
 * tiles of RB_MR rows (the last of mr <= RB_MR), tile t at ap + t·RB_TILE_STRIDE(R), its element
 * (i, r) at [r·mr + i]: each tile then reads one contiguous stream instead of a cache line per
 * step. Copied step by step (A's rows in order, each read whole, RB_PACK_AHEAD rows fetched
 * ahead), with the tiles a line apart in L1's sets: measured on Zen 5 with 2 threads, the dW
 * products of LSTM calls (T·B = 3200..6400, G·H = 1024..4096) 1.04-1.15x as fast as packing
 * tile by tile, which read a line per step for every tile and, at 2^k lines between A's rows,
 * lost it to L1's set conflicts before the next tile came back to it. */
static inline __attribute__((always_inline)) RB_ATTR void RB_FN(pack_at)(int M, int R, rb_opa A,
                                                                          float *ap)
{
    const int full = M / RB_MR * RB_MR;
    const size_t ts = RB_TILE_STRIDE(R);
    for (int r = 0; r < R; r++) {
        const float *src = A.p + (size_t)r * A.sr;
        if (r + RB_PACK_AHEAD < R) { /* every line of that row's M floats */
            const float *ahead = src + (size_t)RB_PACK_AHEAD * A.sr;
            for (int q = 0; q < M; q += 16)
                __builtin_prefetch(ahead + q, 0, 3);
            __builtin_prefetch(ahead + M - 1, 0, 3);
        }
        float *dst = ap + (size_t)r * RB_MR;
        int t = 0;
        for (; t < full; t += RB_MR)
            memcpy(dst + (size_t)(t / RB_MR) * ts, src + t, RB_MR * sizeof(float));
        if (t < M)
            memcpy(ap + (size_t)(t / RB_MR) * ts + (size_t)r * (M - t), src + t,
                   (size_t)(M - t) * sizeof(float));
    }
}

/* Rows 0..M-1 of one column strip of RB_VL·NV columns: row tiles of RB_MR, then 4, 2, 1. */
static inline __attribute__((always_inline)) RB_ATTR void
RB_FN(gemm_strip)(const int NV, int M, int R, rb_opa A, const float *ap, const float *const Bv[2],
                  size_t ldb, int accumulate, const float *bias, float *C, int ldc)
{
    int m = 0;
    if (ap) /* the packed tiles' strides as constants: their loads take immediate offsets */
        for (; m + RB_MR <= M; m += RB_MR)
            RB_FN(gemm_tile)(RB_MR, NV, R,
                             (rb_opa){ap + (size_t)(m / RB_MR) * RB_TILE_STRIDE(R), 1, RB_MR}, Bv,
                             ldb, accumulate, bias, C + (size_t)m * ldc, ldc);
    else
        for (; m + RB_MR <= M; m += RB_MR)
            RB_FN(gemm_tile)(RB_MR, NV, R, rb_opa_at(A, (size_t)m, 0), Bv, ldb, accumulate, bias,
                             C + (size_t)m * ldc, ldc);
#if RB_MR > 4
    if (m + 4 <= M) {
        RB_FN(gemm_tile)(4, NV, R, RB_FN(tile_a)(A, ap, M, R, m), Bv, ldb, accumulate, bias,
                         C + (size_t)m * ldc, ldc);
        m += 4;
    }
#endif
    if (m + 2 <= M) {
        RB_FN(gemm_tile)(2, NV, R, RB_FN(tile_a)(A, ap, M, R, m), Bv, ldb, accumulate, bias,
                         C + (size_t)m * ldc, ldc);
        m += 2;
    }
    if (m < M)
        RB_FN(gemm_tile)(1, NV, R, RB_FN(tile_a)(A, ap, M, R, m), Bv, ldb, accumulate, bias,
                         C + (size_t)m * ldc, ldc);
}

/* The last nq < RB_VL columns j.. of a block (rows of mc by rc steps): a strip of one vector over
 * Bm's columns (read in place from a zero-padded panel matrix, else copied into panel with zeros
 * after them), into rows of RB_VL floats of ct (C's columns copied in first when accumulating;
 * bias padded likewise), of which the nq valid columns are copied back to C in chunks of RB_MC
 * rows. Each element sums its products in the same order as a full strip's. Measured on Zen 3
 * (AVX2), team of 2, LSTM B = 32 H = 100 I = 2: the backward 2.3x as fast as the scalar loop it
 * replaces; a panel matrix read in place rather than copied, relu B = 32 H = 100 I = 2 forward
 * and backward 1.02-1.05x (docs/performance.md, § remainder). */
static inline __attribute__((always_inline)) RB_ATTR void
RB_FN(gemm_rest)(int mc, int rc, int nq, rb_opa Ar, const float *ap, rb_opb Bm, int r0, int j,
                 int accumulate, const float *bias, float *C, int ldc, float *panel)
{
    float ct[RB_MC * RB_VL], bpad[RB_VL] = {0};
    const float *bv = rb_opb_at(Bm, r0, j);
    size_t ldb = Bm.ld;
    if (!Bm.zpad) {
        for (int r = 0; r < rc; r++) {
            float *row = panel + (size_t)r * RB_VL;
            for (int q = 0; q < RB_VL; q++)
                row[q] = q < nq ? *rb_opb_at(Bm, r0 + r, j + q) : 0.0f;
        }
        bv = panel, ldb = RB_VL;
    }
    if (accumulate)
        for (int m = 0; m < mc; m++)
            for (int q = 0; q < RB_VL; q++)
                ct[(size_t)m * RB_VL + q] = q < nq ? C[(size_t)m * ldc + q] : 0.0f;
    if (bias)
        memcpy(bpad, bias, (size_t)nq * sizeof(float));
    const float *const Pv[2] = {bv, NULL};
    RB_FN(gemm_strip)(1, mc, rc, Ar, ap, Pv, ldb, accumulate, bias ? bpad : NULL, ct, RB_VL);
    for (int m = 0; m < mc; m++)
        memcpy(C + (size_t)m * ldc, ct + (size_t)m * RB_VL, (size_t)nq * sizeof(float));
}

/* C (M, cols j0..j1) (+)= A (M, R) · Bm (R, cols j0..j1) (+ bias, when beta is 0 and bias not
 * NULL: its columns j0..j1 added to every row): blocks of RB_MC rows by RB_KC reduction steps;
 * strips of 2·RB_VL columns, then RB_VL, then the rest (gemm_rest). scratch holds RB_GEMM_SCRATCH
 * floats, for a transposed A's packed block. */
static RB_ATTR void RB_FN(gemm_cols)(int M, int R, int j0, int j1, rb_opa A, rb_opb Bm, float beta,
                                     const float *bias, float *C, int ldc, float *scratch)
{
    /* With 2^k cache lines between a row-major Bm's rows (ld a multiple of 32 floats), a strip's
     * rows share a few of L1's sets and its block no longer stays in L1: each block is then
     * copied to a contiguous panel first (measured 20-40% faster at power-of-two widths). A panel
     * matrix (the per-step operands and W_xᵀ) is read in place. */
    const int pack = Bm.ps == 16 && Bm.ld % 32 == 0;
    float panel[RB_KC * 2 * RB_VL];
    for (int m0 = 0; m0 < M; m0 += RB_MC) {
        const int mc = M - m0 < RB_MC ? M - m0 : RB_MC;
        float *Cm = C + (size_t)m0 * ldc;
        for (int r0 = 0; r0 < R; r0 += RB_KC) {
            const int rc = R - r0 < RB_KC ? R - r0 : RB_KC, accumulate = beta != 0.0f || r0 > 0;
            const rb_opa Ar = rb_opa_at(A, (size_t)m0, (size_t)r0);
            const float *ap = NULL;
            if (A.sm == 1 && mc > 1) { /* measured 1.3x faster for the dW products */
                RB_FN(pack_at)(mc, rc, Ar, scratch);
                ap = scratch;
            }
            int j = j0;
            for (; j + 2 * RB_VL <= j1; j += 2 * RB_VL) {
                const float *Bv[2] = {rb_opb_at(Bm, r0, j), rb_opb_at(Bm, r0, j + RB_VL)};
                const float *bj = bias ? bias + j : NULL;
                if (pack) {
                    for (int r = 0; r < rc; r++)
                        memcpy(panel + (size_t)r * 2 * RB_VL, Bv[0] + (size_t)r * Bm.ld,
                               2 * RB_VL * sizeof(float));
                    const float *const Pv[2] = {panel, panel + RB_VL};
                    RB_FN(gemm_strip)(2, mc, rc, Ar, ap, Pv, 2 * RB_VL, accumulate, bj, Cm + j,
                                      ldc);
                } else {
                    RB_FN(gemm_strip)(2, mc, rc, Ar, ap, Bv, Bm.ld, accumulate, bj, Cm + j, ldc);
                }
            }
            for (; j + RB_VL <= j1; j += RB_VL) {
                const float *Bv[2] = {rb_opb_at(Bm, r0, j), NULL};
                RB_FN(gemm_strip)(1, mc, rc, Ar, ap, Bv, Bm.ld, accumulate, bias ? bias + j : NULL,
                                  Cm + j, ldc);
            }
            if (j < j1)
                RB_FN(gemm_rest)(mc, rc, j1 - j, Ar, ap, Bm, r0, j, accumulate,
                                 bias ? bias + j : NULL, Cm + j, ldc, panel);
        }
    }
}

#undef RB_ATTR
#undef RB_FN
#undef RB_CAT
#undef RB_CAT2
#undef RB_SFX
#undef RB_VL
#undef RB_MR
#undef RB_TARGET
