#pragma once
/// @file layerwise_step.h
/// The "layerwise" step kind's parameters. Its inputs are `a` and `b`; its result payload is a
/// LayerwiseResult (ridgeline/paths/layerwise.h) in results/<id>.json.
namespace ridgeline {

struct LayerwiseParams {
  int points = 25;                 ///< α values from 0 to 1 on every partial path
  bool train = false, test = true; ///< "split": test (default), train or both
  bool cumulative = true;          ///< also the cumulative paths (layers 1..ℓ)
  bool from_b = true;              ///< also the paths with the other layers at B
  int subset = 0;                  ///< a seeded subset (seed 0) of each split evaluated; 0 = all
};

}  // namespace ridgeline
