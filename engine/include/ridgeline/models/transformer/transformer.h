#pragma once
/// @file transformer.h
/// A tiny pre-norm transformer behind the model interface (docs/ARCHITECTURE.md, "Models";
/// docs/USER_GUIDE.md, "The attention lab"), in two forms:
///  - a token model (decoder when causal): token embedding + learned positions, one label per
///    position (Dataset::label_width = the sequence length; -100 positions carry no target),
///    output tied to the embedding or its own head;
///  - an image model (ViT-style encoder, Dosovitskiy et al. 2021, arXiv 2010.11929): square
///    patches of a grayscale image as tokens (a linear patch embedding), an optional class
///    token, learned positions, one class per image read from the class token (or from the
///    mean over tokens without one).
/// Every block is x + Attn(LN₁(x)), then x + MLP(LN₂(x)) with a GELU MLP (pre-norm, as GPT-2
/// and ViT); a final LayerNorm precedes the output. Attention is multi-head with any variant
/// of attention/attention.h, one variant object per layer and head (their learned
/// parameters are parameters of the model).
///
/// Architecture text (parse_transformer_arch, to_string):
///   transformer:tokens=V,seq=L,d=64,heads=2,layers=2,ff=256,attn=softmax[,causal][,tied]
///   transformer:image=28x28,patch=7,classes=10,d=64,heads=4,layers=2,ff=128,attn=linear_elu
///               [,nocls][,causal]
/// plus, for variants with options, features=M and fseed=S (attention::VariantOptions), and
/// gelu_tanh for GPT-2's tanh form of the GELU (exact erf form otherwise).
#include <memory>
#include <string>
#include <vector>

#include "ridgeline/attention/attention.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

struct TransformerArch {
  // Input: tokens (vocab > 0) or image patches (image_h > 0).
  int vocab = 0;
  int seq = 0;  ///< tokens: the sequence length
  int image_h = 0, image_w = 0, patch = 0;
  int classes = 0;  ///< image: output classes
  bool cls_token = true;  ///< image: a learned class token in front of the patches
  // Body.
  int d = 64, heads = 2, layers = 2, ff = 256;
  std::string attention = "softmax";
  int features = 0;          ///< variant option (performer m, hedgehog f); 0: the default
  uint64_t feature_seed = 0; ///< variant option (performer's features, hedgehog's init)
  bool causal = false;
  bool tied = false;  ///< tokens: logits = h·Eᵀ (no head weight)
  bool gelu_tanh = false;  ///< the MLP's GELU in its tanh form (GPT-2's "gelu_new")

  bool is_image() const { return image_h > 0; }
  int head_dim() const { return d / heads; }
  /// Tokens per example: seq, or the patches plus the class token.
  int tokens() const;
  /// Input floats per example: seq token ids, or image_h·image_w pixels.
  int inputs() const { return is_image() ? image_h * image_w : seq; }
  /// Logits per output row: vocab or classes.
  int outputs() const { return is_image() ? classes : vocab; }
  std::string to_string() const;
  bool operator==(const TransformerArch&) const = default;
};

/// Parses the architecture text above; InputError naming `what` and the bad item otherwise.
TransformerArch parse_transformer_arch(const std::string& text, const std::string& what);

std::shared_ptr<const ModelArch> transformer_model_arch(const TransformerArch& arch);
/// The transformer behind a ModelArch, or null for another kind.
const TransformerArch* as_transformer_arch(const ModelArch& arch);

/// Why `arch` has no exact Hessian-vector products (ModelCompute::hvp), or empty when it has
/// them: every transformer whose attention variant has an R-operator (all of the registry's
/// today: softmax, linear_elu, linear_relu, and the generic linear head's TransNormer, InLine,
/// cosFormer, Performer, Hedgehog and FLatten; docs/ARCHITECTURE.md, "Hessian-vector products
/// of transformers"). One line naming the variant otherwise.
std::string transformer_hvp_unsupported(const TransformerArch& arch);

/// Float64 reference forward and backward on the host (what the HVP differentiates): the mean
/// loss of `rows` examples x [rows × inputs] with labels as ModelCompute::loss takes them (one
/// class per image; one per position for tokens, −100 = no target), and its gradient into
/// `grad` when non-null. For architectures with HVPs only (InputError otherwise).
double transformer_loss_grad_f64(const TransformerArch& arch, const std::vector<double>& params,
                                 const std::vector<float>& x, const std::vector<float>& labels,
                                 int rows, std::vector<double>* grad);

/// What attention saw for one example: per layer and head, Q, K and V [tokens × head_dim]
/// after their projections, and the variant that combined them.
struct AttentionCapture {
  int layers = 0, heads = 0, tokens = 0;
  std::vector<attention::MatrixF> q, k, v;  ///< index layer·heads + head
  const attention::MatrixF& query(int l, int h) const { return q[l * heads + h]; }
  const attention::MatrixF& key(int l, int h) const { return k[l * heads + h]; }
};

/// Runs `model` (a transformer) on `rows` examples x [rows × inputs] on the CPU and returns
/// each example's capture. Throws InputError for another model kind or a bad input width.
std::vector<AttentionCapture> capture_attention(const Model& model, const std::vector<float>& x,
                                                int rows);

/// The N×N attention maps of one capture, [layer·heads + head], from each layer's variant
/// with the model's variant parameters (materialise(); softmax rows sum to one).
std::vector<attention::MatrixF> attention_maps(const Model& model, const AttentionCapture& c);

/// Predicted class ids (argmax of the logits, first on ties) of `rows` examples: one per
/// example for image models, one per position for token models.
std::vector<int32_t> transformer_predict(const Model& model, const std::vector<float>& x,
                                         int rows);

}  // namespace ridgeline
