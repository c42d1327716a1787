/* consumer.c — a C program built against an installed librnnbptt: checks version, statuses,
 * parameter counts and a small ReLU-RNN forward pass against a plain loop. Exit 0 = pass. */
#include <rnnbptt.h>

#include <stdio.h>
#include <string.h>

#define T 3
#define B 2
#define I 3
#define H 4

static int failures = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "consumer.c:%d: check failed: %s\n", __LINE__, #cond);     \
            failures++;                                                                \
        }                                                                              \
    } while (0)

int main(void)
{
    char header_version[32];
    snprintf(header_version, sizeof header_version, "%d.%d.%d", RNNBPTT_VERSION_MAJOR,
             RNNBPTT_VERSION_MINOR, RNNBPTT_VERSION_PATCH);
    CHECK(strcmp(rnnbptt_version_string(), header_version) == 0);
    CHECK(strlen(rnnbptt_strerror(RNNBPTT_EINVAL)) > 0);
    CHECK(strcmp(rnnbptt_strerror(RNNBPTT_OK), rnnbptt_strerror(RNNBPTT_EINVAL)) != 0);
    CHECK(rnnbptt_strerror((rnnbptt_status)999) != NULL);

    rnnbptt_layer tanh_layer = {RNNBPTT_RNN_TANH, 3, 4, NULL};
    rnnbptt_layer lstm_layer = {RNNBPTT_LSTM, 3, 4, NULL};
    rnnbptt_layer gru_layer = {RNNBPTT_GRU, 3, 4, NULL};
    CHECK(rnnbptt_param_count(&tanh_layer) == 3 * 4 + 4 * 4 + 4);
    CHECK(rnnbptt_param_count(&lstm_layer) == 4 * (3 * 4 + 4 * 4 + 4));
    CHECK(rnnbptt_param_count(&gru_layer) == 3 * (3 * 4 + 4 * 4 + 4 + 4));
    CHECK(rnnbptt_param_count(NULL) == 0);

    /* a team links (the library's threads) and a layer takes it */
    rnnbptt_team *team = NULL;
    CHECK(rnnbptt_team_create(2, &team) == RNNBPTT_OK && team != NULL);

    /* h_t = max(W_xh x_t + W_hh h_{t-1} + b_h, 0), h_0 = 0; params W_xh (H,I) | W_hh (H,H) | b_h (H). */
    rnnbptt_layer L = {RNNBPTT_RNN_RELU, I, H, team};
    float params[H * I + H * H + H], x[T * B * I], h[T * B * H], hT[B * H];
    CHECK(rnnbptt_param_count(&L) == sizeof params / sizeof params[0]);
    for (int k = 0; k < (int)(sizeof params / sizeof params[0]); k++)
        params[k] = (float)((k * 7) % 11 - 5) / 8.0f;
    for (int k = 0; k < T * B * I; k++)
        x[k] = (float)((k * 5) % 9 - 4) / 4.0f;

    for (int k = 0; k < T * B * H; k++)
        h[k] = -1.0f;
    CHECK(rnnbptt_forward(&L, params, T, B, NULL, NULL, NULL, NULL, h, NULL, NULL, NULL) ==
          RNNBPTT_EINVAL);
    for (int k = 0; k < T * B * H; k++)
        CHECK(h[k] == -1.0f);

    CHECK(rnnbptt_forward(&L, params, T, B, NULL, x, NULL, NULL, h, hT, NULL, NULL) == RNNBPTT_OK);
    const float *Wx = params, *Wh = params + H * I, *bh = params + H * I + H * H;
    double prev[B][H] = {{0}};
    for (int t = 0; t < T; t++) {
        double cur[B][H];
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                double a = bh[j];
                for (int i = 0; i < I; i++)
                    a += (double)Wx[j * I + i] * x[(t * B + b) * I + i];
                for (int k = 0; k < H; k++)
                    a += (double)Wh[j * H + k] * prev[b][k];
                cur[b][j] = a > 0 ? a : 0;
                double err = h[(t * B + b) * H + j] - cur[b][j];
                double mag = cur[b][j] > 1 ? cur[b][j] : 1;
                CHECK(err <= 1e-5 * mag && -err <= 1e-5 * mag);
            }
        memcpy(prev, cur, sizeof prev);
    }
    for (int k = 0; k < B * H; k++)
        CHECK(hT[k] == h[(T - 1) * B * H + k]);
    rnnbptt_team_destroy(team);

    if (failures) {
        fprintf(stderr, "consumer.c: %d check(s) failed\n", failures);
        return 1;
    }
    printf("consumer.c: rnnbptt %s OK\n", rnnbptt_version_string());
    return 0;
}
