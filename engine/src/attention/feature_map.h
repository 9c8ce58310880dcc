#pragma once
// Private to engine/src/attention: the feature maps φ of the linear variants, one token (row)
// at a time, in double. A map may depend on the token's position (cosFormer) and on learned
// parameters owned by the variant (FLatten, Hedgehog). The formulas, with their papers, are in
// docs/USER_GUIDE.md, "Attention variants".
#include <memory>
#include <string>
#include <vector>

namespace ridgeline::attention {

enum class Role { Query, Key };

class FeatureMap {
 public:
  virtual ~FeatureMap() = default;
  /// d_φ for inputs of width d.
  virtual int dim() const = 0;
  /// φ of row x (d values) at 0-based position i of a sequence of n tokens.
  virtual void apply(const double* x, int i, int n, Role role, const double* params,
                     double* phi) const = 0;
  /// dx = (∂φ/∂x)ᵀ dphi (overwritten); dparams += (∂φ/∂params)ᵀ dphi.
  virtual void backward(const double* x, int i, int n, Role role, const double* params,
                        const double* dphi, double* dx, double* dparams) const = 0;
  /// Whether apply_rows()/backward_rows() do better than a loop over rows (callers then pass
  /// whole matrices in double; otherwise they go row by row without copying the matrix).
  virtual bool batched() const { return false; }
  /// All n rows of X [n, d] at once into Phi [n, dim()]; a map may batch the work (Performer's
  /// projections are one GEMM). The default calls apply() row by row.
  virtual void apply_rows(const double* X, int n, int d, Role role, const double* params,
                          double* Phi) const {
    for (int i = 0; i < n; ++i)
      apply(X + static_cast<size_t>(i) * d, i, n, role, params,
            Phi + static_cast<size_t>(i) * dim());
  }
  /// backward() of all rows: dX [n, d] overwritten, dparams accumulated.
  virtual void backward_rows(const double* X, int n, int d, Role role, const double* params,
                             const double* dPhi, double* dX, double* dparams) const {
    for (int i = 0; i < n; ++i)
      backward(X + static_cast<size_t>(i) * d, i, n, role, params,
               dPhi + static_cast<size_t>(i) * dim(), dX + static_cast<size_t>(i) * d, dparams);
  }
  /// A float path, for maps that have one (the elementwise maps, which have no parameters):
  /// apply_rows()/backward_rows() on float matrices, vectorised (dX may be dPhi). They return
  /// false, doing nothing, for maps without one.
  virtual bool apply_rows_float(const float*, int, int, Role, float*) const { return false; }
  virtual bool backward_rows_float(const float*, int, int, Role, const float*, float*) const {
    return false;
  }
};

/// Elementwise maps φ(x)_c = f(x_c).
std::unique_ptr<FeatureMap> make_elu_plus_one_map(int d);  ///< elu(x) + 1 (Katharopoulos)
std::unique_ptr<FeatureMap> make_relu_map(int d);          ///< max(x, 0)
std::unique_ptr<FeatureMap> make_elu_map(int d);           ///< elu(x) (TransNormer)
std::unique_ptr<FeatureMap> make_identity_map(int d);      ///< x (InLine's default kernel)
/// cosFormer: [relu(x)·sin(π(i+1)/2n), relu(x)·cos(π(i+1)/2n)], d_φ = 2d.
std::unique_ptr<FeatureMap> make_cosformer_map(int d);
/// Performer FAVOR+ positive features with the given ω [m, d].
std::unique_ptr<FeatureMap> make_performer_map(int d, int m, std::vector<double> omega, double eps);
/// FLatten's focused map, p = 3, with the learned per-channel scale as parameters [d].
std::unique_ptr<FeatureMap> make_focused_map(int d, int p);
/// Hedgehog (LoLCATs' softmax_dim form): [softmax(xW), softmax(−xW)], W [d, f] parameters.
std::unique_ptr<FeatureMap> make_hedgehog_map(int d, int f);

}  // namespace ridgeline::attention
