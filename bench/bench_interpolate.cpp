// Interpolation: loss and error at P points of the linear path over the Fashion-MNIST test
// set (10k), the same work as bench/torch_peer.py interpolate. Prints one JSON line.
//   bench_interpolate [--arch mlp:784,512,512,512,10] [--points 25] [--threads N] [--device D]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "ridgeline/core/memory.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/models/mlp/mlp_model.h"

using namespace ridgeline;

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  std::string arch = "mlp:784,512,512,512,10", device = "cpu";
  int points = 25, threads = 0, repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--arch")) arch = argv[i + 1];
    else if (!std::strcmp(argv[i], "--points")) points = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoi(argv[i + 1]);
  }
  auto be = make_backend(device, threads);
  DataSplits d = load_data("fashion-mnist");
  const MlpArch a = parse_arch(arch);
  // Timing does not depend on the parameter values: two independently initialised models.
  const Mlp ma = init_mlp(a, 0), mb = init_mlp(a, 1);
  const std::vector<double> alpha = alpha_grid(points);
  const Model model = to_model(ma);
  const ParameterPoints line = line_points(ma.params, mb.params, alpha);
  std::vector<double> loss = evaluate_points(*be, *model.arch, line, &d.test, 1000).loss;  // warm-up
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    loss = evaluate_points(*be, *model.arch, line, &d.test, 1000).loss;
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("{\"bench\": \"interpolate\", \"impl\": \"ridgeline\", \"device\": \"%s\", "
              "\"threads\": %d, \"arch\": \"%s\", \"points\": %d, \"samples\": %d, "
              "\"seconds\": %.4f, \"loss_mid\": %.6f}\n",
              be->description().c_str(), host_threads(), arch.c_str(), points, d.test.n, best,
              loss[points / 2]);
  return 0;
}
