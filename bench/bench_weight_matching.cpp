// Weight matching of two MLP files: time to convergence (best of N), sweeps, objective.
// The same work as bench/wm_peer.py. Prints one JSON line.
//   bench_weight_matching A.safetensors B.safetensors [--repeats 3] [--seed 0]
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "ridgeline/core/memory.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"

using namespace ridgeline;

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_weight_matching A.safetensors B.safetensors [--repeats N]\n");
    return 2;
  }
  int repeats = 3;
  WeightMatchingConfig cfg;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) cfg.seed = std::stoull(argv[i + 1]);
  }
  const Mlp a = load_mlp(argv[1]), b = load_mlp(argv[2]);
  const Model ma = to_model(a), mb = to_model(b);
  double best = 1e30;
  AlignmentResult r;
  for (int k = 0; k < repeats; ++k) {
    r = weight_matching(ma, mb, cfg);
    best = std::min(best, r.seconds);
  }
  std::printf("{\"bench\": \"weight_matching\", \"impl\": \"ridgeline\", \"arch\": \"%s\", "
              "\"seconds\": %.4f, \"sweeps\": %d, \"seconds_per_sweep\": %.5f, "
              "\"objective_before\": %.9g, \"objective_after\": %.9g}\n",
              a.arch.to_string().c_str(), best, r.sweeps, best / r.sweeps, r.objective_before,
              r.objective_after);
  return 0;
}
