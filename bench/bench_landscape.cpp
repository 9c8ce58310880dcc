// Landscape grids: loss and error at every point of an n×m grid of the plane through three
// models, on the first S Fashion-MNIST test images (a seeded subset), evaluated row by row
// through the evaluator over parameter points (landscape/grid.h) — the same work as
// bench/landscape_peer.py. Prints one JSON line with points per second.
//   bench_landscape [--arch mlp:784,512,512,512,10] [--grid 11] [--samples 1000] [--threads N]
//                   [--device D] [--repeats 3]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/landscape/grid.h"
#include "ridgeline/models/mlp/mlp_model.h"

using namespace ridgeline;

int main(int argc, char** argv) {
  std::string arch = "mlp:784,512,512,512,10", device = "cpu";
  int grid = 11, samples = 1000, threads = 0, repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--arch")) arch = argv[i + 1];
    else if (!std::strcmp(argv[i], "--grid")) grid = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--samples")) samples = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoi(argv[i + 1]);
  }
  auto be = make_backend(device, threads);
  const DataSplits d = load_data("fashion-mnist");
  const Dataset test = samples < d.test.n ? subset(d.test, samples, 0) : d.test;
  const MlpArch a = parse_arch(arch);
  // Timing does not depend on the parameter values: three independently initialised models.
  const Model ma = to_model(init_mlp(a, 0)), mb = to_model(init_mlp(a, 1)), mc = to_model(init_mlp(a, 2));
  const LandscapeBasis basis = plane_basis({"A", "B", "C"}, ma, mb, mc);
  const GridSpec spec{grid, grid, -0.5, 1.5, -0.5, 1.5};
  LandscapeGrid g = evaluate_grid(*be, *ma.arch, basis, &test, spec, {});  // warm-up
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    g = evaluate_grid(*be, *ma.arch, basis, &test, spec, {});
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const int points = grid * grid;
  std::printf("{\"bench\": \"landscape\", \"impl\": \"ridgeline\", \"device\": \"%s\", "
              "\"threads\": %d, \"arch\": \"%s\", \"points\": %d, \"samples\": %d, "
              "\"seconds\": %.4f, \"points_per_second\": %.2f, \"loss_2_2\": %.6f}\n",
              be->description().c_str(), host_threads(), arch.c_str(), points, test.n, best,
              points / best, g.loss_at(2, 2));
  return 0;
}
