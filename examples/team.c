/* team.c — run an LSTM layer on an rnnbptt_team, written from include/rnnbptt.h alone: create a
 * team of 2 threads, say whether calls of this size run on it, run a forward and a backward,
 * destroy it. Usage: rnnbptt-team-example [H [B]] (default H = 128, B = 64). */
#include <rnnbptt.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    const int T = 20, I = 64, H = argc > 1 ? atoi(argv[1]) : 128, B = argc > 2 ? atoi(argv[2]) : 64;
    rnnbptt_team *team = NULL;
    rnnbptt_status s = rnnbptt_team_create(2, &team);
    if (s != RNNBPTT_OK) {
        fprintf(stderr, "rnnbptt_team_create: %s\n", rnnbptt_strerror(s));
        return 1;
    }
    const rnnbptt_layer L = {.cell = RNNBPTT_LSTM, .input_size = I, .hidden_size = H, .team = team};
    const size_t np = rnnbptt_param_count(&L), nr = rnnbptt_reserve_count(&L, T, B);
    const size_t nx = (size_t)T * B * I, nh = (size_t)T * B * H;
    float *p = malloc(np * sizeof(float)), *dp = calloc(np, sizeof(float));
    float *x = malloc(nx * sizeof(float)), *h = malloc(nh * sizeof(float));
    float *dh = malloc(nh * sizeof(float)), *reserve = malloc(nr * sizeof(float));
    if (!np || !nr || !p || !dp || !x || !h || !dh || !reserve) {
        fprintf(stderr, "bad sizes or out of memory\n");
        s = RNNBPTT_ENOMEM;
    }
    for (size_t k = 0; s == RNNBPTT_OK && k < np; k++)
        p[k] = 0.05f * (float)((int)(k % 7) - 3);
    for (size_t k = 0; s == RNNBPTT_OK && k < nx; k++)
        x[k] = (float)(k % 5) * 0.1f;
    for (size_t k = 0; s == RNNBPTT_OK && k < nh; k++)
        dh[k] = 1.0f / (float)nh; /* dL/dh of L = the mean of h */
    if (s == RNNBPTT_OK)
        s = rnnbptt_forward(&L, p, T, B, NULL, x, NULL, NULL, h, NULL, NULL, reserve);
    if (s == RNNBPTT_OK)
        s = rnnbptt_backward(&L, p, T, B, NULL, x, NULL, NULL, h, reserve, dh, NULL, NULL, dp,
                             NULL, NULL, NULL);
    if (s == RNNBPTT_OK)
        printf("LSTM T=%d B=%d I=%d H=%d: %s the team of 2; h[last] = %.6f, dparams[0] = %.6g\n", T,
               B, I, H, rnnbptt_team_used(&L, B) ? "ran on" : "ran without", h[nh - 1], dp[0]);
    else
        fprintf(stderr, "rnnbptt: %s\n", rnnbptt_strerror(s));
    rnnbptt_team_destroy(team);
    free(p), free(dp), free(x), free(h), free(dh), free(reserve);
    return s == RNNBPTT_OK ? 0 : 1;
}
