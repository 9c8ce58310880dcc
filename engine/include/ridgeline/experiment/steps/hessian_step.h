#pragma once
/// @file hessian_step.h
/// The "hessian" step kind's parameters. Its inputs are StepSpec::a (`model`, required) and
/// StepSpec::b (`path_to`, optional: the curvature along the path to it and the second-order
/// barrier predictions). Its result payload is a HessianReport
/// (ridgeline/curvature/hessian_report.h): results/<id>.json, and per selection i
/// results/<id>.<i>.density.npy and results/<id>.<i>.eigenvectors.npy.
#include <string>

namespace ridgeline {

struct HessianParams {
  std::string split = "train";
  int samples = 1000;  ///< seeded subset of the split (0: all)
  std::string block;   ///< empty: the whole model
  bool per_layer = false;
  int top_k = 3;
  int max_iter = 100;
  double tol = 1e-3;
  int trace_samples = 50;
  int density_vectors = 1;
  int density_steps = 80;
  double lr = 0;  ///< 0: no stability check
  int path_points = 5;
  int path_lanczos = 20;
  int path_trace_samples = 10;
  unsigned long long seed = 0;
  int chunk = 1000;
};

}  // namespace ridgeline
