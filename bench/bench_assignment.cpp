// Linear assignment (maximise Σ C[i, π(i)]) on dense n×n gain matrices, the peer of
// scipy.optimize.linear_sum_assignment(C, maximize=True) in bench/scipy_peer.py.
// For each kind and n it writes the matrix it times to DIR/<kind>_<n>.npy (float64) so the peer
// solves exactly the same input, and prints one JSON line (best of --repeats runs).
//   bench_assignment --out DIR [--sizes 512,1024,2048,4096] [--kinds uniform,wm] [--repeats 3]
// Kinds: "uniform": entries U[0, 1) (mt19937_64, seed 1000 + n);
//        "wm": weight-matching gain C = W_A W_Bᵀ, W_A and W_B n×784 with N(0, 1) entries
//              (seeds 2000 + n and 3000 + n), as built for one hidden layer of an MLP.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ridgeline/core/memory.h"
#include "ridgeline/symmetry/assignment.h"
#include "ridgeline/io/fileio.h"

using namespace ridgeline;

namespace {

std::vector<double> uniform_matrix(int n) {
  std::mt19937_64 rng(1000 + n);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> c(static_cast<size_t>(n) * n);
  for (double& x : c) x = u(rng);
  return c;
}

std::vector<double> gaussian(int rows, int cols, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> w(static_cast<size_t>(rows) * cols);
  for (double& x : w) x = g(rng);
  return w;
}

// C = A Bᵀ for row-major A, B (n×k): four rows of A against one row of B, four partial sums
// per dot product (vector extension: SSE/AVX as the target allows).
std::vector<double> gain_matrix(const std::vector<double>& a, const std::vector<double>& b,
                                int n, int k) {
  typedef double v4 __attribute__((vector_size(32)));
  std::vector<double> c(static_cast<size_t>(n) * n);
  const int k4 = k / 4 * 4;
  for (int i0 = 0; i0 < n; i0 += 4) {
    const int ni = std::min(4, n - i0);
    for (int j = 0; j < n; ++j) {
      const double* bj = &b[static_cast<size_t>(j) * k];
      for (int q = 0; q < ni; ++q) {
        const double* ai = &a[static_cast<size_t>(i0 + q) * k];
        v4 acc = {0, 0, 0, 0};
        for (int t = 0; t < k4; t += 4) {
          v4 x, y;
          std::memcpy(&x, ai + t, sizeof x);
          std::memcpy(&y, bj + t, sizeof y);
          acc += x * y;
        }
        double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        for (int t = k4; t < k; ++t) s += ai[t] * bj[t];
        c[static_cast<size_t>(i0 + q) * n + j] = s;
      }
    }
  }
  return c;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  std::string out_dir, sizes = "512,1024,2048,4096", kinds = "uniform,wm";
  int repeats = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--out")) out_dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--sizes")) sizes = argv[i + 1];
    else if (!std::strcmp(argv[i], "--kinds")) kinds = argv[i + 1];
    else if (!std::strcmp(argv[i], "--repeats")) repeats = std::stoi(argv[i + 1]);
  }
  for (const std::string& kind : split(kinds)) {
    for (const std::string& ns : split(sizes)) {
      const int n = std::stoi(ns);
      std::vector<double> c;
      if (kind == "uniform") {
        c = uniform_matrix(n);
      } else if (kind == "wm") {
        const int k = 784;
        c = gain_matrix(gaussian(n, k, 2000 + n), gaussian(n, k, 3000 + n), n, k);
      } else {
        std::fprintf(stderr, "bench_assignment: unknown kind '%s'\n", kind.c_str());
        return 2;
      }
      std::string file;
      if (!out_dir.empty()) {
        file = out_dir + "/" + kind + "_" + ns + ".npy";
        write_npy(file, c, {n, n});
      }
      double best = 1e30, objective = 0;
      for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        const AssignmentResult res = solve_assignment(c, n, true);
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
        objective = res.objective;
      }
      std::printf("{\"bench\": \"assignment\", \"impl\": \"ridgeline\", \"kind\": \"%s\", "
                  "\"n\": %d, \"seconds\": %.6f, \"objective\": %.17g, \"file\": \"%s\"}\n",
                  kind.c_str(), n, best, objective, file.c_str());
      std::fflush(stdout);
    }
  }
  return 0;
}
