#pragma once
/// @file evaluate.h
/// Batched evaluation of one or many parameter points of the same MLP over a data set.
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

struct LossError {
  double loss = 0;   ///< mean cross-entropy (nats)
  double error = 0;  ///< 1 − accuracy
};

/// Evaluates one model over the whole data set in chunks of `batch` samples.
LossError evaluate(Backend& backend, const Mlp& model, const Dataset& data, int batch = 2000,
                   const CancelToken* cancel = nullptr);

}  // namespace ridgeline
