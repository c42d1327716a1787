/* quickstart.c — train a 1-unit tanh RNN on the seed's sequence for a few SGD steps. */
#include <rnnbptt.h>
#include <stdio.h>

int main(void)
{
    const rnnbptt_layer L = {.cell = RNNBPTT_RNN_TANH, .input_size = 1, .hidden_size = 1};
    float p[3] = {0.5f, 0.1f, 0.0f}, Wy = 1.0f;                     /* W_xh | W_hh | b_h; W_hy */
    const float x[3] = {1, 2, 3}, target[3] = {0.5f, 1.0f, 1.5f}; /* T = 3, B = 1 */
    float h[3], y[3], dy[3], dh[3], loss;
    for (int step = 0; step < 5; step++) {
        float dp[3] = {0}, dWy = 0;                                 /* gradients accumulate */
        rnnbptt_status s = rnnbptt_forward(&L, p, 3, 1, NULL, x, NULL, NULL, h, NULL, NULL, NULL);
        if (s == RNNBPTT_OK) s = rnnbptt_dense_forward(3, 1, 1, &Wy, NULL, h, y);
        if (s == RNNBPTT_OK) s = rnnbptt_mse_loss(3, 1, y, target, &loss, dy);
        if (s == RNNBPTT_OK) s = rnnbptt_dense_backward(3, 1, 1, &Wy, h, dy, &dWy, NULL, dh);
        if (s == RNNBPTT_OK) s = rnnbptt_backward(&L, p, 3, 1, NULL, x, NULL, NULL, h, NULL, dh,
                                                  NULL, NULL, dp, NULL, NULL, NULL);
        if (s != RNNBPTT_OK) { fprintf(stderr, "rnnbptt: %s\n", rnnbptt_strerror(s)); return 1; }
        printf("step %d  loss %.6f  dW_xh %+.5f  dW_hh %+.5f  dW_hy %+.5f\n", step, loss, dp[0], dp[1], dWy);
        for (int k = 0; k < 3; k++) p[k] -= 0.1f * dp[k];            /* SGD, learning rate 0.1 */
        Wy -= 0.1f * dWy;
    }
    return 0;
}
