#pragma once
/// @file mlp_compute.h
/// Forward and backward passes of an MLP on a backend, with activation buffers sized for a
/// maximum batch. Parameters and gradients are flat device vectors in ParamLayout order.
#include <vector>

#include "ridgeline/backend.h"
#include "ridgeline/mlp.h"

namespace ridgeline {

class MlpCompute {
 public:
  MlpCompute(Backend& backend, const MlpArch& arch, int max_rows);

  /// Logits of x [rows×in] (device) into logits().
  void forward(const float* params, const float* x, int rows);
  /// Per-row loss and correctness of the last forward against device labels; when
  /// `want_grad`, also d(mean loss)/d(logits) for backward().
  void loss(const float* labels, int rows, bool want_grad);
  /// Gradient of the mean loss w.r.t. params into grad (overwritten). Needs forward+loss.
  void backward(const float* params, float* grad, int rows);
  /// Sums of the per-row loss and correctness of the last loss() call (downloads).
  void sums(int rows, double& loss_sum, double& correct_sum);

  const float* logits() const { return acts_.back().data(); }
  const MlpArch& arch() const { return arch_; }

 private:
  Backend& be_;
  MlpArch arch_;
  ParamLayout lay_;
  int max_rows_;
  const float* x_ = nullptr;
  std::vector<DeviceBuffer> acts_;   // acts_[l]: output of layer l (post-ReLU except last)
  DeviceBuffer delta_a_, delta_b_;   // backprop scratch, max_rows × max width
  DeviceBuffer row_loss_, row_correct_;
  std::vector<float> host_scratch_;
};

}  // namespace ridgeline
