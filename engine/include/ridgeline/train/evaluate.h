#pragma once
/// @file evaluate.h
/// Evaluation of one model of any kind over a data set (many parameter points at once:
/// paths/evaluator.h).
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

struct LossError {
  double loss = 0;   ///< mean cross-entropy (nats)
  double error = 0;  ///< 1 − accuracy
};

/// Evaluates one model over the whole data set in chunks of `batch` samples through its
/// compute object (a kind that uses no data ignores `data`; one without accuracy has a NaN
/// error). Throws InputError when the model does not fit the data.
LossError evaluate(Backend& backend, const Model& model, const Dataset& data, int batch = 2000,
                   const CancelToken* cancel = nullptr);

}  // namespace ridgeline
