/* tuning.h — the one table of numbers that pick a path or a blocking. Each is named for what it
 * means, with a one-line reason; the measurements behind it are in docs/performance.md under
 * "The tuning table" (§ named in brackets). Decisions read these names and nothing else; tests
 * check each decision just below and just above them (tests/test_tuning.c). */
#ifndef RNNBPTT_TUNING_H
#define RNNBPTT_TUNING_H

#include <stddef.h>

/* ---- which product kernel runs a step at B = 1 without a team [§ small GEMV] ---- */
/* From this many elements of W the library's own single-thread GEMV runs the step: OpenBLAS
 * splits sgemv over its threads from about here, and waking them costs more than the product. */
#define RB_OWN_GEMV_MIN 9216
/* Up to this many elements (512 KiB): beyond, OpenBLAS's threaded sgemv is faster. */
#define RB_OWN_GEMV_MAX 131072

/* ---- where a team runs [§ team rule] ---- */
/* Cores with at least this much L2 take the large-L2 rules below. */
#define RB_BIG_L2 ((size_t)1 << 20)
/* B > 1: a step's product runs on a team from this many multiply-adds (B·G·H·H); below, it
 * takes about as long as the threads' meeting between steps. */
#define RB_TEAM_STEP_MIN 1048576
/* B = 1: W_h runs on a team only when larger than this many elements (the own GEMV's range end),
 * and only on cores with RB_BIG_L2: below, exchanging h between cores costs what the split saves. */
#define RB_TEAM_B1_MIN RB_OWN_GEMV_MAX
/* Each thread's slice of W_h, in bytes, at most NUM/DEN of its core's L2: 2 L2s on large-L2
 * cores (the slices partly stream from L3 and still pay), and since the kernel's column
 * remainder is vectorized, 2 L2s on smaller ones too (1.02-1.18x up to 864 KiB per thread on
 * Zen 3; about even at 1.5-2 MiB). With the AVX-512 kernel on large-L2 cores there is no limit:
 * a step's B rows reuse each element B times, so a streamed slice keeps it busy. */
#define RB_SLICE_BIG_L2_NUM 2
#define RB_SLICE_BIG_L2_DEN 1
#define RB_SLICE_SMALL_L2_NUM 2
#define RB_SLICE_SMALL_L2_DEN 1

/* ---- the batch split (each thread the whole time loop on its own rows) [§ batch split] ---- */
/* From this many batch rows per thread (fewer: the products are too thin for the kernel). */
#define RB_SPLIT_ROWS_MIN 8
/* Up to this many rows per thread where the split by steps runs too (RB_TEAM_STEP_MIN): beyond,
 * splitting each step's product wins. */
#define RB_SPLIT_ROWS_MAX 16
/* From this many multiply-adds per step (B·G·H·H): below, waking the team costs more. */
#define RB_SPLIT_STEP_MIN 65536
/* W_h at most NUM/DEN of one core's L2 (each thread reads all of it at every step). */
#define RB_SPLIT_WH_L2_NUM 3
#define RB_SPLIT_WH_L2_DEN 4

/* ---- the team's copies of the weights [§ panels] ---- */
/* At B = 1 a call makes W_h's panel matrix from this many steps on; shorter calls read W_h in
 * place (the copy does not repay itself). */
#define RB_B1_PANEL_STEPS 64

/* ---- the team's GEMM kernel's blocking [§ kernel] ---- */
#define RB_KC 256      /* reduction steps per block: a strip's block of Bm stays in L1 */
#define RB_MC 384      /* rows of A per block: RB_MC × RB_KC floats of A stay in L2 */
#define RB_TILE_PAD 16 /* floats between a transposed A's packed tiles: they fall in other L1 sets */
#define RB_PACK_AHEAD 4 /* rows of a transposed A prefetched ahead of its packing */
/* A transposed A (the dW products) is split over the threads by rows of C, each packing only its
 * own rows, from this many rows per thread; fewer, by columns. */
#define RB_GEMM_ROWS_MIN 32
/* Columns per block of the bias gradients' column sums: their double sums stay in registers
 * (a power of 2: the team splits the columns by whole blocks). */
#define RB_COLSUM_BLOCK 64
/* Columns per chunk of the own GEMV's transposed product: its partial sums stay in L1. */
#define RB_GEMV_T_CHUNK 1024

/* ---- the team's waits [§ waits] ---- */
/* A waiting thread pauses this many times (a step's job usually comes sooner), then yields: a
 * long pause-spin held an awaited thread that shares the core off it. */
#define RB_SPIN_PAUSES (1u << 8)
/* A worker yields this many times (about 10 ms) before it sleeps until the next job anyway. */
#define RB_SPIN_YIELDS (1u << 14)

#endif /* RNNBPTT_TUNING_H */
