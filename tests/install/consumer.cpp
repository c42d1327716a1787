// consumer.cpp — a C++ program built against an installed librnnbptt: proves the header's
// extern "C" linkage and checks version, statuses and a small tanh-RNN forward pass. Exit 0 = pass.
#include <rnnbptt.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

static int failures = 0;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            std::fprintf(stderr, "consumer.cpp:%d: check failed: %s\n", __LINE__, #cond); \
            failures++;                                                                \
        }                                                                              \
    } while (0)

int main()
{
    const std::string header_version = std::to_string(RNNBPTT_VERSION_MAJOR) + "." +
                                       std::to_string(RNNBPTT_VERSION_MINOR) + "." +
                                       std::to_string(RNNBPTT_VERSION_PATCH);
    CHECK(header_version == rnnbptt_version_string());
    CHECK(!std::string(rnnbptt_strerror(RNNBPTT_EINVAL)).empty());

    // W_xh = 0, W_hh = 0, b_h[j] = j/4: every h_t[b][j] = tanh(j/4); a NULL x is rejected.
    const rnnbptt_layer L = {RNNBPTT_RNN_TANH, 3, 4, nullptr};
    const int T = 2, B = 2;
    CHECK(rnnbptt_param_count(&L) == 32);
    std::vector<float> params(rnnbptt_param_count(&L), 0.0f), x(T * B * 3, 1.0f);
    for (int j = 0; j < 4; j++)
        params[3 * 4 + 4 * 4 + j] = 0.25f * j;
    std::vector<float> h(T * B * 4, 7.0f);
    CHECK(rnnbptt_forward(&L, params.data(), T, B, nullptr, nullptr, nullptr, nullptr, h.data(),
                          nullptr, nullptr, nullptr) == RNNBPTT_EINVAL);
    for (float v : h)
        CHECK(v == 7.0f);
    CHECK(rnnbptt_forward(&L, params.data(), T, B, nullptr, x.data(), nullptr, nullptr, h.data(),
                          nullptr, nullptr, nullptr) == RNNBPTT_OK);
    for (size_t k = 0; k < h.size(); k++)
        CHECK(std::fabs(h[k] - std::tanh(0.25f * (k % 4))) <= 1e-6f);

    if (failures) {
        std::fprintf(stderr, "consumer.cpp: %d check(s) failed\n", failures);
        return 1;
    }
    std::printf("consumer.cpp: rnnbptt %s OK\n", rnnbptt_version_string());
    return 0;
}
