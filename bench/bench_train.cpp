// Training throughput: samples/s for an MLP on Fashion-MNIST (Adam, fixed batch), the same
// work as bench/torch_peer.py train. Prints one JSON line.
//   bench_train [--arch mlp:784,512,512,512,10] [--batch 128] [--samples 30000] [--threads N]
//               [--device cpu|cuda|auto]
#include <cstdio>
#include <cstring>
#include <string>

#include "ridgeline/core/memory.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/train/train.h"

using namespace ridgeline;

int main(int argc, char** argv) {
  ridgeline::retain_freed_memory();  // as the ridgeline executable does (core/memory.h)
  std::string arch = "mlp:784,512,512,512,10", device = "cpu";
  int batch = 128, samples = 30000, threads = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--arch")) arch = argv[i + 1];
    else if (!std::strcmp(argv[i], "--batch")) batch = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--samples")) samples = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--device")) device = argv[i + 1];
  }
  auto be = make_backend(device, threads);
  DataOptions opt;
  opt.train_subset = samples;
  DataSplits d = load_data("fashion-mnist", opt);
  TrainConfig cfg;
  cfg.batch = batch;
  cfg.epochs = 1;
  cfg.drop_last = true;
  cfg.eval_test_each_epoch = false;
  // One warm-up epoch on a small subset (allocations, caches), then the timed epoch.
  DataSplits warm = d;
  warm.train = subset(d.train, batch * 8, 1);
  train_mlp(*be, parse_arch(arch), warm, cfg, 0);
  TrainResult r = train_mlp(*be, parse_arch(arch), d, cfg, 0);
  std::printf("{\"bench\": \"train\", \"impl\": \"ridgeline\", \"device\": \"%s\", \"threads\": %d, "
              "\"arch\": \"%s\", \"batch\": %d, \"samples\": %d, \"seconds\": %.4f, "
              "\"samples_per_second\": %.1f}\n",
              be->description().c_str(), host_threads(), arch.c_str(), batch,
              (samples / batch) * batch, r.seconds, r.samples_per_second);
  return 0;
}
