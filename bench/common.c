/* common.c — names, FLOP and traffic formulas, JSON strings; calls no other bench module. */

/* FLOPs counted per point (R = T·B rows; G = 1 tanh/relu, 4 LSTM, 3 GRU):
 *   forward   F_fwd = 2·R·G·H·(I + H) + e_f·R·H
 *   backward  F_bwd = 4·R·G·H·(I + H) + e_b·R·H
 *             = dW_x 2RGHI + dx 2RGHI + dW_h 2RGHH + W_hᵀδ 2RGHH; dx and dh0 (the W_hᵀδ product
 *               of step 1) are counted.
 *   e_f, e_b  element-wise FLOPs per hidden unit per row, each + − × and each exp/tanh/sigmoid
 *             counting 1: tanh/relu 0/0 (GEMM terms only: F_fwd = 2·T·B·(I·H + H·H), F_bwd =
 *             2·F_fwd), LSTM 9/24, GRU 11/17. Bias adds, bias gradients and copies are not
 *             counted.
 *   GFLOP/s = F(phase) / median time of the phase; %peak against the sgemm peak of the same run.
 * Traffic bound (B = 1): W_h (G·H × H floats) read once per step forward and once backward,
 *   bound_ms = P·T·G·H·H·4 bytes / read bandwidth (measured by the run); P = 2 passes, or 1 with
 *   --phase fwd or bwd.
 * main.c's --help states the same; change both together.
 *
 * Model mode (one training step of an L-layer model, D = 1 + bidirectional directions, head O):
 *   F = Σ over layers l and directions of (F_fwd + F_bwd) at input I_l (I for l = 0, D·H above)
 *       − D·2·R·G·H·I   (no dx at the first layer: the inputs need no gradient)
 *       + 6·R·O·D·H     (head: forward y = h·W_yᵀ, dW_y = dyᵀ·h, dh = dy·W_y)
 *   The loss, bias adds and bias gradients are not counted. model.c's --help states the same. */
#include "common.h"

#include <math.h>

const char *const impl_names[IMPL_COUNT] = {"rnnbptt", "naive", "perstep", "rnnbptt-team"};
const char *const cell_names[CELL_COUNT] = {"tanh", "relu", "lstm", "gru"};

const char *impl_name(bench_impl m) { return m < IMPL_COUNT ? impl_names[m] : "?"; }
const char *cell_name(rnnbptt_cell c) { return (unsigned)c < CELL_COUNT ? cell_names[c] : "?"; }
int cell_gates(rnnbptt_cell c) { return c == RNNBPTT_LSTM ? 4 : c == RNNBPTT_GRU ? 3 : 1; }

static double elementwise(rnnbptt_cell c, int bwd)
{
    return c == RNNBPTT_LSTM ? (bwd ? 24 : 9) : c == RNNBPTT_GRU ? (bwd ? 17 : 11) : 0;
}
double flops_fwd(const bench_point *p)
{
    const double R = (double)p->T * p->B, G = cell_gates(p->cell);
    return 2.0 * R * G * p->H * ((double)p->I + p->H) + elementwise(p->cell, 0) * R * p->H;
}
double flops_bwd(const bench_point *p)
{
    const double R = (double)p->T * p->B, G = cell_gates(p->cell);
    return 4.0 * R * G * p->H * ((double)p->I + p->H) + elementwise(p->cell, 1) * R * p->H;
}
double flops_phase(const bench_point *p, bench_phase ph)
{
    return (ph != PHASE_BWD ? flops_fwd(p) : 0.0) + (ph != PHASE_FWD ? flops_bwd(p) : 0.0);
}

double wh_bytes(const bench_point *p) { return 4.0 * cell_gates(p->cell) * p->H * p->H; }
double traffic_bound_ms(const bench_point *p, bench_phase ph, double gbs)
{
    return (ph == PHASE_BOTH ? 2.0 : 1.0) * p->T * wh_bytes(p) / (gbs * 1e9) * 1e3;
}

double model_flops(const model_point *p)
{
    const int D = 1 + p->bidirectional;
    const double R = (double)p->T * p->B, G = cell_gates(p->cell);
    double f = 0.0;
    for (int l = 0; l < p->layers; l++) {
        const bench_point q = {p->cell, p->T, p->B, l ? D * p->H : p->I, p->H};
        f += D * (flops_fwd(&q) + flops_bwd(&q));
    }
    return f - D * 2.0 * R * G * p->H * p->I + 6.0 * R * p->O * D * p->H;
}

float golden(size_t k, int salt, double scale)
{
    const double u = fmod((double)k * 0.6180339887498949 + salt * 0.1234567, 1.0);
    return (float)(scale * (2.0 * u - 1.0));
}

void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        const unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}
