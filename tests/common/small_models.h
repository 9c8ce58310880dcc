#pragma once
// Small MLPs trained quickly for alignment tests (Adam 3e-3, batch 32).
#include <cstdint>
#include <string>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/train/train.h"

namespace ridgeline::test {

inline Mlp train_small(Backend& be, const std::string& arch, uint64_t seed, const DataSplits& d,
                       int epochs) {
  TrainConfig cfg;
  cfg.epochs = epochs;
  cfg.batch = 32;
  cfg.lr = 3e-3;
  return train_mlp(be, parse_arch(arch), d, cfg, seed).model;
}

}  // namespace ridgeline::test
