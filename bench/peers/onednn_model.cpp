// onednn_model.cpp — peer of rnnbptt-bench --model: one oneDNN training step of a stacked model.
//
// Legend: L layers, D = 1 + bidirectional, T steps, B batch, I input, H hidden, O head outputs,
// G gates (1 vanilla, 4 LSTM, 3 GRU), R = T·B rows.
// Workload (the same as rnnbptt-bench --model): L layers chained as ONE primitive per layer —
// vanilla_rnn / lstm / lbr_gru, unidirectional_left2right, or bidirectional_concat so that a
// layer's output is [forward h_t, reverse h_t] (2H) and the next layer reads all of it, as
// PyTorch's (oneDNN's own multi-layer bidirectional primitive runs two independent stacks, layer
// l+1 reading only its direction's H outputs: a different, cheaper model). Initial states are
// explicit zeros (with a NULL src_iter oneDNN 2.6.3 computes a wrong dW_hh for unidirectional
// tanh and LSTM layers). Then the head y = h·W_yᵀ + b_y over all R rows (dnnl_sgemm, oneDNN's
// own GEMM) and the summed MSE loss ½ Σ (y − target)²; backward: dW_y, db_y, dh = dy·W_y
// (dnnl_sgemm), then each layer's backward primitive from the top, its diff_src_layer being the
// diff_dst_layer of the layer below (the first layer's diff_src_layer is computed too: the
// primitive has no way to skip it).
//
// Timed per rep: forward (every layer's forward_training execute, the head, the loss) and
// backward (the head's gradients, every layer's backward execute), each ending with a stream
// wait. Not timed (a framework's one-time setup): primitive creation, memory (user-mode
// scratchpads), the parameter conversion and the reorders to the primitives' weight layouts.
// Weight gradients accumulate across reps, as in rnnbptt.
//
// Parameters, x and targets are filled as rnnbptt-bench --model fills its model (bench/common.h
// golden()): element k of the library's flat parameter buffer is golden(k, 1, 1/√H) and is
// converted to ldigo/ldgo per layer and direction (gate order as in onednn_rnn.cpp), x[k] =
// golden(k, 2, 1), target[k] = golden(k, 3, 1): the loss column equals the bench's.
// Threads: omp_set_num_threads(--threads), libgomp's default wait policy (see onednn_rnn.cpp).
// CSV columns are rnnbptt-bench --model's: impl,cell,layers,bidirectional,T,B,I,H,O,threads,
// fwd_ms,bwd_ms,total_ms,total_best_ms,gflops,pct_peak,tokens_per_s,bytes,loss (gflops from the
// same FLOP formula; bytes = outputs, workspaces and scratchpads of every layer).
// Build: g++ -O2 -std=c++17 -fopenmp onednn_model.cpp -ldnnl -o onednn_model   (or `make`)
// Usage: onednn_model --cell C --layers L --bidirectional 0|1 --points T/B/I/H[,...] --threads N
//                     [--O 16] [--reps 5] [--warmup 1] [--seconds 0] [--csv FILE] [--peak GFLOPS]
//                     [--dump FILE]   (one step from zero gradients at the single point: the
//                                      gradients in the library's flat layout, float32)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "onednn_common.h"

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

using namespace peer;

struct Model {
    Cell cell;
    int L, D, T, B, I, H, O;
};

// rnnbptt-bench --model's count (bench/common.c model_flops).
double model_flops(const Model &m) {
    const double R = (double)m.T * m.B, G = gates(m.cell), H = m.H;
    const double ew = m.cell == Cell::lstm ? 9 + 24 : m.cell == Cell::gru ? 11 + 17 : 0;
    double f = 0;
    for (int l = 0; l < m.L; l++) {
        const double Il = l ? (double)m.D * m.H : m.I;
        f += m.D * (6.0 * R * G * H * (Il + H) + ew * R * H);
    }
    return f - m.D * 2.0 * R * G * H * m.I + 6.0 * R * m.O * m.D * H;
}

float golden(size_t k, int salt, double scale) {
    const double u = std::fmod((double)k * 0.6180339887498949 + salt * 0.1234567, 1.0);
    return (float)(scale * (2.0 * u - 1.0));
}

// Floats of one layer and direction in the library's flat layout: W_x, W_h, b (, b_h for GRU).
size_t lib_count(Cell c, size_t Il, size_t H) {
    const size_t G = gates(c);
    return G * H * Il + G * H * H + G * H * (c == Cell::gru ? 2 : 1);
}


struct Layer {
    int Il = 0;
    size_t lib_off = 0; // the offset of direction 0's block in the library's flat buffer
    dnnl::primitive fwd, bwd;
    std::unordered_map<int, memory> fa, ba;
    memory src, dst, h0, c0, diff_dst, diff_src, dh0, dc0, dwl, dwi, dbias, wl, wi, bias;
};

struct Net {
    Model m;
    dnnl::engine eng{dnnl::engine::kind::cpu, 0};
    dnnl::stream strm{eng};
    std::vector<Layer> layers;
    memory x, top_grad;
    std::vector<float> Wy, by, dWy, dby, y, target;
    size_t head_off = 0, total = 0, bytes = 0;
};

memory::desc md3(int a, int b, int c) { return memory::desc({a, b, c}, dt::f32, tag::tnc); }

// Library layout (one layer, every direction) -> ldigo weights and ldgo bias.
void convert(const Net &n, const Layer &ly, const float *flat) {
    const Cell c = n.m.cell;
    const int G = gates(c), Gb = c == Cell::gru ? 4 : G, H = n.m.H, I = ly.Il;
    float *wl = ptr(ly.wl), *wi = ptr(ly.wi), *bias = ptr(ly.bias);
    for (int d = 0; d < n.m.D; d++) {
        const float *Wx = flat + ly.lib_off + d * lib_count(c, I, H);
        const float *Wh = Wx + (size_t)G * H * I, *b = Wh + (size_t)G * H * H;
        const float *bh = c == Cell::gru ? b + (size_t)G * H : nullptr;
        for (int g = 0; g < G; g++) {
            const int lg = lib_gate(c, g);
            for (int o = 0; o < H; o++) {
                const size_t row = (size_t)lg * H + o;
                for (int i = 0; i < I; i++) wl[(((size_t)d * I + i) * G + g) * H + o] = Wx[row * I + i];
                for (int i = 0; i < H; i++) wi[(((size_t)d * H + i) * G + g) * H + o] = Wh[row * H + i];
                bias[((size_t)d * Gb + g) * H + o] = b[row] + (bh && g < 2 ? bh[row] : 0.0f);
            }
        }
        if (bh)
            for (int o = 0; o < H; o++) bias[((size_t)d * Gb + 3) * H + o] = bh[2 * H + o];
    }
}

// ldigo/ldgo gradients of one layer -> the library's flat layout.
void gradients_to_lib(const Net &n, const Layer &ly, float *flat) {
    const Cell c = n.m.cell;
    const int G = gates(c), Gb = c == Cell::gru ? 4 : G, H = n.m.H, I = ly.Il;
    const float *dwl = ptr(ly.dwl), *dwi = ptr(ly.dwi), *db = ptr(ly.dbias);
    for (int d = 0; d < n.m.D; d++) {
        float *dWx = flat + ly.lib_off + d * lib_count(c, I, H);
        float *dWh = dWx + (size_t)G * H * I, *dB = dWh + (size_t)G * H * H;
        float *dBh = c == Cell::gru ? dB + (size_t)G * H : nullptr;
        for (int g = 0; g < G; g++) {
            const int lg = lib_gate(c, g);
            for (int o = 0; o < H; o++) {
                const size_t row = (size_t)lg * H + o;
                for (int i = 0; i < I; i++) dWx[row * I + i] = dwl[(((size_t)d * I + i) * G + g) * H + o];
                for (int i = 0; i < H; i++) dWh[row * H + i] = dwi[(((size_t)d * H + i) * G + g) * H + o];
                dB[row] = db[((size_t)d * Gb + g) * H + o];
                if (dBh) dBh[row] = db[((size_t)d * Gb + (g < 2 ? g : 3)) * H + o];
            }
        }
    }
}

void zero(const memory &m) { std::memset(m.get_data_handle(), 0, m.get_desc().get_size()); }

// The primitives of layer l, reading `src` (T,B,Il) and writing a new dst (T,B,D·H); its
// backward writes dsrc, the diff_dst of the layer below (or a new memory for the first layer).
void build_layer(Net &n, Layer &ly, const memory &src, const memory &dsrc,
                 const std::vector<float> &flat) {
    const Model &m = n.m;
    const Cell c = m.cell;
    const int G = gates(c), Gb = c == Cell::gru ? 4 : G;
    const auto dir = m.D == 2 ? dnnl::rnn_direction::bidirectional_concat
                              : dnnl::rnn_direction::unidirectional_left2right;
    const auto fk = dnnl::prop_kind::forward_training, bk = dnnl::prop_kind::backward;
    const memory::desc sd = md3(m.T, m.B, ly.Il), dd = md3(m.T, m.B, m.D * m.H);
    const memory::desc st({1, m.D, m.B, m.H}, dt::f32, tag::ldnc), none;
    const memory::desc wl_any({1, m.D, ly.Il, G, m.H}, dt::f32, tag::any);
    const memory::desc wi_any({1, m.D, m.H, G, m.H}, dt::f32, tag::any);
    const memory::desc wl_u({1, m.D, ly.Il, G, m.H}, dt::f32, tag::ldigo);
    const memory::desc wi_u({1, m.D, m.H, G, m.H}, dt::f32, tag::ldigo);
    const memory::desc bd({1, m.D, Gb, m.H}, dt::f32, tag::ldgo);
    const memory::desc cst = c == Cell::lstm ? st : none;
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::rnn_primitive_desc_base fpd, bpd;
    if (c == Cell::tanh || c == Cell::relu) {
        const auto act = c == Cell::tanh ? dnnl::algorithm::eltwise_tanh : dnnl::algorithm::eltwise_relu;
        dnnl::vanilla_rnn_forward::primitive_desc f(
            dnnl::vanilla_rnn_forward::desc(fk, act, dir, sd, st, wl_any, wi_any, bd, dd, none), attr, n.eng);
        dnnl::vanilla_rnn_backward::primitive_desc b(
            dnnl::vanilla_rnn_backward::desc(bk, act, dir, sd, st, wl_any, wi_any, bd, dd, none, sd, st,
                                             wl_u, wi_u, bd, dd, none),
            attr, n.eng, f);
        ly.fwd = dnnl::vanilla_rnn_forward(f), ly.bwd = dnnl::vanilla_rnn_backward(b), fpd = f, bpd = b;
    } else if (c == Cell::lstm) {
        dnnl::lstm_forward::primitive_desc f(
            dnnl::lstm_forward::desc(fk, dir, sd, st, cst, wl_any, wi_any, bd, dd, none, none), attr, n.eng);
        dnnl::lstm_backward::primitive_desc b(
            dnnl::lstm_backward::desc(bk, dir, sd, st, cst, wl_any, wi_any, bd, dd, none, none, sd, st, cst,
                                      wl_u, wi_u, bd, dd, none, none),
            attr, n.eng, f);
        ly.fwd = dnnl::lstm_forward(f), ly.bwd = dnnl::lstm_backward(b), fpd = f, bpd = b;
    } else {
        dnnl::lbr_gru_forward::primitive_desc f(
            dnnl::lbr_gru_forward::desc(fk, dir, sd, st, wl_any, wi_any, bd, dd, none), attr, n.eng);
        dnnl::lbr_gru_backward::primitive_desc b(
            dnnl::lbr_gru_backward::desc(bk, dir, sd, st, wl_any, wi_any, bd, dd, none, sd, st, wl_u, wi_u,
                                         bd, dd, none),
            attr, n.eng, f);
        ly.fwd = dnnl::lbr_gru_forward(f), ly.bwd = dnnl::lbr_gru_backward(b), fpd = f, bpd = b;
    }
    auto arg_md = [](const dnnl::rnn_primitive_desc_base &pd, int arg) {
        return pd.query_md(dnnl::query::exec_arg_md, arg);
    };
    ly.src = src;
    ly.dst = memory(dd, n.eng);
    ly.diff_dst = memory(dd, n.eng);
    ly.diff_src = dsrc ? dsrc : memory(sd, n.eng);
    ly.h0 = memory(st, n.eng), ly.dh0 = memory(st, n.eng);
    zero(ly.h0);
    ly.wl = memory(wl_u, n.eng), ly.wi = memory(wi_u, n.eng), ly.bias = memory(bd, n.eng);
    ly.dwl = memory(wl_u, n.eng), ly.dwi = memory(wi_u, n.eng), ly.dbias = memory(bd, n.eng);
    memory ws(fpd.workspace_desc(), n.eng);
    memory fs(fpd.scratchpad_desc(), n.eng), bs(bpd.scratchpad_desc(), n.eng);
    memory fwl(arg_md(fpd, DNNL_ARG_WEIGHTS_LAYER), n.eng), fwi(arg_md(fpd, DNNL_ARG_WEIGHTS_ITER), n.eng);
    memory bwl(arg_md(bpd, DNNL_ARG_WEIGHTS_LAYER), n.eng), bwi(arg_md(bpd, DNNL_ARG_WEIGHTS_ITER), n.eng);
    convert(n, ly, flat.data());
    dnnl::reorder(ly.wl, fwl).execute(n.strm, ly.wl, fwl);
    dnnl::reorder(ly.wi, fwi).execute(n.strm, ly.wi, fwi);
    dnnl::reorder(ly.wl, bwl).execute(n.strm, ly.wl, bwl);
    dnnl::reorder(ly.wi, bwi).execute(n.strm, ly.wi, bwi);
    n.strm.wait();
    zero(ly.dwl), zero(ly.dwi), zero(ly.dbias);
    ly.fa = {{DNNL_ARG_SRC_LAYER, ly.src}, {DNNL_ARG_SRC_ITER, ly.h0},   {DNNL_ARG_WEIGHTS_LAYER, fwl},
             {DNNL_ARG_WEIGHTS_ITER, fwi}, {DNNL_ARG_BIAS, ly.bias},     {DNNL_ARG_DST_LAYER, ly.dst},
             {DNNL_ARG_WORKSPACE, ws},     {DNNL_ARG_SCRATCHPAD, fs}};
    ly.ba = {{DNNL_ARG_SRC_LAYER, ly.src},           {DNNL_ARG_SRC_ITER, ly.h0},
             {DNNL_ARG_WEIGHTS_LAYER, bwl},          {DNNL_ARG_WEIGHTS_ITER, bwi},
             {DNNL_ARG_BIAS, ly.bias},               {DNNL_ARG_DST_LAYER, ly.dst},
             {DNNL_ARG_DIFF_DST_LAYER, ly.diff_dst}, {DNNL_ARG_WORKSPACE, ws},
             {DNNL_ARG_DIFF_SRC_LAYER, ly.diff_src}, {DNNL_ARG_DIFF_SRC_ITER, ly.dh0},
             {DNNL_ARG_DIFF_WEIGHTS_LAYER, ly.dwl},  {DNNL_ARG_DIFF_WEIGHTS_ITER, ly.dwi},
             {DNNL_ARG_DIFF_BIAS, ly.dbias},         {DNNL_ARG_SCRATCHPAD, bs}};
    if (c == Cell::lstm) {
        ly.c0 = memory(st, n.eng), ly.dc0 = memory(st, n.eng);
        zero(ly.c0);
        ly.fa[DNNL_ARG_SRC_ITER_C] = ly.c0;
        ly.ba[DNNL_ARG_SRC_ITER_C] = ly.c0;
        ly.ba[DNNL_ARG_DIFF_SRC_ITER_C] = ly.dc0;
    }
    n.bytes += dd.get_size() + fpd.workspace_desc().get_size() + fpd.scratchpad_desc().get_size() +
               bpd.scratchpad_desc().get_size();
}

void build(Net &n) {
    const Model &m = n.m;
    size_t off = 0;
    n.layers.resize(m.L);
    for (int l = 0; l < m.L; l++) {
        n.layers[l].Il = l ? m.D * m.H : m.I;
        n.layers[l].lib_off = off;
        off += m.D * lib_count(m.cell, n.layers[l].Il, m.H);
    }
    const size_t DH = (size_t)m.D * m.H, R = (size_t)m.T * m.B;
    n.head_off = off;
    n.total = off + m.O * DH + m.O;
    std::vector<float> flat(n.total);
    for (size_t k = 0; k < n.total; k++) flat[k] = golden(k, 1, 1.0 / std::sqrt((double)m.H));
    n.x = memory(md3(m.T, m.B, m.I), n.eng);
    for (size_t k = 0; k < R * m.I; k++) ptr(n.x)[k] = golden(k, 2, 1.0);
    for (int l = 0; l < m.L; l++)
        build_layer(n, n.layers[l], l ? n.layers[l - 1].dst : n.x,
                    l ? n.layers[l - 1].diff_dst : memory(), flat);
    n.Wy.assign(flat.begin() + off, flat.begin() + off + m.O * DH);
    n.by.assign(flat.begin() + off + m.O * DH, flat.end());
    n.dWy.assign(m.O * DH, 0.0f), n.dby.assign(m.O, 0.0f);
    n.y.assign(R * m.O, 0.0f), n.target.resize(R * m.O);
    for (size_t k = 0; k < R * m.O; k++) n.target[k] = golden(k, 3, 1.0);
}

void check(dnnl_status_t s) {
    if (s != dnnl_success) throw std::runtime_error("dnnl_sgemm failed");
}

// Forward through every layer, the head and the loss; returns the loss.
double forward(Net &n) {
    const Model &m = n.m;
    for (auto &ly : n.layers) ly.fwd.execute(n.strm, ly.fa);
    n.strm.wait();
    const dnnl_dim_t R = (dnnl_dim_t)m.T * m.B, DH = (dnnl_dim_t)m.D * m.H, O = m.O;
    const float *top = ptr(n.layers.back().dst);
    /* y = top · W_yᵀ   (R × DH) · (DH × O) */
    check(dnnl_sgemm('N', 'T', R, O, DH, 1.0f, top, DH, n.Wy.data(), DH, 0.0f, n.y.data(), O));
    double loss = 0.0;
    for (dnnl_dim_t r = 0; r < R; r++)
        for (dnnl_dim_t o = 0; o < O; o++) {
            float &v = n.y[r * O + o];
            v = v + n.by[o] - n.target[r * O + o]; // dy = y − target, kept in y
            loss += 0.5 * (double)v * v;
        }
    return loss;
}

// The head's gradients, then every layer's backward from the top.
void backward(Net &n) {
    const Model &m = n.m;
    const dnnl_dim_t R = (dnnl_dim_t)m.T * m.B, DH = (dnnl_dim_t)m.D * m.H, O = m.O;
    const float *top = ptr(n.layers.back().dst), *dy = n.y.data();
    /* dW_y += dyᵀ · top   (O × R) · (R × DH) */
    check(dnnl_sgemm('T', 'N', O, DH, R, 1.0f, dy, O, top, DH, 1.0f, n.dWy.data(), DH));
    for (dnnl_dim_t r = 0; r < R; r++)
        for (dnnl_dim_t o = 0; o < O; o++) n.dby[o] += dy[r * O + o];
    /* dtop = dy · W_y   (R × O) · (O × DH) */
    check(dnnl_sgemm('N', 'N', R, DH, O, 1.0f, dy, O, n.Wy.data(), DH, 0.0f,
                     ptr(n.layers.back().diff_dst), DH));
    for (int l = m.L - 1; l >= 0; l--) // layer l's diff_src is the diff_dst of layer l − 1
        n.layers[l].bwd.execute(n.strm, n.layers[l].ba);
    n.strm.wait();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t k = v.size();
    return k % 2 ? v[k / 2] : 0.5 * (v[k / 2 - 1] + v[k / 2]);
}

[[noreturn]] void usage(const std::string &msg) {
    std::fprintf(stderr,
                 "onednn_model: %s\nusage: onednn_model --cell C --layers L --bidirectional 0|1 "
                 "--points T/B/I/H[,...] [--threads N] [--O 16] [--reps 5] [--warmup 1] [--seconds 0] "
                 "[--csv FILE] [--peak GFLOPS] [--dump FILE]\n",
                 msg.c_str());
    std::exit(2);
}

} // namespace

int main(int argc, char **argv) {
    Cell cell = Cell::tanh;
    int L = 2, D = 1, O = 16, threads = 0, reps = 5, warmup = 1;
    double peak = 0.0, seconds = 0.0;
    std::string csv, dump, points;
    for (int a = 1; a < argc; a++) {
        const std::string opt = argv[a];
        if (a + 1 >= argc) usage("missing value for " + opt);
        const std::string v = argv[++a];
        if (opt == "--cell") {
            if (v == "tanh") cell = Cell::tanh;
            else if (v == "relu") cell = Cell::relu;
            else if (v == "lstm") cell = Cell::lstm;
            else if (v == "gru") cell = Cell::gru;
            else usage("unknown cell '" + v + "'");
        } else if (opt == "--layers") L = std::atoi(v.c_str());
        else if (opt == "--bidirectional") D = 1 + std::atoi(v.c_str());
        else if (opt == "--points") points = v;
        else if (opt == "--O") O = std::atoi(v.c_str());
        else if (opt == "--threads") threads = std::atoi(v.c_str());
        else if (opt == "--reps") reps = std::atoi(v.c_str());
        else if (opt == "--warmup") warmup = std::atoi(v.c_str());
        else if (opt == "--seconds") seconds = std::atof(v.c_str());
        else if (opt == "--csv") csv = v;
        else if (opt == "--peak") peak = std::atof(v.c_str());
        else if (opt == "--dump") dump = v;
        else if (opt == "--impl") {
            if (v != "onednn") usage("this program only runs --impl onednn");
        } else usage("unknown option " + opt);
    }
    if (L < 1 || D < 1 || D > 2 || O < 1 || reps < 1 || warmup < 0 || points.empty())
        usage("--layers >= 1, --bidirectional 0 or 1, --O >= 1, --reps >= 1 and --points are required");
    if (threads > 0) omp_set_num_threads(threads);
    threads = omp_get_max_threads();
    std::vector<Model> models;
    std::stringstream ss(points);
    for (std::string s; std::getline(ss, s, ',');) {
        Model m{cell, L, D, 0, 0, 0, 0, O};
        char tail;
        if (std::sscanf(s.c_str(), "%d/%d/%d/%d%c", &m.T, &m.B, &m.I, &m.H, &tail) != 4 || m.T < 1 ||
            m.B < 1 || m.I < 1 || m.H < 1)
            usage("bad point '" + s + "' (want T/B/I/H)");
        models.push_back(m);
    }
    try {
        const dnnl_version_t *ver = dnnl_version();
        std::fprintf(stderr, "onednn_model: oneDNN %d.%d.%d, OpenMP, %d threads\n", ver->major, ver->minor,
                     ver->patch, threads);
        FILE *out = csv.empty() ? nullptr : std::fopen(csv.c_str(), "w");
        if (!csv.empty() && !out) throw std::runtime_error("cannot open " + csv);
        if (out)
            std::fprintf(out, "impl,cell,layers,bidirectional,T,B,I,H,O,threads,fwd_ms,bwd_ms,total_ms,"
                              "total_best_ms,gflops,pct_peak,tokens_per_s,bytes,loss\n");
        for (const Model &m : models) {
            auto n = std::make_unique<Net>();
            n->m = m;
            build(*n);
            double loss = 0.0;
            if (!dump.empty()) {
                loss = forward(*n);
                backward(*n);
                std::vector<float> g(n->total, 0.0f);
                for (auto &ly : n->layers) gradients_to_lib(*n, ly, g.data());
                std::copy(n->dWy.begin(), n->dWy.end(), g.begin() + n->head_off);
                std::copy(n->dby.begin(), n->dby.end(), g.begin() + n->head_off + n->dWy.size());
                FILE *f = std::fopen(dump.c_str(), "wb");
                if (!f || std::fwrite(g.data(), sizeof(float), g.size(), f) != g.size() || std::fclose(f))
                    throw std::runtime_error("cannot write " + dump);
            }
            for (int r = 0; r < warmup; r++) {
                loss = forward(*n);
                backward(*n);
            }
            std::vector<double> tf, tb, tt;
            const double start = now_ms();
            while ((int)tt.size() < reps || now_ms() - start < 1e3 * seconds) {
                const double t0 = now_ms();
                loss = forward(*n);
                const double t1 = now_ms();
                backward(*n);
                const double t2 = now_ms();
                tf.push_back(t1 - t0), tb.push_back(t2 - t1), tt.push_back(t2 - t0);
            }
            const double total = median(tt), best = *std::min_element(tt.begin(), tt.end());
            const double gflops = model_flops(m) / (total * 1e6);
            char pct[32] = "";
            if (peak > 0) std::snprintf(pct, sizeof pct, "%.1f", 100.0 * gflops / peak);
            char line[512];
            std::snprintf(line, sizeof line, "onednn,%s,%d,%d,%d,%d,%d,%d,%d,%d,%.4f,%.4f,%.4f,%.4f,%.2f,%s,%.0f,%zu,%.9g",
                          cell_name(m.cell), m.L, m.D - 1, m.T, m.B, m.I, m.H, m.O, threads, median(tf),
                          median(tb), total, best, gflops, pct, (double)m.T * m.B / (total * 1e-3), n->bytes,
                          loss);
            std::printf("%s\n", line);
            std::fflush(stdout);
            if (out) std::fprintf(out, "%s\n", line);
        }
        if (out) std::fclose(out);
    } catch (const dnnl::error &e) {
        std::fprintf(stderr, "onednn_model: oneDNN error %d: %s\n", (int)e.status, e.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "onednn_model: %s\n", e.what());
        return 1;
    }
    return 0;
}
