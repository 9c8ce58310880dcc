#pragma once
/// @file model.h
/// The model interface (docs/ARCHITECTURE.md, "Models"). A model is an architecture — what a
/// flat float parameter vector means: its size and named blocks, initialisation, permutation
/// symmetries, how it is named in safetensors files — and, per backend, a compute object
/// (forward over a batch, loss and accuracy, backward, layer hooks for statistics). Analyses
/// take `Model` and `ModelArch`; only a model's own folder (models/<kind>/) knows its layers.
///
/// Kinds today: "mlp" (models/mlp) and "quadratic" (models/quadratic: the closed-form oracle
/// L(θ) = ½(θ−θ*)ᵀA(θ−θ*) + c that the analyses are tested against).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/precision.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/symmetry/permutation.h"

namespace ridgeline {

class ModelCompute;
struct ParameterPoints;
struct PointHooks;

/// A named block of the flat parameter vector ("fc1.weight", shape {512, 784}).
struct ParamBlockInfo {
  std::string name;
  size_t offset = 0;
  std::vector<int64_t> shape;
};

/// Loss and error (1 − accuracy) of every parameter point of a ParameterPoints set. A model
/// without classification accuracy (the quadratic oracle) reports NaN errors.
struct PointValues {
  std::vector<double> loss, error;
};

class ModelArch {
 public:
  virtual ~ModelArch() = default;
  /// The tag of the spec's `model.kind` and of the safetensors metadata: "mlp", "quadratic".
  virtual std::string kind() const = 0;
  /// Text that parse_model_arch() reads back: "mlp:784,512,10+ln", "quadratic:dim=8,seed=1".
  virtual std::string to_string() const = 0;
  virtual size_t num_params() const = 0;
  /// The parameter layout as named blocks, in vector order, covering every parameter.
  virtual std::vector<ParamBlockInfo> blocks() const = 0;
  /// A seeded initial parameter vector (the same on every machine).
  virtual std::vector<float> init(uint64_t seed) const = 0;
  /// The permutation symmetries (may hold no permutation: then there is nothing to align).
  virtual PermutationSpec permutation_spec() const = 0;
  /// Whether loss depends on data. The quadratic oracle's does not.
  virtual bool uses_data() const { return true; }
  /// Whether the model reports classification accuracy (else errors are NaN).
  virtual bool has_accuracy() const { return true; }
  /// The one "model fits the data" check: throws InputError naming `who` and the data set
  /// when the data's feature count or classes do not fit the model.
  virtual void check_fits(const Dataset& data, const std::string& who) const = 0;
  /// Same kind and the same parameter meaning (so that points can be combined).
  virtual bool same_shape(const ModelArch& other) const = 0;
  /// A compute object on `backend` for batches of at most max_rows rows.
  virtual std::unique_ptr<ModelCompute> compute(Backend& backend, int max_rows) const = 0;
  /// The evaluator over parameter points (paths/evaluator.h) of this kind: loss and error of
  /// every point on `data` (ignored when !uses_data()), batched over points and data.
  virtual PointValues evaluate_points(Backend& backend, const ParameterPoints& points,
                                      const Dataset* data, int chunk, const PointHooks& hooks,
                                      const std::function<void()>& on_chunk,
                                      const CancelToken* cancel) const = 0;
  /// Whether evaluate_points has a path in precision `p` (fp32 always; bf16: the MLP).
  virtual bool supports_precision(Precision p) const { return p == Precision::Fp32; }
  /// Why this architecture has no Hessian-vector products (ModelCompute::hvp), or empty when
  /// it has them: what a spec checks before anything runs.
  virtual std::string hvp_unsupported() const {
    return "Hessian-vector products are not supported for this model kind";
  }
  /// Floats one training row keeps for the backward pass and its gradients (the memory
  /// preflight, experiment/preflight.h). The default reads the blocks: the first matrix's
  /// inputs, and per matrix its outputs' linear output, activation and their gradients. Kinds
  /// whose activations are not one vector per matrix (transformers: one per token) override it.
  virtual long double activation_floats_per_row() const;
  /// How many on_chunk calls evaluate_points makes for `points` points on n rows.
  virtual int evaluation_chunks(int points, int chunk, int n) const = 0;
  /// The safetensors `__metadata__` entries that identify this architecture.
  virtual std::map<std::string, std::string> metadata() const = 0;
};

/// What a forward() observer sees of hidden layer `layer`: device pointers to its linear
/// output (before normalisation and activation) and its activation output, [rows×width]
/// row-major. Valid until the next forward() of the same compute object.
struct HiddenLayerView {
  int layer = 0;
  const float* linear = nullptr;
  const float* activation = nullptr;
  int rows = 0;
  int width = 0;
};
using LayerHook = std::function<void(const HiddenLayerView&)>;

/// Forward, loss and backward of one architecture on a backend (device pointers).
class ModelCompute {
 public:
  virtual ~ModelCompute() = default;
  /// Outputs of x [rows×inputs] for `params`; `hook` observes every hidden layer.
  virtual void forward(const float* params, const float* x, int rows,
                       const LayerHook& hook = {}) = 0;
  /// Per-row loss and correctness of the last forward against device labels (float class
  /// indices); with `want_grad`, also what backward() needs.
  virtual void loss(const float* labels, int rows, bool want_grad) = 0;
  /// Gradient of the mean loss over the last forward's rows into grad (overwritten).
  virtual void backward(const float* params, float* grad, int rows) = 0;
  /// Sums over rows of the last loss(): loss and number correct.
  virtual void sums(int rows, double& loss_sum, double& correct_sum) = 0;

  /// Why hvp() cannot run for this model, or empty when it can ("hessian-vector products
  /// need a ReLU MLP without LayerNorm"). A kind that does not override hvp() reports
  /// that it has none; callers name the kind (ModelArch::kind()) in the error they raise.
  virtual std::string hvp_unsupported() const {
    return "Hessian-vector products are not supported for this model kind";
  }
  /// Exact Hessian-vector product hv = ∇²L(θ)·v of the mean loss over the rows of the last
  /// forward() and the labels of the last loss() (device pointers; the labels must still be
  /// valid), at θ = params, which must be the parameters of that forward(). v and hv are
  /// flat parameter-vector-sized device buffers; hv is overwritten and must not alias v.
  /// Contract: forward(params, x, rows) then loss(labels, rows, want_grad) (either value of
  /// want_grad) then any number of hvp() calls with the same params and rows; backward() in
  /// between is allowed. Only when hvp_unsupported() is empty; otherwise throws RunError.
  virtual void hvp(const float* /*params*/, const float* /*v*/, float* /*hv*/, int /*rows*/) {
    throw_hvp_unsupported();
  }

 protected:
  /// Throws RunError with hvp_unsupported().
  [[noreturn]] void throw_hvp_unsupported() const { throw RunError(hvp_unsupported()); }
};

/// A parameter vector and what it means.
struct Model {
  std::shared_ptr<const ModelArch> arch;
  std::vector<float> params;

  const ModelArch& architecture() const { return *arch; }
};

/// π(θ) of any model, on its architecture's permutation spec.
Model apply_permutations(const Model& model, const std::vector<Permutation>& perms);

/// Parses an architecture text of any registered kind ("mlp:784,512,10", "quadratic:dim=8").
/// Throws InputError naming `what` on bad text or an unknown kind.
std::shared_ptr<const ModelArch> parse_model_arch(const std::string& text,
                                                  const std::string& what = "architecture");
/// The registered kinds, in registration order ("mlp", "quadratic").
std::vector<std::string> model_kinds();
/// Throws InputError "<what>: <a> and <b> differ" unless a.same_shape(b).
void check_same_shape(const ModelArch& a, const ModelArch& b, const std::string& what = "models");
/// Throws InputError "<a_name> (<arch a>) and <b_name> (<arch b>) have different
/// architectures" unless the two models can share a path.
void check_compatible(const ModelArch& a, const std::string& a_name, const ModelArch& b,
                      const std::string& b_name);

}  // namespace ridgeline
