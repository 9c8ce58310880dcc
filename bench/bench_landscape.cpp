// Landscape grids: loss and error at every point of an n×m grid of the plane through three
// models, on the first S Fashion-MNIST test images (a seeded subset), evaluated row by row
// through the evaluator over parameter points (landscape/grid.h) — the same work as
// bench/landscape_peer.py. Prints one JSON line with points per second, the GFLOP/s the grid
// executed (the first layer's K = 3 shared GEMMs per batch of rows, the later layers per point)
// and, for the share of the peak, the GFLOP/s of a large square SGEMM on the same backend.
// --precision bf16 times the bf16 grid (GridOptions::precision; oneDNN) and also evaluates the
// fp32 grid once, untimed, to print the largest deviations over the grid: max |loss_bf16 −
// loss_fp32|, the same relative to max(1, loss), and max |error_bf16 − error_fp32|. --models
// takes three trained models (A,B,C safetensors; their architecture) instead of initialised
// ones: the timing does not depend on the values, the deviation does.
//   bench_landscape [--arch mlp:784,512,512,512,10] [--grid 11] [--samples 1000] [--threads N]
//                   [--device D] [--repeats 3] [--peak-n 2048 (0: no SGEMM)]
//                   [--precision fp32|bf16] [--models A,B,C]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ridgeline/core/memory.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/precision.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/landscape/grid.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"

using namespace ridgeline;

int main(int argc, char** argv) try {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  std::string arch = "mlp:784,512,512,512,10", device = "cpu", precision = "fp32", models;
  int grid = 11, samples = 1000, threads = 0, repeats = 3, peak_n = 2048;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--arch")) arch = argv[i + 1];
    else if (!std::strcmp(argv[i], "--grid")) grid = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--samples")) samples = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--peak-n")) peak_n = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--precision")) precision = argv[i + 1];
    else if (!std::strcmp(argv[i], "--models")) models = argv[i + 1];
  }
  GridOptions options;
  options.precision = parse_precision(precision, "--precision");
  auto be = make_backend(device, threads);
  const DataSplits d = load_data("fashion-mnist");
  const Dataset test = samples < d.test.n ? subset(d.test, samples, 0) : d.test;
  // Timing does not depend on the parameter values: three independently initialised models,
  // unless trained ones are given (for the deviation of bf16).
  std::vector<Model> ms;
  if (models.empty()) {
    for (uint64_t seed = 0; seed < 3; ++seed) ms.push_back(to_model(init_mlp(parse_arch(arch), seed)));
  } else {
    for (size_t start = 0; start <= models.size();) {
      const size_t c = models.find(',', start);
      ms.push_back(load_model(models.substr(start, c == std::string::npos ? std::string::npos : c - start)));
      if (c == std::string::npos) break;
      start = c + 1;
    }
    if (ms.size() != 3) throw InputError("--models: give three files A,B,C");
    arch = ms[0].arch->to_string();
  }
  const MlpArch a = parse_arch(arch);
  const Model &ma = ms[0], &mb = ms[1], &mc = ms[2];
  const LandscapeBasis basis = plane_basis({"A", "B", "C"}, ma, mb, mc);
  const GridSpec spec{grid, grid, -0.5, 1.5, -0.5, 1.5};
  LandscapeGrid g = evaluate_grid(*be, *ma.arch, basis, &test, spec, options);  // warm-up
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    g = evaluate_grid(*be, *ma.arch, basis, &test, spec, options);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  // bf16: the largest deviations from the fp32 grid (evaluated once, untimed).
  double dloss = 0, dloss_rel = 0, derr = 0, loss_min = 1e300, loss_max = 0;
  if (options.precision != Precision::Fp32) {
    const LandscapeGrid g32 = evaluate_grid(*be, *ma.arch, basis, &test, spec, {});
    for (size_t i = 0; i < g.loss.size(); ++i) {
      dloss = std::max(dloss, std::abs(g.loss[i] - g32.loss[i]));
      dloss_rel = std::max(dloss_rel, std::abs(g.loss[i] - g32.loss[i]) / std::max(1.0, g32.loss[i]));
      derr = std::max(derr, std::abs(g.error[i] - g32.error[i]));
      loss_min = std::min(loss_min, g32.loss[i]);
      loss_max = std::max(loss_max, g32.loss[i]);
    }
  }
  const int points = grid * grid;
  // Executed FLOPs: per point 2·n·in·out for every layer after the first; per batch of rows
  // (evaluate_grid's default of up to 64 points, whole rows) 3 shared first-layer GEMMs.
  double per_point = 0.0;
  for (int l = 1; l < a.num_layers(); ++l) per_point += 2.0 * test.n * a.widths[l] * a.widths[l + 1];
  const int rows_per_batch = std::max(1, std::min(64, static_cast<int>((64ll << 20) / ma.arch->num_params())) / grid);
  const int batches = (grid + rows_per_batch - 1) / rows_per_batch;
  const double flops = points * per_point + batches * 3.0 * 2.0 * test.n * a.widths[0] * a.widths[1];
  // The peak: a large square SGEMM through the same backend op, best of 3.
  double peak = 0.0;
  if (peak_n > 0) {
    const size_t nn = static_cast<size_t>(peak_n) * peak_n;
    DeviceBuffer A(*be, nn), B(*be, nn), C(*be, nn);
    be->fill(A.data(), 0.5f, nn);
    be->fill(B.data(), 0.25f, nn);
    for (int r = 0; r < 4; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      be->gemm(Trans::No, Trans::Yes, peak_n, peak_n, peak_n, 1.0f, A.data(), peak_n, B.data(),
               peak_n, 0.0f, C.data(), peak_n);
      be->synchronize();
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (r > 0) peak = std::max(peak, 2.0 * peak_n * nn / s / 1e9);
    }
  }
  std::printf("{\"bench\": \"landscape\", \"impl\": \"ridgeline\", \"precision\": \"%s\", "
              "\"device\": \"%s\", "
              "\"threads\": %d, \"arch\": \"%s\", \"points\": %d, \"samples\": %d, "
              "\"seconds\": %.4f, \"points_per_second\": %.2f, \"gflops\": %.1f, "
              "\"sgemm_peak_gflops\": %.1f, \"share_of_peak\": %.3f, \"loss_2_2\": %.6f",
              precision.c_str(), be->description().c_str(), host_threads(), arch.c_str(), points, test.n, best,
              points / best, flops / best / 1e9, peak, peak > 0 ? flops / best / 1e9 / peak : 0.0,
              g.loss_at(2, 2));
  if (options.precision != Precision::Fp32)
    std::printf(", \"max_abs_dloss\": %.3g, \"max_rel_dloss\": %.3g, \"max_derror\": %.4g, "
                "\"fp32_loss_range\": [%.4g, %.4g]",
                dloss, dloss_rel, derr, loss_min, loss_max);
  std::printf("}\n");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_landscape: %s\n", e.what());
  return 2;
}
