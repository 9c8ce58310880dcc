#pragma once
// Forward, loss and backward of a transformer (transformer.h) on a host-memory backend: the
// GEMMs, LayerNorms and GELUs run as backend ops, attention per example and head through the
// layer's variant objects (attention/attention.h) on OpenMP threads.
#include <memory>
#include <vector>

#include "ridgeline/attention/attention.h"
#include "ridgeline/models/model.h"
#include "transformer_layout.h"

namespace ridgeline {

namespace detail {
class TransformerF64;
}

class TransformerCompute final : public ModelCompute {
 public:
  /// Examples per part of the HVP's batch (hvp()).
  static constexpr int kHvpPartRows = 32;
  TransformerCompute(Backend& be, const TransformerArch& arch, int max_rows);
  ~TransformerCompute() override;
  void forward(const float* params, const float* x, int rows, const LayerHook& hook) override;
  void loss(const float* labels, int rows, bool want_grad) override;
  void backward(const float* params, float* grad, int rows) override;
  void sums(int rows, double& loss_sum, double& correct_sum) override;
  /// transformer_hvp_unsupported(arch): empty for the variants with an attention R-operator.
  std::string hvp_unsupported() const override;
  /// Exact H·v by the R-operator in float64 on the host (transformer_hvp.h): the first call
  /// after forward()+loss() runs the float64 forward, every call an R-forward and the
  /// backward with its R-derivative. The batch runs in parts of kHvpPartRows examples on
  /// OpenMP threads (each part's buffers stay small and are reused between calls), whose
  /// products are added in part order: the same result for any thread count.
  void hvp(const float* params, const float* v, float* hv, int rows) override;

  /// After forward(), what activation matching reads of block l, each [rows·tokens × width]
  /// row-major: the residual stream entering the block (h) and after its attention (hmid),
  /// the heads' outputs before the projection (att; head h in columns h·d_head …) and the
  /// MLP's GELU output (g, width ff).
  struct BlockActivations {
    const std::vector<float>& h;
    const std::vector<float>& hmid;
    const std::vector<float>& att;
    const std::vector<float>& g;
  };
  BlockActivations activations(int l) const {
    const Layer& L = layers_[static_cast<size_t>(l)];
    return {L.h, L.hmid, L.att, L.g};
  }
  /// After forward(): the residual stream after the last block (before the final LayerNorm).
  const std::vector<float>& final_stream() const { return hL_; }

  /// After forward(): Q, K, V of example `row` in every layer and head.
  AttentionCapture capture(int row) const;
  /// After forward(): the logits, [rows × classes] (image) or [rows·tokens × vocab] (tokens).
  std::vector<float> logits(const float* params, int rows);
  /// After forward(): argmax ids, one per example (image) or per position (tokens).
  std::vector<int32_t> predict(const float* params, int rows);
  const attention::AttentionVariant& variant(int layer, int head) const {
    return *variants_[static_cast<size_t>(layer) * arch_.heads + head];
  }

 private:
  struct Layer {  // what backward needs of each block's forward
    std::vector<float> h, ln1, mean1, rstd1, qkv, att, hmid, ln2, mean2, rstd2, f1, g;
    /// Per example and head (b·heads + h): what the attention variant kept for its backward
    /// (attention.h, forward_keeping); null entries recompute.
    std::vector<std::unique_ptr<attention::ForwardState>> kept;
  };
  void set_variant_params(const float* params);
  void attention_forward(Layer& L, int l, int rows);
  void attention_backward(const Layer& L, int l, int rows, const std::vector<float>& datt,
                          std::vector<float>& dqkv, float* grad);
  void output_rows(const float* params, int n, const float* in, float* logits);

  Backend& be_;
  TransformerArch arch_;
  TransformerLayout lay_;
  int T_, max_rows_;
  std::vector<std::unique_ptr<attention::AttentionVariant>> variants_;
  /// Whether forward() keeps the attention variants' states for backward(): from the first
  /// backward() on, so a compute object that only evaluates never holds them.
  bool keep_attention_ = false;
  // Forward state.
  int rows_ = 0;
  const float* params_ = nullptr;  ///< forward()'s parameters (loss() computes token logits)
  const float* x_ = nullptr;       ///< forward()'s inputs (hvp() reads them)
  const float* labels_ = nullptr;  ///< loss()'s labels (hvp() reads them)
  std::vector<int32_t> tokens_;
  std::vector<float> patches_;
  std::vector<Layer> layers_;
  std::vector<float> hL_, y_, meanf_, rstdf_, pooled_, logits_;
  // Loss state.
  std::vector<float> row_loss_, row_correct_, dlogits_;
  std::vector<float> ysel_;        ///< token models: LN_f output of the labelled positions
  std::vector<int> sel_;         ///< token models: labelled positions (rows of y_)
  std::vector<float> sel_weight_;  ///< their weight 1/(rows·labelled positions of the row)
  // HVP state: the float64 model at the last forward()+loss() (hvp_valid_), one per part of
  // at most kHvpPartRows examples, and host buffers (v, and each part's H·v).
  std::vector<std::unique_ptr<detail::TransformerF64>> f64_;
  bool hvp_valid_ = false;
  std::vector<double> hv_v_;
  std::vector<std::vector<double>> hv_part_;
};

}  // namespace ridgeline
