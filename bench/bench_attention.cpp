// Attention forward (and forward + backward) time against sequence length, one head of width
// d, for softmax and linear variants (docs/PERFORMANCE.md, "Attention variants"): the linear
// ones run in O(N), softmax in O(N²). Prints one JSON line per variant and length, with the
// ratio to softmax at the same length.
//   bench_attention [--variants softmax,linear_elu,...] [--lengths 256,512,...,8192] [--d 64]
//                   [--causal 1] [--backward 0] [--repeats 3] [--threads 1]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ridgeline/core/memory.h"
#include "ridgeline/attention/attention.h"
#include "ridgeline/core/backend.h"

using namespace ridgeline;
using namespace ridgeline::attention;

namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

MatrixF gaussian(int rows, int cols, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  MatrixF m(rows, cols);
  for (auto& x : m.data) x = n(g);
  return m;
}

template <class F>
double time_best(int repeats, F&& f) {
  f();  // warm-up
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  std::string variants = "softmax,linear_elu", lengths = "256,512,1024,2048,4096,8192";
  int d = 64, repeats = 3, threads = 1;
  bool causal = true, backward = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--variants")
      variants = v;
    else if (a == "--lengths")
      lengths = v;
    else if (a == "--d")
      d = std::stoi(v);
    else if (a == "--causal")
      causal = v != "0";
    else if (a == "--backward")
      backward = v != "0";
    else if (a == "--repeats")
      repeats = std::stoi(v);
    else if (a == "--threads")
      threads = std::stoi(v);
    else {
      std::fprintf(stderr, "bench_attention: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  set_host_threads(threads);
  std::map<int, double> softmax_seconds;
  for (const auto& name : split(variants)) {
    auto var = make_variant(name, d);
    for (const auto& ls : split(lengths)) {
      const int n = std::stoi(ls);
      const MatrixF Q = gaussian(n, d, 1), K = gaussian(n, d, 2), V = gaussian(n, d, 3),
                    dO = gaussian(n, d, 4);
      float sink = 0;
      const double fwd = time_best(repeats, [&] { sink += var->forward(Q, K, V, causal).data[0]; });
      double both = 0;
      if (backward)
        both = time_best(repeats, [&] {
          // As training runs it: the forward keeps what its backward reuses (attention.h).
          std::unique_ptr<ForwardState> kept;
          sink += var->forward_keeping(Q, K, V, causal, kept).data[0];
          sink += var->backward_kept(Q, K, V, causal, dO, kept.get()).dQ.data[0];
        });
      if (name == "softmax") softmax_seconds[n] = fwd;
      const auto soft = softmax_seconds.find(n);
      std::printf(
          "{\"bench\": \"attention\", \"impl\": \"ridgeline\", \"variant\": \"%s\", "
          "\"n\": %d, \"d\": %d, \"causal\": %s, \"threads\": %d, "
          "\"seconds_forward\": %.6f, \"seconds_forward_backward\": %s, "
          "\"softmax_over_this\": %s, \"check\": %.6g}\n",
          name.c_str(), n, d, causal ? "true" : "false", threads, fwd,
          backward ? std::to_string(both).c_str() : "null",
          soft != softmax_seconds.end() ? std::to_string(soft->second / fwd).c_str() : "null",
          static_cast<double>(sink));
      std::fflush(stdout);
    }
  }
  return 0;
}
