#pragma once
/// @file mlp.h
/// Multi-layer perceptrons: Linear layers, each hidden one followed by an optional LayerNorm
/// and an activation (ReLU or GELU), softmax cross-entropy on the logits. The output layer
/// has neither. Parameters live in one flat float vector so that paths, planes and optimizers
/// act on a single array: for layer l, W_l [out×in] row-major, then b_l [out], then — for a
/// hidden layer of a LayerNorm net — γ_l [out] and β_l [out].
#include <cstdint>
#include <string>
#include <vector>

namespace ridgeline {

/// ReLU, or GELU in its exact erf form x·Φ(x) (torch.nn.GELU() default).
enum class Activation { Relu, Gelu };

/// "relu" | "gelu".
std::string to_string(Activation a);
/// Parses "relu" | "gelu"; throws InputError naming `what` otherwise.
Activation parse_activation(const std::string& text, const std::string& what = "activation");

/// LayerNorm epsilon (torch.nn.LayerNorm default).
inline constexpr float kLayerNormEps = 1e-5f;

struct MlpArch {
  std::vector<int> widths;               ///< input, hidden..., classes (≥ 2 entries)
  Activation activation = Activation::Relu;
  bool layernorm = false;                ///< LayerNorm (affine γ, β) after each hidden Linear
  std::vector<std::string> layer_names;  ///< safetensors prefix of each Linear ("fc0", "0", ...)
  std::vector<std::string> norm_names;   ///< prefix of each hidden LayerNorm ("ln0", "1", ...)

  int num_layers() const { return static_cast<int>(widths.size()) - 1; }
  int num_hidden() const { return num_layers() - 1; }
  int in_dim() const { return widths.front(); }
  int classes() const { return widths.back(); }
  /// "mlp:784,512,10" for a plain ReLU net; otherwise with suffixes, "mlp:784,512,10+ln+gelu".
  std::string to_string() const;
  /// The widths alone, "mlp:784,512,10".
  std::string widths_string() const;
  /// Same widths, and (when there is a hidden layer) the same LayerNorm and activation.
  bool same_shape(const MlpArch& other) const {
    return widths == other.widths &&
           (num_hidden() <= 0 || (layernorm == other.layernorm && activation == other.activation));
  }
};

/// Parses "mlp:784,512,512,10" with optional suffixes "+ln", "+gelu", "+relu" in any order
/// ("mlp:784,512,10+ln+gelu"). Throws InputError naming `what` (e.g. "--arch") on bad text.
MlpArch parse_arch(const std::string& text, const std::string& what = "architecture");

/// Offsets of each layer's parameters in the flat parameter vector. ln_weight_offset and
/// ln_bias_offset have one entry per hidden layer when the net has LayerNorm, else none.
struct ParamLayout {
  std::vector<size_t> weight_offset, bias_offset;
  std::vector<size_t> ln_weight_offset, ln_bias_offset;
  size_t total = 0;
  explicit ParamLayout(const MlpArch& arch);
  ParamLayout() = default;
  /// End of layer l's block (its bias, or its LayerNorm β when it has one).
  size_t layer_end(int l) const;
};

struct Mlp {
  MlpArch arch;
  std::vector<float> params;  ///< flat, see ParamLayout

  ParamLayout layout() const { return ParamLayout(arch); }
};

/// PyTorch default initialisation: nn.Linear weight and bias uniform in ±1/√fan_in,
/// nn.LayerNorm γ = 1, β = 0. From a seeded generator: the same seed gives the same
/// parameters on every machine (the Linear values do not depend on `layernorm`).
Mlp init_mlp(const MlpArch& arch, uint64_t seed);

/// Float64 reference forward/backward on the host, used to check every backend and as the
/// gradient-check oracle. x: [n×in] row-major, labels: n class indices.
/// Returns the mean cross-entropy; fills `grad` (same layout as params) when non-null.
double mlp_loss_grad_f64(const MlpArch& arch, const std::vector<double>& params,
                         const std::vector<double>& x, const std::vector<int>& labels,
                         std::vector<double>* grad, std::vector<double>* logits = nullptr);

}  // namespace ridgeline

namespace ridgeline {

struct Dataset;

/// The one "model fits the data" check: throws InputError
/// "<who> <arch> expects <in> inputs but <data.name> has <dim>" when data.dim ≠ arch.in_dim(),
/// and "<who> <arch> has <outputs> outputs but <data.name> has <classes> classes" when the
/// data has more classes than the model has outputs. `who` names the caller's subject, e.g.
/// "architecture", "model" or "ste: model".
void check_fits(const MlpArch& arch, const Dataset& data, const std::string& who);

}  // namespace ridgeline
