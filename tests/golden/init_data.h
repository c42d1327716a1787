/* init_data.h - rnnbptt_rng and rnnbptt_model_init golden data for tests/test_init.c.
 * GENERATED, do not edit. Produced by tests/golden/gen_init.py, an independent Python
 * implementation of include/rnnbptt.h's specification (standard library only):
 *     python3 tests/golden/gen_init.py > tests/golden/init_data.h
 * Floats are given by their bits (uint32). */
#ifndef INIT_DATA_H
#define INIT_DATA_H

#include <stdint.h>

#include "rnnbptt.h"

enum { GOLD_N = 9 };

static const uint64_t gold_seeds[2] = {0, 1};
/* rnnbptt_rng_next: the first GOLD_N outputs after rnnbptt_rng_seed, seeds 0 and 1 */
static const uint64_t gold_next[2][GOLD_N] = {
    {0x99ec5f36cb75f2b4u, 0xbf6e1f784956452au, 0x1a5f849d4933e6e0u, 0x6aa594f1262d2d2cu,
     0xbba5ad4a1f842e59u, 0xffef8375d9ebcacau, 0x6c160deed2f54c98u, 0x8920ad648fc30a3fu,
     0xdb032c0ba7539731u},
    {0xb3f2af6d0fc710c5u, 0x853b559647364ceau, 0x92f89756082a4514u, 0x642e1c7bc266a3a7u,
     0xb27a48e29a233673u, 0x24c123126ffda722u, 0x123004ef8df510e6u, 0x61954dcc47b1e89du,
     0xddfdb48ab9ed4a21u},
};
/* rnnbptt_rng_uniform(-1, 1) then (0, 1), GOLD_N values each, seeds 0 and 1 */
static const uint32_t gold_uniform[2][2 * GOLD_N] = {
    {0x3e4f62f8u, 0x3efdb87cu, 0xbf4b40f8u, 0xbe2ad360u, 0x3eee96b4u, 0x3f7fdf06u, 0xbe1f4f98u,
     0x3d920ad0u, 0x3f360658u, 0x3f6b3a47u, 0x3dea14c8u, 0x3d89b0d8u, 0x3dda7838u, 0x3f27a325u,
     0x3efdfb54u, 0x3e97bd2eu, 0x3f3455eau, 0x3e4136fcu},
    {0x3ecfcabcu, 0x3d276aa0u, 0x3e17c4b8u, 0xbe5e8f20u, 0x3ec9e920u, 0xbf367dbau, 0xbf5b9ff8u,
     0xbe735598u, 0x3f3bfb68u, 0x3f0d3cdbu, 0x3f6ebd11u, 0x3f750c3fu, 0x3f6eca31u, 0x3f2b49edu,
     0x3f19953cu, 0x3f63fa94u, 0x3da4c610u, 0x3efb9386u},
};
/* rnnbptt_rng_normal(0, 1) then (2, 0.5), GOLD_N values each (odd: one dropped), seeds 0 and 1 */
static const uint32_t gold_normal[2][2 * GOLD_N] = {
    {0x3f191d41u, 0x3fbb52a8u, 0xbf65222au, 0xbe409387u, 0xc01a994du, 0x3f8db90au, 0xbf433c6bu,
     0x3e99b5bfu, 0xbd164058u, 0x401310d2u, 0x3fc5ef0cu, 0x400271b8u, 0x3fd493a4u, 0x3f816612u,
     0x3ffbbb21u, 0x3fa19b9bu, 0x4021d5d9u, 0x4007b1cdu},
    {0x3ff133e4u, 0x3e4255ecu, 0x3fa6aae5u, 0xbff46858u, 0x3ee06b99u, 0xbf4ad5f5u, 0xbf284470u,
     0xbe3a6eb7u, 0x3f8a9e0bu, 0x4010252cu, 0x40064ef3u, 0x40075cd7u, 0x401cc5feu, 0x3fca6e29u,
     0x3ffee594u, 0x3ec95979u, 0x3fec46e5u, 0x4025b472u},
};
/* rnnbptt_rng_below(10) GOLD_N times, then below(2^63 + 1) GOLD_N times (about half
 * of its draws rejected), seeds 0 and 1 */
static const uint64_t gold_below[2][2 * GOLD_N] = {
    {0u, 2u, 8u, 2u,
     7u, 8u, 4u, 3u,
     7u, 7726566563627964988u, 2856167817844546430u, 3771178391417939563u,
     918302724222253451u, 2359042628374696309u, 8978915020893469597u, 2676391368345985847u,
     7627972108758669016u, 8999858544980300994u},
    {7u, 2u, 0u, 3u,
     1u, 2u, 6u, 9u,
     1u, 953878616421544399u, 7979553132221966032u, 8434186510367451301u,
     7983247259527268592u, 3119285066212467764u, 1843446058500263382u, 7204233397703643940u,
     2043754401061426368u, 6538102727716223439u},
};
/* long streams from fresh generators: FNV-1a 64 of the float32 bits (see the cases) of
 * 2^20 rnnbptt_rng_normal(0.5, 3) values from seed 3 and 2^20 rnnbptt_rng_uniform(-0.1,
 * 0.3) values from seed 4: ln over the whole range the polar method gives it */
enum { GOLD_STREAM = 1 << 20 };
static const uint64_t gold_stream_normal = 0x71f0d203d409ae38u;
static const uint64_t gold_stream_uniform = 0x02a3abfb65246da5u;

typedef struct {
    rnnbptt_model_config model;
    rnnbptt_init_config init;
    uint64_t seed;
    size_t n;         /* parameters */
    uint64_t fnv;     /* FNV-1a 64 of their float32 bits, little-endian */
} gold_init_case;

static const gold_init_case gold_init[5] = {
    {{.cell = RNNBPTT_LSTM, .input_size = 3, .hidden_size = 4, .num_layers = 2,
      .bidirectional = 1, .output_size = 5},
     {.input = RNNBPTT_INIT_TORCH, .recurrent = RNNBPTT_INIT_TORCH, .bias = RNNBPTT_INIT_TORCH,
      .head_weight = RNNBPTT_INIT_TORCH, .head_bias = RNNBPTT_INIT_TORCH,
      .sigma = 0.01, .gain = 1.0, .value = 0.0, .forget_bias = 0.0},
     0x000000000000002au, 717, 0x8bda934d29e22ff3u},
    {{.cell = RNNBPTT_GRU, .input_size = 5, .hidden_size = 3, .num_layers = 2,
      .bidirectional = 0, .output_size = 2},
     {.input = RNNBPTT_INIT_XAVIER, .recurrent = RNNBPTT_INIT_NORMAL, .bias = RNNBPTT_INIT_CONSTANT,
      .head_weight = RNNBPTT_INIT_NORMAL, .head_bias = RNNBPTT_INIT_TORCH,
      .sigma = 0.1, .gain = 1.0, .value = 0.25, .forget_bias = 0.0},
     0x0000000000000007u, 170, 0x4c15405cb1e6b8fcu},
    {{.cell = RNNBPTT_RNN_TANH, .input_size = 2, .hidden_size = 5, .num_layers = 3,
      .bidirectional = 0, .output_size = 3},
     {.input = RNNBPTT_INIT_NORMAL, .recurrent = RNNBPTT_INIT_IDENTITY, .bias = RNNBPTT_INIT_TORCH,
      .head_weight = RNNBPTT_INIT_XAVIER, .head_bias = RNNBPTT_INIT_CONSTANT,
      .sigma = 0.5, .gain = 0.9, .value = -1.5, .forget_bias = 0.0},
     0xffffffffffffffffu, 168, 0xc5bbf2be0ff74914u},
    {{.cell = RNNBPTT_LSTM, .input_size = 4, .hidden_size = 3, .num_layers = 1,
      .bidirectional = 1, .output_size = 1},
     {.input = RNNBPTT_INIT_XAVIER, .recurrent = RNNBPTT_INIT_XAVIER, .bias = RNNBPTT_INIT_NORMAL,
      .head_weight = RNNBPTT_INIT_CONSTANT, .head_bias = RNNBPTT_INIT_NORMAL,
      .sigma = 0.3, .gain = 1.0, .value = 0.125, .forget_bias = 1.0},
     0x0000000000000000u, 199, 0xe65a49a8a4852e92u},
    {{.cell = RNNBPTT_RNN_RELU, .input_size = 1, .hidden_size = 2, .num_layers = 1,
      .bidirectional = 0, .output_size = 1},
     {.input = RNNBPTT_INIT_TORCH, .recurrent = RNNBPTT_INIT_TORCH, .bias = RNNBPTT_INIT_TORCH,
      .head_weight = RNNBPTT_INIT_TORCH, .head_bias = RNNBPTT_INIT_TORCH,
      .sigma = 0.01, .gain = 1.0, .value = 0.0, .forget_bias = 5.0},
     0x0000000000000001u, 11, 0x3a52089390e724ecu},
};

#endif /* INIT_DATA_H */
