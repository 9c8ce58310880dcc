#pragma once
/// @file mlp.h
/// Multi-layer perceptrons: Linear layers with ReLU between them, softmax cross-entropy on
/// the logits. Parameters live in one flat float vector so that paths, planes and optimizers
/// act on a single array: for layer l, W_l [out×in] row-major then b_l [out].
#include <cstdint>
#include <string>
#include <vector>

namespace ridgeline {

enum class Activation { Relu };

struct MlpArch {
  std::vector<int> widths;               ///< input, hidden..., classes (≥ 2 entries)
  Activation activation = Activation::Relu;
  std::vector<std::string> layer_names;  ///< safetensors prefix of each Linear ("fc0", "0", ...)

  int num_layers() const { return static_cast<int>(widths.size()) - 1; }
  int in_dim() const { return widths.front(); }
  int classes() const { return widths.back(); }
  /// "mlp:784,512,10"
  std::string to_string() const;
  bool same_shape(const MlpArch& other) const { return widths == other.widths; }
};

/// Parses "mlp:784,512,512,10". Throws InputError naming `what` (e.g. "--arch") on bad text.
MlpArch parse_arch(const std::string& text, const std::string& what = "architecture");

/// Offsets of each layer's weight and bias in the flat parameter vector.
struct ParamLayout {
  std::vector<size_t> weight_offset, bias_offset;
  size_t total = 0;
  explicit ParamLayout(const MlpArch& arch);
  ParamLayout() = default;
};

struct Mlp {
  MlpArch arch;
  std::vector<float> params;  ///< flat, see ParamLayout

  ParamLayout layout() const { return ParamLayout(arch); }
};

/// PyTorch nn.Linear default initialisation (weight and bias uniform in ±1/√fan_in),
/// from a seeded generator: the same seed gives the same parameters on every machine.
Mlp init_mlp(const MlpArch& arch, uint64_t seed);

/// Float64 reference forward/backward on the host, used to check every backend and as the
/// gradient-check oracle. x: [n×in] row-major, labels: n class indices.
/// Returns the mean cross-entropy; fills `grad` (same layout as params) when non-null.
double mlp_loss_grad_f64(const MlpArch& arch, const std::vector<double>& params,
                         const std::vector<double>& x, const std::vector<int>& labels,
                         std::vector<double>* grad, std::vector<double>* logits = nullptr);

}  // namespace ridgeline
