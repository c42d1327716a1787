// onednn_rnn.cpp — peer benchmark: oneDNN's RNN primitives on the rnnbptt-bench workload.
//
// Legend: T steps, B batch, I input, H hidden, G gates (1 vanilla, 4 LSTM, 3 GRU).
// Workload (the same as rnnbptt-bench): ONE unidirectional layer, float32, time-major x (T,B,I);
// forward_training over all T steps from a given h0 (and c0 for LSTM), writing h (T,B,H) and the
// workspace; then backward from dL/dh for every step (diff_dst_layer, no dL/dh_T from beyond the
// window), producing the weight and bias gradients, dx (diff_src_layer) and dh0 (diff_src_iter;
// LSTM also dc0). Cells: tanh, relu (vanilla_rnn), lstm (i,f,g,o — PyTorch's order) and gru
// (lbr_gru: "linear before reset", the PyTorch/cuDNN form; oneDNN's gate order u(z),r,n is mapped
// from the library's r,z,n when the weights are converted).
//
// Timed: one forward execute + stream wait, then one backward execute + stream wait, per rep.
// Not timed (one-time setup a framework caches): primitive creation, memory allocation (the
// scratchpad is user-mode, allocated once), the conversion of the library-layout parameters to
// ldigo/ldgo and the reorders to the layouts the forward and backward primitives choose.
// Weight gradients come out directly in ldigo/ldgo (requested, no reorder) and, as in oneDNN and
// in rnnbptt, they accumulate across reps.
//
// Threads: Debian's libdnnl is built with the OpenMP runtime (libgomp; see `ldd`), so --threads N
// calls omp_set_num_threads(N) before any primitive is created (OMP_NUM_THREADS=N in the
// environment does the same). The libgomp wait policy is left at its default: under
// OMP_WAIT_POLICY=PASSIVE oneDNN's per-step barriers become futex waits and it runs 10–40× slower
// at B = 1 on 2 cores.
//
// Build: g++ -O2 -std=c++17 -fopenmp onednn_rnn.cpp -ldnnl -o onednn_rnn   (or `make` here)
// Usage: onednn_rnn --cell tanh[,relu,lstm,gru] --points T/B/I/H[,...] --threads N --reps R
//                   --warmup W [--seconds S] [--csv FILE] [--peak GFLOPS]
//        onednn_rnn --check DIR --cell C --points T/B/I/H   (validation; see check_peers.py)
// CSV columns are rnnbptt-bench's: impl,cell,T,B,I,H,threads,fwd_ms,bwd_ms,total_ms,
// total_best_ms,gflops,pct_peak,tokens_per_s,bytes (impl=onednn; *_ms medians; gflops from
// rnnbptt-bench's FLOP formula below, at the median total; pct_peak only with --peak, else empty;
// bytes = h + workspace + the larger of the forward/backward scratchpads).
// FLOPs (R = T·B): forward 2·R·G·H·(I + H) + e_f·R·H, backward 4·R·G·H·(I + H) + e_b·R·H
// (weight gradients, dx and dh0), e_f/e_b = 0/0 tanh and relu, 9/24 LSTM, 11/17 GRU.
// Reps: --warmup untimed, then at least --reps timed and more until --seconds have been spent.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
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

struct Point {
    int T, B, I, H;
};

// rnnbptt-bench's count of one forward + backward (see the file comment).
double flops(Cell c, const Point &p) {
    const double R = (double)p.T * p.B, G = gates(c), H = p.H, I = p.I;
    const double elementwise = c == Cell::lstm ? 9 + 24 : c == Cell::gru ? 11 + 17 : 0;
    return 6.0 * R * G * H * (I + H) + elementwise * R * H;
}

// Floats in the library's flat parameter vector (include/rnnbptt.h):
// W_x (G·H, I) | W_h (G·H, H) | b (G·H) | GRU only: b_h (G·H).
size_t lib_param_count(Cell c, const Point &p) {
    size_t G = gates(c), H = p.H, I = p.I;
    return G * H * I + G * H * H + G * H * (c == Cell::gru ? 2 : 1);
}

// The layer with its primitives and memories, built once per (cell, point).
struct Layer {
    Layer(Cell c, const Point &pt) : cell(c), p(pt), eng(dnnl::engine::kind::cpu, 0), strm(eng) {}
    Cell cell;
    Point p;
    dnnl::engine eng;
    dnnl::stream strm;
    dnnl::primitive fwd, bwd;
    std::unordered_map<int, memory> fwd_args, bwd_args;
    memory x, h0, c0, h, dh, dx, dh0, dc0, dwl, dwi, dbias, ws;
    memory wl_user, wi_user, bias_user; // ldigo / ldgo, converted from the library layout
    size_t bytes = 0;
};

memory::desc md3(int a, int b, int c) { return memory::desc({a, b, c}, dt::f32, tag::tnc); }
memory::desc md_state(const Point &p) { return memory::desc({1, 1, p.B, p.H}, dt::f32, tag::ldnc); }


// Library layout -> oneDNN ldigo weights and ldgo bias (GRU: 4 biases u, r, n, and b_hn).
void convert_params(Layer &L, const float *params) {
    const Cell c = L.cell;
    const int G = gates(c), H = L.p.H, I = L.p.I;
    const float *Wx = params, *Wh = params + (size_t)G * H * I, *b = Wh + (size_t)G * H * H;
    const float *bh = c == Cell::gru ? b + (size_t)G * H : nullptr;
    float *wl = ptr(L.wl_user), *wi = ptr(L.wi_user), *bias = ptr(L.bias_user);
    for (int g = 0; g < G; g++) {
        const int lg = lib_gate(c, g);
        for (int o = 0; o < H; o++) {
            const size_t row = (size_t)lg * H + o;
            for (int i = 0; i < I; i++) wl[((size_t)i * G + g) * H + o] = Wx[row * I + i];
            for (int i = 0; i < H; i++) wi[((size_t)i * G + g) * H + o] = Wh[row * H + i];
            bias[(size_t)g * H + o] = b[row] + (bh && g < 2 ? bh[row] : 0.0f);
        }
    }
    if (bh)
        for (int o = 0; o < H; o++) bias[(size_t)3 * H + o] = bh[2 * H + o];
}

// oneDNN ldigo/ldgo gradients -> the library layout (dparams, overwritten).
void gradients_to_lib(const Layer &L, float *dparams) {
    const Cell c = L.cell;
    const int G = gates(c), H = L.p.H, I = L.p.I;
    float *dWx = dparams, *dWh = dparams + (size_t)G * H * I, *db = dWh + (size_t)G * H * H;
    float *dbh = c == Cell::gru ? db + (size_t)G * H : nullptr;
    const float *dwl = ptr(L.dwl), *dwi = ptr(L.dwi), *dbias = ptr(L.dbias);
    for (int g = 0; g < G; g++) {
        const int lg = lib_gate(c, g);
        for (int o = 0; o < H; o++) {
            const size_t row = (size_t)lg * H + o;
            for (int i = 0; i < I; i++) dWx[row * I + i] = dwl[((size_t)i * G + g) * H + o];
            for (int i = 0; i < H; i++) dWh[row * H + i] = dwi[((size_t)i * G + g) * H + o];
            db[row] = dbias[(size_t)g * H + o];
            if (dbh) dbh[row] = g < 2 ? dbias[(size_t)g * H + o] : dbias[(size_t)3 * H + o];
        }
    }
}

// Creates both primitives and every memory; weights are converted and reordered here.
void build(Layer &L, const float *params) {
    const Point &p = L.p;
    const Cell c = L.cell;
    const int G = gates(c), Gb = c == Cell::gru ? 4 : G;
    const auto fwd_kind = dnnl::prop_kind::forward_training;
    const auto dir = dnnl::rnn_direction::unidirectional_left2right;
    const memory::desc src = md3(p.T, p.B, p.I), dst = md3(p.T, p.B, p.H), st = md_state(p);
    const memory::desc none;
    const memory::desc wl_any({1, 1, p.I, G, p.H}, dt::f32, tag::any);
    const memory::desc wi_any({1, 1, p.H, G, p.H}, dt::f32, tag::any);
    const memory::desc wl_user({1, 1, p.I, G, p.H}, dt::f32, tag::ldigo);
    const memory::desc wi_user({1, 1, p.H, G, p.H}, dt::f32, tag::ldigo);
    const memory::desc bias({1, 1, Gb, p.H}, dt::f32, tag::ldgo);
    const memory::desc cst = c == Cell::lstm ? st : none;
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

    dnnl::rnn_primitive_desc_base fpd, bpd;
    switch (c) {
    case Cell::tanh:
    case Cell::relu: {
        const auto act = c == Cell::tanh ? dnnl::algorithm::eltwise_tanh : dnnl::algorithm::eltwise_relu;
        dnnl::vanilla_rnn_forward::desc fd(fwd_kind, act, dir, src, st, wl_any, wi_any, bias, dst, none);
        dnnl::vanilla_rnn_forward::primitive_desc f(fd, attr, L.eng);
        dnnl::vanilla_rnn_backward::desc bd(dnnl::prop_kind::backward, act, dir, src, st, wl_any, wi_any,
                                            bias, dst, none, src, st, wl_user, wi_user, bias, dst, none);
        dnnl::vanilla_rnn_backward::primitive_desc b(bd, attr, L.eng, f);
        L.fwd = dnnl::vanilla_rnn_forward(f);
        L.bwd = dnnl::vanilla_rnn_backward(b);
        fpd = f;
        bpd = b;
        break;
    }
    case Cell::lstm: {
        dnnl::lstm_forward::desc fd(fwd_kind, dir, src, st, cst, wl_any, wi_any, bias, dst, none, none);
        dnnl::lstm_forward::primitive_desc f(fd, attr, L.eng);
        dnnl::lstm_backward::desc bd(dnnl::prop_kind::backward, dir, src, st, cst, wl_any, wi_any, bias,
                                     dst, none, none, src, st, cst, wl_user, wi_user, bias, dst, none,
                                     none);
        dnnl::lstm_backward::primitive_desc b(bd, attr, L.eng, f);
        L.fwd = dnnl::lstm_forward(f);
        L.bwd = dnnl::lstm_backward(b);
        fpd = f;
        bpd = b;
        break;
    }
    case Cell::gru: {
        dnnl::lbr_gru_forward::desc fd(fwd_kind, dir, src, st, wl_any, wi_any, bias, dst, none);
        dnnl::lbr_gru_forward::primitive_desc f(fd, attr, L.eng);
        dnnl::lbr_gru_backward::desc bd(dnnl::prop_kind::backward, dir, src, st, wl_any, wi_any, bias, dst,
                                        none, src, st, wl_user, wi_user, bias, dst, none);
        dnnl::lbr_gru_backward::primitive_desc b(bd, attr, L.eng, f);
        L.fwd = dnnl::lbr_gru_forward(f);
        L.bwd = dnnl::lbr_gru_backward(b);
        fpd = f;
        bpd = b;
        break;
    }
    }

    auto arg_md = [](const dnnl::rnn_primitive_desc_base &pd, int arg) {
        return pd.query_md(dnnl::query::exec_arg_md, arg);
    };
    L.x = memory(src, L.eng);
    L.h0 = memory(st, L.eng);
    L.h = memory(dst, L.eng);
    L.dh = memory(dst, L.eng);
    L.dx = memory(src, L.eng);
    L.dh0 = memory(st, L.eng);
    L.dwl = memory(wl_user, L.eng);
    L.dwi = memory(wi_user, L.eng);
    L.dbias = memory(bias, L.eng);
    L.wl_user = memory(wl_user, L.eng);
    L.wi_user = memory(wi_user, L.eng);
    L.bias_user = memory(bias, L.eng);
    L.ws = memory(fpd.workspace_desc(), L.eng);
    memory fscratch(fpd.scratchpad_desc(), L.eng), bscratch(bpd.scratchpad_desc(), L.eng);
    memory fwl(arg_md(fpd, DNNL_ARG_WEIGHTS_LAYER), L.eng), fwi(arg_md(fpd, DNNL_ARG_WEIGHTS_ITER), L.eng);
    memory bwl(arg_md(bpd, DNNL_ARG_WEIGHTS_LAYER), L.eng), bwi(arg_md(bpd, DNNL_ARG_WEIGHTS_ITER), L.eng);

    convert_params(L, params);
    dnnl::reorder(L.wl_user, fwl).execute(L.strm, L.wl_user, fwl);
    dnnl::reorder(L.wi_user, fwi).execute(L.strm, L.wi_user, fwi);
    dnnl::reorder(L.wl_user, bwl).execute(L.strm, L.wl_user, bwl);
    dnnl::reorder(L.wi_user, bwi).execute(L.strm, L.wi_user, bwi);
    L.strm.wait();
    std::memset(ptr(L.dwl), 0, L.dwl.get_desc().get_size());
    std::memset(ptr(L.dwi), 0, L.dwi.get_desc().get_size());
    std::memset(ptr(L.dbias), 0, L.dbias.get_desc().get_size());

    L.fwd_args = {{DNNL_ARG_SRC_LAYER, L.x},       {DNNL_ARG_SRC_ITER, L.h0},
                  {DNNL_ARG_WEIGHTS_LAYER, fwl},   {DNNL_ARG_WEIGHTS_ITER, fwi},
                  {DNNL_ARG_BIAS, L.bias_user},    {DNNL_ARG_DST_LAYER, L.h},
                  {DNNL_ARG_WORKSPACE, L.ws},      {DNNL_ARG_SCRATCHPAD, fscratch}};
    L.bwd_args = {{DNNL_ARG_SRC_LAYER, L.x},
                  {DNNL_ARG_SRC_ITER, L.h0},
                  {DNNL_ARG_WEIGHTS_LAYER, bwl},
                  {DNNL_ARG_WEIGHTS_ITER, bwi},
                  {DNNL_ARG_BIAS, L.bias_user},
                  {DNNL_ARG_DST_LAYER, L.h},
                  {DNNL_ARG_DIFF_DST_LAYER, L.dh},
                  {DNNL_ARG_WORKSPACE, L.ws},
                  {DNNL_ARG_DIFF_SRC_LAYER, L.dx},
                  {DNNL_ARG_DIFF_SRC_ITER, L.dh0},
                  {DNNL_ARG_DIFF_WEIGHTS_LAYER, L.dwl},
                  {DNNL_ARG_DIFF_WEIGHTS_ITER, L.dwi},
                  {DNNL_ARG_DIFF_BIAS, L.dbias},
                  {DNNL_ARG_SCRATCHPAD, bscratch}};
    if (c == Cell::lstm) {
        L.c0 = memory(st, L.eng);
        L.dc0 = memory(st, L.eng);
        L.fwd_args[DNNL_ARG_SRC_ITER_C] = L.c0;
        L.bwd_args[DNNL_ARG_SRC_ITER_C] = L.c0;
        L.bwd_args[DNNL_ARG_DIFF_SRC_ITER_C] = L.dc0;
    }
    L.bytes = dst.get_size() + fpd.workspace_desc().get_size() +
              std::max(fpd.scratchpad_desc().get_size(), bpd.scratchpad_desc().get_size());
}

void run_fwd(Layer &L) {
    L.fwd.execute(L.strm, L.fwd_args);
    L.strm.wait();
}

void run_bwd(Layer &L) {
    L.bwd.execute(L.strm, L.bwd_args);
    L.strm.wait();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void fill_uniform(std::mt19937 &rng, float *a, size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> u(lo, hi);
    for (size_t i = 0; i < n; i++) a[i] = u(rng);
}

[[noreturn]] void usage(const char *msg) {
    std::fprintf(stderr,
                 "onednn_rnn: %s\nusage: onednn_rnn --cell tanh[,relu,lstm,gru] --points T/B/I/H[,...] "
                 "[--threads N] [--reps R] [--warmup W] [--seconds S] [--csv FILE] [--peak GFLOPS]\n"
                 "       onednn_rnn --check DIR --cell C --points T/B/I/H\n",
                 msg);
    std::exit(2);
}

std::vector<std::string> split(const std::string &s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep))
        if (!item.empty()) out.push_back(item);
    return out;
}

Cell parse_cell(const std::string &s) {
    if (s == "tanh") return Cell::tanh;
    if (s == "relu") return Cell::relu;
    if (s == "lstm") return Cell::lstm;
    if (s == "gru") return Cell::gru;
    usage(("unknown cell '" + s + "'").c_str());
}

Point parse_point(const std::string &s) {
    Point p{};
    char tail;
    if (std::sscanf(s.c_str(), "%d/%d/%d/%d%c", &p.T, &p.B, &p.I, &p.H, &tail) != 4 || p.T < 1 ||
        p.B < 1 || p.I < 1 || p.H < 1)
        usage(("bad point '" + s + "' (want T/B/I/H)").c_str());
    return p;
}

void read_file(const std::string &path, float *dst, size_t n) {
    std::ifstream f(path, std::ios::binary);
    if (!f.read(reinterpret_cast<char *>(dst), (std::streamsize)(n * sizeof(float))))
        throw std::runtime_error("cannot read " + std::to_string(n) + " floats from " + path);
}

void write_file(const std::string &path, const float *src, size_t n) {
    std::ofstream f(path, std::ios::binary);
    if (!f.write(reinterpret_cast<const char *>(src), (std::streamsize)(n * sizeof(float))))
        throw std::runtime_error("cannot write " + path);
}

// Validation: inputs in the library's layouts from DIR (params, x, h0, c0, dh .f32), one forward
// and one backward from zeroed gradients, outputs written back in the library's layouts.
void check(const std::string &dir, Cell c, const Point &p) {
    Layer L(c, p);
    const size_t np = lib_param_count(c, p), nx = (size_t)p.T * p.B * p.I;
    const size_t nh = (size_t)p.T * p.B * p.H, ns = (size_t)p.B * p.H;
    std::vector<float> params(np), dparams(np);
    read_file(dir + "/params.f32", params.data(), np);
    build(L, params.data());
    read_file(dir + "/x.f32", ptr(L.x), nx);
    read_file(dir + "/h0.f32", ptr(L.h0), ns);
    read_file(dir + "/dh.f32", ptr(L.dh), nh);
    if (c == Cell::lstm) read_file(dir + "/c0.f32", ptr(L.c0), ns);
    run_fwd(L);
    run_bwd(L);
    gradients_to_lib(L, dparams.data());
    write_file(dir + "/onednn_h.f32", ptr(L.h), nh);
    write_file(dir + "/onednn_dx.f32", ptr(L.dx), nx);
    write_file(dir + "/onednn_dh0.f32", ptr(L.dh0), ns);
    write_file(dir + "/onednn_dparams.f32", dparams.data(), np);
    if (c == Cell::lstm) write_file(dir + "/onednn_dc0.f32", ptr(L.dc0), ns);
}

const char *isa_name(dnnl::cpu_isa isa) {
    switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
    }
}

} // namespace

int main(int argc, char **argv) {
    std::vector<Cell> cells;
    std::vector<Point> points;
    int threads = 0, reps = 10, warmup = 2;
    double peak = 0.0, seconds = 0.2;
    std::string csv, check_dir;
    for (int a = 1; a < argc; a++) {
        const std::string opt = argv[a];
        if (a + 1 >= argc) usage(("missing value for " + opt).c_str());
        const std::string val = argv[++a];
        if (opt == "--cell")
            for (auto &s : split(val, ',')) cells.push_back(parse_cell(s));
        else if (opt == "--points")
            for (auto &s : split(val, ',')) points.push_back(parse_point(s));
        else if (opt == "--threads") threads = std::atoi(val.c_str());
        else if (opt == "--reps") reps = std::atoi(val.c_str());
        else if (opt == "--warmup") warmup = std::atoi(val.c_str());
        else if (opt == "--csv") csv = val;
        else if (opt == "--peak") peak = std::atof(val.c_str());
        else if (opt == "--seconds") seconds = std::atof(val.c_str());
        else if (opt == "--check") check_dir = val;
        else if (opt == "--impl") {
            if (val != "onednn") usage("this program only runs --impl onednn");
        } else usage(("unknown option " + opt).c_str());
    }
    if (cells.empty()) cells.push_back(Cell::tanh);
    if (points.empty()) usage("--points is required");
    if (reps < 1 || warmup < 0 || seconds < 0) usage("--reps must be >= 1, --warmup and --seconds >= 0");
    if (threads > 0) omp_set_num_threads(threads);
    threads = omp_get_max_threads();

    try {
        if (!check_dir.empty()) {
            check(check_dir, cells[0], points[0]);
            return 0;
        }
        const dnnl_version_t *v = dnnl_version();
        std::fprintf(stderr, "onednn_rnn: oneDNN %d.%d.%d, CPU runtime OpenMP, %d threads, ISA %s\n",
                     v->major, v->minor, v->patch, threads, isa_name(dnnl::get_effective_cpu_isa()));
        FILE *out = nullptr;
        if (!csv.empty()) {
            out = std::fopen(csv.c_str(), "w");
            if (!out) throw std::runtime_error("cannot open " + csv);
            std::fprintf(out, "impl,cell,T,B,I,H,threads,fwd_ms,bwd_ms,total_ms,total_best_ms,gflops,"
                              "pct_peak,tokens_per_s,bytes\n");
        }
        std::printf("%-7s %-5s %5s %4s %5s %5s %3s %10s %10s %10s %10s %8s %6s %12s %12s\n", "impl",
                    "cell", "T", "B", "I", "H", "thr", "fwd_ms", "bwd_ms", "total_ms", "best_ms",
                    "gflops", "%peak", "tokens/s", "bytes");
        std::mt19937 rng(12345);
        for (Cell c : cells)
            for (const Point &p : points) {
                std::fprintf(stderr, "onednn_rnn: %s %d/%d/%d/%d\n", cell_name(c), p.T, p.B, p.I, p.H);
                Layer L(c, p);
                const float k = 1.0f / std::sqrt((float)p.H);
                std::vector<float> params(lib_param_count(c, p));
                fill_uniform(rng, params.data(), params.size(), -k, k);
                build(L, params.data());
                fill_uniform(rng, ptr(L.x), (size_t)p.T * p.B * p.I, -1.0f, 1.0f);
                fill_uniform(rng, ptr(L.h0), (size_t)p.B * p.H, -1.0f, 1.0f);
                fill_uniform(rng, ptr(L.dh), (size_t)p.T * p.B * p.H, -1.0f, 1.0f);
                if (c == Cell::lstm) fill_uniform(rng, ptr(L.c0), (size_t)p.B * p.H, -1.0f, 1.0f);

                for (int r = 0; r < warmup; r++) {
                    run_fwd(L);
                    run_bwd(L);
                }
                std::vector<double> tf, tb, tt;
                const double start = now_ms();
                while ((int)tt.size() < reps || now_ms() - start < 1e3 * seconds) {
                    const double t0 = now_ms();
                    run_fwd(L);
                    const double t1 = now_ms();
                    run_bwd(L);
                    const double t2 = now_ms();
                    tf.push_back(t1 - t0);
                    tb.push_back(t2 - t1);
                    tt.push_back(t2 - t0);
                }
                const double fwd = median(tf), bwd = median(tb), total = median(tt);
                const double best = *std::min_element(tt.begin(), tt.end());
                const double gflops = flops(c, p) / (total * 1e6);
                const double tokens = (double)p.T * p.B / (total * 1e-3);
                char pct[32] = "";
                if (peak > 0) std::snprintf(pct, sizeof pct, "%.1f", 100.0 * gflops / peak);
                std::printf("%-7s %-5s %5d %4d %5d %5d %3d %10.3f %10.3f %10.3f %10.3f %8.1f %6s %12.0f %12zu\n",
                            "onednn", cell_name(c), p.T, p.B, p.I, p.H, threads, fwd, bwd, total, best,
                            gflops, pct, tokens, L.bytes);
                if (out)
                    std::fprintf(out, "onednn,%s,%d,%d,%d,%d,%d,%.4f,%.4f,%.4f,%.4f,%.2f,%s,%.0f,%zu\n",
                                 cell_name(c), p.T, p.B, p.I, p.H, threads, fwd, bwd, total, best, gflops,
                                 pct, tokens, L.bytes);
            }
        if (out) std::fclose(out);
    } catch (const dnnl::error &e) {
        std::fprintf(stderr, "onednn_rnn: oneDNN error %d: %s\n", (int)e.status, e.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "onednn_rnn: %s\n", e.what());
        return 1;
    }
    return 0;
}
