// Hessian curvature of 784-512-512-512-10 on a 1,000-sample Fashion-MNIST batch: exact HVPs
// per second (Pearlmutter's R-operator, float32), the top-3 eigenvalues by Lanczos with full
// reorthogonalisation at tolerance 1e-3, a Hutchinson trace and an SLQ density — the work of
// bench/hessian_peer.py, which reads the parameters and the batch this program writes with
// --dump. Prints one JSON line.
//   bench_hessian [--model M.safetensors | --arch mlp:784,512,512,512,10] [--samples 1000]
//                 [--threads N] [--hvps 10] [--k 3] [--tol 1e-3] [--trace-samples 20]
//                 [--dump DIR]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "ridgeline/core/memory.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/curvature/hessian.h"
#include "ridgeline/curvature/spectral.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/models/model.h"
#include "ridgeline/models/model_io.h"

using namespace ridgeline;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  std::string arch = "mlp:784,512,512,512,10", model_file, dump, device = "cpu";
  int samples = 1000, threads = 0, hvps = 10, k = 3, trace_samples = 20;
  double tol = 1e-3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--arch") arch = v;
    else if (a == "--model") model_file = v;
    else if (a == "--samples") samples = std::stoi(v);
    else if (a == "--threads") threads = std::stoi(v);
    else if (a == "--hvps") hvps = std::stoi(v);
    else if (a == "--k") k = std::stoi(v);
    else if (a == "--tol") tol = std::stod(v);
    else if (a == "--trace-samples") trace_samples = std::stoi(v);
    else if (a == "--dump") dump = v;
    else if (a == "--device") device = v;
  }
  set_host_threads(threads);
  Model m;
  if (!model_file.empty()) {
    m = load_model(model_file);
  } else {
    m.arch = parse_model_arch(arch);
    m.params = m.arch->init(0);
  }
  const Dataset batch = subset(load_data("fashion-mnist").train, samples, 0);
  if (!dump.empty()) {
    std::filesystem::create_directories(dump);
    const auto p = [&](const char* f) { return (std::filesystem::path(dump) / f).string(); };
    write_npy(p("params.npy"), m.params, {static_cast<int64_t>(m.params.size())});
    write_npy(p("x.npy"), batch.x, {batch.n, batch.dim});
    std::vector<float> y(batch.y.begin(), batch.y.end());
    write_npy(p("y.npy"), y, {batch.n});
  }
  auto be = make_backend(device, threads);
  HessianOperator H(*be, m.arch, &batch, samples);
  H.set_params(m.params);
  const ParamSelection all = select_all(*m.arch);
  const SymmetricOp op = [&](const std::vector<double>& v, std::vector<double>& hv) {
    H.apply(all, v, hv);
  };
  // HVPs per second (after one warm-up, which also runs the batch's forward pass once).
  std::vector<double> v(all.size, 1.0 / std::sqrt(static_cast<double>(all.size))), hv;
  op(v, hv);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < hvps; ++i) op(v, hv);
  const double hvp_seconds = seconds_since(t0) / hvps;
  // The FLOPs of one HVP (multiply-adds ×2 of its GEMMs; δ of every layer is computed once
  // per point and not counted) and, for the share of the peak, the best SGEMM rate of the
  // backend on the batch's largest hidden shape (rows × 512 × 512), measured now.
  double flops = 0;
  if (const auto* mlp = m.arch.get(); mlp->kind() == "mlp") {
    std::vector<int64_t> w;
    for (const auto& b : m.arch->blocks())
      if (b.shape.size() == 2) w.push_back(b.shape[0] * b.shape[1]);
    // R-forward: 1 GEMM for the first layer, 2 for the others; backward: 1 for the first
    // layer's weights, 2 for each other layer's weights and 2 for its R{δ}.
    for (size_t l = 0; l < w.size(); ++l) flops += 2.0 * samples * w[l] * (l == 0 ? 2 : 6);
  }
  double gemm_gflops = 0;
  {
    const int r = samples, k = 512, c = 512;
    DeviceBuffer A(*be, static_cast<size_t>(r) * k), B(*be, static_cast<size_t>(k) * c),
        C(*be, static_cast<size_t>(r) * c);
    for (int rep = 0; rep < 6; ++rep) {
      const auto g0 = std::chrono::steady_clock::now();
      be->gemm(Trans::No, Trans::Yes, r, c, k, 1.0f, A.data(), k, B.data(), k, 0.0f, C.data(), c);
      be->synchronize();
      gemm_gflops = std::max(gemm_gflops, 2.0 * r * k * c / seconds_since(g0) / 1e9);
    }
  }
  // Top-k by Lanczos.
  LanczosOptions lo;
  lo.k = k;
  lo.tol = tol;
  lo.max_iter = 300;
  long long h0 = H.hvps();
  t0 = std::chrono::steady_clock::now();
  const EigenResult e = lanczos_top(all.size, op, lo);
  const double lanczos_seconds = seconds_since(t0);
  const long long lanczos_hvps = H.hvps() - h0;
  // Trace and density.
  t0 = std::chrono::steady_clock::now();
  const TraceEstimate t = hutchinson_trace(all.size, op, trace_samples, 0);
  const double trace_seconds = seconds_since(t0);
  t0 = std::chrono::steady_clock::now();
  const SpectralDensity d = slq_density(all.size, op, 1, 50, 0);
  const double density_seconds = seconds_since(t0);
  std::printf("{\"bench\": \"hessian\", \"impl\": \"ridgeline\", \"arch\": \"%s\", \"samples\": %d, "
              "\"device\": \"%s\", \"params\": %zu, \"hvp_seconds\": %.5f, \"hvps_per_second\": %.3f, "
              "\"hvp_gflop\": %.3f, \"hvp_gflops\": %.1f, \"sgemm_gflops\": %.1f, "
              "\"topk_seconds\": %.3f, \"topk_hvps\": %lld, \"eigenvalues\": [",
              m.arch->to_string().c_str(), samples, be->description().c_str(), all.size,
              hvp_seconds, 1.0 / hvp_seconds, flops / 1e9, flops / hvp_seconds / 1e9, gemm_gflops,
              lanczos_seconds, lanczos_hvps);
  for (size_t i = 0; i < e.values.size(); ++i) std::printf("%s%.6g", i ? ", " : "", e.values[i]);
  std::printf("], \"converged\": %s, \"trace\": %.6g, \"trace_se\": %.6g, \"trace_samples\": %d, "
              "\"trace_seconds\": %.3f, \"slq_steps\": 50, \"slq_trace\": %.6g, "
              "\"density_seconds\": %.3f}\n",
              e.converged ? "true" : "false", t.mean, t.se, trace_samples, trace_seconds, d.trace(),
              density_seconds);
  return 0;
}
