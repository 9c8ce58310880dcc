#pragma once
/// @file attention.h
/// Attention variants behind one interface, one head at a time (docs/USER_GUIDE.md,
/// "Attention variants": every variant's formula, constants and paper). Pure engine: no Qt, no
/// backend; plain row-major host matrices in float (training, display) or double (references and
/// gradient checks in the tests).
///
/// A head takes Q [N, d], K [N, d], V [N, d_v] and returns O [N, d_v]. Causal means query i
/// sees keys j ≤ i. Every variant can
///  - run forward: O(N²·d) for softmax, O(N·d_φ·d_v) for the linear variants (kernel trick:
///    S = Σ_j φ(k_j) v_jᵀ, z = Σ_j φ(k_j); running sums when causal), never forming N×N;
///  - materialise its N×N map a_ij for display, such that O = post(A·V), where post is the
///    identity except for variants with an output norm (output_norm());
///  - run backward: dQ, dK, dV and the gradient of its own learned parameters, exact (tested
///    against central finite differences in double).
/// Variants are stateless between calls apart from their parameters, so one object may serve
/// several threads at once as long as nobody calls set_params() meanwhile.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ridgeline::attention {

/// A dense row-major rows×cols matrix.
template <class T>
struct HeadMatrix {
  int rows = 0, cols = 0;
  std::vector<T> data;

  HeadMatrix() = default;
  HeadMatrix(int r, int c) : rows(r), cols(c), data(static_cast<size_t>(r) * c, T(0)) {}
  T& operator()(int i, int j) { return data[static_cast<size_t>(i) * cols + j]; }
  const T& operator()(int i, int j) const { return data[static_cast<size_t>(i) * cols + j]; }
  T* row(int i) { return data.data() + static_cast<size_t>(i) * cols; }
  const T* row(int i) const { return data.data() + static_cast<size_t>(i) * cols; }
};
using MatrixF = HeadMatrix<float>;
using MatrixD = HeadMatrix<double>;

/// Gradients from backward(): of the inputs, and of the variant's learned parameters (in the
/// order of params(); empty when it has none).
template <class T>
struct AttentionGrads {
  HeadMatrix<T> dQ, dK, dV;
  std::vector<double> dparams;
};

/// What follows A·V in forward(): nothing, or a row-wise RMSNorm over d_v without a gain,
/// o_i = y_i / √(mean_c y_ic² + eps) (TransNormer's normalised attention; the gain, if any,
/// belongs to the layer).
enum class OutputNorm { None, Rms };

/// Options of make_variant(). Zero / negative values mean "the paper's default".
struct VariantOptions {
  int features = 0;  ///< performer: m random features (default d·⌈ln d⌉ as performer-pytorch);
                     ///< hedgehog: feature_dim f (default d; d_φ = 2f)
  uint64_t seed = 0;  ///< performer: the random features; hedgehog: W's init when f ≠ d
  double eps = -1;    ///< the variant's eps (see its description); < 0: the paper's value
};

/// What a forward pass keeps for the backward pass of the same inputs: a variant's own, opaque
/// to callers (forward_keeping / backward_kept). It trades memory for not recomputing the
/// forward inside backward.
class ForwardState {
 public:
  virtual ~ForwardState() = default;
};

class AttentionVariant {
 public:
  virtual ~AttentionVariant() = default;

  /// Registry name ("softmax", "linear_elu", ...).
  virtual std::string name() const = 0;
  /// One line: the formula in words, with its constants.
  virtual std::string description() const = 0;
  /// Head dimension d of Q and K this object was made for (random features and learned
  /// parameters depend on it). Inputs of another width throw InputError.
  int head_dim() const { return head_dim_; }
  /// Whether forward() is O(N) (a kernel feature map) rather than O(N²).
  virtual bool is_linear() const = 0;
  /// d_φ, the feature map's output width (the map's rank is at most this); 0 for softmax.
  virtual int feature_dim() const = 0;
  /// Whether each row of the map sums to one (softmax exactly; eps-normalised linear
  /// variants up to their eps; InLine exactly, with entries that may be negative).
  virtual bool rows_sum_to_one() const = 0;
  virtual OutputNorm output_norm() const { return OutputNorm::None; }
  /// eps of the output RMSNorm when output_norm() is Rms.
  virtual double output_norm_eps() const { return 0; }

  /// Learned parameters of the variant itself (FLatten's scale, Hedgehog's W), flat, in the
  /// order of param_blocks(); empty for the others. Their initial values are the paper's
  /// (FLatten: 0; Hedgehog: identity, or seeded N(0, 1/d) when f ≠ d).
  const std::vector<double>& params() const { return params_; }
  int num_params() const { return static_cast<int>(params_.size()); }
  /// Names and sizes of the parameter blocks, for checkpoints ("scale" [d], "W" [d, f]).
  virtual std::vector<std::pair<std::string, std::vector<int>>> param_blocks() const { return {}; }
  /// Replaces the parameters; throws InputError when the size differs from params().
  void set_params(std::vector<double> p);

  virtual MatrixF forward(const MatrixF& Q, const MatrixF& K, const MatrixF& V,
                          bool causal) const = 0;
  virtual MatrixD forward(const MatrixD& Q, const MatrixD& K, const MatrixD& V,
                          bool causal) const = 0;
  /// The N×N map a_ij (0 where causal masks it): O = post(A·V).
  virtual MatrixF materialise(const MatrixF& Q, const MatrixF& K, bool causal) const = 0;
  virtual MatrixD materialise(const MatrixD& Q, const MatrixD& K, bool causal) const = 0;
  /// Gradients of Σ dO ⊙ forward(Q, K, V, causal). Recomputes what it needs (no saved state).
  virtual AttentionGrads<float> backward(const MatrixF& Q, const MatrixF& K, const MatrixF& V,
                                         bool causal, const MatrixF& dO) const = 0;
  virtual AttentionGrads<double> backward(const MatrixD& Q, const MatrixD& K, const MatrixD& V,
                                          bool causal, const MatrixD& dO) const = 0;
  /// forward() that also keeps, in *kept, what backward_kept() can reuse for the same Q, K, V
  /// and causal; a variant that keeps nothing (the default) leaves *kept null. Float only:
  /// what training runs. The causal linear variants keep each chunk's masked kernel, the
  /// running state before it and every row's unnormalised output and normaliser (about
  /// N·(d_v + 1 + 64) + (N/64)·d_φ·(d_v + 1) floats).
  virtual MatrixF forward_keeping(const MatrixF& Q, const MatrixF& K, const MatrixF& V, bool causal,
                                  std::unique_ptr<ForwardState>& kept) const {
    kept.reset();
    return forward(Q, K, V, causal);
  }
  /// backward() given what forward_keeping() kept for the same Q, K, V and causal (null or
  /// another variant's state: recomputes, as backward()). The same gradients either way.
  virtual AttentionGrads<float> backward_kept(const MatrixF& Q, const MatrixF& K,
                                              const MatrixF& V, bool causal, const MatrixF& dO,
                                              const ForwardState* /*kept*/) const {
    return backward(Q, K, V, causal, dO);
  }
  /// Gradients of Σ dA ⊙ materialise(Q, K, causal) (dA is N×N; its masked entries do not
  /// matter): dQ, dK and the learned parameters; dV stays empty. What a loss on the map itself
  /// needs, e.g. Hedgehog's distillation (cross-entropy of its map to the softmax map).
  virtual AttentionGrads<float> materialise_backward(const MatrixF& Q, const MatrixF& K,
                                                     bool causal, const MatrixF& dA) const = 0;
  virtual AttentionGrads<double> materialise_backward(const MatrixD& Q, const MatrixD& K,
                                                      bool causal, const MatrixD& dA) const = 0;

 protected:
  explicit AttentionVariant(int head_dim) : head_dim_(head_dim) {}
  int head_dim_;
  std::vector<double> params_;
};

/// Registered variant names, in a fixed order: "softmax", "linear_elu", "linear_relu",
/// "cosformer", "performer", and the others that are implemented (see the user guide).
std::vector<std::string> variant_names();

/// Makes a variant for heads of width `head_dim`. Throws InputError for an unknown name (the
/// message lists the known ones) or an invalid option.
std::unique_ptr<AttentionVariant> make_variant(const std::string& name, int head_dim,
                                               const VariantOptions& options = {});

/// Performer's Gaussian orthogonal random features ω [m, d], row-major, in double: ⌈m/d⌉
/// blocks, each the Q of a QR decomposition of a d×d standard Gaussian matrix (its rows
/// orthonormal), the first m rows kept, each row scaled by the norm of an independent
/// standard Gaussian d-vector (a χ_d sample, so rows have the norms of Gaussian vectors;
/// Choromanski et al. 2021, arXiv 2009.14794, §4 "orthogonal random features").
std::vector<double> gaussian_orthogonal_features(int m, int d, uint64_t seed);

}  // namespace ridgeline::attention
