#pragma once
/// @file hessian.h
/// The Hessian of a model's mean loss over a chosen batch, as a linear operator: exact
/// Hessian-vector products through the model interface (ModelCompute::hvp), averaged over the
/// batch's chunks weighted by their rows, for the whole parameter vector or restricted to a
/// selection of its named blocks (H_SS: v is zero outside the selection and the output is
/// restricted to it). docs/USER_GUIDE.md, "Curvature".
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

/// A part of the flat parameter vector: one or more of the architecture's blocks.
struct ParamSelection {
  std::string name;                              ///< "" = the whole model; else what was asked
  std::vector<std::pair<size_t, size_t>> ranges;  ///< (offset, size) of each block, in order
  size_t size = 0;                               ///< Σ sizes
};

/// The whole parameter vector of `arch`.
ParamSelection select_all(const ModelArch& arch);
/// The block named `name` ("fc1.weight"), or every block whose name starts with `name` + "."
/// (a layer: "fc1" selects fc1.weight and fc1.bias). Throws InputError naming `what`, the name
/// and the available blocks when nothing matches.
ParamSelection select_blocks(const ModelArch& arch, const std::string& name,
                             const std::string& what = "block");
/// One selection per layer of `arch` (blocks grouped by the prefix before their last '.';
/// a block without a '.' is its own group), in parameter order.
std::vector<ParamSelection> layer_selections(const ModelArch& arch);

/// The batch a Hessian is taken on: the `split` ("train" or "test") of `data`, or a seeded
/// random subset of `samples` of it (0, or at least its size: all of it).
Dataset hessian_batch(const DataSplits& data, const std::string& split, int samples, uint64_t seed);

/// The Hessian of the mean loss of a model over a batch (host float64 vectors in and out;
/// HVPs in float32 on the backend).
class HessianOperator {
 public:
  /// `data` is the batch (ignored, and may be null, for a kind that uses no data); it is
  /// uploaded once, in chunks of at most `chunk` rows. Throws InputError naming the model
  /// kind when its compute object has no HVPs, or when the model does not fit the data.
  HessianOperator(Backend& backend, std::shared_ptr<const ModelArch> arch, const Dataset* data,
                  int chunk = 1000);
  ~HessianOperator();
  HessianOperator(const HessianOperator&) = delete;
  HessianOperator& operator=(const HessianOperator&) = delete;

  const ModelArch& arch() const { return *arch_; }
  size_t num_params() const { return arch_->num_params(); }
  /// Rows of the batch (1 for a kind without data).
  int rows() const { return rows_; }

  /// Moves the operator to θ (num_params() floats; θ = 0 until the first call). Throws
  /// InputError on a wrong size.
  void set_params(const std::vector<float>& theta);
  const std::vector<float>& params() const { return theta_; }

  /// hv = H_SS·v for v of sel.size entries (the whole model: select_all()).
  void apply(const ParamSelection& sel, const std::vector<double>& v, std::vector<double>& hv);
  /// Mean loss over the batch at θ.
  double loss();
  /// Mean gradient over the batch at θ, restricted to sel.
  std::vector<double> gradient(const ParamSelection& sel);

  /// HVPs done so far (one per apply(), whatever the number of chunks).
  long long hvps() const { return hvps_; }
  /// Polled before every HVP (throws Cancelled).
  void set_cancel(const CancelToken* cancel) { cancel_ = cancel; }
  /// Called after every HVP (progress reporting).
  void set_on_hvp(std::function<void()> f) { on_hvp_ = std::move(f); }

 private:
  struct Chunk;
  void prepare(size_t c);  // forward + loss of chunk c at θ, unless already there
  Backend& be_;
  std::shared_ptr<const ModelArch> arch_;
  std::unique_ptr<ModelCompute> net_;
  std::vector<Chunk> chunks_;
  int rows_ = 1;
  std::vector<float> theta_, host_;
  DeviceBuffer params_, v_, hv_, acc_;
  long long prepared_ = -1;  // chunk whose forward+loss the compute object holds at θ
  long long hvps_ = 0;
  const CancelToken* cancel_ = nullptr;
  std::function<void()> on_hvp_;
};

}  // namespace ridgeline
