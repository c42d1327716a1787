// onednn_common.h — what the two oneDNN peers (onednn_rnn.cpp, onednn_model.cpp) share: the
// cells, their gate counts and gate order against the library's, a memory's floats, the clock.
#ifndef RNNBPTT_ONEDNN_COMMON_H
#define RNNBPTT_ONEDNN_COMMON_H

#include <chrono>

#include <oneapi/dnnl/dnnl.hpp>

namespace peer {

enum class Cell { tanh, relu, lstm, gru };

inline const char *cell_name(Cell c) {
    switch (c) {
    case Cell::tanh: return "tanh";
    case Cell::relu: return "relu";
    case Cell::lstm: return "lstm";
    case Cell::gru: return "gru";
    }
    return "?";
}

inline int gates(Cell c) { return c == Cell::lstm ? 4 : c == Cell::gru ? 3 : 1; }

// oneDNN gate g' holds the library's gate perm[g'] (GRU: u=z is the library's gate 1, r gate 0).
inline int lib_gate(Cell c, int g) {
    static const int gru_perm[3] = {1, 0, 2};
    return c == Cell::gru ? gru_perm[g] : g;
}

inline float *ptr(const dnnl::memory &m) { return static_cast<float *>(m.get_data_handle()); }

inline double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

} // namespace peer

#endif
