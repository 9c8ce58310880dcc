#pragma once
// The transformer's exact Hessian-vector product (ModelCompute::hvp) by Pearlmutter's
// R-operator (Pearlmutter 1994): a float64 host forward of the whole model, its R-forward along
// v, then the backward pass and its R-derivative together, block by block from the loss down.
// LayerNorm and GELU through models/rop_nonlinear.h (shared with the MLP), attention heads
// through transformer_attention_rop.h and transformer_linear_rop.h (whose heads may have
// learned parameters: Hedgehog, FLatten), GEMMs through Eigen. docs/ARCHITECTURE.md,
// "Hessian-vector products of transformers".
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/rop_nonlinear.h"
#include "ridgeline/models/transformer/transformer.h"
#include "transformer_attention_rop.h"
#include "transformer_layout.h"
#include "transformer_linear_rop.h"

namespace ridgeline::detail {

class TransformerF64 {
 public:
  /// Throws InputError when the architecture has no HVPs (transformer_hvp_unsupported).
  explicit TransformerF64(const TransformerArch& arch);

  /// Forward and loss at θ = params on rows examples x [rows × inputs] (token ids or pixels)
  /// with labels as ModelCompute::loss takes them (one class per image; per position for
  /// tokens, −100 = no target). The rows may be part of a batch of batch_rows examples (0: the
  /// same): the loss, gradient and HVP are then this part's share of the batch's mean, and
  /// the parts' results add up to the batch's. Returns the (share of the) mean loss.
  double set(const double* params, const float* x, int rows, const float* labels,
             int batch_rows = 0);
  /// The gradient of the mean loss at the last set().
  std::vector<double> gradient();
  /// hv = ∇²L·v at the last set() (both num_params() long).
  void hvp(const double* v, double* hv);

 private:
  struct Block {  // forward values of one block
    MatD h, xh1, a1, qkv, att, hmid, xh2, a2, f1, g;
    Eigen::VectorXd r1, r2;
  };
  struct RBlock {  // their R-derivatives
    MatD Rh, Rxh1, Ra1, Rqkv, Ratt, Rhmid, Rxh2, Ra2, Rf1, Rg;
  };
  void r_forward(const double* v);
  /// The backward pass into grad (null: not wanted); with `with_r` (after r_forward(v)) also
  /// its R-derivative, the HVP, into hv.
  void backward(const double* v, bool with_r, double* grad, double* hv);
  // Layer l's heads; v: the HVP's direction (its entries for the heads' own parameters).
  MatD attention(int l, const MatD& qkv) const;
  MatD r_attention(int l, const MatD& qkv, const MatD& Rqkv, const double* v) const;
  /// With Rqkv: also the R-terms, and the heads' parameters' HVP entries into hv. grad (may be
  /// null) receives the heads' parameters' gradient.
  void attention_backward(int l, const MatD& qkv, const MatD* Rqkv, const MatD& datt,
                          const MatD* Rdatt, MatD& dqkv, MatD* Rdqkv, const double* v,
                          double* grad, double* hv) const;
  /// Head h's parameters in a vector laid out as θ (null when the variant has none).
  const double* head_params(const double* base, int l, int h) const;

  TransformerArch arch_;
  TransformerLayout lay_;
  HeadKernel kernel_ = HeadKernel::Softmax;
  std::unique_ptr<LinearHeadSpec> linear_;  ///< LinearHeadRop's variants only
  Activation act_ = Activation::Gelu;
  int T_ = 0, rows_ = 0;
  const double* p_ = nullptr;  ///< set()'s parameters (copied into params_)
  std::vector<double> params_;
  // Forward state.
  MatD patches_;               ///< image: [rows·patches × patch²]
  std::vector<int32_t> tokens_;
  std::vector<Block> blocks_;
  MatD hL_, xhf_, y_, hin_, logits_, probs_;
  Eigen::VectorXd rf_;
  std::vector<int> sel_;       ///< tokens: labelled positions (rows of y_)
  std::vector<int> target_;    ///< per output row: its class
  std::vector<double> weight_; ///< per output row: its weight in the mean loss
  // R-forward state.
  std::vector<RBlock> rblocks_;
  MatD RhL_, Rxhf_, Ry_, Rhin_, Rlogits_;
};

}  // namespace ridgeline::detail
