// Full spectra of a model's weight matrices (784-512-512-512-10 by default, seeded init):
// model_spectra (dgesdd values + every statistic and the power-law fit) and the SVD with
// vectors of every matrix (what the alignment needs) — the same work as bench/spectra_peer.py,
// which reads the matrices this program writes with --dump. Prints one JSON line.
//   bench_spectra [--arch mlp:784,512,512,512,10] [--repeats 5] [--dump DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "ridgeline/core/memory.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/models/model.h"
#include "ridgeline/spectra/spectra.h"

using namespace ridgeline;

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  std::string arch = "mlp:784,512,512,512,10", dump;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--arch")) arch = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--dump")) dump = argv[i + 1];
  }
  Model m;
  m.arch = parse_model_arch(arch);
  m.params = m.arch->init(0);
  const auto mats = weight_matrices(*m.arch);
  if (!dump.empty()) {
    std::filesystem::create_directories(dump);
    int k = 0;
    for (const auto& b : mats) {
      const size_t n = static_cast<size_t>(b.shape[0]) * b.shape[1];
      std::vector<float> w(m.params.begin() + b.offset, m.params.begin() + b.offset + n);
      char name[32];
      std::snprintf(name, sizeof name, "w%02d.npy", k++);
      write_npy((std::filesystem::path(dump) / name).string(), w, b.shape);
    }
  }
  auto time_best = [&](auto&& f) {
    f();  // warm-up
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      f();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  double s0 = 0;
  const double values = time_best([&] { s0 = model_spectra(m, "m").layers[0].singular_values[0]; });
  const double vectors = time_best([&] {
    for (const auto& b : mats)
      svd(m.params.data() + b.offset, static_cast<int>(b.shape[0]), static_cast<int>(b.shape[1]), true);
  });
  std::printf("{\"bench\": \"spectra\", \"impl\": \"ridgeline\", \"arch\": \"%s\", \"matrices\": %zu, "
              "\"seconds_values\": %.4f, \"seconds_vectors\": %.4f, \"sigma_max_0\": %.9g}\n",
              arch.c_str(), mats.size(), values, vectors, s0);
  return 0;
}
