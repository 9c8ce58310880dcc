#pragma once
/// @file mlp_compute.h
/// Forward and backward passes of an MLP on a backend, with activation buffers sized for a
/// maximum batch. Parameters and gradients are flat device vectors in ParamLayout order.
#include <functional>
#include <memory>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

// HiddenLayerView and LayerHook: models/model.h.

namespace detail {
class HvpNonlinearLayer;  // mlp_hvp_nonlinear.h
}

class MlpCompute final : public ModelCompute {
 public:
  MlpCompute(Backend& backend, const MlpArch& arch, int max_rows);
  ~MlpCompute() override;

  /// Logits of x [rows×in] (device) into logits(). When `hook` is non-empty it observes every
  /// hidden layer (see LayerHook); a plain ReLU net, whose ReLU otherwise runs in place on
  /// the Linear output, then keeps a copy of the Linear output in an extra buffer allocated
  /// on first use. Without a hook nothing changes (no copy, no allocation).
  void forward(const float* params, const float* x, int rows, const LayerHook& hook = {}) override;
  /// Per-row loss and correctness of the last forward against device labels; when
  /// `want_grad`, also d(mean loss)/d(logits) for backward().
  void loss(const float* labels, int rows, bool want_grad) override;
  /// Gradient of the mean loss w.r.t. params into grad (overwritten). Needs forward+loss.
  void backward(const float* params, float* grad, int rows) override;
  /// Sums of the per-row loss and correctness of the last loss() call (downloads).
  void sums(int rows, double& loss_sum, double& correct_sum) override;

  /// Empty: every MLP (ReLU or GELU, with or without LayerNorm) has exact HVPs.
  std::string hvp_unsupported() const override { return {}; }
  /// Exact Hessian-vector product by Pearlmutter's R-operator (forward-over-reverse): an
  /// R-forward of the pre-activations and activations, then the backward pass and its
  /// R-derivative together (mlp_hvp.cpp). Contract: models/model.h.
  void hvp(const float* params, const float* v, float* hv, int rows) override;

  const float* logits() const { return acts_.back().data(); }
  const MlpArch& arch() const { return arch_; }

 private:
  Backend& be_;
  MlpArch arch_;
  ParamLayout lay_;
  int max_rows_;
  bool ln_ = false, gelu_ = false;
  const float* x_ = nullptr;
  // Hidden layer l's buffers (max_rows × width). acts_[l]: the layer's output (the
  // activation's output; the logits for the last layer). For a plain ReLU net that is all:
  // Linear and ReLU run in place and ReLU's backward reads its own output. With LayerNorm,
  // lnin_[l] keeps the Linear output (LayerNorm's input) and mean_/rstd_ its row statistics;
  // with GELU, pre_[l] keeps the GELU input (the LayerNorm or Linear output). Unused vectors
  // stay empty.
  std::vector<DeviceBuffer> acts_, lnin_, pre_, mean_, rstd_;
  std::vector<DeviceBuffer> hook_linear_;  // plain ReLU with a hook: per-layer Linear copies
  DeviceBuffer delta_a_, delta_b_;   // backprop scratch, max_rows × max width
  DeviceBuffer row_loss_, row_correct_;
  std::vector<float> host_scratch_;
  // hvp() (mlp_hvp.cpp): the labels of the last loss(), and its own buffers, allocated on
  // first use: R(activation) of every hidden layer, R(logits), Rδ ping-pong scratch, and δ of
  // every layer — which does not depend on v, so it is computed once per forward()+loss()
  // (hv_delta_valid_ is cleared by both).
  const float* labels_ = nullptr;
  bool hv_delta_valid_ = false;
  std::vector<DeviceBuffer> hv_ract_, hv_delta_;
  DeviceBuffer hv_rlogits_, hv_rd_[2], hv_loss_, hv_correct_;
  std::vector<float> hv_host_;
  // GELU or LayerNorm: each hidden layer's nonlinearity and its R-operator on the host.
  std::vector<std::unique_ptr<detail::HvpNonlinearLayer>> hv_nonlinear_;
};

}  // namespace ridgeline
